package lm

import (
	"context"
	"fmt"
	"slices"
	"sort"
)

// Reading many texts: the one batching policy behind the activations stage (and so the layer sweep),
// `score` and the probes. Texts are sorted by length and packed into passes whose padded size rows x T
// stays within a token budget, so short texts share a pass and long ones are not padded far; every
// requested layer comes out of the same pass.

// DefaultBatchTokens is the token budget of a pass when none is given. Measured on the 2-core CPU machine
// with XLA's CPU plugin (BENCHMARKS.md, "Reading in length buckets").
const DefaultBatchTokens = 4096

// ReadLength is the padded length T of a pass whose longest text has n tokens: a multiple of 16 up to 256
// tokens, then of 32 up to 512, 64 up to 1024 and so on. Every T is a program to compile (seconds on
// XLA), so steps that grow with n keep long texts to a few programs while padding stays under 1/8 of a
// pass (under 1/16 past 256 tokens, once n is at least 16 past a power of two).
func ReadLength(n int) int { return bucket(max(n, 1), readStep(n)) }

// readStep is the multiple ReadLength rounds n up to.
func readStep(n int) int {
	step := 16
	for p := 256; n > p; p *= 2 {
		step *= 2
	}
	return step
}

// Packing says how texts are grouped into forward passes.
type Packing struct {
	// BatchTokens bounds the padded size of a pass, rows x T; a text longer than it goes alone.
	// 0 means DefaultBatchTokens.
	BatchTokens int
	// MaxRows bounds the texts of a pass (a memory cap, as the old extraction.batch_size); 0: the budget alone.
	MaxRows int
}

// Pass is one forward pass of a plan.
type Pass struct {
	Texts []int // indices of its texts in the list planned, longest first
	Rows  int   // rows computed: len(Texts), plus one-token filler rows in a short last pass
	T     int   // padded length: ReadLength of its longest text
}

// rowsFor is how many rows a pass of padded length t holds under p.
func (p Packing) rowsFor(t int) int {
	budget := p.BatchTokens
	if budget <= 0 {
		budget = DefaultBatchTokens
	}
	rows := max(budget/t, 1)
	if p.MaxRows > 0 {
		rows = min(rows, p.MaxRows)
	}
	return rows
}

// Plan sorts texts of the given lengths longest first and cuts the sorted list into passes: each pass
// takes as many of the next texts as its padded size allows (rows x ReadLength(its first, longest text)
// within the budget). All full passes of one T have the same rows, so a T is one program; only the last
// pass can be short, and it is filled with one-token rows up to a power of two (at most its full rows),
// which bounds the extra programs to a few per T while computing at most twice its texts. Equal lengths
// keep their order (a stable sort), so a plan depends only on the lengths.
func (p Packing) Plan(lengths []int) []Pass {
	order := make([]int, len(lengths))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return lengths[order[a]] > lengths[order[b]] })
	var passes []Pass
	for start := 0; start < len(order); {
		t := ReadLength(lengths[order[start]])
		rows := p.rowsFor(t)
		end := min(start+rows, len(order))
		pass := Pass{Texts: order[start:end:end], Rows: end - start, T: t}
		if pass.Rows < rows {
			pass.Rows = min(nextPow2(pass.Rows), rows)
		}
		passes = append(passes, pass)
		start = end
	}
	return passes
}

// nextPow2 is the smallest power of two >= n (n >= 1).
func nextPow2(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return p
}

// StatesReader runs texts through a model: *Model, or a fake in tests. A text's states must not depend on
// the other texts of the call.
type StatesReader interface {
	HiddenStates(texts [][]int, layers []int) (*HiddenStates, error)
}

// TextStates is one text's residual stream in the pass that read it.
type TextStates struct {
	Layers []int // as asked of Read
	N      int   // the text's tokens: positions 0..N-1 are its own
	h      *HiddenStates
	row    int
	slot   []int // slot[l]: index in h.Data of Layers[l]
}

// At is the state of position t (< N) at the l-th layer asked for: [D], valid only during the callback.
func (s TextStates) At(l, t int) []float32 { return s.h.At(s.slot[l], s.row, t) }

// D is the width of a state.
func (s TextStates) D() int { return s.h.D }

// Read runs texts (token ids, none empty) through r at layers, in the passes p.Plan makes of their lengths,
// and calls each(i, states) once for every text i, pass by pass (longest texts first, not in the order of
// texts: i says where a result goes). Every layer comes from the same pass. It stops between passes when
// ctx is done, returning ctx's error; an error from each stops it too and is returned as it is.
func Read(ctx context.Context, r StatesReader, texts [][]int, layers []int, p Packing, each func(i int, s TextStates) error) error {
	lengths := make([]int, len(texts))
	for i, t := range texts {
		if len(t) == 0 {
			return fmt.Errorf("lm: text %d has no tokens", i)
		}
		lengths[i] = len(t)
	}
	for _, pass := range p.Plan(lengths) {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := make([][]int, pass.Rows)
		for j := range batch {
			if j < len(pass.Texts) {
				batch[j] = texts[pass.Texts[j]]
			} else {
				batch[j] = texts[pass.Texts[0]][:1] // filler: computed, never used
			}
		}
		longest := lengths[pass.Texts[0]]
		h, err := r.HiddenStates(batch, layers)
		if err != nil {
			return fmt.Errorf("reading %d texts of %d to %d tokens: %w", len(pass.Texts), lengths[pass.Texts[len(pass.Texts)-1]], longest, err)
		}
		if h.B < len(pass.Texts) || h.T < longest || h.D < 1 {
			return fmt.Errorf("lm: the engine returned states of shape [%d, %d, %d] for %d texts of up to %d tokens",
				h.B, h.T, h.D, len(pass.Texts), longest)
		}
		slot := make([]int, len(layers))
		for l, layer := range layers {
			if slot[l] = slices.Index(h.Layers, layer); slot[l] < 0 || slot[l] >= len(h.Data) {
				return fmt.Errorf("lm: the engine returned layers %v, not layer %d", h.Layers, layer)
			}
		}
		for j, i := range pass.Texts {
			if err := each(i, TextStates{Layers: layers, N: lengths[i], h: h, row: j, slot: slot}); err != nil {
				return err
			}
		}
	}
	return nil
}
