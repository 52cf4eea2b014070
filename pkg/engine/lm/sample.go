package lm

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Sampling says how the next token is drawn from the logits, as transformers' generate does:
// temperature, then top-k, then top-p (nucleus). Temperature 0 is greedy decoding.
type Sampling struct {
	Temperature float64
	TopK        int     // 0: no limit
	TopP        float64 // 0 or 1: no limit
}

// sampler draws tokens for one sequence from its own seeded stream, so a sequence's text
// depends on its seed and prompt only, not on the batch it ran in.
type sampler struct {
	Sampling
	rng     *rand.Rand
	order   []int
	weights []float64
}

// negligible is how far below the best logit a token's logit may be, in units of the
// temperature, before its probability (< e^-30 of the best one's) is ignored outright.
const negligible = 30

// candidates returns the ids that can be drawn, most likely first (ties by id): the top-k of
// those not negligibly unlikely. Only the survivors are sorted, not the whole vocabulary.
func (s *sampler) candidates(logits []float32) []int {
	var order []int
	if k := s.TopK; k > 0 && k < len(logits) {
		// The top k first, in one pass: the best logit is among them, and the floor below cuts
		// the same ids from them as from the whole vocabulary (it is a threshold on the order).
		order = topK(logits, k, s.order[:0])
	} else {
		order = s.order[:0]
		for id := range logits {
			order = append(order, id)
		}
	}
	s.order = order
	best := logits[order[0]]
	for _, id := range order {
		best = max(best, logits[id])
	}
	floor := best - float32(negligible*s.Temperature)
	kept := order[:0]
	for _, id := range order {
		if logits[id] >= floor {
			kept = append(kept, id)
		}
	}
	order = kept
	slices.SortFunc(order, func(a, b int) int {
		if before(logits, a, b) {
			return -1
		}
		return 1
	})
	if cap(s.weights) < len(order) {
		s.weights = make([]float64, len(order))
	}
	return order
}

// before is the candidates' order: more likely first, ties by id (for determinism).
func before(logits []float32, a, b int) bool {
	return logits[a] > logits[b] || (logits[a] == logits[b] && a < b)
}

func newSampler(s Sampling, seed uint64) *sampler {
	return &sampler{Sampling: s, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

// next picks a token id from logits [V].
func (s *sampler) next(logits []float32) int {
	if s.Temperature <= 0 {
		best := 0
		for i, l := range logits {
			if l > logits[best] {
				best = i
			}
		}
		return best
	}
	order := s.candidates(logits)
	k := len(order)
	// Softmax at the temperature over the survivors.
	w := s.weights[:k]
	top := float64(logits[order[0]])
	var sum float64
	for i, id := range order {
		w[i] = math.Exp((float64(logits[id]) - top) / s.Temperature)
		sum += w[i]
	}
	// Nucleus: the smallest prefix whose probability reaches TopP (at least one token).
	if s.TopP > 0 && s.TopP < 1 {
		var cum float64
		for i := range w {
			cum += w[i] / sum
			if cum >= s.TopP {
				w, order = w[:i+1], order[:i+1]
				break
			}
		}
		sum = 0
		for _, x := range w {
			sum += x
		}
	}
	r := s.rng.Float64() * sum
	for i, x := range w {
		r -= x
		if r < 0 {
			return order[i]
		}
	}
	return order[len(order)-1]
}

// topK returns the k best ids of logits (by before), unsorted, in heap (reused). One pass keeps
// the k best so far in a heap whose root is the worst of them: nearly every id of a large
// vocabulary is rejected by one comparison with the root.
func topK(logits []float32, k int, heap []int) []int {
	worse := func(a, b int) bool { return before(logits, b, a) }
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(heap) {
				return
			}
			if r := l + 1; r < len(heap) && worse(heap[r], heap[l]) {
				l = r
			}
			if !worse(heap[l], heap[i]) {
				return
			}
			heap[i], heap[l] = heap[l], heap[i]
			i = l
		}
	}
	heap = heap[:0]
	for id := range min(k, len(logits)) {
		heap = append(heap, id)
	}
	for i := len(heap)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for id := len(heap); id < len(logits); id++ {
		if root := heap[0]; logits[id] > logits[root] { // a later id never beats an equal logit
			heap[0] = id
			down(0)
		}
	}
	return heap
}
