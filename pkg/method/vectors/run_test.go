package vectors

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
	"github.com/emotion-probes/emotion-probes/pkg/method/activations"
	"github.com/emotion-probes/emotion-probes/pkg/method/neutral"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/progress"
	"gonum.org/v1/gonum/mat"
)

var (
	testEmotions = []string{"happy", "at ease", "afraid", "sad"}
	testTopics   = []string{"A day at the market", "Fixing a bicycle"}
	scenes       = map[string]string{
		"happy":   "She laughed and spun around, arms wide, and called everyone over to see.",
		"at ease": "He leaned back, breathing slowly, and let the warm afternoon pass without a thought.",
		"afraid":  "Her hands shook; she listened for the footsteps again and did not dare to move.",
		"sad":     "He sat alone by the window, the tea gone cold, and did not answer the phone.",
	}
)

// extracted runs the stories, neutral and activation stages (stories written by hand, activations from the
// tiny test model at layers 1 and 2) into a fresh output directory.
func extracted(t *testing.T, withNeutral bool) *config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Name = "test"
	cfg.Emotions, cfg.Topics = testEmotions, testTopics
	cfg.Output.Dir = t.TempDir()
	cfg.Extraction.TokenOffset = 4
	cfg.Extraction.Layers = config.Layers{Indices: []int{1, 2}}
	out := cfg.OutputDir()
	st, err := checkpoint.OpenStage(out, stories.StageName, checkpoint.Fingerprint{"v": "1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range testEmotions {
		for ti, topic := range testTopics {
			u := stories.Unit{Emotion: e, Topic: topic, TopicID: config.TopicID(topic)}
			for k := 0; k < 2; k++ {
				text := fmt.Sprintf("%s Story %d about %s. %s", topic, k, strings.ToLower(topic), scenes[e])
				if ti == 1 {
					text += " The day went on."
				}
				u.Kept = append(u.Kept, stories.Story{Text: text, Attempt: k})
			}
			if err := st.WriteJSON(config.Slug(e)+"/"+config.TopicID(topic)+".json", u); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.MarkComplete(nil); err != nil {
		t.Fatal(err)
	}
	source := "stories"
	if withNeutral {
		source = "both"
		ns, err := checkpoint.OpenStage(out, neutral.StageName, checkpoint.Fingerprint{"v": "1"}, false)
		if err != nil {
			t.Fatal(err)
		}
		tasks := []string{"Write a function that adds two numbers.", "What is the capital of France?",
			"List three primary colors.", "Convert 10 kilometers to miles.", "Sort the list 3, 1, 2.", "Name the largest planet."}
		for ti, topic := range testTopics {
			u := neutral.Unit{Topic: topic, TopicID: config.TopicID(topic)}
			for k := 0; k < 3; k++ {
				u.Kept = append(u.Kept, neutral.Dialog{Text: "Human: " + tasks[ti*3+k] + "\nAssistant: Here is the answer about " + topic + ".", Attempt: k})
			}
			if err := ns.WriteJSON(config.TopicID(topic)+".json", u); err != nil {
				t.Fatal(err)
			}
		}
		if err := ns.MarkComplete(nil); err != nil {
			t.Fatal(err)
		}
	}
	m, err := lm.Load(filepath.Join("..", "..", "engine", "lm", "testdata", "tiny-llama"), lm.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := activations.Run(context.Background(), m, cfg, activations.Options{Source: source, Progress: progress.Options{Quiet: true}}); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestRunWritesDenoisedVectors(t *testing.T) {
	cfg := extracted(t, true)
	out := cfg.OutputDir()
	sum, err := Run(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Layers) != 2 || sum.DefaultLayer != 1 {
		t.Fatalf("summary: %d layers, default %d; want 2 layers, default 1 (= int(2/3 * 2))", len(sum.Layers), sum.DefaultLayer)
	}
	for _, ls := range sum.Layers {
		if !ls.Denoised || ls.NComponents < 1 || ls.NeutralRows != 6 || ls.Norm >= ls.RawNorm {
			t.Errorf("layer %d: %+v: want denoised with >= 1 component from 6 neutral rows, and a smaller norm", ls.Layer, ls)
		}
		set, err := Load(LayerPath(out, ls.Layer, false))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := Load(LayerPath(out, ls.Layer, true))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(set.Emotions, testEmotions) || set.Layer != ls.Layer || !set.Denoised || raw.Denoised {
			t.Errorf("layer %d: loaded emotions %q, layer %d, denoised %v (raw file: %v)", ls.Layer, set.Emotions, set.Layer, set.Denoised, raw.Denoised)
		}
		// Raw rows sum to ~0 (float32 storage).
		e, d := raw.Vectors.Dims()
		for c := 0; c < d; c++ {
			s, scale := 0.0, 0.0
			for i := 0; i < e; i++ {
				s += raw.Vectors.At(i, c)
				scale += math.Abs(raw.Vectors.At(i, c))
			}
			if math.Abs(s) > 1e-5*(scale+1e-6) {
				t.Errorf("layer %d: raw column %d sums to %v", ls.Layer, c, s)
			}
		}
		// Stored vectors are orthogonal to the stored components, up to float32 rounding.
		f, err := safetensors.Open(filepath.Join(out, StageName, fmt.Sprintf("layer_%d", ls.Layer), PCsFile))
		if err != nil {
			t.Fatal(err)
		}
		comp, shape, err := f.ReadFloat64("components")
		f.Close()
		if err != nil || shape[0] != ls.NComponents || shape[1] != d {
			t.Fatalf("components: %v %v", shape, err)
		}
		C := mat.NewDense(shape[0], shape[1], comp)
		for i := 0; i < e; i++ {
			for j := 0; j < shape[0]; j++ {
				dot := mat.Dot(set.Vectors.RowView(i), C.RowView(j))
				if math.Abs(dot) > 1e-5*mat.Norm(raw.Vectors.RowView(i), 2) {
					t.Errorf("layer %d: %s . component %d = %v", ls.Layer, set.Emotions[i], j, dot)
				}
			}
		}
	}
	def, err := LoadDefault(out)
	if err != nil {
		t.Fatal(err)
	}
	l1, _ := Load(LayerPath(out, 1, false))
	if def.Layer != 1 || !mat.Equal(def.Vectors, l1.Vectors) {
		t.Errorf("the default file is layer %d, not a copy of layer 1", def.Layer)
	}
	if v := def.Vector("at ease"); len(v) != 32 {
		t.Errorf("Vector(\"at ease\") has %d coordinates, want 32", len(v))
	}
	// A rerun is a no-op; Force recomputes the same vectors.
	if s, err := Run(cfg, Options{}); err != nil || !s.Resumed {
		t.Errorf("rerun: resumed %v, %v", s != nil && s.Resumed, err)
	}
	if s, err := Run(cfg, Options{Force: true}); err != nil || s.Resumed {
		t.Fatalf("forced rerun: %v", err)
	}
	again, _ := LoadDefault(out)
	if !mat.Equal(again.Vectors, def.Vectors) {
		t.Errorf("a forced rerun changed the vectors")
	}
}

// Without neutral activations the vectors are the raw ones, and every file says so.
func TestRunWithoutNeutral(t *testing.T) {
	cfg := extracted(t, false)
	sum, err := Run(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ls := range sum.Layers {
		if ls.Denoised || ls.NComponents != 0 || !strings.Contains(ls.Note, "no neutral activations") {
			t.Errorf("layer %d: %+v", ls.Layer, ls)
		}
	}
	def, err := LoadDefault(cfg.OutputDir())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := Load(filepath.Join(cfg.OutputDir(), StageName, RawFile))
	if def.Denoised || def.Meta["denoised"] != "false" || def.Meta["n_components_removed"] != "0" || !mat.Equal(def.Vectors, raw.Vectors) {
		t.Errorf("metadata %v: want denoised false, 0 components, vectors equal to the raw ones", def.Meta)
	}
	if _, err := os.Stat(filepath.Join(cfg.OutputDir(), StageName, "layer_1", PCsFile)); err == nil {
		t.Errorf("a components file was written with no component")
	}
}

func TestRunNeedsActivations(t *testing.T) {
	cfg := config.Default()
	cfg.Output.Dir = t.TempDir()
	if _, err := Run(cfg, Options{}); err == nil || !strings.Contains(err.Error(), "emotion-probes extract") {
		t.Errorf("no activations: got %v", err)
	}
	if _, err := LoadDefault(cfg.OutputDir()); err == nil || !strings.Contains(err.Error(), "emotion-probes compute-vectors") {
		t.Errorf("no vectors: got %v", err)
	}
}

// The file layout other tools rely on, read from the raw bytes (CI has no Python): an 8-byte little-endian
// header length, a JSON header with one F32 [D] entry per emotion and string-only metadata holding every
// documented key. tools/reference/check_vectors_readable.py reads the same file with Python's safetensors;
// set EMOTION_PROBES_VECTORS_OUT to a folder to keep a copy for it.
func TestFileIsPlainSafetensors(t *testing.T) {
	cfg := extracted(t, true)
	if _, err := Run(cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg.OutputDir(), StageName, File)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("EMOTION_PROBES_VECTORS_OUT"); dir != "" {
		for _, name := range []string{File, RawFile} {
			b, _ := os.ReadFile(filepath.Join(cfg.OutputDir(), StageName, name))
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	n := binary.LittleEndian.Uint64(data[:8])
	if n%8 != 0 || 8+n > uint64(len(data)) {
		t.Fatalf("header length %d in a file of %d bytes", n, len(data))
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &header); err != nil {
		t.Fatalf("header is not a JSON object: %v", err)
	}
	var meta map[string]string
	if err := json.Unmarshal(header["__metadata__"], &meta); err != nil {
		t.Fatalf("__metadata__ is not an object of strings: %v", err)
	}
	for _, k := range []string{"emotions", "layer", "model", "denoised", "n_components_removed", "explained_variance",
		"pca_variance_threshold", "token_offset", "n_stories", "format"} {
		if _, ok := meta[k]; !ok {
			t.Errorf("metadata lacks %q", k)
		}
	}
	var emotions []string
	var explained []float64
	var nStories map[string]int
	if json.Unmarshal([]byte(meta["emotions"]), &emotions) != nil || json.Unmarshal([]byte(meta["explained_variance"]), &explained) != nil ||
		json.Unmarshal([]byte(meta["n_stories"]), &nStories) != nil {
		t.Fatalf("emotions %q, explained_variance %q, n_stories %q: want JSON", meta["emotions"], meta["explained_variance"], meta["n_stories"])
	}
	if !slices.Equal(emotions, testEmotions) || len(header) != len(emotions)+1 || meta["format"] != Format || nStories["at ease"] != 4 {
		t.Errorf("emotions %q, %d header entries, format %q, n_stories %v", emotions, len(header), meta["format"], nStories)
	}
	end := 0
	for _, e := range emotions {
		var ent struct {
			DType   string `json:"dtype"`
			Shape   []int  `json:"shape"`
			Offsets [2]int `json:"data_offsets"`
		}
		if err := json.Unmarshal(header[e], &ent); err != nil {
			t.Fatalf("entry %q: %v", e, err)
		}
		if ent.DType != "F32" || !slices.Equal(ent.Shape, []int{32}) || ent.Offsets[1]-ent.Offsets[0] != 4*32 {
			t.Errorf("entry %q: %+v, want F32 [32] over 128 bytes", e, ent)
		}
		end = max(end, ent.Offsets[1])
	}
	if uint64(end) != uint64(len(data))-8-n {
		t.Errorf("data section of %d bytes, entries end at %d", uint64(len(data))-8-n, end)
	}
}
