package lm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// topK must pick the same k ids as a full sort, ties broken by id.
func TestTopKEqualsFullSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := 1 + rng.IntN(300)
		logits := make([]float32, n)
		for i := range logits {
			logits[i] = float32(rng.IntN(20)) // many ties
		}
		before := func(a, b int) bool { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b) }
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		want := slices.Clone(all)
		slices.SortFunc(want, func(a, b int) int {
			if before(a, b) {
				return -1
			}
			return 1
		})
		k := 1 + rng.IntN(n)
		got := topK(logits, k, nil)
		slices.SortFunc(got, func(a, b int) int {
			if before(a, b) {
				return -1
			}
			return 1
		})
		if !slices.Equal(got, want[:k]) {
			t.Fatalf("trial %d (n=%d, k=%d): got %v, want %v", trial, n, k, got, want[:k])
		}
	}
}

// referenceNext is the sampler's rule written plainly: sort the whole vocabulary (more likely
// first, ties by id), drop the negligible ones, keep the top k, then the nucleus, then draw.
func referenceNext(s Sampling, rng *rand.Rand, logits []float32) int {
	order := make([]int, len(logits))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case logits[a] > logits[b]:
			return -1
		case logits[a] < logits[b]:
			return 1
		}
		return a - b
	})
	floor := logits[order[0]] - float32(negligible*s.Temperature)
	n := 0
	for n < len(order) && logits[order[n]] >= floor {
		n++
	}
	if s.TopK > 0 {
		n = min(n, s.TopK)
	}
	order = order[:n]
	w := make([]float64, n)
	var sum float64
	for i, id := range order {
		w[i] = math.Exp((float64(logits[id]) - float64(logits[order[0]])) / s.Temperature)
		sum += w[i]
	}
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
	r := rng.Float64() * sum
	for i, x := range w {
		r -= x
		if r < 0 {
			return order[i]
		}
	}
	return order[len(order)-1]
}

// The sampler (top-k by a heap, floor after it) draws exactly what the plain rule draws from
// the same seed, ties and negligible tails included.
func TestSamplerMatchesPlainRule(t *testing.T) {
	settings := []Sampling{
		{Temperature: 0.8, TopK: 64, TopP: 0.95},
		{Temperature: 1, TopK: 5},
		{Temperature: 0.7, TopP: 0.9},
		{Temperature: 0.05, TopK: 3, TopP: 0.5},
		{Temperature: 1.3},
	}
	for si, set := range settings {
		s := newSampler(set, uint64(si))
		rng := rand.New(rand.NewPCG(uint64(si), 0x9e3779b97f4a7c15))
		data := rand.New(rand.NewPCG(7, uint64(si)))
		for step := range 300 {
			logits := make([]float32, 1+data.IntN(2000))
			for i := range logits {
				if step%2 == 0 {
					logits[i] = float32(data.IntN(12)) // many ties
				} else {
					logits[i] = float32(data.NormFloat64() * 4)
				}
			}
			if got, want := s.next(logits), referenceNext(set, rng, logits); got != want {
				t.Fatalf("setting %+v, step %d: sampler drew %d, the plain rule %d", set, step, got, want)
			}
		}
	}
}
