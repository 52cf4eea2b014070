package lm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// ReadLength pads to 16 up to 256 tokens, then to steps that double with each power of two: never
// shorter than the text, and the padding is under an eighth of the pass past 128 tokens.
func TestReadLength(t *testing.T) {
	for n, want := range map[int]int{0: 16, 1: 16, 16: 16, 17: 32, 159: 160, 256: 256, 257: 288, 512: 512, 513: 576, 1025: 1152, 8192: 8192} {
		if got := ReadLength(n); got != want {
			t.Errorf("ReadLength(%d) = %d, want %d", n, got, want)
		}
	}
	for n := 1; n <= 9000; n++ {
		got := ReadLength(n)
		if got < n || got%16 != 0 || n > 128 && got-n >= max(16, n/8) {
			t.Fatalf("ReadLength(%d) = %d: want a multiple of 16 >= n, padding < max(16, n/8)", n, got)
		}
	}
}

// A plan reads every text once, in passes within the budget (or alone), longest first; every pass but the
// last holds as many texts as the budget allows at its length (so one length is one program), and a short
// last pass is filled to a power of two.
func TestPlanPacksWithinBudget(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := 1 + rng.IntN(120)
		lengths := make([]int, n)
		for i := range lengths {
			lengths[i] = 1 + rng.IntN([]int{40, 300, 1500}[trial%3])
		}
		p := Packing{BatchTokens: []int{0, 16, 100, 1024, 4096, 20000}[trial%6], MaxRows: []int{0, 0, 1, 3, 8}[trial%5]}
		budget := p.BatchTokens
		if budget == 0 {
			budget = DefaultBatchTokens
		}
		name := fmt.Sprintf("trial %d (%+v, %d texts)", trial, p, n)
		passes := p.Plan(lengths)
		seen := make([]int, n)
		prev := math.MaxInt
		for k, pass := range passes {
			if len(pass.Texts) == 0 || pass.Rows < len(pass.Texts) {
				t.Fatalf("%s: pass %d has %d texts in %d rows", name, k, len(pass.Texts), pass.Rows)
			}
			if pass.Rows*pass.T > budget && pass.Rows > 1 {
				t.Errorf("%s: pass %d is %d x %d tokens, over the budget %d", name, k, pass.Rows, pass.T, budget)
			}
			if p.MaxRows > 0 && pass.Rows > p.MaxRows {
				t.Errorf("%s: pass %d has %d rows, over MaxRows", name, k, pass.Rows)
			}
			if pass.T != ReadLength(lengths[pass.Texts[0]]) {
				t.Errorf("%s: pass %d has T %d for a longest text of %d", name, k, pass.T, lengths[pass.Texts[0]])
			}
			for j, i := range pass.Texts {
				seen[i]++
				if lengths[i] > prev {
					t.Errorf("%s: pass %d, text %d (%d tokens) comes after a shorter one", name, k, i, lengths[i])
				}
				prev = lengths[i]
				if j > 0 && lengths[i] == lengths[pass.Texts[j-1]] && i < pass.Texts[j-1] {
					t.Errorf("%s: texts %d and %d of equal length out of order", name, pass.Texts[j-1], i)
				}
			}
			full := max(budget/pass.T, 1) // the rows the budget allows at this length
			if p.MaxRows > 0 {
				full = min(full, p.MaxRows)
			}
			want := full
			if k == len(passes)-1 && len(pass.Texts) < full {
				want = min(nextPow2(len(pass.Texts)), full)
			}
			if pass.Rows != want || k < len(passes)-1 && len(pass.Texts) != full {
				t.Errorf("%s: pass %d of %d has %d texts in %d rows; want %d rows (full: %d)", name, k, len(passes), len(pass.Texts), pass.Rows, want, full)
			}
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("%s: text %d read %d times", name, i, c)
			}
		}
	}
}

// fakeStates answers HiddenStates with states that say where they come from: coordinate 0 is the token,
// 1 the position, 2 the layer; padding is NaN. It lists its layers in reverse order, as an engine may.
type fakeStates struct{ calls []int }

func (f *fakeStates) HiddenStates(texts [][]int, layers []int) (*HiddenStates, error) {
	f.calls = append(f.calls, len(texts))
	T := 0
	for _, t := range texts {
		T = max(T, len(t))
	}
	T = ReadLength(T)
	h := &HiddenStates{Layers: slices.Clone(layers), B: len(texts), T: T, D: 3}
	slices.Reverse(h.Layers)
	for _, l := range h.Layers {
		data := make([]float32, h.B*T*h.D)
		for b, text := range texts {
			for pos := range T {
				v := []float32{float32(math.NaN()), float32(math.NaN()), float32(math.NaN())}
				if pos < len(text) {
					v = []float32{float32(text[pos]), float32(pos), float32(l)}
				}
				copy(data[(b*T+pos)*3:], v)
			}
		}
		h.Data = append(h.Data, data)
	}
	return h, nil
}

// Read hands each text its own row and layers, once, and callers put results back by index: the texts'
// order is restored whatever order the passes read them in.
func TestReadEachTextOnceInItsRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	texts := make([][]int, 57)
	for i := range texts {
		texts[i] = make([]int, 1+rng.IntN(300))
		for j := range texts[i] {
			texts[i][j] = 1000*i + j // a token says which text it is in
		}
	}
	layers := []int{2, 7}
	f := &fakeStates{}
	got := make([][]float32, len(texts)) // per text: each position's token, then each layer at its last position
	err := Read(context.Background(), f, texts, layers, Packing{BatchTokens: 900}, func(i int, s TextStates) error {
		if got[i] != nil {
			t.Errorf("text %d handed over twice", i)
		}
		if s.N != len(texts[i]) {
			t.Errorf("text %d: N = %d, want %d", i, s.N, len(texts[i]))
		}
		for pos := range s.N {
			v := s.At(0, pos)
			if v[1] != float32(pos) {
				t.Fatalf("text %d, position %d: state of position %v", i, pos, v[1])
			}
			got[i] = append(got[i], v[0])
		}
		for l := range layers {
			got[i] = append(got[i], s.At(l, s.N-1)[2])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		want := []float32{}
		for _, id := range text {
			want = append(want, float32(id))
		}
		want = append(want, 2, 7)
		if !slices.Equal(got[i], want) {
			t.Fatalf("text %d: read %v..., want %v...", i, got[i][:min(3, len(got[i]))], want[:min(3, len(want))])
		}
	}
	if len(f.calls) < 10 {
		t.Errorf("%d passes for %d texts of up to 300 tokens in passes of 900: the budget was not applied", len(f.calls), len(texts))
	}

	// A cancelled context stops before the next pass; an error of the callback stops it too.
	ctx, cancel := context.WithCancel(context.Background())
	calls := len(f.calls)
	stop := errors.New("stop")
	err = Read(ctx, f, texts, layers, Packing{BatchTokens: 900}, func(int, TextStates) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) || len(f.calls) != calls+1 {
		t.Errorf("cancelled: got %v after %d passes, want context.Canceled after 1", err, len(f.calls)-calls)
	}
	if err := Read(context.Background(), f, texts, layers, Packing{}, func(int, TextStates) error { return stop }); err != stop {
		t.Errorf("callback error: got %v, want it returned as it is", err)
	}
	if err := Read(context.Background(), f, [][]int{{1}, {}}, layers, Packing{}, nil); err == nil {
		t.Error("an empty text: no error")
	}
}

// A text's states are the same whatever pass it is read in: alone, with longer and shorter texts, in a
// pass of many rows or filled with filler rows. The tolerance is TestBatchInvariance's (float32
// rounding of sums ordered by the shapes), which the activations' files are held to.
func TestReadInvariantToPacking(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "tiny-llama"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	readInvariantToPacking(t, m, 240, []int{1, 2})
}

func readInvariantToPacking(t *testing.T, m *Model, longest int, layers []int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	var texts [][]int
	for _, n := range []int{longest, 3, 17, 64, 65, 100, longest / 2, 40, 9, 130, longest - 20} {
		ids := make([]int, n)
		for j := range ids {
			ids[j] = 1 + rng.IntN(m.Config.VocabSize-1)
		}
		texts = append(texts, ids)
	}
	read := func(p Packing) [][][]float32 { // [text][layer] states of its own positions
		out := make([][][]float32, len(texts))
		err := Read(context.Background(), m, texts, layers, p, func(i int, s TextStates) error {
			for l := range layers {
				var v []float32
				for pos := range s.N {
					v = append(v, s.At(l, pos)...)
				}
				out[i] = append(out[i], v)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	alone := read(Packing{MaxRows: 1})
	for _, p := range []Packing{{BatchTokens: 16 * 16}, {BatchTokens: 1024}, {}, {MaxRows: 3}} {
		got := read(p)
		same, worst := true, 0.0
		for i := range texts {
			for l := range layers {
				var diff, scale float64
				for k, y := range alone[i][l] {
					diff = math.Max(diff, math.Abs(float64(got[i][l][k]-y)))
					scale = math.Max(scale, math.Abs(float64(y)))
				}
				same, worst = same && diff == 0, math.Max(worst, diff/scale)
				if diff/scale > 1e-5 {
					t.Errorf("%+v: text %d (%d tokens), layer %d: differs from a lone pass by %.2g (relative)", p, i, len(texts[i]), layers[l], diff/scale)
				}
			}
		}
		t.Logf("%+v: bit-identical to lone passes: %v (largest relative difference %.2g)", p, same, worst)
	}
}

// The same on XLA with SmolLM2, over the step from 16 to 32 past 256 tokens.
func TestXLAReadInvariantToPacking(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the 135M model; skipped with -short")
	}
	m := loadOn(t, defaultModelPath(t), xlaBackend(t))
	readInvariantToPacking(t, m, 300, []int{4, m.Config.DefaultLayer()})
}
