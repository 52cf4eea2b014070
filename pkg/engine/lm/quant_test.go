package lm

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
)

// The golden blocks in testdata/quant_reference.safetensors come from gguf-py 0.19.0 (llama.cpp's
// Python package, whose quantizers are bit-exact ports of ggml-quants.c) through
// tools/reference/make_quant_fixtures.py.

// quantFixture reads the fixture's x [8, 128] and, per block type, its blocks and their dequantization.
func quantFixture(t *testing.T) (x []float32, blocks map[string][]byte, deq map[string][]float32) {
	ref := openReference(t, "quant_reference.safetensors")
	blocks, deq = map[string][]byte{}, map[string][]float32{}
	for _, f := range blockFormats {
		name := strings.ToLower(f.Name)
		raw, _, _, err := ref.f.ReadRaw(name)
		if err != nil {
			t.Fatal(err)
		}
		blocks[f.Name], deq[f.Name] = raw, ref.floats(name+"_deq")
	}
	return ref.floats("x"), blocks, deq
}

// testBackends is the pure-Go backend, and XLA when EMOTION_PROBES_XLA_PLUGIN names a plugin.
func testBackends() []string {
	names := []string{"go"}
	if p := os.Getenv("EMOTION_PROBES_XLA_PLUGIN"); p != "" && xlaCompiledIn {
		if !strings.HasPrefix(p, "xla:") {
			p = "xla:" + p
		}
		names = append(names, p)
	}
	return names
}

func TestQuantizeBlocksMatchesGGUFPy(t *testing.T) {
	x, blocks, _ := quantFixture(t)
	for _, f := range []blockFormat{blockQ8_0, blockQ4_1} {
		t.Run(f.Name, func(t *testing.T) {
			got, want := quantizeBlocks(x, f), blocks[f.Name]
			if len(got) != len(want) {
				t.Fatalf("%d bytes, gguf-py %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("byte %d (block %d, byte %d of it): %#x, gguf-py %#x", i, i/f.Bytes, i%f.Bytes, got[i], want[i])
				}
			}
		})
	}
}

// The graph's expansion of each block type equals gguf-py's dequantization exactly (the same
// float32 operations in the same order), on every backend; so does an embedding lookup, which
// gathers rows of blocks first and expands only those.
func TestDequantizeInGraphMatchesGGUFPy(t *testing.T) {
	_, blocks, deq := quantFixture(t)
	rowsRead := []int32{5, 0, 3, 3}
	for _, name := range testBackends() {
		backend, err := NewBackend(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range blockFormats {
			t.Run(fmt.Sprintf("%s/%s", f.Name, name), func(t *testing.T) {
				w := tensors.FromFlatDataAndDimensions(blocks[f.Name], 8, 4, f.Bytes)
				outs, err := MustNewExec(backend, func(w, rows *Node) []*Node {
					return []*Node{dequantize(w), dequantize(Gather(w, ExpandAxes(rows, -1)))}
				}).Call(w, rowsRead)
				if err != nil {
					t.Fatal(err)
				}
				full, gathered := tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1])
				want := deq[f.Name]
				for i := range want {
					if full[i] != want[i] {
						t.Fatalf("element %d (row %d, column %d): %g, gguf-py %g", i, i/128, i%128, full[i], want[i])
					}
				}
				for k, r := range rowsRead {
					for j := range 128 {
						if g, w := gathered[k*128+j], want[int(r)*128+j]; g != w {
							t.Fatalf("gathered row %d (row %d), column %d: %g, gguf-py %g", k, r, j, g, w)
						}
					}
				}
			})
		}
	}
}

func TestParseQuantize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Quantize
		err  bool
	}{
		{"", QuantizeNone, false}, {"null", QuantizeNone, false}, {"none", QuantizeNone, false},
		{"8bit", Quantize8Bit, false}, {"4bit", Quantize4Bit, false}, {"int8", "", true}, {"4", "", true},
	} {
		got, err := ParseQuantize(c.in)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("ParseQuantize(%q) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.err)
		}
	}
	if _, err := Load(filepath.Join("testdata", "tiny-llama"), LoadOptions{Quantize: "3bit"}); err == nil || !strings.Contains(err.Error(), `"3bit"`) {
		t.Errorf("Load with quantize 3bit: error %v, want one naming the value", err)
	}
}

// fakeBlocks is a weight source whose tensors are stored as given GGUF types.
type fakeBlocks struct {
	stored gguf.Type
	x      []float32 // [8, 128]
	raw    map[gguf.Type][]byte
}

func (s fakeBlocks) Read(string) ([]float32, []int, error) {
	if s.stored == gguf.F32 {
		return s.x, []int{8, 128}, nil
	}
	out := make([]float32, len(s.x))
	err := gguf.Dequantize(s.stored, s.raw[s.stored], out)
	return out, []int{8, 128}, err
}
func (s fakeBlocks) Close() error                        { return nil }
func (s fakeBlocks) StoredType(string) (gguf.Type, bool) { return s.stored, true }
func (s fakeBlocks) ReadBlocks(string) ([]byte, []int, error) {
	return s.raw[s.stored], []int{8, 128}, nil
}

// Which block type each setting stores, for each type a file may hold: blocks of at most the
// setting's bits stay as they are (byte for byte); others are quantized to Q8_0 or Q4_1.
func TestReadWeightKeepsOrQuantizes(t *testing.T) {
	x, blocks, _ := quantFixture(t)
	src := fakeBlocks{x: x, raw: map[gguf.Type][]byte{}}
	for _, f := range blockFormats {
		src.raw[f.Type] = blocks[f.Name]
	}
	for _, c := range []struct {
		q      Quantize
		stored gguf.Type
		want   string // block type, or "float32"
		kept   bool   // the stored bytes are used as they are
	}{
		{QuantizeNone, gguf.Q4_1, "float32", false},
		{QuantizeNone, gguf.F32, "float32", false},
		{Quantize8Bit, gguf.F32, "Q8_0", false},
		{Quantize8Bit, gguf.Q8_0, "Q8_0", true},
		{Quantize8Bit, gguf.Q4_1, "Q4_1", true},
		{Quantize8Bit, gguf.Q4_0, "Q4_0", true},
		{Quantize4Bit, gguf.F32, "Q4_1", false},
		{Quantize4Bit, gguf.Q8_0, "Q4_1", false},
		{Quantize4Bit, gguf.Q4_1, "Q4_1", true},
		{Quantize4Bit, gguf.Q4_0, "Q4_0", true},
	} {
		src.stored = c.stored
		w, shape, err := readWeight(src, "model.layers.0.mlp.up_proj.weight", c.q)
		if err != nil {
			t.Fatal(err)
		}
		got := "float32"
		if isBlocks(w) {
			f, _ := formatOf(func(f blockFormat) bool { return f.Bytes == w.Shape().Dimensions[2] })
			got = f.Name
		}
		if got != c.want || !equalInts(shape, []int{8, 128}) {
			t.Errorf("quantize %s, stored %s: got %s %v, want %s [8 128]", c.q, c.stored, got, shape, c.want)
			continue
		}
		if c.kept && string(tensors.MustCopyFlatData[uint8](w)) != string(src.raw[c.stored]) {
			t.Errorf("quantize %s, stored %s: the stored blocks were not kept as they are", c.q, c.stored)
		}
	}
	// Under 4bit the embedding and unembedding get 8 bits.
	src.stored = gguf.F32
	for _, name := range []string{"model.embed_tokens.weight", "lm_head.weight"} {
		w, _, err := readWeight(src, name, Quantize4Bit)
		if err != nil || w.Shape().Dimensions[2] != blockQ8_0.Bytes {
			t.Errorf("quantize 4bit, %s: stored as %s (%v), want Q8_0 blocks", name, w.Shape(), err)
		}
	}
	// Vectors (norms, biases) and matrices whose rows do not split into blocks of 32 stay float32.
	for _, shape := range [][]int{{128}, {8, 40}} {
		if quantizable(shape) {
			t.Errorf("shape %v: quantizable, want float32", shape)
		}
	}
}

// hostDequantized loads path in float32 and replaces its weights by q's, expanded on the host: the
// same numbers q's graphs compute with, so the two models must agree to float32 rounding.
func hostDequantized(t *testing.T, path string, q *Model) *Model {
	t.Helper()
	m := loadOn(t, path, "go")
	slots := weightSlots(m.Config)
	for i, w := range q.weights {
		if isBlocks(w) {
			dims := w.Shape().Dimensions
			m.weights[i].FinalizeAll()
			m.weights[i] = hostLayout(slots[i][0], tensors.FromFlatDataAndDimensions(expandTensor(w), dims[0], dims[1]*blockSize))
		}
	}
	return m
}

// forwardErr runs every prompt through a and b and returns the worst relative error
// (max |a-b| / max |b|) of the hidden states (all layers) and of the logits.
func forwardErr(t *testing.T, a, b *Model, prompts [][]int) (hidden, logits float64) {
	t.Helper()
	for _, ids := range prompts {
		fa, err := a.AllHiddenStates(ids)
		if err != nil {
			t.Fatal(err)
		}
		fb, err := b.AllHiddenStates(ids)
		if err != nil {
			t.Fatal(err)
		}
		hidden = math.Max(hidden, relErr(to64(fa.Hidden), to64(fb.Hidden)))
		logits = math.Max(logits, relErr(to64(fa.Logits), to64(fb.Logits)))
	}
	return hidden, logits
}

func fixturePrompts(t *testing.T, name string) [][]int {
	ref := openReference(t, name)
	var prompts [][]int
	for p := 0; ref.has(prefix(p) + "ids"); p++ {
		prompts = append(prompts, ref.ints(prefix(p)+"ids"))
	}
	return prompts
}

// A quantized model computes what a float32 model holding its dequantized weights computes (to
// float32 rounding: 1e-5), and stays within the quantization's own error of the unquantized model.
// The bounds against float32 are what was measured on these random-weight models (relative
// error, max |q - f32| / max |f32|, worst prompt; hidden states, logits), rounded up by about
// half: the weights' own error (Q8_0 rounds each weight to 1/254 of its block's largest, Q4_1 to
// 1/30 of its block's range) carried through, not growing. Tiny random models are a harsh case:
// d_model 32 is one block per row, and Qwen3's and Gemma's norms and scalings amplify it.
//
//	           8bit            4bit (linear Q4_1, embeddings Q8_0)
//	llama      6.6e-3, 1.0e-2  7.4e-2, 7.8e-2
//	qwen2      8.1e-3, 7.2e-3  7.2e-2, 4.2e-2
//	qwen3      2.6e-2, 2.6e-2  0.37, 0.34
//	gemma2     2.3e-2, 3.3e-2  0.29, 0.44
//	gemma3     2.6e-2, 4.9e-2  0.26, 0.45
//
// The newer families share one looser bound, as their fixtures are still being remade.
func TestQuantizedTinyModels(t *testing.T) {
	bounds := map[string]map[Quantize][2]float64{
		"tiny-llama": {Quantize8Bit: {1e-2, 1.5e-2}, Quantize4Bit: {0.11, 0.12}},
		"tiny-qwen2": {Quantize8Bit: {1.2e-2, 1.1e-2}, Quantize4Bit: {0.11, 0.065}},
		"":           {Quantize8Bit: {5e-2, 7.5e-2}, Quantize4Bit: {0.55, 0.7}},
	}
	for _, name := range []string{"tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gemma2", "tiny-gemma3"} {
		if _, err := os.Stat(filepath.Join("testdata", name+"_reference.safetensors")); err != nil {
			continue // a family whose fixture is not there yet
		}
		path := filepath.Join("testdata", name)
		prompts := fixturePrompts(t, name+"_reference.safetensors")
		f32 := loadOn(t, path, "go")
		for _, q := range []Quantize{Quantize8Bit, Quantize4Bit} {
			t.Run(name+"/"+string(q), func(t *testing.T) {
				m, err := Load(path, LoadOptions{Quantize: q})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if want := q.target().Name + " "; !strings.Contains(m.Quantization(), want) {
					t.Errorf("stored as %s, want %s among them", m.Quantization(), want)
				}
				h, l := forwardErr(t, m, hostDequantized(t, path, m), prompts)
				if h > 1e-5 || l > 1e-5 {
					t.Errorf("against the same weights dequantized on the host: hidden states %.2g, logits %.2g off, want <= 1e-5", h, l)
				}
				h, l = forwardErr(t, m, f32, prompts)
				t.Logf("against float32: hidden states %.2g, logits %.2g off", h, l)
				b, ok := bounds[name][q]
				if !ok {
					b = bounds[""][q]
				}
				if h > b[0] || l > b[1] {
					t.Errorf("against float32: hidden states %.2g, logits %.2g off, want <= %g, %g", h, l, b[0], b[1])
				}
			})
		}
	}
}

// putFP16 rounds to nearest even like numpy's astype(float16): normal, subnormal, overflow.
func TestPutFP16(t *testing.T) {
	for _, c := range []struct {
		in   float32
		want uint16
	}{
		{1, 0x3c00}, {-2, 0xc000}, {0, 0}, {65504, 0x7bff}, {65520, 0x7c00}, {1e6, 0x7c00},
		{0x1p-14, 0x0400}, {0x1p-24, 0x0001}, {0x1p-25, 0}, {0x1.8p-24, 0x0002}, {2.4e-5, 0x0193},
		{1 + 0x1p-11, 0x3c00}, {1 + 0x3p-11, 0x3c02}, {float32(math.Inf(-1)), 0xfc00},
	} {
		var b [2]byte
		putFP16(b[:], c.in)
		if got := uint16(b[0]) | uint16(b[1])<<8; got != c.want {
			t.Errorf("putFP16(%g) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
}

// The default model's GGUF holds its matrices as Q4_1 and its (tied) embedding as Q8_0. Loaded
// with quantize 8bit, those blocks are used as they are (4bit keeps them too: its embedding gets 8
// bits): the model holds 5.7 bits per weight instead of 32, computes what the float32 model
// computes (the same float32 operations on the same numbers: measured 0 difference), and its
// greedy continuations are transformers' (the fixture of TestSmolLM2GreedyMatchesTransformers).
// Short: every call expands all 135M weights, which the pure-Go backend does slowly.
func TestSmolLM2Quantized(t *testing.T) {
	f32 := smollm2(t)
	prompts := fixturePrompts(t, "smollm2_reference.safetensors")
	ref := openReference(t, "smollm2_reference.safetensors")
	const stored = "Q4_1 79%, Q8_0 21%, float32 <1%"
	m, err := Load(f32.Path, LoadOptions{Quantize: Quantize8Bit})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := m.Quantization(); got != stored {
		t.Errorf("stored as %q, want %q", got, stored)
	}
	bytes, params := m.WeightBytes()
	bits := float64(bytes*8) / float64(params)
	t.Logf("%d weights in %.1f MB: %.2f bits per weight", params, float64(bytes)/1e6, bits)
	if bits < 5.6 || bits > 5.8 {
		t.Errorf("%.2f bits per weight, want 5.6..5.8", bits)
	}
	h, l := forwardErr(t, m, f32, prompts[:2])
	if h > 1e-5 || l > 1e-5 {
		t.Errorf("against float32: hidden states %.2g, logits %.2g off, want <= 1e-5", h, l)
	}
	const n = 8
	got, err := m.Generate(prompts, GenerateOptions{MaxNewTokens: n, Seeds: make([]uint64, len(prompts)), BatchSize: len(prompts)})
	if err != nil {
		t.Fatal(err)
	}
	for p := range prompts {
		if want := ref.ints(prefix(p) + "greedy")[:n]; !equalInts(got[p].Tokens, want) {
			t.Errorf("prompt %d: greedy continuation\n got %v\nwant %v", p, got[p].Tokens, want)
		}
	}

	m4, err := Load(f32.Path, LoadOptions{Quantize: Quantize4Bit})
	if err != nil {
		t.Fatal(err)
	}
	defer m4.Close()
	if got := m4.Quantization(); got != stored {
		t.Errorf("4bit: stored as %q, want %q (the file's own blocks)", got, stored)
	}
}
