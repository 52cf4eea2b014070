package lm

import (
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
		got := topK(slices.Clone(all), k, before)
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
