package activations

import (
	"context"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
)

// reader turns texts into per-text mean activations (the formula in the package comment).
type reader struct {
	eng       Engine
	layers    []int      // hidden_states indices, sorted, no repeats
	offset    int        // token_offset: first position averaged (position 0 = BOS)
	packing   lm.Packing // how texts are packed into forward passes (extraction.batch_tokens, batch_size)
	maxTokens int        // texts are cut to this many tokens; 0: no cut
	perToken  bool       // also keep every position's state (neutral per-token rows)
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
	// ids[i] are text i's tokens as read; nil for a skipped text.
	ids [][]int

	skipped   int // texts with no position at or past the offset
	truncated int // texts cut to maxTokens
}

// readChunks reads the texts of many units (texts[u] are unit u's) a chunk of units at a time: the texts
// of consecutive units, at least chunkTokens tokens of them (or chunkTexts texts, when > 0), go through one
// lm.Read, so that its passes are full and sorted by length across units, rather than one short pass per
// unit. A text's states depend on its pass at float32 rounding (lm's tests), so the chunks are cut from
// every unit of the list, pending or not: a chunk holding a pending unit is read whole, finished units
// included, and a unit's passes, and its bytes, do not depend on what else was pending (a resumed run
// writes what an uninterrupted one does). Chunks with nothing pending are not read. After each chunk, done
// is called for each of its pending units, in order, with that unit's reading; a unit is written there, so
// an interruption loses at most the chunk in flight. onText, if set, is called as the texts of pending
// units are read, with their number.
func (r *reader) readChunks(ctx context.Context, texts [][]string, pending []bool, chunkTexts, chunkTokens int,
	onText func(n int), done func(u int, rd *reading) error) error {
	for start := 0; start < len(texts); {
		end, n, tokens, want := start, 0, 0, false
		var rds []*reading
		for end < len(texts) && (end == start || chunkTexts > 0 && n < chunkTexts || chunkTexts <= 0 && tokens < chunkTokens) {
			rd := r.start(texts[end])
			for _, ids := range rd.ids {
				tokens += len(ids)
			}
			n += len(texts[end])
			want = want || pending[end]
			rds = append(rds, rd)
			end++
		}
		if want {
			err := r.fill(ctx, rds, func(u int) {
				if onText != nil && pending[start+u] {
					onText(1)
				}
			})
			if err != nil {
				return &chunkError{first: start, err: err}
			}
			for u := start; u < end; u++ {
				if !pending[u] {
					continue
				}
				if err := done(u, rds[u-start]); err != nil {
					return err
				}
			}
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

// read reads texts, one unit's, in passes packed by length (lm.Read). It stops between passes when ctx is
// done.
func (r *reader) read(ctx context.Context, texts []string) (*reading, error) {
	rd := r.start(texts)
	if err := r.fill(ctx, []*reading{rd}, nil); err != nil {
		return nil, err
	}
	return rd, nil
}

// start tokenizes texts as they are read back, cuts those longer than maxTokens and marks those of offset
// tokens or fewer as skipped: a reading with its ids and nothing read yet.
func (r *reader) start(texts []string) *reading {
	rd := &reading{means: make([][][]float64, len(texts)), tokens: make([]int, len(texts)), cut: make([]bool, len(texts)),
		ids: make([][]int, len(texts))}
	if r.perToken {
		rd.rows = make([][][]float32, len(texts))
	}
	for i, s := range texts {
		t := r.eng.ReadingTokens(s)
		if r.maxTokens > 0 && len(t) > r.maxTokens {
			t = t[:r.maxTokens]
			rd.truncated++
			rd.cut[i] = true
		}
		if len(t) <= r.offset {
			rd.skipped++
			continue
		}
		rd.ids[i] = t
	}
	return rd
}

// fill reads the texts of rds, several units' readings packed together (a text's states do not depend on
// its pass beyond float32 rounding: Engine), and fills in their means (and rows). onText, if set, is called
// with the index in rds of each text's unit as the text is read.
func (r *reader) fill(ctx context.Context, rds []*reading, onText func(u int)) error {
	type at struct{ unit, text int }
	var all [][]int
	var where []at
	for u, rd := range rds {
		for i, ids := range rd.ids {
			if ids != nil {
				all, where = append(all, ids), append(where, at{u, i})
			}
		}
	}
	return lm.Read(ctx, r.eng, all, r.layers, r.packing, func(k int, s lm.TextStates) error {
		rd, i := rds[where[k].unit], where[k].text
		n := s.N // the text's own length: positions past it are padding
		rd.tokens[i] = n
		rd.means[i] = make([][]float64, len(r.layers))
		if r.perToken {
			rd.rows[i] = make([][]float32, len(r.layers))
		}
		for l := range r.layers {
			rd.means[i][l] = meanOver(s, l, r.offset, n)
			if r.perToken {
				rows := make([]float32, 0, (n-r.offset)*s.D())
				for t := r.offset; t < n; t++ {
					rows = append(rows, s.At(l, t)...)
				}
				rd.rows[i][l] = rows
			}
		}
		if onText != nil {
			onText(where[k].unit)
		}
		return nil
	})
}

// meanOver is the mean of a text's states at layer slot l over positions [from, to), summed in float64: in
// float32, a sum over hundreds of positions of values near 100 (common in the residual stream) drops the
// low bits of each term.
func meanOver(s lm.TextStates, l, from, to int) []float64 {
	acc := make([]float64, s.D())
	for t := from; t < to; t++ {
		for d, x := range s.At(l, t) {
			acc[d] += float64(x)
		}
	}
	inv := float64(to - from)
	for d := range acc {
		acc[d] /= inv
	}
	return acc
}
