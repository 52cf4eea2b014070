package lm

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// The XLA tests need a PJRT plugin, which is not part of the repository (the CPU one is 260 MB):
// kernel-setup/xla-cpu.sh installs one and prints its path. They run only when
// EMOTION_PROBES_XLA_PLUGIN names it:
//
//	EMOTION_PROBES_XLA_PLUGIN=$PWD/.cache/xla/pjrt_c_api_cpu_plugin.so go test ./pkg/engine/lm -run XLA
//
// The value may also be a whole backend string ("xla:cpu", "xla:cuda") for a plugin that
// go-xla finds on its search path (PJRT_PLUGIN_LIBRARY_PATH).
func xlaBackend(t testing.TB) string {
	p := os.Getenv("EMOTION_PROBES_XLA_PLUGIN")
	if p == "" {
		t.Skip("set EMOTION_PROBES_XLA_PLUGIN to a PJRT plugin (kernel-setup/xla-cpu.sh installs the CPU one)")
	}
	if !xlaCompiledIn {
		t.Skip("built with -tags noxla: no XLA backend in this binary")
	}
	if strings.HasPrefix(p, "xla:") {
		return p
	}
	if !filepath.IsAbs(p) {
		t.Fatalf("EMOTION_PROBES_XLA_PLUGIN=%q: give an absolute path to the plugin .so (go-xla reads a relative one as a plugin name)", p)
	}
	return "xla:" + p
}

// loadOn loads a model on a backend and closes it when the test ends.
func loadOn(t testing.TB, path, backend string) *Model {
	t.Helper()
	m, err := Load(path, LoadOptions{Backend: backend})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// maxRelDiff is max|a-b| / max|b| over the real (unpadded) positions of every requested layer.
func maxRelDiff(a, b *HiddenStates) float64 {
	var diff, scale float64
	for i := range b.Layers {
		for s, n := range b.Lengths {
			for pos := range n {
				x, y := a.At(i, s, pos), b.At(i, s, pos)
				for k := range y {
					diff = math.Max(diff, math.Abs(float64(x[k]-y[k])))
					scale = math.Max(scale, math.Abs(float64(y[k])))
				}
			}
		}
	}
	return diff / scale
}

// The XLA backend runs the same graphs as the pure-Go one: the residual stream at every layer
// agrees to float32 rounding (the two order their sums differently), and greedy decoding (with a
// KV cache, donated buffers and a different prefill program per cache length) picks the same
// tokens.
func TestXLAMatchesGoBackend(t *testing.T) {
	backend := xlaBackend(t)
	path := filepath.Join("testdata", "tiny-llama")
	ref := loadOn(t, path, "go")
	m := loadOn(t, path, backend)
	t.Logf("XLA backend: %s", m.Backend().Description())

	texts := [][]int{
		m.Tokenizer.Encode("The quick brown fox jumps over the lazy dog.", false),
		m.Tokenizer.Encode("Hi", false),
		m.Tokenizer.Encode("A longer text, so that the other two are padded on the right and masked.", false),
	}
	layers := make([]int, m.Config.NumLayers+1) // every hidden_states index, embeddings included
	for i := range layers {
		layers[i] = i
	}
	want, err := ref.HiddenStates(texts, layers)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.HiddenStates(texts, layers)
	if err != nil {
		t.Fatal(err)
	}
	if got.B != want.B || got.T != want.T || got.D != want.D {
		t.Fatalf("shape: XLA [%d,%d,%d], Go [%d,%d,%d]", got.B, got.T, got.D, want.B, want.T, want.D)
	}
	if d := maxRelDiff(got, want); d > 1e-5 {
		t.Errorf("hidden states: XLA vs Go differ by %.2g (relative), want <= 1e-5", d)
	} else {
		t.Logf("hidden states: XLA vs Go differ by %.2g (relative)", d)
	}

	prompts := [][]int{texts[0], texts[1], m.Tokenizer.Encode("def add(a, b):", false)}
	opts := GenerateOptions{MaxNewTokens: 24, Seeds: []uint64{1, 2, 3}} // temperature 0: greedy
	wantGen, err := ref.Generate(prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	gotGen, err := m.Generate(prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range prompts {
		if !slices.Equal(gotGen[i].Tokens, wantGen[i].Tokens) {
			t.Errorf("prompt %d: greedy on XLA gave %v, on Go %v", i, gotGen[i].Tokens, wantGen[i].Tokens)
		}
	}

	// Sampling draws on the host from the logits, so seeded samples agree as well.
	opts.Sampling = Sampling{Temperature: 0.8, TopK: 64, TopP: 0.95}
	wantGen, err = ref.Generate(prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	gotGen, err = m.Generate(prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range prompts {
		if !slices.Equal(gotGen[i].Tokens, wantGen[i].Tokens) {
			t.Errorf("prompt %d: sampling on XLA gave %v, on Go %v", i, gotGen[i].Tokens, wantGen[i].Tokens)
		}
	}
}

// TestXLASpeed measures SmolLM2-135M on the Go backend and on XLA, in the same process, for
// docs/xla.md. Each configuration runs on one backend and then the other, so both see the same
// load from the rest of the machine. It takes many minutes on 2 cores, so it runs only with
// EMOTION_PROBES_XLA_BENCH set: "1" or "both" times both backends, "go" or "xla" one of them.
// EMOTION_PROBES_XLA_REPS sets the repetitions after the first (compiling) call, default 3; the
// median is reported.
//
//	EMOTION_PROBES_XLA_BENCH=1 EMOTION_PROBES_XLA_PLUGIN=... go test ./pkg/engine/lm -run XLASpeed -v -timeout 90m
func TestXLASpeed(t *testing.T) {
	backend := xlaBackend(t)
	var names []string
	switch which := os.Getenv("EMOTION_PROBES_XLA_BENCH"); which {
	case "":
		t.Skip("set EMOTION_PROBES_XLA_BENCH=1 to time SmolLM2 on both backends (many minutes)")
	case "1", "both":
		names = []string{"go", "xla"}
	case "go", "xla":
		names = []string{which}
	default:
		t.Fatalf("EMOTION_PROBES_XLA_BENCH=%q: want 1, both, go or xla", which)
	}
	reps := 3
	if s := os.Getenv("EMOTION_PROBES_XLA_REPS"); s != "" {
		var err error
		if reps, err = strconv.Atoi(s); err != nil || reps < 1 {
			t.Fatalf("EMOTION_PROBES_XLA_REPS=%q: want a positive integer", s)
		}
	}
	path := defaultModelPath(t)
	logLoad := func(when string) {
		if load, err := os.ReadFile("/proc/loadavg"); err == nil {
			t.Logf("load average %s: %s", when, strings.TrimSpace(string(load)))
		}
	}
	logLoad("at start")

	// 32 texts of 150 tokens (random ids: the cost does not depend on which tokens).
	rng := rand.New(rand.NewPCG(1, 2))
	texts := make([][]int, 32)
	for i := range texts {
		texts[i] = make([]int, 150)
		for j := range texts[i] {
			texts[i][j] = 100 + rng.IntN(40000)
		}
	}

	models := map[string]*Model{}
	for _, name := range names {
		b := "go"
		if name == "xla" {
			b = backend
		}
		models[name] = loadOn(t, path, b)
	}
	const layer = 20
	hidden := map[string]*HiddenStates{}
	for _, bs := range []int{8, 32} {
		for _, name := range names {
			m := models[name]
			run := func() {
				for start := 0; start < len(texts); start += bs {
					h, err := m.HiddenStates(texts[start:start+bs], []int{layer})
					if err != nil {
						t.Fatal(err)
					}
					if start == 0 && bs == 8 {
						hidden[name] = h
					}
				}
			}
			first, med := timeIt(run, reps)
			n := float64(len(texts) * 150)
			t.Logf("%-3s extract %d texts x 150 tokens to layer %d, batch %2d: first call %6.2fs, median of %d %6.2fs = %4.0f tok/s",
				name, len(texts), layer, bs, first.Seconds(), reps, med.Seconds(), n/med.Seconds())
		}
		logLoad("now")
	}
	if len(names) == 2 {
		t.Logf("layer %d hidden states, XLA vs Go: %.2g (relative)", layer, maxRelDiff(hidden["xla"], hidden["go"]))
	}

	prompt, err := models[names[0]].ChatPrompt([]chat.Message{{Role: "user",
		Content: "Write a short story about a lighthouse keeper who finds a message in a bottle."}})
	if err != nil {
		t.Fatal(err)
	}
	for _, bs := range []int{1, 8, 32} {
		for _, name := range names {
			m := models[name]
			prompts := make([][]int, bs)
			seeds := make([]uint64, bs)
			for i := range prompts {
				prompts[i], seeds[i] = prompt, uint64(i+1)
			}
			// No stop tokens: every sequence decodes all 64 tokens.
			opts := GenerateOptions{Sampling: Sampling{Temperature: 0.8, TopK: 64, TopP: 0.95},
				MaxNewTokens: 64, Seeds: seeds, BatchSize: bs}
			newTokens := 0
			run := func() {
				out, err := m.Generate(prompts, opts)
				if err != nil {
					t.Fatal(err)
				}
				newTokens = 0
				for _, c := range out {
					newTokens += len(c.Tokens)
				}
			}
			first, med := timeIt(run, reps)
			t.Logf("%-3s generate batch %2d, prompt %d tokens, %4d new tokens: first call %6.2fs, median of %d %6.2fs = %5.1f tok/s",
				name, bs, len(prompt), newTokens, first.Seconds(), reps, med.Seconds(), float64(newTokens)/med.Seconds())
		}
		logLoad("now")
	}
}

// timeIt runs f once (compiling its programs) and then reps times, and returns the first call's
// time and the median of the others.
func timeIt(f func(), reps int) (first, median time.Duration) {
	start := time.Now()
	f()
	first = time.Since(start)
	times := make([]time.Duration, reps)
	for i := range times {
		start := time.Now()
		f()
		times[i] = time.Since(start)
	}
	slices.Sort(times)
	return first, times[reps/2]
}

// A donated input that aliasInput ties to an output is updated where it lies: the output is the
// same device memory (the KV cache is written in place at every decoding step, not copied).
func TestXLAAliasInputUpdatesInPlace(t *testing.T) {
	backend, err := NewBackend(xlaBackend(t))
	if err != nil {
		t.Fatal(err)
	}
	const n = 1 << 20
	fill, err := graph.NewExec(backend, func(x *graph.Node) *graph.Node { return graph.AddScalar(x, 0) })
	if err != nil {
		t.Fatal(err)
	}
	outs, err := fill.Call(tensors.FromFlatDataAndDimensions(make([]float32, n), n)) // a buffer XLA allocated
	if err != nil {
		t.Fatal(err)
	}
	aliased := false
	step, err := graph.NewExec(backend, func(x *graph.Node) *graph.Node {
		aliased = aliasInput(x, 0)
		return graph.AddScalar(x, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	address := func(x *tensors.Tensor) uintptr {
		buf, err := x.Buffer(backend, 0)
		if err != nil {
			t.Fatal(err)
		}
		data, err := buf.Data()
		if err != nil {
			t.Skipf("this plugin does not expose buffer addresses: %v", err)
		}
		return uintptr(unsafe.Pointer(&data.([]float32)[0]))
	}
	x := outs[0]
	for i := range 3 {
		before := address(x)
		donated, err := graph.DonateTensorBuffer(x, backend, 0)
		if err != nil {
			t.Fatal(err)
		}
		outs, err := step.Call(donated)
		if err != nil {
			t.Fatal(err)
		}
		if !aliased {
			t.Fatal("aliasInput could not declare the aliasing: the GoMLX or go-xla internals it reaches have changed (see alias_xla.go)")
		}
		x = outs[0]
		if after := address(x); after != before {
			t.Fatalf("step %d: the output is at %#x, the donated input was at %#x: XLA copied it instead of updating it in place", i, after, before)
		}
	}
	got, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 3 || got[n-1] != 3 {
		t.Fatalf("after 3 steps of +1: %v ... %v, want 3", got[0], got[n-1])
	}
}

// The CPU plugin and the pure-Go backend compute on the host, so AutoSlots reads the host's memory for
// them.
func TestXLACPUIsOnHost(t *testing.T) {
	for _, name := range []string{xlaBackend(t), DefaultBackend} {
		b, err := NewBackend(name)
		if err != nil {
			t.Fatal(err)
		}
		if !onHost(b) {
			t.Errorf("backend %s (%s) is not taken for the host", name, b.Description())
		}
		b.Finalize()
	}
}
