package validate

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/numeric"
	"gonum.org/v1/gonum/mat"
)

func TestSweepLayers(t *testing.T) {
	cases := []struct {
		name      string
		l         config.Layers
		n         int
		extracted []int
		want      []int
		err       bool
	}{
		{"auto, tiny", config.Layers{Auto: true}, 2, []int{1, 2}, []int{1, 2}, false},
		{"auto, 30 layers", config.Layers{Auto: true}, 30, []int{20}, []int{3, 6, 9, 12, 15, 18, 20, 21, 24, 27, 30}, false},
		{"explicit, repeats", config.Layers{Indices: []int{10, 0, 10}}, 30, []int{20}, []int{0, 10}, false},
		{"out of range", config.Layers{Indices: []int{31}}, 30, nil, nil, true},
	}
	for _, c := range cases {
		got, err := SweepLayers(c.l, c.n, c.extracted)
		if (err != nil) != c.err || !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, %v; want %v (error: %v)", c.name, got, err, c.want, c.err)
		}
	}
}

func cosOf(t *testing.T, rows [][]float64) *mat.SymDense {
	t.Helper()
	c, err := numeric.CosineMatrix(dense(rows))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Layers whose vectors are scaled or rotated copies have similarity 1; the recommended layer is the most
// accurate on held-out topics, ties going to the accuracy by story, then to the layer nearest int(2/3 n_layers); NaN becomes JSON null.
func TestNewLayerSweep(t *testing.T) {
	base := [][]float64{{1, 0, 0}, {0, 1, 0}, {1, 1, 0}, {0, 0.5, 2}}
	scaled := [][]float64{{3, 0, 0}, {0, 3, 0}, {3, 3, 0}, {0, 1.5, 6}}
	rotated := [][]float64{{0, 1, 0}, {-1, 0, 0}, {-1, 1, 0}, {-0.5, 0, 2}}
	other := [][]float64{{1, 0, 0}, {1, 0.1, 0}, {0, 0, 1}, {0, 1, 0}}
	cos := []*mat.SymDense{cosOf(t, base), cosOf(t, scaled), cosOf(t, rotated), cosOf(t, other)}
	// held gives a layer's two cross-validations: by topic (top-1 c1, top-3 c3) and by story (top-1 s1).
	type pair struct{ topic, story *CrossVal }
	held := func(c1, s1, c3 float64) pair {
		return pair{&CrossVal{Cosine: &Accuracy{Chance1: 0.25, Top1: c1, Top3: c3}}, &CrossVal{Cosine: &Accuracy{Top1: s1}}}
	}
	cases := []struct {
		name string
		held []pair
		want int
	}{
		{"best cosine", []pair{held(0.5, 0.9, 1), held(0.75, 0.5, 1), held(0.5, 0.5, 1), held(0.25, 1, 1)}, 10},
		{"tie: by story", []pair{held(0.5, 0.5, 1), held(0.5, 0.75, 1), held(0.5, 0.5, 1), held(0.25, 1, 1)}, 10},
		{"full tie: nearest the auto layer", []pair{held(0.5, 0.5, 1), held(0.5, 0.5, 1), held(0.5, 0.5, 1), held(0.5, 0.5, 1)}, 20},
	}
	for _, c := range cases {
		var byTopic, byStory []*CrossVal
		for _, h := range c.held {
			byTopic, byStory = append(byTopic, h.topic), append(byStory, h.story)
		}
		s, err := NewLayerSweep([]int{5, 10, 20, 25}, cos, byTopic, byStory, nil, 20, 20)
		if err != nil {
			t.Fatal(err)
		}
		if s.Recommended != c.want {
			t.Errorf("%s: recommended %d, want %d", c.name, s.Recommended, c.want)
		}
		for _, b := range []int{1, 2} {
			if math.Abs(float64(s.Similarity[0][b])-1) > 1e-12 {
				t.Errorf("similarity of layer 5 with its scaled/rotated copy = %v, want 1", s.Similarity[0][b])
			}
		}
		if float64(s.Similarity[0][3]) > 0.9 || slices.Contains(s.Stable, 25) {
			t.Errorf("a different geometry: similarity %v, stable %v", s.Similarity[0][3], s.Stable)
		}
		if !math.IsNaN(float64(s.ValenceR[0])) {
			t.Errorf("no ratings: valence r %v, want NaN", s.ValenceR[0])
		}
		if b, err := json.Marshal(s); err != nil || !json.Valid(b) {
			t.Errorf("JSON: %v", err)
		}
	}
}
