package lm

import (
	"math"
	"math/rand/v2"
	"sort"
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
	if cap(s.order) < len(logits) {
		s.order = make([]int, len(logits))
		s.weights = make([]float64, len(logits))
	}
	order := s.order[:len(logits)]
	for i := range order {
		order[i] = i
	}
	// Keep the k most likely (ties broken by id, for determinism).
	k := len(logits)
	if s.TopK > 0 && s.TopK < k {
		k = s.TopK
	}
	sort.Slice(order, func(a, b int) bool {
		la, lb := logits[order[a]], logits[order[b]]
		return la > lb || (la == lb && order[a] < order[b])
	})
	order = order[:k]
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
