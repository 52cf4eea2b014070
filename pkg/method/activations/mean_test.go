package activations

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
)

// Each text's mean is over its own positions offset..n-1, whatever its batch and its neighbours' lengths;
// texts of offset tokens or fewer are skipped.
func TestReadOffsetIsPerSequence(t *testing.T) {
	texts := []string{words(9, 0), words(2, 1), words(14, 2), words(3, 3), words(5, 4), words(30, 5), words(4, 6)}
	const offset = 4 // BOS + 3 words: texts of 2 and 3 words are too short
	eng := &fakeEngine{d: 3, value: simpleValue}
	layers := []int{1, 3}
	// want: the formula, from the tokens alone.
	want := make([][][]float64, len(texts))
	for i, s := range texts {
		ids := eng.ReadingTokens(s)
		if len(ids) <= offset {
			continue
		}
		for _, L := range layers {
			m := make([]float64, eng.d)
			for tt := offset; tt < len(ids); tt++ {
				for d := range m {
					m[d] += float64(simpleValue(ids[tt], tt, L, d))
				}
			}
			for d := range m {
				m[d] /= float64(len(ids) - offset)
			}
			want[i] = append(want[i], m)
		}
	}
	for _, bs := range []lm.Packing{{MaxRows: 1}, {MaxRows: 2}, {BatchTokens: 48}, {}} {
		r := &reader{eng: eng, layers: layers, offset: offset, packing: bs}
		got, err := r.read(context.Background(), texts)
		if err != nil {
			t.Fatal(err)
		}
		if got.skipped != 2 {
			t.Errorf("packing %+v: skipped %d texts, want 2 (those of 3 and 4 tokens)", bs, got.skipped)
		}
		for i := range texts {
			if (got.means[i] == nil) != (want[i] == nil) {
				t.Fatalf("packing %+v, text %d: read = %v, want read = %v", bs, i, got.means[i] != nil, want[i] != nil)
			}
			for l := range want[i] {
				for d := range want[i][l] {
					if g, w := got.means[i][l][d], want[i][l][d]; math.Abs(g-w) > 1e-12*math.Abs(w) {
						t.Errorf("packing %+v, text %d, layer %d, coord %d: mean %v, want %v", bs, i, layers[l], d, g, w)
					}
				}
			}
		}
	}
}

// Passes hold texts sorted by length, longest first; a short last pass is filled with one-token rows up to
// a power of two (here the last text alone stays alone: 1 is a power of two).
func TestReadSortsByLength(t *testing.T) {
	eng := &fakeEngine{d: 1, value: simpleValue}
	r := &reader{eng: eng, layers: []int{0}, offset: 1, packing: lm.Packing{MaxRows: 2}}
	if _, err := r.read(context.Background(), []string{words(3, 0), words(9, 0), words(1, 0), words(6, 0), words(4, 0)}); err != nil {
		t.Fatal(err)
	}
	want := [][]int{{10, 7}, {5, 4}, {2}}
	if fmtLayers(flatten(eng.calls)) != fmtLayers(flatten(want)) || len(eng.calls) != len(want) {
		t.Errorf("batches of lengths %v, want %v", eng.calls, want)
	}
}

func flatten(x [][]int) []int {
	var out []int
	for _, r := range x {
		out = append(out, r...)
	}
	return out
}

// The sum runs in float64: 2^24 + 1 + 1 + ... is exact, where float32 would stay at 2^24.
func TestReadSumsInFloat64(t *testing.T) {
	big := float32(1 << 24)
	eng := &fakeEngine{d: 1, value: func(id, tt, layer, d int) float32 {
		if tt == 1 {
			return big
		}
		return 1
	}}
	r := &reader{eng: eng, layers: []int{0}, offset: 1}
	got, err := r.read(context.Background(), []string{words(100, 0)})
	if err != nil {
		t.Fatal(err)
	}
	want := (float64(big) + 99) / 100
	if g := got.means[0][0][0]; g != want {
		t.Errorf("mean %v, want %v (float32 accumulation would give %v)", g, want, float64(big)/100)
	}
}

// Texts longer than maxTokens are cut and counted.
func TestReadCutsToContext(t *testing.T) {
	eng := &fakeEngine{d: 1, value: simpleValue}
	r := &reader{eng: eng, layers: []int{0}, offset: 1, maxTokens: 6}
	got, err := r.read(context.Background(), []string{words(3, 0), words(20, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if got.truncated != 1 || got.tokens[1] != 6 || got.tokens[0] != 4 {
		t.Errorf("truncated %d, tokens %v; want 1 text cut, tokens [4 6]", got.truncated, got.tokens)
	}
}

// With the real (tiny) model, a text's mean read in a batch of texts of other lengths equals the mean of a
// lone forward pass: the offset is per sequence and padding never enters.
func TestReadMatchesLonePassTinyModel(t *testing.T) {
	m, err := lm.Load(filepath.Join("..", "..", "engine", "lm", "testdata", "tiny-llama"), lm.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	texts := []string{
		"The market was loud and bright, and she walked between the stalls counting coins.",
		"He fixed the chain.",
		"A letter came from home on a rainy Tuesday; he read it twice, folded it, and put it in his coat.",
		"Numbers: one two three four five six seven.",
	}
	layers := []int{1, 2}
	const offset = 5
	batched := &reader{eng: m, layers: layers, offset: offset}
	all, err := batched.read(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range texts {
		lone := &reader{eng: m, layers: layers, offset: offset, packing: lm.Packing{MaxRows: 1}}
		one, err := lone.read(context.Background(), []string{s})
		if err != nil {
			t.Fatal(err)
		}
		if (one.means[0] == nil) != (all.means[i] == nil) {
			t.Fatalf("text %d: read alone %v, in a batch %v", i, one.means[0] != nil, all.means[i] != nil)
		}
		for l := range one.means[0] {
			for d, w := range one.means[0][l] {
				g := all.means[i][l][d]
				if math.Abs(g-w) > 1e-5*(1+math.Abs(w)) {
					t.Errorf("text %d, layer %d, coord %d: batched %v, alone %v", i, layers[l], d, g, w)
				}
			}
		}
	}
}

// A short last pass of 3 is filled to 4 with one-token rows.
func TestReadFillsShortBatchToPowerOfTwo(t *testing.T) {
	eng := &fakeEngine{d: 1, value: simpleValue}
	r := &reader{eng: eng, layers: []int{0}, offset: 1, packing: lm.Packing{MaxRows: 4}}
	texts := []string{words(9, 0), words(8, 0), words(7, 0), words(6, 0), words(5, 0), words(4, 0), words(3, 0)}
	if _, err := r.read(context.Background(), texts); err != nil {
		t.Fatal(err)
	}
	want := [][]int{{10, 9, 8, 7}, {6, 5, 4, 1}}
	if fmtLayers(flatten(eng.calls)) != fmtLayers(flatten(want)) || len(eng.calls) != len(want) {
		t.Errorf("batches of lengths %v, want %v", eng.calls, want)
	}
}
