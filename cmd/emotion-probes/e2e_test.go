package main

// End-to-end tests of the command. The command runs as a subprocess (this test binary acting as main,
// see asCommand) on a tiny random-weight model (pkg/engine/lm/testdata/tiny-llama: vocabulary 320, 2 layers,
// hidden 32), so that every stage takes seconds. Its "stories" are random byte-level text: the numbers
// mean nothing; what is tested is that run-all completes and writes every output, that a run killed at
// any moment (SIGKILL: no chance to clean up) resumes to the very bytes of an uninterrupted run, and that
// shards run in parallel into one folder merge to the single-process result.
//
// The config is testdata/e2e.yaml; each test writes a copy with absolute paths and its own output.dir
// (the command has no flag to override output.dir). The model folder is made from tiny-llama (makeModel):
// a ChatML chat template (testdata/chat_template.jinja, SmolLM2's; the tokenizer has <|im_start|> and
// <|im_end|>), a longer context (the story prompt alone is ~310 of its byte-level tokens, more than the
// 256 it was saved with), and an end-of-turn token made likely (stopEnd), without which nearly every
// story is cut at max_new_tokens and refused.
//
// go test -short skips these tests.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
	"github.com/emotion-probes/emotion-probes/pkg/method/activations"
	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/method/geometry"
	"github.com/emotion-probes/emotion-probes/pkg/method/logitlens"
	"github.com/emotion-probes/emotion-probes/pkg/method/neutral"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/testkit"
	"gonum.org/v1/gonum/mat"
)

// e2eRoot holds the model folder and the reference run; TestMain removes it.
var e2eRoot string

// asCommand is the environment variable that makes the test binary act as the command itself: the
// tests run their own executable with it set, so that the subprocesses are this very build of main
// (same GOEXPERIMENT, same coverage or race settings) and no separate `go build` (20 s of linking on
// a busy machine) is needed.
const asCommand = "EMOTION_PROBES_E2E_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		main()
		os.Exit(0)
	}
	flag.Parse()
	dir, err := os.MkdirTemp("", "emotion-probes-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	e2eRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// setup finds the executable and makes the model folder once, on first use (so that -short and other
// tests of the package pay nothing).
var setup = sync.OnceValues(func() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if err := makeModel(filepath.Join(e2eRoot, "tiny-llama-chat")); err != nil {
		return "", fmt.Errorf("making the test model: %w", err)
	}
	return exe, nil
})

// makeModel copies tiny-llama into dir with a chat template, a context long enough for the prompts, and
// weights that end a reply more often (stopEnd).
func makeModel(dir string) error {
	src := filepath.Join("..", "..", "pkg", "engine", "lm", "testdata", "tiny-llama")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"tokenizer.json", "generation_config.json"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	data, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		return err
	}
	var hf map[string]any
	if err := json.Unmarshal(data, &hf); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	// RoPE works at any position; 256 is only what the random model was saved with.
	hf["max_position_embeddings"] = 2048
	if data, err = json.MarshalIndent(hf, "", "  "); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		return err
	}
	tmpl, err := os.ReadFile(filepath.Join("testdata", "chat_template.jinja"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "chat_template.jinja"), tmpl, 0o644); err != nil {
		return err
	}
	return stopEnd(filepath.Join(src, "model.safetensors"), filepath.Join(dir, "model.safetensors"))
}

// stopEnd writes the weights of src to dst with the end-of-turn token <|im_end|> (id 2) made likely,
// about 4% at each step at the config's temperature and top_k instead of 0.3%.
//
// The random model almost never ends a reply by itself, so nearly every story ran into max_new_tokens
// and was refused as truncated, and every neutral dialogue lost its first turn: the run kept a story or
// two and no dialogue. Llama has no output bias, so one is made: embedding column 0 is set to a
// constant for every token, which gives the final hidden state a roughly constant component 0 (the
// blocks only add small random terms to it), and lm_head row 2 reads that component. Measured with
// transformers on random 120-token inputs (temperature 0.8, top_k 64): P(<|im_end|>) 0.035 for
// 0.06/0.3 (10th-90th percentile 0.029-0.042), 0.0032 unchanged.
func stopEnd(src, dst string) error {
	const constant, weight = 0.06, 0.33
	f, err := safetensors.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	var ts []safetensors.Tensor
	for _, name := range f.Names() {
		v, shape, err := f.ReadFloat32(name)
		if err != nil {
			return err
		}
		switch name {
		case "model.embed_tokens.weight": // [vocab, hidden]
			for r := 0; r < shape[0]; r++ {
				v[r*shape[1]] = constant
			}
		case "lm_head.weight": // [vocab, hidden]
			v[2*shape[1]] = weight
		}
		ts = append(ts, safetensors.Tensor{Name: name, Shape: shape, Data: v})
	}
	return safetensors.Write(dst, ts, f.Metadata())
}

func binary(t *testing.T) string {
	t.Helper()
	testkit.SkipShort(t, "end-to-end test")
	bin, err := setup()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// writeConfig writes testdata/e2e.yaml into dir with absolute paths and output.dir = out.
func writeConfig(t *testing.T, dir, out string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "e2e.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("testdata/e2e.yaml: %v", err)
	}
	abs := func(name string) string {
		p, err := filepath.Abs(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	doc["model"]["name"] = filepath.Join(e2eRoot, "tiny-llama-chat")
	for _, key := range []string{"emotions_file", "topics_file", "synonyms_file"} {
		doc["data"][key] = abs(doc["data"][key].(string))
	}
	doc["output"]["dir"] = out
	if data, err = yaml.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "e2e.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// proc is one run of the binary.
type proc struct {
	args []string
	cmd  *exec.Cmd
	out  syncBuffer // stdout and stderr
	done chan struct{}
	err  error
	took time.Duration
}

func start(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{args: args, cmd: exec.Command(binary(t), args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	var env []string
	for _, kv := range os.Environ() {
		// A scheduler's shard variables in the test's environment would shard every run.
		if k, _, _ := strings.Cut(kv, "="); k != "SLURM_ARRAY_TASK_ID" && k != "JOB_COMPLETION_INDEX" {
			env = append(env, kv)
		}
	}
	p.cmd.Env = append(env, "GOMLX_NO_AUTO_INSTALL=1", asCommand+"=1")
	begin := time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		p.took = time.Since(begin)
		close(p.done)
	}()
	return p
}

// syncBuffer is a bytes.Buffer that the test may read while the process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (p *proc) wait() error { <-p.done; return p.err }

func (p *proc) String() string { return "emotion-probes " + strings.Join(p.args, " ") }

// mustRun runs the binary to completion and fails the test (with its output) if it fails.
func mustRun(t *testing.T, args ...string) *proc {
	t.Helper()
	p := start(t, args...)
	if err := p.wait(); err != nil {
		t.Fatalf("%s: %v\n%s", p, err, p.out.String())
	}
	t.Logf("%s: %.1fs", p, p.took.Seconds())
	return p
}

// The reference: one uninterrupted run-all, shared by the tests.
var reference struct {
	once sync.Once
	out  string
	took time.Duration
	log  string
	err  error
}

func referenceRun(t *testing.T) string {
	t.Helper()
	binary(t)
	reference.once.Do(func() {
		// Until it succeeds: a t.Fatal inside (which ends this function early) leaves this error.
		reference.err = errors.New("the reference run did not finish")
		dir := filepath.Join(e2eRoot, "reference")
		reference.out = filepath.Join(dir, "out")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			reference.err = err
			return
		}
		p := start(t, "run-all", "--config", writeConfig(t, dir, reference.out), "--quiet")
		reference.err = p.wait()
		if reference.err != nil {
			reference.err = fmt.Errorf("%s: %v\n%s", p, reference.err, p.out.String())
		}
		reference.took, reference.log = p.took, p.out.String()
	})
	if reference.err != nil {
		t.Fatalf("reference run: %v", reference.err)
	}
	return reference.out
}

func TestRunAllTiny(t *testing.T) {
	out := referenceRun(t)
	t.Logf("run-all: %.1fs", reference.took.Seconds())
	t.Log(reference.log)

	for _, f := range []string{
		"stories/complete.json", "neutral/complete.json",
		"activations/emotions/complete.json", "activations/neutral/complete.json",
		"vectors/complete.json", "vectors/" + vectors.File, "vectors/" + vectors.RawFile,
		"analysis/complete.json", "logit_lens/complete.json", "figures/index.html",
	} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}

	cfg, err := config.Load(filepath.Join(filepath.Dir(out), "e2e.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The emotions that kept a story are the ones with a vector.
	units, err := stories.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(units) != len(cfg.Emotions)*len(cfg.Topics) {
		t.Errorf("stories: %d unit files, want %d emotions x %d topics", len(units), len(cfg.Emotions), len(cfg.Topics))
	}
	kept := map[string]int{}
	for _, u := range units {
		kept[u.Emotion] += len(u.Kept)
		if len(u.Kept) > u.Requested || u.Attempts > cfg.Generation.MaxAttempts*u.Requested {
			t.Errorf("stories %s / %s: kept %d of %d requested in %d attempts (max_attempts %d)",
				u.Emotion, u.Topic, len(u.Kept), u.Requested, u.Attempts, cfg.Generation.MaxAttempts)
		}
	}
	var withStories []string
	for _, e := range cfg.Emotions {
		if kept[e] > 0 {
			withStories = append(withStories, e)
		}
	}
	if len(withStories) < 2 {
		// Emotion vectors are differences from the mean over emotions: 2 are the least.
		t.Fatalf("only %v kept a story (%v): the vectors need 2; change testdata/e2e.yaml (seed, max_attempts)", withStories, kept)
	}
	nu, err := neutral.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	dialogues := 0
	for _, u := range nu {
		dialogues += len(u.Kept)
	}
	t.Logf("kept stories per emotion %v; neutral dialogues kept: %d", kept, dialogues)

	plan, err := activations.LoadPlan(out, activations.EmotionsStage)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(plan.Layers, []int{1, 2}) {
		t.Errorf("activations plan: layers %v, want [1 2] (extraction.layers)", plan.Layers)
	}
	for _, layer := range plan.Layers {
		raw := loadVectors(t, vectors.LayerPath(out, layer, true))
		den := loadVectors(t, vectors.LayerPath(out, layer, false))
		for _, s := range []*vectors.Set{raw, den} {
			if r, c := s.Vectors.Dims(); !slices.Equal(s.Emotions, withStories) || r != len(withStories) || c != 32 || s.Layer != layer {
				t.Errorf("layer %d: vectors %v [%d, %d] at layer %d, want %v [%d, 32] at layer %d",
					layer, s.Emotions, r, c, s.Layer, withStories, len(withStories), layer)
			}
		}
		// Raw vectors are the emotion means minus their average: read the means back and redo it.
		emotions, means, counts, err := activations.LoadEmotionMeans(out, layer)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(emotions, withStories) {
			t.Errorf("layer %d: activation means for %v, want %v", layer, emotions, withStories)
		}
		for i, e := range emotions {
			if counts[i] != kept[e] {
				t.Errorf("layer %d: %s averages %d stories, %d kept", layer, e, counts[i], kept[e])
			}
		}
		n, d := means.Dims()
		for j := 0; j < d; j++ {
			avg := mat.Sum(means.ColView(j)) / float64(n)
			for i := 0; i < n; i++ {
				want := float32(means.At(i, j) - avg)
				if got := raw.Vectors.At(i, j); math.Abs(got-float64(want)) > 1e-6*math.Max(1, math.Abs(float64(want))) {
					t.Fatalf("layer %d: raw vector %s[%d] = %g, want mean - average = %g", layer, emotions[i], j, got, want)
				}
			}
		}
		if dialogues == 0 {
			// No neutral dialogue survived: nothing to project out, so the vectors are the raw ones.
			if den.Denoised || !mat.Equal(den.Vectors, raw.Vectors) {
				t.Errorf("layer %d: no neutral dialogue, yet the vectors are denoised (%v) or differ from the raw ones", layer, den.Denoised)
			}
			if !strings.Contains(den.Meta["note"], "no neutral component was projected out") {
				t.Errorf("layer %d: metadata note %q does not say why nothing was projected out", layer, den.Meta["note"])
			}
			continue
		}
		// neutral_per_token gives a row per position: enough for a PCA from one dialogue.
		if !den.Denoised {
			t.Errorf("layer %d: %d neutral dialogues, yet the vectors are not denoised (note %q)", layer, dialogues, den.Meta["note"])
			continue
		}
		// The denoised vectors are orthogonal to the neutral components removed.
		pcs, err := safetensors.Open(filepath.Join(filepath.Dir(vectors.LayerPath(out, layer, false)), vectors.PCsFile))
		if err != nil {
			t.Fatal(err)
		}
		comp, shape, err := pcs.ReadFloat64("components")
		pcs.Close()
		if err != nil || len(shape) != 2 || shape[0] < 1 || shape[1] != 32 || den.Meta["n_components_removed"] != strconv.Itoa(shape[0]) {
			t.Fatalf("layer %d: %s: components %v (%v), metadata says %s removed", layer, vectors.PCsFile, shape, err, den.Meta["n_components_removed"])
		}
		for i, e := range den.Emotions {
			v := den.Vectors.RawRowView(i)
			for k := 0; k < shape[0]; k++ {
				if d := dot(v, comp[k*32:(k+1)*32]); math.Abs(d) > 1e-6*math.Sqrt(dot(v, v)) {
					t.Errorf("layer %d: %s . neutral component %d = %g: want 0 (projected out)", layer, e, k, d)
				}
			}
		}
	}
	def := loadVectors(t, filepath.Join(out, vectors.StageName, vectors.File))
	if def.Layer != plan.DefaultLayer {
		t.Errorf("%s is layer %d, want the default layer %d", vectors.File, def.Layer, plan.DefaultLayer)
	}

	// The analysis of the default layer: its cosine matrix is the vectors' own.
	layers, err := geometry.AnalyzedLayers(out)
	if err != nil || !slices.Equal(layers, []int{plan.DefaultLayer}) {
		t.Fatalf("analysed layers %v (%v), want [%d]", layers, err, plan.DefaultLayer)
	}
	g, err := geometry.Load(out, plan.DefaultLayer)
	if err != nil {
		t.Fatal(err)
	}
	c := g.Cosine
	if !slices.Equal(c.Emotions, def.Emotions) || len(c.Matrix) != len(def.Emotions) {
		t.Fatalf("cosine.json: emotions %v (%d rows), want %v", c.Emotions, len(c.Matrix), def.Emotions)
	}
	for i := range c.Matrix {
		if len(c.Matrix[i]) != len(c.Matrix) {
			t.Fatalf("cosine.json: row %d has %d entries, want %d", i, len(c.Matrix[i]), len(c.Matrix))
		}
		if math.Abs(c.Matrix[i][i]-1) > 1e-9 {
			t.Errorf("cosine.json: diagonal [%d][%d] = %v, want 1", i, i, c.Matrix[i][i])
		}
		for j := range c.Matrix {
			if c.Matrix[i][j] != c.Matrix[j][i] || math.Abs(c.Matrix[i][j]) > 1+1e-12 {
				t.Errorf("cosine.json: [%d][%d] = %v, [%d][%d] = %v: want symmetric, in [-1, 1]", i, j, c.Matrix[i][j], j, i, c.Matrix[j][i])
			}
			a, b := def.Vectors.RawRowView(i), def.Vectors.RawRowView(j)
			want := dot(a, b) / math.Sqrt(dot(a, a)*dot(b, b))
			if math.Abs(c.Matrix[i][j]-want) > 1e-9 {
				t.Errorf("cosine.json: %s / %s = %v, the vectors give %v", c.Emotions[i], c.Emotions[j], c.Matrix[i][j], want)
			}
		}
	}
	if len(c.Order) != len(c.Emotions) || g.PCA == nil || g.KMeans == nil || g.UMAP == nil {
		t.Errorf("analysis: order %v, pca %v, kmeans %v, umap %v: want all", c.Order, g.PCA != nil, g.KMeans != nil, g.UMAP != nil)
	}
	lens, err := logitlens.Load(out, plan.DefaultLayer)
	if err != nil {
		t.Fatal(err)
	}
	if len(lens.Emotions) != len(def.Emotions) || lens.TopK != cfg.Analysis.LogitLensTopK {
		t.Errorf("logit lens: %d emotions, top %d; want %d, top %d", len(lens.Emotions), lens.TopK, len(def.Emotions), cfg.Analysis.LogitLensTopK)
	}

	// A rerun finds everything done: it resumes every stage and changes no result.
	before := snapshot(t, out)
	p := mustRun(t, "run-all", "--config", filepath.Join(filepath.Dir(out), "e2e.yaml"), "--quiet")
	compareTrees(t, before, snapshot(t, out))
	if !strings.Contains(p.out.String(), "resumed") {
		t.Errorf("rerun of a finished run: no stage says it resumed:\n%s", p.out.String())
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func loadVectors(t *testing.T, path string) *vectors.Set {
	t.Helper()
	s, err := vectors.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// compared lists the stage folders whose files must come out the same however the run went. Figures are
// left out: the interactive pages carry random element ids.
var compared = []string{"stories", "neutral", "activations", "vectors", "analysis", "logit_lens"}

// snapshot reads the result files of a run folder: path -> content, with the folder's own path replaced by
// "<out>" (a note in the vectors' metadata names the activations folder). Each stage's manifest.json and
// complete.json hold dates and resume counts and are left out, as are the temporary files a kill leaves
// (".<name>.tmp-<random>", never read).
func snapshot(t *testing.T, out string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, stage := range compared {
		err := filepath.WalkDir(filepath.Join(out, stage), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			name := d.Name()
			if name == "manifest.json" || name == "complete.json" || strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-") {
				return nil
			}
			rel, _ := filepath.Rel(out, path)
			if strings.HasSuffix(name, ".safetensors") {
				files[rel] = describeSafetensors(t, path, out)
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files[rel] = strings.ReplaceAll(string(data), out, "<out>")
			return nil
		})
		if err != nil {
			t.Fatalf("reading %s: %v", out, err)
		}
	}
	return files
}

// describeSafetensors renders a safetensors file as text: metadata, then each tensor's dtype, shape and the
// hex of its bytes, so that two runs compare bit for bit and a difference says where it is.
func describeSafetensors(t *testing.T, path, out string) string {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	meta, _ := json.Marshal(f.Metadata())
	var b strings.Builder
	fmt.Fprintf(&b, "metadata %s\n", strings.ReplaceAll(string(meta), out, "<out>"))
	for _, name := range f.Names() {
		raw, dtype, shape, err := f.ReadRaw(name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "tensor %s %s %v %x\n", name, dtype, shape, raw)
	}
	return b.String()
}

// compareTrees reports every file that differs between two snapshots, or exists in one only.
func compareTrees(t *testing.T, want, got map[string]string) {
	t.Helper()
	if len(want) < 20 {
		t.Fatalf("the reference run has only %d result files: nothing much to compare", len(want))
	}
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	bad := 0
	for _, n := range names {
		w, inWant := want[n]
		g, inGot := got[n]
		switch {
		case !inGot:
			t.Errorf("%s: missing", n)
		case !inWant:
			t.Errorf("%s: not in the reference run", n)
		case w != g:
			t.Errorf("%s differs from the reference run:\n%s", n, firstDiff(w, g))
		default:
			continue
		}
		if bad++; bad == 10 {
			t.Fatalf("and more: stopping")
		}
	}
}

func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	clip := func(s string) string {
		lo, hi := max(i-80, 0), min(i+80, len(s))
		return s[lo:hi]
	}
	return fmt.Sprintf("  want ...%q...\n  got  ...%q...", clip(a), clip(b))
}

// killPoint is a moment to SIGKILL a run: delay after when() first holds.
type killPoint struct {
	name  string
	when  func(out string) bool
	delay time.Duration // upper bound: the delay is drawn in [0, delay)
}

// hasFile says whether the folder out/dir holds a file (at any depth) whose name matches glob.
func hasFile(dir, glob string) func(out string) bool {
	return func(out string) bool { return countFiles(filepath.Join(out, dir), glob) > 0 }
}

func countFiles(dir, glob string) int {
	n := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if ok, _ := filepath.Match(glob, d.Name()); ok {
				n++
			}
		}
		return nil
	})
	return n
}

// unitFile matches a unit file of a stage: not its manifest, plan or completion record, not a temp file.
func unitFile(dir, ext string) func(out string) bool {
	return func(out string) bool {
		n := 0
		filepath.WalkDir(filepath.Join(out, dir), func(path string, d fs.DirEntry, err error) error {
			name := ""
			if err == nil && !d.IsDir() {
				name = d.Name()
			}
			if strings.HasSuffix(name, ext) && !strings.HasPrefix(name, ".") &&
				name != "manifest.json" && name != "plan.json" && name != "complete.json" {
				n++
			}
			return nil
		})
		return n > 0
	}
}

// runUntil starts the binary and SIGKILLs it delay after when(out) first holds; it returns whether the
// kill came before the process ended by itself.
func runUntil(t *testing.T, out string, when func(string) bool, delay time.Duration, args ...string) (bool, *proc) {
	t.Helper()
	p := start(t, args...)
	return killWhen(t, p, func() bool { return when(out) }, delay), p
}

// killWhen SIGKILLs p delay after cond first holds (polled every 2 ms) and waits for it; it returns false
// if p ended by itself first.
func killWhen(t *testing.T, p *proc, cond func() bool, delay time.Duration) bool {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-p.done:
			return false
		case <-tick.C:
		}
	}
	select {
	case <-p.done:
		return false
	case <-time.After(delay):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	p.wait()
	return true
}

// TestKillAndResume kills run-all (SIGKILL) at points spread over every stage, each run resuming from
// what the killed one left, then lets it finish: every result must equal the uninterrupted run's, bit for
// bit. The kill points follow one another in one output folder: each later one then also tests resuming
// from a folder that was already resumed.
func TestKillAndResume(t *testing.T) {
	ref := snapshot(t, referenceRun(t))
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	cfg := writeConfig(t, dir, out)
	rng := rand.New(rand.NewPCG(2026, 8))
	points := []killPoint{
		{"stories: as the stage opens", hasFile("stories", "manifest.json"), 0},
		{"stories: after its first unit", unitFile("stories", ".json"), 1500 * time.Millisecond},
		{"stories: mid-stage", func(out string) bool { return countFiles(filepath.Join(out, "stories"), "*.json") >= 4 }, 1500 * time.Millisecond},
		{"neutral: as the stage opens", hasFile("neutral", "manifest.json"), 300 * time.Millisecond},
		{"neutral: after its first unit", unitFile("neutral", ".json"), 1000 * time.Millisecond},
		{"activations (stories)", hasFile("activations/emotions", "manifest.json"), 100 * time.Millisecond},
		{"activations (stories): after its first unit", unitFile("activations/emotions", ".safetensors"), 20 * time.Millisecond},
		{"activations (neutral)", hasFile("activations/neutral", "manifest.json"), 50 * time.Millisecond},
		{"compute-vectors", hasFile("vectors", "manifest.json"), 10 * time.Millisecond},
		{"compute-vectors: after its first file", unitFile("vectors", ".safetensors"), 2 * time.Millisecond},
		{"analyze", hasFile("analysis", "manifest.json"), 20 * time.Millisecond},
		{"logit-lens", hasFile("logit_lens", "manifest.json"), 10 * time.Millisecond},
		{"visualize", hasFile("figures", "*"), 50 * time.Millisecond},
	}
	kills := 0
	for _, kp := range points {
		delay := time.Duration(rng.Int64N(int64(kp.delay) + 1))
		killed, p := runUntil(t, out, kp.when, delay, "run-all", "--config", cfg, "--quiet")
		switch {
		case killed:
			kills++
			t.Logf("killed %s + %v (after %.1fs)", kp.name, delay.Round(time.Millisecond), p.took.Seconds())
		case p.err != nil:
			t.Fatalf("%s: %v before the kill point %q\n%s", p, p.err, kp.name, p.out.String())
		default:
			t.Logf("%s: the run finished before the kill point (%.1fs)", kp.name, p.took.Seconds())
		}
	}
	if kills < len(points)/2 {
		t.Errorf("only %d of %d kill points hit a running process", kills, len(points))
	}
	p := mustRun(t, "run-all", "--config", cfg, "--quiet")
	compareTrees(t, ref, snapshot(t, out))
	if _, err := os.Stat(filepath.Join(out, "figures", "index.html")); err != nil {
		t.Errorf("after the resumed run: %v\n%s", err, p.out.String())
	}
}

// TestShardedRunEqualsSingle runs 3 workers in parallel into one folder, the way a batch scheduler's
// array job does, and checks that the merge stages then give the single-process result bit for bit. One
// worker is killed mid-run: the stages that need its units must say which ones are missing, and rerunning
// that worker alone completes the run.
func TestShardedRunEqualsSingle(t *testing.T) {
	ref := snapshot(t, referenceRun(t))
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	cfgPath := writeConfig(t, dir, out)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3
	shard := func(i int) string { return fmt.Sprintf("%d/%d", i, n) }
	parallel := func(args func(i int) []string, only ...int) []*proc {
		t.Helper()
		procs := make([]*proc, len(only))
		for k, i := range only {
			procs[k] = start(t, args(i)...)
		}
		for _, p := range procs {
			if err := p.wait(); err != nil {
				t.Fatalf("%s: %v\n%s", p, err, p.out.String())
			}
			t.Logf("%s: %.1fs", p, p.took.Seconds())
		}
		return procs
	}
	command := func(stage string) func(i int) []string {
		return func(i int) []string { return []string{stage, "--config", cfgPath, "--shard", shard(i), "--quiet"} }
	}

	// Step 1: the stories, 3 workers in parallel; worker 2 is killed as soon as it is generating.
	others := []*proc{start(t, command("generate-stories")(0)...), start(t, command("generate-stories")(1)...)}
	w2 := start(t, command("generate-stories")(2)...)
	if killed := killWhen(t, w2, func() bool { return strings.Contains(w2.out.String(), "model:") }, 0); !killed {
		t.Fatalf("%s ended (%v) before it was killed\n%s", w2, w2.err, w2.out.String())
	}
	t.Logf("killed %s once its model was loaded (%.1fs)", w2, w2.took.Seconds())
	for _, p := range others {
		if err := p.wait(); err != nil {
			t.Fatalf("%s: %v\n%s", p, err, p.out.String())
		}
		t.Logf("%s: %.1fs", p, p.took.Seconds())
	}
	// The emotions whose stories worker 2 left undone.
	var short []string
	for _, p := range generate.Shard(stories.Pairs(cfg), 2, n) {
		if _, err := os.Stat(filepath.Join(out, stories.StageName, p.Path())); err != nil && !slices.Contains(short, p.Emotion) {
			short = append(short, p.Emotion)
		}
	}
	if len(short) == 0 {
		t.Logf("worker 2 wrote all its stories before the kill: the missing-units checks are skipped")
	} else {
		if _, err := os.Stat(filepath.Join(out, stories.StageName, "complete.json")); err == nil {
			t.Errorf("stories/complete.json exists with worker 2's units of %v missing", short)
		}
		// The activations of an emotion need its stories of every topic: started too early, the stage
		// must say which emotions are short.
		p := start(t, "extract-activations", "--config", cfgPath, "--quiet")
		if err := p.wait(); err == nil {
			t.Errorf("%s succeeded with worker 2's stories missing\n%s", p, p.out.String())
		} else {
			msg := p.out.String()
			t.Logf("%s with worker 2's stories missing says:\n%s", p, lastLine(msg))
			for _, want := range append([]string{"stories are missing for", "generate-stories"}, short...) {
				if !strings.Contains(msg, want) {
					t.Errorf("%s: the error should name the emotions whose stories are missing (%v) and the command to run; it lacks %q:\n%s", p, short, want, msg)
				}
			}
		}
	}

	// Step 2: worker 2 alone, rerun, finishes the stories and marks the stage complete.
	mustRun(t, command("generate-stories")(2)...)
	if _, err := os.Stat(filepath.Join(out, stories.StageName, "complete.json")); err != nil {
		t.Errorf("the last stories shard did not mark the stage complete: %v", err)
	}
	// Step 3: the neutral dialogues, 3 workers in parallel.
	parallel(command("generate-neutral"), 0, 1, 2)
	// Step 4: run-all --shard for workers 0 and 1: it resumes the generation stages, extracts its shard of
	// the activations and stops there.
	for _, p := range parallel(command("run-all"), 0, 1) {
		if msg := p.out.String(); !strings.Contains(msg, "the merge stages (compute-vectors onwards) run once all shards have finished") {
			t.Errorf("%s: should stop after extract-activations and say so:\n%s", p, msg)
		}
	}
	if _, err := os.Stat(filepath.Join(out, vectors.StageName)); err == nil {
		t.Errorf("run-all --shard wrote %s/: the merge stages must wait for every shard", vectors.StageName)
	}
	// The merge with shard 2's activations missing must fail and say what is missing.
	missing := generate.Shard(sortedBySlug(cfg.Emotions), 2, n)
	p := start(t, "compute-vectors", "--config", cfgPath)
	if err := p.wait(); err == nil {
		t.Errorf("%s succeeded with shard 2's activations missing\n%s", p, p.out.String())
	} else {
		msg := p.out.String()
		t.Logf("%s with shard 2's activations (%v) missing says:\n%s", p, missing, lastLine(msg))
		if !strings.Contains(msg, "extract-activations") {
			t.Errorf("%s: the error should say how to finish the activations:\n%s", p, msg)
		}
		for _, e := range missing {
			if !strings.Contains(msg, strconv.Quote(e)) {
				t.Errorf("%s: the error does not name the missing unit %q:\n%s", p, e, msg)
			}
		}
	}
	// Step 5: worker 2's run-all, then the merge stages once.
	parallel(command("run-all"), 2)
	mustRun(t, "compute-vectors", "--config", cfgPath, "--quiet")
	mustRun(t, "analyze", "--config", cfgPath, "--quiet")
	mustRun(t, "logit-lens", "--config", cfgPath, "--quiet")
	compareTrees(t, ref, snapshot(t, out))
}

func sortedBySlug(emotions []string) []string {
	s := slices.Clone(emotions)
	slices.SortStableFunc(s, func(a, b string) int { return strings.Compare(config.Slug(a), config.Slug(b)) })
	return s
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// TestRunAllWorkers: run-all --workers 3 starts 3 local shard workers (run-all --shard i/3, in parallel),
// then runs the merge stages once; the result must be the single-process one.
func TestRunAllWorkers(t *testing.T) {
	ref := snapshot(t, referenceRun(t))
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	p := start(t, "run-all", "--config", writeConfig(t, dir, out), "--workers", "3", "--quiet")
	if err := p.wait(); err != nil {
		t.Fatalf("%s: %v\n%s", p, err, p.out.String())
	}
	t.Logf("%s: %.1fs", p, p.took.Seconds())
	compareTrees(t, ref, snapshot(t, out))
}

// A second run on an output folder in use is refused at once, naming the holder, and writes nothing.
func TestSecondRunOnTheSameFolderIsRefused(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	cfg := writeConfig(t, dir, out)
	held, err := checkpoint.Acquire(out, checkpoint.LockName(0, 1), nil) // the first run: this test process
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	p := start(t, "generate-stories", "--config", cfg, "--quiet")
	if err := p.wait(); err == nil || !strings.Contains(p.out.String(), "in use by another run") ||
		!strings.Contains(p.out.String(), fmt.Sprintf("PID %d", os.Getpid())) {
		t.Fatalf("%s: err %v, output:\n%s\nwant a refusal naming PID %d", p, err, p.out.String(), os.Getpid())
	}
	if p.took > 5*time.Second {
		t.Errorf("the refusal took %v", p.took)
	}
	if countFiles(filepath.Join(out, stories.StageName), "*.json") > 0 {
		t.Errorf("the refused run wrote stories")
	}
}
