package validate

import (
	"math/rand/v2"
	"slices"
)

// Folds for cross-validation. Each story goes to one of k folds; fold f's stories are classified by
// classifiers made from the other folds' stories, so that every story is tested once, by a classifier that
// never saw it. Two ways of dealing the stories tell different things apart:
//
//   - StoryFolds (stratified k-fold, the protocol published replications report): each emotion's stories
//     are spread evenly over the folds. A test story's topic may appear in training, with other emotions.
//   - TopicFolds (grouped k-fold): whole topics are dealt to folds, so no test story shares its topic with
//     a training story. A classifier that learned the plots, not the emotions, fails here.

// StoryFolds deals each emotion's stories (labels[i] is story i's emotion) to k folds: shuffled with a PCG
// seeded by seed, then dealt in turn, each emotion starting where the last one stopped, so folds differ in
// size by at most one story overall and per emotion.
func StoryFolds(labels []int, k int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0xf01d))
	byLabel := map[int][]int{}
	var classes []int
	for i, l := range labels {
		if _, ok := byLabel[l]; !ok {
			classes = append(classes, l)
		}
		byLabel[l] = append(byLabel[l], i)
	}
	slices.Sort(classes)
	fold := make([]int, len(labels))
	next := 0
	for _, c := range classes {
		idx := byLabel[c]
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for _, i := range idx {
			fold[i] = next % k
			next++
		}
	}
	return fold
}

// TopicFolds deals whole topics to k folds: the distinct topic ids, sorted then shuffled with a PCG seeded by
// seed, go to folds in turn; a story's fold is its topic's.
func TopicFolds(topics []string, k int, seed uint64) []int {
	ids := slices.Clone(topics)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	rng := rand.New(rand.NewPCG(seed, 0x70b1c))
	rng.Shuffle(len(ids), func(a, b int) { ids[a], ids[b] = ids[b], ids[a] })
	of := make(map[string]int, len(ids))
	for i, id := range ids {
		of[id] = i % k
	}
	fold := make([]int, len(topics))
	for i, t := range topics {
		fold[i] = of[t]
	}
	return fold
}
