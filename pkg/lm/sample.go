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
	best := logits[0]
	for _, l := range logits {
		best = max(best, l)
	}
	floor := best - float32(negligible*s.Temperature)
	order := s.order[:0]
	for id, l := range logits {
		if l >= floor {
			order = append(order, id)
		}
	}
	s.order = order
	before := func(a, b int) bool { // more likely first; ties by id, for determinism
		return logits[a] > logits[b] || (logits[a] == logits[b] && a < b)
	}
	if k := s.TopK; k > 0 && k < len(order) {
		order = topK(order, k, before)
	}
	slices.SortFunc(order, func(a, b int) int {
		if before(a, b) {
			return -1
		}
		return 1
	})
	if cap(s.weights) < len(order) {
		s.weights = make([]float64, len(order))
	}
	return order
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

// topK moves the k best ids of order (by before) to its front, in linear expected time
// (quickselect), and returns them unsorted.
func topK(order []int, k int, before func(a, b int) bool) []int {
	lo, hi := 0, len(order)-1
	for lo < hi {
		pivot := order[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for before(order[i], pivot) {
				i++
			}
			for before(pivot, order[j]) {
				j--
			}
			if i <= j {
				order[i], order[j] = order[j], order[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return order[:k]
		}
	}
	return order[:k]
}
