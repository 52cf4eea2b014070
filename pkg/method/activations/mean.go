package activations

import (
	"context"
	"fmt"
	"slices"
	"sort"
)

// reader turns texts into per-text mean activations (the formula in the package comment).
type reader struct {
	eng       Engine
	layers    []int // hidden_states indices, sorted, no repeats
	offset    int   // token_offset: first position averaged (position 0 = BOS)
	batchSize int   // texts per HiddenStates call
	maxTokens int   // texts are cut to this many tokens; 0: no cut
	perToken  bool  // also keep every position's state (neutral per-token rows)
}

// reading is what reader.read returns for a list of texts, indexed like the list.
type reading struct {
	// means[i][l] is text i's mean at layers[l], [D] in float64; nil for a skipped text.
	means [][][]float64
	// rows[i][l] holds text i's states at layers[l] for positions offset..n-1, [n-offset, D] row-major;
	// only when perToken.
	rows [][][]float32
	// tokens[i] is the number of tokens read of text i (after any cut); 0 for a skipped text.
	tokens []int
	// cut[i] says text i was cut to maxTokens.
	cut []bool

	skipped   int // texts with no position at or past the offset
	truncated int // texts cut to maxTokens
}

// slice is the reading of texts [a, b), as if only they had been read.
func (rd *reading) slice(a, b int) *reading {
	out := &reading{means: rd.means[a:b], tokens: rd.tokens[a:b], cut: rd.cut[a:b]}
	if rd.rows != nil {
		out.rows = rd.rows[a:b]
	}
	for i := range out.tokens {
		if out.means[i] == nil {
			out.skipped++
		}
		if out.cut[i] {
			out.truncated++
		}
	}
	return out
}

// readChunks reads the texts of many units (texts[u] are unit u's) a chunk of units at a time: the texts
// of consecutive units, at least chunkTexts of them, go through one read, so that its batches are full
// and sorted by length across units, rather than one short batch per unit. After each chunk, done is
// called for each of its units, in order, with that unit's reading; a unit is written there, so an
// interruption loses at most the chunk in flight.
func (r *reader) readChunks(ctx context.Context, texts [][]string, chunkTexts int, onBatch func(n int),
	done func(u int, rd *reading) error) error {
	for start := 0; start < len(texts); {
		end, n := start, 0
		for end < len(texts) && (n < chunkTexts || end == start) {
			n += len(texts[end])
			end++
		}
		var all []string
		for _, t := range texts[start:end] {
			all = append(all, t...)
		}
		rd, err := r.read(ctx, all, onBatch)
		if err != nil {
			return &chunkError{first: start, err: err}
		}
		at := 0
		for u := start; u < end; u++ {
			if err := done(u, rd.slice(at, at+len(texts[u]))); err != nil {
				return err
			}
			at += len(texts[u])
		}
		start = end
	}
	return nil
}

// chunkError is a read that failed (or was stopped) in the chunk starting at unit first.
type chunkError struct {
	first int
	err   error
}

func (e *chunkError) Error() string { return e.err.Error() }
func (e *chunkError) Unwrap() error { return e.err }

// read tokenizes texts, sorts them by length, and reads them batchSize at a time. It stops between batches
// when ctx is done. onBatch, if set, is called after each batch with its number of texts.
func (r *reader) read(ctx context.Context, texts []string, onBatch func(n int)) (*reading, error) {
	out := &reading{means: make([][][]float64, len(texts)), tokens: make([]int, len(texts)), cut: make([]bool, len(texts))}
	if r.perToken {
		out.rows = make([][][]float32, len(texts))
	}
	ids := make([][]int, len(texts))
	var order []int // texts to read
	for i, s := range texts {
		t := r.eng.ReadingTokens(s)
		if r.maxTokens > 0 && len(t) > r.maxTokens {
			t = t[:r.maxTokens]
			out.truncated++
			out.cut[i] = true
		}
		if len(t) <= r.offset {
			out.skipped++
			continue
		}
		ids[i] = t
		order = append(order, i)
	}
	// Longest first: each batch holds texts of similar length, so little of it is padding.
	sort.SliceStable(order, func(a, b int) bool { return len(ids[order[a]]) > len(ids[order[b]]) })

	bs := max(r.batchSize, 1)
	for start := 0; start < len(order); start += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx := order[start:min(start+bs, len(order))]
		batch := make([][]int, len(idx), bs)
		for j, i := range idx {
			batch[j] = ids[i]
		}
		// A short last batch is filled with one-token rows, whose states are not used, up to the next power
		// of two: a batch of another size is another program to compile (seconds, on XLA), and the powers of
		// two bound the sizes to a few, while the filling at most doubles the rows (every row is computed to
		// the batch's longest text, so filling all the way to batchSize could cost many times the texts).
		for want := nextPow2(len(batch)); len(batch) < min(want, bs); {
			batch = append(batch, ids[idx[0]][:1])
		}
		h, err := r.eng.HiddenStates(batch, r.layers)
		if err != nil {
			return nil, fmt.Errorf("reading %d texts of %d to %d tokens: %w", len(batch), len(batch[len(batch)-1]), len(batch[0]), err)
		}
		at, err := layerIndex(h.Layers, r.layers)
		if err != nil {
			return nil, err
		}
		if h.B < len(batch) || h.T < len(batch[0]) || h.D < 1 {
			return nil, fmt.Errorf("the engine returned states of shape [%d, %d, %d] for %d texts of up to %d tokens",
				h.B, h.T, h.D, len(batch), len(batch[0]))
		}
		for b, i := range idx {
			n := len(ids[i]) // the text's own length: positions past it are padding
			out.tokens[i] = n
			out.means[i] = make([][]float64, len(r.layers))
			if r.perToken {
				out.rows[i] = make([][]float32, len(r.layers))
			}
			for l, hl := range at {
				out.means[i][l] = meanOver(h.At, hl, b, r.offset, n)
				if r.perToken {
					rows := make([]float32, 0, (n-r.offset)*h.D)
					for t := r.offset; t < n; t++ {
						rows = append(rows, h.At(hl, b, t)...)
					}
					out.rows[i][l] = rows
				}
			}
		}
		if onBatch != nil {
			onBatch(len(idx))
		}
	}
	return out, nil
}

// meanOver is the mean of text b's states at layer slot hl over positions [from, to), summed in float64:
// in float32, a sum over hundreds of positions of values near 100 (common in the residual stream) drops the
// low bits of each term.
func meanOver(at func(i, b, t int) []float32, hl, b, from, to int) []float64 {
	var acc []float64
	for t := from; t < to; t++ {
		v := at(hl, b, t)
		if acc == nil {
			acc = make([]float64, len(v))
		}
		for d, x := range v {
			acc[d] += float64(x)
		}
	}
	inv := float64(to - from)
	for d := range acc {
		acc[d] /= inv
	}
	return acc
}

// layerIndex maps each wanted layer to its slot in got (the engine may return its layers in its own order).
func layerIndex(got, want []int) ([]int, error) {
	at := make([]int, len(want))
	for i, l := range want {
		j := slices.Index(got, l)
		if j < 0 {
			return nil, fmt.Errorf("the engine returned layers %v, not layer %d", got, l)
		}
		at[i] = j
	}
	return at, nil
}

// nextPow2 is the smallest power of two >= n (n >= 1).
func nextPow2(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return p
}
