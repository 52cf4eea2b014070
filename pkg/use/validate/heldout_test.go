package validate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// synthetic makes stories of e emotions x t topics x per stories in d dimensions: each emotion a direction
// of length sep plus a shared offset, each story that plus unit noise. shuffle replaces the labels with
// random ones, so that nothing in a story tells its label.
func synthetic(seed uint64, e, t, per, d int, sep float64, shuffle bool) *Stories {
	rng := rand.New(rand.NewPCG(seed, 3))
	centers := mat.NewDense(e, d, nil)
	for i := 0; i < e; i++ {
		for j := 0; j < d; j++ {
			centers.Set(i, j, sep*rng.NormFloat64()/math.Sqrt(float64(d))+5)
		}
	}
	s := &Stories{Layer: 7}
	for i := 0; i < e; i++ {
		s.Emotions = append(s.Emotions, string(rune('a'+i)))
	}
	var data []float64
	for i := 0; i < e; i++ {
		for tp := 0; tp < t; tp++ {
			for k := 0; k < per; k++ {
				for j := 0; j < d; j++ {
					data = append(data, centers.At(i, j)+rng.NormFloat64())
				}
				label := i
				if shuffle {
					label = rng.IntN(e)
				}
				s.Label = append(s.Label, label)
				s.Topic = append(s.Topic, string(rune('A'+tp)))
			}
		}
	}
	s.X = mat.NewDense(len(s.Label), d, data)
	return s
}

func TestEvaluateKnownAnswers(t *testing.T) {
	// Well separated clusters: both classifiers name every held-out story.
	s := synthetic(1, 5, 5, 4, 20, 30, false)
	split, err := SplitTopics(s.Topic, 0.2, 42)
	if err != nil {
		t.Fatal(err)
	}
	h, err := Evaluate(s, HeldOutOptions{Split: split})
	if err != nil {
		t.Fatal(err)
	}
	if h.Cosine.Top1 != 1 || h.Probe.Top1 != 1 || h.Cosine.Top3 != 1 {
		t.Errorf("separable clusters: cosine top-1 %v, probe top-1 %v, cosine top-3 %v; want 1", h.Cosine.Top1, h.Probe.Top1, h.Cosine.Top3)
	}
	if h.NTest != 20 || h.NTrain != 80 || h.Chance1 != 0.2 || h.Chance3 != 0.6 {
		t.Errorf("n_test %d, n_train %d, chance %v/%v; want 20, 80, 0.2/0.6", h.NTest, h.NTrain, h.Chance1, h.Chance3)
	}
	for i, row := range h.Cosine.Confusion {
		if row[i] != 4 {
			t.Errorf("confusion row %d = %v: want 4 on the diagonal", i, row)
		}
	}

	// Labels independent of the stories: accuracy averages to chance over many data sets.
	var cos, probe, cos3 float64
	const runs = 30
	for r := 0; r < runs; r++ {
		s := synthetic(uint64(100+r), 5, 5, 4, 20, 30, true)
		h, err := Evaluate(s, HeldOutOptions{Split: split})
		if err != nil {
			t.Fatal(err)
		}
		cos += h.Cosine.Top1 / runs
		probe += h.Probe.Top1 / runs
		cos3 += h.Cosine.Top3 / runs
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"cosine top-1", cos, 0.2}, {"probe top-1", probe, 0.2}, {"cosine top-3", cos3, 0.6}} {
		// 30 runs of 20 stories: the standard error of the mean is about 0.02 (top-1).
		if math.Abs(c.got-c.want) > 0.07 {
			t.Errorf("shuffled labels: mean %s %.3f, want chance %.2f", c.name, c.got, c.want)
		}
	}
}

// An emotion whose stories all lie in held-out topics has no vector: it is left out, with a note.
func TestEvaluateDropsEmotionWithoutTraining(t *testing.T) {
	s := synthetic(2, 3, 3, 2, 8, 20, false)
	for i, l := range s.Label {
		if l == 2 {
			s.Topic[i] = "Z"
		}
	}
	h, err := Evaluate(s, HeldOutOptions{Split: Split{Train: []string{"A", "B"}, Test: []string{"C", "Z"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h.Emotions, []string{"a", "b"}) || len(h.Notes) != 1 || h.NTest != 4 {
		t.Errorf("emotions %v, notes %q, n_test %d; want [a b], one note, 4", h.Emotions, h.Notes, h.NTest)
	}
}

func TestSplitTopics(t *testing.T) {
	topics := []string{"t3", "t1", "t2", "t4", "t5", "t1", "t6", "t7", "t8", "t9", "t10"}
	cases := []struct {
		frac      float64
		wantTest  int
		wantTrain int
	}{{0.2, 2, 8}, {0.01, 1, 9}, {0.99, 9, 1}, {0.5, 5, 5}}
	for _, c := range cases {
		s, err := SplitTopics(topics, c.frac, 42)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Test) != c.wantTest || len(s.Train) != c.wantTrain {
			t.Errorf("fraction %v: %d test, %d train; want %d, %d", c.frac, len(s.Test), len(s.Train), c.wantTest, c.wantTrain)
		}
		all := append(slices.Clone(s.Test), s.Train...)
		slices.Sort(all)
		if len(slices.Compact(all)) != 10 {
			t.Errorf("fraction %v: the split %v does not partition the 10 topics", c.frac, s)
		}
		// Deterministic, and independent of the order the topics come in.
		rev := slices.Clone(topics)
		slices.Reverse(rev)
		s2, _ := SplitTopics(rev, c.frac, 42)
		if !slices.Equal(s.Test, s2.Test) {
			t.Errorf("fraction %v: test topics %v, then %v from the same topics reordered", c.frac, s.Test, s2.Test)
		}
	}
	if _, err := SplitTopics([]string{"a", "a"}, 0.2, 1); err == nil {
		t.Error("one topic: no error")
	}
	if _, err := SplitTopics([]string{"a", "b"}, 1, 1); err == nil {
		t.Error("fraction 1: no error")
	}
}
