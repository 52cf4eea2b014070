package validate

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/emotion-probes/emotion-probes/pkg/support/numeric"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Accuracy is how often a cross-validated classifier names a story's emotion, with what it takes to judge
// the number: the chance level, a one-sided binomial p-value (how likely that many hits are from a guess),
// a bootstrap interval over the stories, and, where computed, a label-permutation null.
type Accuracy struct {
	Method  string           `json:"method"`
	N       int              `json:"n"` // stories classified
	Top1    float64          `json:"top1"`
	Top3    float64          `json:"top3"`
	Chance1 float64          `json:"chance_top1"` // 1/E
	Chance3 float64          `json:"chance_top3"` // min(3, E)/E
	P1      float64          `json:"p_top1"`      // P(X >= hits) for X ~ Binomial(N, Chance1)
	P3      float64          `json:"p_top3"`
	CI1     numeric.Interval `json:"ci_top1"` // 95% percentile bootstrap over the stories
	CI3     numeric.Interval `json:"ci_top3"`
	Null    *Null            `json:"null,omitempty"`
}

// Null is the label-permutation null of a top-1 accuracy: the same cross-validation run again with the
// stories' emotions shuffled. Its mean should sit at chance; the observed accuracy should sit far above its
// upper end.
type Null struct {
	Permutations int     `json:"permutations"`
	Mean         float64 `json:"mean_top1"`
	Hi           float64 `json:"p95_top1"` // 95th percentile
	P            float64 `json:"p"`        // (1 + #{null >= observed}) / (permutations + 1)
}

// CrossVal is the k-fold cross-validation of one layer with one way of dealing folds.
type CrossVal struct {
	Layer    int      `json:"layer"`
	Split    string   `json:"split"` // ByStory or ByTopic
	Folds    int      `json:"folds"`
	Emotions []string `json:"emotions"`
	// Cosine: cosine similarity to emotion vectors made from the training folds, as Evaluate makes them
	// (difference of means, neutral components projected out). Probe: the logistic probe on the activations
	// (FitLogisticQuick). Words: the same probe on the stories' words (TF-IDF), no model involved: how far
	// surface words alone go. Probe and Words are computed at the run's layer only.
	Cosine *Accuracy `json:"cosine"`
	Probe  *Accuracy `json:"probe,omitempty"`
	Words  *Accuracy `json:"words,omitempty"`
}

// The two ways of dealing folds (see StoryFolds and TopicFolds).
const (
	ByStory = "stories"
	ByTopic = "topics"
)

// foldClassifier fits a classifier on the rows train and scores the rows test: [len(test), K], one column
// per emotion; an emotion with no training row scores -Inf.
type foldClassifier func(train, test []int) (*mat.Dense, error)

// fitSlots bounds the folds fitted at once, over every crossRanks running, to the CPUs (GOMAXPROCS). A
// fold's fit holds a slot, so it must not call crossRanks itself: it would wait for the slots its callers hold.
var fitSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// crossRanks runs a classifier over the folds and returns, per story, the rank of its true emotion (0: it
// scored highest; ties count against it, see rank). The folds run in parallel, in the fit slots; each
// writes only its own stories' ranks, so the result does not depend on the order.
func crossRanks(labels, fold []int, k int, fit foldClassifier) ([]int, error) {
	ranks := make([]int, len(labels))
	errs := make([]error, k)
	var wg sync.WaitGroup
	for f := 0; f < k; f++ {
		var train, test []int
		for i, g := range fold {
			if g == f {
				test = append(test, i)
			} else {
				train = append(train, i)
			}
		}
		if len(test) == 0 {
			continue
		}
		if len(train) == 0 {
			return nil, fmt.Errorf("validate: fold %d holds every story: nothing to train on", f)
		}
		wg.Add(1)
		fitSlots <- struct{}{}
		go func() {
			defer func() { <-fitSlots; wg.Done() }()
			scores, err := fit(train, test)
			if err != nil {
				errs[f] = fmt.Errorf("validate: fold %d of %d: %w", f+1, k, err)
				return
			}
			for j, i := range test {
				ranks[i] = rank(scores.RawRowView(j), labels[i])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ranks, nil
}

// present maps the emotions that have training rows to 0..p-1 (remap[e] = -1 for the others).
func present(labels, train []int, nClasses int) (remap []int, p int) {
	remap = make([]int, nClasses)
	for i := range remap {
		remap[i] = -1
	}
	for _, i := range train {
		remap[labels[i]] = 0
	}
	for e := range remap {
		if remap[e] == 0 {
			remap[e] = p
			p++
		}
	}
	return remap, p
}

// onlyClass is the scores of a fold whose training stories are all of one emotion (a tiny run): that
// emotion scores 0 for every one of the m (>= 1) test stories, the others -Inf.
func onlyClass(m int, remap []int) *mat.Dense { return spread(mat.NewDense(m, 1, nil), remap) }

// spread fills scores [m, nClasses] from the present classes' scores [m, p]; absent classes get -Inf.
func spread(sub *mat.Dense, remap []int) *mat.Dense {
	m, _ := sub.Dims()
	out := mat.NewDense(m, len(remap), nil)
	for i := 0; i < m; i++ {
		row := out.RawRowView(i)
		for e, c := range remap {
			if c < 0 {
				row[e] = math.Inf(-1)
			} else {
				row[e] = sub.At(i, c)
			}
		}
	}
	return out
}

// cosineClassifier scores stories by cosine similarity to emotion vectors made from the training rows: the
// class means, minus their mean mu, with the neutral components C (rows, or nil) projected out; a test row
// is centred by the same mu.
func cosineClassifier(x *mat.Dense, labels []int, nClasses int, C *mat.Dense) foldClassifier {
	_, d := x.Dims()
	return func(train, test []int) (*mat.Dense, error) {
		remap, p := present(labels, train, nClasses)
		if p < 2 {
			return onlyClass(len(test), remap), nil
		}
		means := mat.NewDense(p, d, nil)
		cnt := make([]float64, p)
		for _, i := range train {
			c := remap[labels[i]]
			floats.Add(means.RawRowView(c), x.RawRowView(i))
			cnt[c]++
		}
		for c := 0; c < p; c++ {
			floats.Scale(1/cnt[c], means.RawRowView(c))
		}
		v := numeric.ProjectOut(numeric.EmotionVectors(means), C)
		mu := make([]float64, d)
		for c := 0; c < p; c++ {
			floats.Add(mu, means.RawRowView(c))
		}
		floats.Scale(1/float64(p), mu)
		xt := mat.NewDense(len(test), d, nil)
		for j, i := range test {
			row := xt.RawRowView(j)
			floats.SubTo(row, x.RawRowView(i), mu)
			unit(row)
		}
		for c := 0; c < p; c++ {
			unit(v.RawRowView(c))
		}
		s := mat.NewDense(len(test), p, nil)
		matMul(s.RawMatrix().Data, xt.RawMatrix().Data, transposed(v), len(test), d, p)
		return spread(s, remap), nil
	}
}

// unit scales v to length 1 (a zero vector stays zero).
func unit(v []float64) {
	if n := floats.Norm(v, 2); n > 0 {
		floats.Scale(1/n, v)
	}
}

// probeClassifier scores stories with the logistic probe (FitLogisticQuick) fitted on the training rows.
func probeClassifier(x *mat.Dense, labels []int, nClasses int) foldClassifier {
	return func(train, test []int) (*mat.Dense, error) {
		remap, p := present(labels, train, nClasses)
		if p < 2 {
			return onlyClass(len(test), remap), nil
		}
		y := make([]int, len(train))
		for j, i := range train {
			y[j] = remap[labels[i]]
		}
		pr, err := FitLogisticQuick(rows(x, train), y, p, 0)
		if err != nil {
			return nil, err
		}
		return spread(pr.Probabilities(rows(x, test)), remap), nil
	}
}

// newAccuracy turns the ranks of the true emotions into an Accuracy.
func newAccuracy(method string, ranks []int, nClasses, nBoot int, seed uint64) (*Accuracy, error) {
	a := &Accuracy{Method: method, N: len(ranks)}
	top := min(3, nClasses)
	a.Chance1, a.Chance3 = 1/float64(nClasses), float64(top)/float64(nClasses)
	hit1, hit3 := make([]float64, len(ranks)), make([]float64, len(ranks))
	h1, h3 := 0, 0
	for i, r := range ranks {
		if r == 0 {
			hit1[i], h1 = 1, h1+1
		}
		if r < top {
			hit3[i], h3 = 1, h3+1
		}
	}
	a.Top1, a.Top3 = float64(h1)/float64(a.N), float64(h3)/float64(a.N)
	a.P1, a.P3 = BinomialTail(a.N, h1, a.Chance1), BinomialTail(a.N, h3, a.Chance3)
	mean := func(x, _ []float64) (float64, error) { return floats.Sum(x) / float64(len(x)), nil }
	var err error
	if a.CI1, err = numeric.BootstrapCI(hit1, hit1, mean, nBoot, 0.95, seed); err != nil {
		return nil, err
	}
	if a.CI3, err = numeric.BootstrapCI(hit3, hit3, mean, nBoot, 0.95, seed+1); err != nil {
		return nil, err
	}
	return a, nil
}

// BinomialTail is P(X >= k) for X ~ Binomial(n, p): the one-sided p-value of k hits in n guesses that are
// each right with probability p. Summed in log space, so that values far below 1e-300 come out as 0
// rather than as rounding noise.
func BinomialTail(n, k int, p float64) float64 {
	switch {
	case k <= 0:
		return 1
	case k > n:
		return 0
	case p <= 0:
		return 0
	case p >= 1:
		return 1
	}
	lgN, _ := math.Lgamma(float64(n + 1))
	terms := make([]float64, 0, n-k+1)
	for x := k; x <= n; x++ {
		a, _ := math.Lgamma(float64(x + 1))
		b, _ := math.Lgamma(float64(n - x + 1))
		terms = append(terms, lgN-a-b+float64(x)*math.Log(p)+float64(n-x)*math.Log1p(-p))
	}
	return math.Min(1, math.Exp(logSumExp(terms)))
}

// permutationNull reruns a cross-validation with the labels shuffled (a PCG seeded by seed) and compares the
// observed top-1 with the shuffled ones. classifier makes the fold classifier for a labelling.
func permutationNull(labels, fold []int, k, perms int, observed float64, seed uint64,
	classifier func(labels []int) foldClassifier) (*Null, error) {
	rng := rand.New(rand.NewPCG(seed, 0x9e11))
	tops := make([]float64, perms)
	above := 0
	shuffled := slices.Clone(labels)
	for r := range tops {
		rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		ranks, err := crossRanks(shuffled, fold, k, classifier(shuffled))
		if err != nil {
			return nil, err
		}
		hits := 0
		for _, x := range ranks {
			if x == 0 {
				hits++
			}
		}
		tops[r] = float64(hits) / float64(len(ranks))
		if tops[r] >= observed {
			above++
		}
	}
	sorted := slices.Clone(tops)
	slices.Sort(sorted)
	return &Null{Permutations: perms, Mean: floats.Sum(tops) / float64(perms), Hi: sorted[min(perms-1, int(math.Ceil(0.95*float64(perms)))-1)],
		P: float64(1+above) / float64(perms+1)}, nil
}

// CVOptions controls CrossValidate.
type CVOptions struct {
	Folds     int    // k; at least 2
	Seed      uint64 // deals the folds, shuffles the null, seeds the bootstrap
	Bootstrap int    // resamples of the intervals
	// Neutral [n, D] and Threshold: the neutral components projected out of the vectors (as Evaluate).
	Neutral   *mat.Dense
	Threshold float64
	// Probe adds the logistic probe on the activations.
	Probe bool
	// Words, when not nil, adds the bag-of-words baseline: Words[i] is story i's text.
	Words []string
	// Permutations, when > 0, adds the label-permutation null of the cosine classifier.
	Permutations int
}

// CrossValidate classifies every story of s by classifiers made from the other folds (split ByStory or
// ByTopic, opts.Folds folds, or one per topic when there are fewer topics), and reports each classifier's
// Accuracy.
func CrossValidate(s *Stories, split string, opts CVOptions) (*CrossVal, error) {
	if s == nil || s.X == nil {
		return nil, fmt.Errorf("validate: CrossValidate: no stories")
	}
	n, _ := s.X.Dims()
	if len(s.Label) != n || len(s.Topic) != n {
		return nil, fmt.Errorf("validate: CrossValidate: %d stories but %d labels and %d topics", n, len(s.Label), len(s.Topic))
	}
	if opts.Folds < 2 {
		return nil, fmt.Errorf("validate: %d folds: at least 2 are needed (validation.folds)", opts.Folds)
	}
	if opts.Words != nil && len(opts.Words) != n {
		return nil, fmt.Errorf("validate: CrossValidate: %d texts for %d stories", len(opts.Words), n)
	}
	var fold []int
	k := opts.Folds
	switch split {
	case ByStory:
		fold = StoryFolds(s.Label, k, opts.Seed)
	case ByTopic:
		// Fewer topics than folds (a tiny run): one topic per fold.
		if t := len(slices.Compact(slices.Sorted(slices.Values(s.Topic)))); t < k {
			if t < 2 {
				return nil, fmt.Errorf("validate: %d topic(s): holding topics out needs at least 2 (data.topics, data.n_topics)", t)
			}
			k = t
		}
		fold = TopicFolds(s.Topic, k, opts.Seed)
	default:
		return nil, fmt.Errorf("validate: split %q: want %q or %q", split, ByStory, ByTopic)
	}
	var C *mat.Dense
	if opts.Neutral != nil && opts.Threshold > 0 {
		if r, _ := opts.Neutral.Dims(); r >= 2 {
			var err error
			if C, _, err = numeric.NeutralPCs(opts.Neutral, opts.Threshold); err != nil {
				return nil, fmt.Errorf("validate: %w", err)
			}
		}
	}
	e := len(s.Emotions)
	cv := &CrossVal{Layer: s.Layer, Split: split, Folds: k, Emotions: s.Emotions}
	run := func(method string, fit foldClassifier, seed uint64) (*Accuracy, error) {
		ranks, err := crossRanks(s.Label, fold, k, fit)
		if err != nil {
			return nil, fmt.Errorf("validate: layer %d, %s folds, %s: %w", s.Layer, split, method, err)
		}
		return newAccuracy(method, ranks, e, opts.Bootstrap, seed)
	}
	// The classifiers run side by side and their folds share the fit slots (crossRanks), so no core idles
	// while the last fold of one of them runs.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Go(func() {
		cosine := func(labels []int) foldClassifier { return cosineClassifier(s.X, labels, e, C) }
		if cv.Cosine, errs[0] = run(methodCosineCV, cosine(s.Label), opts.Seed); errs[0] == nil && opts.Permutations > 0 {
			cv.Cosine.Null, errs[0] = permutationNull(s.Label, fold, k, opts.Permutations, cv.Cosine.Top1, opts.Seed, cosine)
		}
	})
	if opts.Probe {
		wg.Go(func() { cv.Probe, errs[1] = run(methodProbeCV, probeClassifier(s.X, s.Label, e), opts.Seed+2) })
	}
	if opts.Words != nil {
		wg.Go(func() {
			docs := make([][]string, n)
			for i, t := range opts.Words {
				docs[i] = tokens(t)
			}
			cv.Words, errs[2] = run(methodWordsCV, wordsClassifier(docs, s.Label, e), opts.Seed+4)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cv, nil
}

const (
	methodCosineCV = "cosine similarity to the emotion vectors of the training folds"
	methodProbeCV  = "logistic probe on the activations (standardised, L2, C = 1)"
	methodWordsCV  = "logistic probe on the words (TF-IDF, L2, C = 10): no model"
)
