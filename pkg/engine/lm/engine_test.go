package lm

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
)

// A text's hidden states must not depend on its neighbours in the batch or on padding.
func TestBatchInvariance(t *testing.T) {
	m := smollm2(t)
	texts := [][]int{
		m.ReadingTokens("A short one."),
		m.ReadingTokens("A much longer text, which forces the short ones in its batch to be padded on the right by many positions."),
		m.ReadingTokens("Middle length: seven or eight tokens here."),
	}
	layers := []int{1, m.Config.DefaultLayer()}
	together, err := m.HiddenStates(texts, layers)
	if err != nil {
		t.Fatal(err)
	}
	for b, text := range texts {
		alone, err := m.HiddenStates([][]int{text}, layers)
		if err != nil {
			t.Fatal(err)
		}
		for i := range layers {
			var diff, scale float64
			for pos := range text {
				x, y := together.At(i, b, pos), alone.At(i, 0, pos)
				for k := range x {
					diff = math.Max(diff, math.Abs(float64(x[k]-y[k])))
					scale = math.Max(scale, math.Abs(float64(y[k])))
				}
			}
			if diff/scale > 1e-5 {
				t.Errorf("text %d, layer %d: batched vs alone differ by %.2g (relative)", b, layers[i], diff/scale)
			}
		}
	}
}

// Sampling is reproducible: the same seeds and prompts give the same tokens, whatever the batch.
func TestSamplingIsSeeded(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "tiny-llama"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	prompts := [][]int{m.Tokenizer.Encode("The quick", false), m.Tokenizer.Encode("def add(a, b):", false), m.Tokenizer.Encode("In", false)}
	opts := GenerateOptions{Sampling: Sampling{Temperature: 0.8, TopK: 64, TopP: 0.95}, MaxNewTokens: 20, Seeds: []uint64{1, 2, 3}}
	a, err := m.Generate(prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.BatchSize = 1
	b, err := m.Generate(prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Seeds = []uint64{4, 5, 6}
	c, err := m.Generate(prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for i := range prompts {
		if !equalInts(a[i].Tokens, b[i].Tokens) {
			t.Errorf("prompt %d: batch of 8 gave %v, batch of 1 gave %v", i, a[i].Tokens, b[i].Tokens)
		}
		if equalInts(a[i].Tokens, c[i].Tokens) {
			same++
		}
	}
	if same == len(prompts) {
		t.Errorf("other seeds gave the same completions: sampling ignores the seed")
	}
}

func TestSteeringChangesTheOutput(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "tiny-llama"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	prompt := [][]int{m.Tokenizer.Encode("The quick brown", false)}
	plain, err := m.Generate(prompt, GenerateOptions{MaxNewTokens: 8, Seeds: []uint64{0}})
	if err != nil {
		t.Fatal(err)
	}
	vec := make([]float32, m.Config.HiddenSize)
	for i := range vec {
		vec[i] = float32(10 * math.Sin(float64(i)))
	}
	steered, err := m.Generate(prompt, GenerateOptions{MaxNewTokens: 8, Seeds: []uint64{0}, Steer: &Steering{Layer: 1, Vector: vec}})
	if err != nil {
		t.Fatal(err)
	}
	if equalInts(plain[0].Tokens, steered[0].Tokens) {
		t.Errorf("a large steering vector left the greedy continuation unchanged: %v", plain[0].Tokens)
	}
	if _, err := m.Generate(prompt, GenerateOptions{MaxNewTokens: 8, Seeds: []uint64{0}, Steer: &Steering{Layer: 9, Vector: vec}}); err == nil || !strings.Contains(err.Error(), "layer 9") {
		t.Errorf("steering at a layer the model lacks: got %v", err)
	}
}

// copyDir copies the tiny model so that a test can break it.
func copyDir(t *testing.T, src string) string {
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestBadModelFilesNameTheProblem(t *testing.T) {
	tiny := filepath.Join("testdata", "tiny-llama")
	cases := []struct {
		name  string
		setup func(t *testing.T) string
		want  []string
	}{
		{"missing path", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.gguf") }, []string{"nope.gguf", "give a .gguf file"}},
		{"truncated GGUF", func(t *testing.T) string {
			data, err := os.ReadFile(defaultModelPath(t))
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "cut.gguf")
			os.WriteFile(p, data[:len(data)/2], 0o644)
			return p
		}, []string{"cut.gguf"}},
		{"unknown architecture", func(t *testing.T) string {
			dir := copyDir(t, tiny)
			rewrite(t, filepath.Join(dir, "config.json"), `"model_type": "llama"`, `"model_type": "gpt_neox"`)
			return dir
		}, []string{"gpt_neox", "not supported", "config.json"}},
		{"missing tensor", func(t *testing.T) string {
			dir := copyDir(t, tiny)
			f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			var keep []safetensors.Tensor
			for _, n := range f.Names() {
				if n == "model.layers.1.mlp.up_proj.weight" {
					continue
				}
				v, shape, _ := f.ReadFloat32(n)
				keep = append(keep, safetensors.Tensor{Name: n, DType: "F32", Shape: shape, Data: v})
			}
			f.Close()
			if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), keep, nil); err != nil {
				t.Fatal(err)
			}
			return dir
		}, []string{"model.layers.1.mlp.up_proj.weight", "missing"}},
		{"tokenizer that does not fit", func(t *testing.T) string {
			dir := copyDir(t, tiny)
			rewrite(t, filepath.Join(dir, "config.json"), `"vocab_size": 320`, `"vocab_size": 100`)
			return dir
		}, []string{"tokenizer has 320 tokens", "100 rows"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "truncated GGUF" && testing.Short() {
				t.Skip("needs the default model")
			}
			_, err := Load(c.setup(t), LoadOptions{})
			if err == nil {
				t.Fatal("loaded a broken model without error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func rewrite(t *testing.T, path, old, new string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644)
}

func TestUnknownBackend(t *testing.T) {
	_, err := NewBackend("tpu")
	if err == nil || !strings.Contains(err.Error(), `"tpu"`) {
		t.Errorf("unknown backend: got %v", err)
	}
}
