package validate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Values worked by hand: P(X >= 3) for X ~ Binomial(10, 1/2) = 1 - (1 + 10 + 45)/1024; P(X >= 10) = 1/1024.
func TestBinomialTail(t *testing.T) {
	for _, c := range []struct {
		n, k int
		p    float64
		want float64
	}{{10, 3, 0.5, 968.0 / 1024}, {10, 10, 0.5, 1.0 / 1024}, {10, 0, 0.3, 1}, {10, 11, 0.3, 0}, {4, 1, 0.25, 1 - 81.0/256}} {
		if got := BinomialTail(c.n, c.k, c.p); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("BinomialTail(%d, %d, %g) = %g, want %g", c.n, c.k, c.p, got, c.want)
		}
	}
	if got := BinomialTail(2000, 700, 1.0/171); got != 0 {
		t.Errorf("a tail far below 1e-300: %g, want 0", got)
	}
}

// Story folds spread every emotion evenly; topic folds never split a topic.
func TestFolds(t *testing.T) {
	labels := make([]int, 60)
	topics := make([]string, 60)
	for i := range labels {
		labels[i] = i % 6
		topics[i] = fmt.Sprint("t", i%12)
	}
	f := StoryFolds(labels, 5, 1)
	per := map[[2]int]int{}
	for i, g := range f {
		per[[2]int{labels[i], g}]++
	}
	for e := 0; e < 6; e++ {
		for g := 0; g < 5; g++ {
			if n := per[[2]int{e, g}]; n != 2 {
				t.Errorf("emotion %d has %d stories in fold %d, want 2", e, n, g)
			}
		}
	}
	tf := TopicFolds(topics, 5, 1)
	of := map[string]int{}
	for i, g := range tf {
		if h, ok := of[topics[i]]; ok && h != g {
			t.Fatalf("topic %s is in folds %d and %d", topics[i], h, g)
		}
		of[topics[i]] = g
	}
}

// Well separated emotions are all found, by the vectors, the probe and (given telling words) the words;
// with the emotions shuffled, the permutation null sits near chance.
func TestCrossValidate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const e, per, d = 4, 20, 8
	s := &Stories{Layer: 1, Emotions: []string{"a", "b", "c", "d"}, X: mat.NewDense(e*per, d, nil)}
	var texts []string
	for i := 0; i < e*per; i++ {
		c := i % e
		s.Label = append(s.Label, c)
		s.Topic = append(s.Topic, fmt.Sprint("topic", i%10))
		for j := 0; j < d; j++ {
			v := 0.3 * rng.NormFloat64()
			if j == c {
				v += 3
			}
			s.X.Set(i, j, v)
		}
		texts = append(texts, fmt.Sprintf("the story of word%c and more", 'a'+c))
	}
	for _, split := range []string{ByStory, ByTopic} {
		cv, err := CrossValidate(s, split, CVOptions{Folds: 5, Seed: 1, Bootstrap: 200, Probe: true, Words: texts, Permutations: 30})
		if err != nil {
			t.Fatal(err)
		}
		for name, a := range map[string]*Accuracy{"cosine": cv.Cosine, "probe": cv.Probe, "words": cv.Words} {
			if a.Top1 != 1 || a.N != e*per || a.Chance1 != 0.25 || a.P1 > 1e-40 || a.CI1.Lo != 1 {
				t.Errorf("%s, by %s: %+v", name, split, a)
			}
		}
		if n := cv.Cosine.Null; n.Mean > 0.4 || n.P > 0.05 {
			t.Errorf("by %s: null %+v: want its mean near 0.25 and p <= 1/31", split, n)
		}
	}
}
