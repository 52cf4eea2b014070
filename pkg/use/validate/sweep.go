package validate

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/numeric"
	"gonum.org/v1/gonum/mat"
)

// SweepLayers resolves validation.layers for a model of nLayers blocks: "auto" is about ten layers spread
// evenly over the blocks (round(i * nLayers / 10), i = 1..10, at least 1: the embeddings are no residual
// stream of the model's making) plus the extracted layers (extraction.layers, int(2/3 n_layers) by default);
// explicit indices are checked against [0, nLayers]. The result is sorted, without repeats.
func SweepLayers(l config.Layers, nLayers int, extracted []int) ([]int, error) {
	if nLayers < 1 {
		return nil, fmt.Errorf("validate: the model has %d layers: want >= 1", nLayers)
	}
	var out []int
	if l.Auto || len(l.Indices) == 0 {
		for i := 1; i <= 10; i++ {
			out = append(out, max(1, int(math.Round(float64(i*nLayers)/10))))
		}
		out = append(out, extracted...)
	} else {
		for _, x := range l.Indices {
			if x < 0 || x > nLayers {
				return nil, fmt.Errorf("validate: validation.layers: layer %d is outside [0, %d] for this %d-layer model", x, nLayers, nLayers)
			}
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// LayerSweep compares the layers of a sweep.
type LayerSweep struct {
	Layers []int `json:"layers"`
	// Similarity[a][b] is the Pearson correlation between the upper triangles (off the diagonal) of the
	// cosine-similarity matrices of the emotion vectors at Layers[a] and Layers[b]: 1 when the two layers
	// arrange the emotions alike (up to scale). The paper finds the geometry stable from early-middle to
	// late layers.
	Similarity [][]Float `json:"similarity"`
	// Per layer, in the order of Layers: the cross-validated accuracy of the cosine classifier (the emotion
	// vectors) on held-out topics, top-1 and top-3 (folds ByTopic), its top-1 with folds ByStory, and PC1's
	// Pearson r with human valence (NaN, written null, without ratings).
	CosineTop1 []float64 `json:"cosine_top1"`
	CosineTop3 []float64 `json:"cosine_top3"`
	StoryTop1  []float64 `json:"cosine_top1_by_story"`
	ValenceR   []Float   `json:"valence_r"`
	Chance1    float64   `json:"chance_top1"`
	// DefaultLayer is the run's layer (int(2/3 n_layers) when extracted); Recommended the one Recommend picks.
	DefaultLayer int    `json:"default_layer"`
	Recommended  int    `json:"recommended"`
	Rule         string `json:"rule"`
	// Stable lists the layers whose cosine matrix correlates at least 0.9 with the recommended layer's.
	Stable []int `json:"stable"`
}

// RecommendRule says how Recommend picks a layer.
const RecommendRule = "the layer whose emotion vectors classify the stories of held-out topics best (cosine top-1 " +
	"accuracy over topic folds; ties broken by the top-1 over story folds, then the top-3, then nearness to " +
	"int(2/3 n_layers)): the vectors, not the probe, are what scoring and steering use"

// Recommend returns the index into s.Layers of the layer RecommendRule picks; autoLayer is int(2/3 n_layers).
func (s *LayerSweep) Recommend(autoLayer int) int {
	best := 0
	better := func(a, b int) bool { // is layer a better than layer b?
		for _, m := range [][]float64{s.CosineTop1, s.StoryTop1, s.CosineTop3} {
			if d := m[a] - m[b]; math.Abs(d) > 1e-12 {
				return d > 0
			}
		}
		return abs(s.Layers[a]-autoLayer) < abs(s.Layers[b]-autoLayer)
	}
	for i := range s.Layers {
		if better(i, best) {
			best = i
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// CosineSimilarityBetween returns the Pearson correlation of the off-diagonal upper triangles of two
// cosine-similarity matrices of the same emotions (numeric.CosineMatrix of each layer's vectors).
func CosineSimilarityBetween(a, b *mat.SymDense) (float64, error) {
	n := a.SymmetricDim()
	if b.SymmetricDim() != n {
		return 0, fmt.Errorf("validate: cosine matrices of %d and %d emotions", n, b.SymmetricDim())
	}
	var x, y []float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			x = append(x, a.At(i, j))
			y = append(y, b.At(i, j))
		}
	}
	r, err := numeric.Pearson(x, y)
	if err != nil {
		return 0, fmt.Errorf("validate: comparing cosine matrices of %d emotions: %w", n, err)
	}
	return r, nil
}

// NewLayerSweep assembles a sweep from each layer's vectors' cosine matrix (same emotions, same order), its
// cross-validations by topic and by story, and its ratings comparison (nil when there are no ratings).
func NewLayerSweep(layers []int, cos []*mat.SymDense, byTopic, byStory []*CrossVal, rat []*RatingsResult, defaultLayer, autoLayer int) (*LayerSweep, error) {
	if len(layers) == 0 || len(cos) != len(layers) || len(byTopic) != len(layers) || len(byStory) != len(layers) {
		return nil, fmt.Errorf("validate: layer sweep: %d layers, %d cosine matrices, %d and %d cross-validations",
			len(layers), len(cos), len(byTopic), len(byStory))
	}
	s := &LayerSweep{Layers: layers, DefaultLayer: defaultLayer, Rule: RecommendRule, Chance1: byTopic[0].Cosine.Chance1}
	s.Similarity = make([][]Float, len(layers))
	for a := range layers {
		s.Similarity[a] = make([]Float, len(layers))
		for b := range layers {
			if a == b {
				s.Similarity[a][b] = 1
				continue
			}
			if b < a {
				s.Similarity[a][b] = s.Similarity[b][a]
				continue
			}
			r, err := CosineSimilarityBetween(cos[a], cos[b])
			if err != nil {
				r = math.NaN() // e.g. 2 emotions: a single pair, no correlation
			}
			s.Similarity[a][b] = Float(r)
		}
		s.CosineTop1 = append(s.CosineTop1, byTopic[a].Cosine.Top1)
		s.CosineTop3 = append(s.CosineTop3, byTopic[a].Cosine.Top3)
		s.StoryTop1 = append(s.StoryTop1, byStory[a].Cosine.Top1)
		v := math.NaN()
		if a < len(rat) && rat[a] != nil {
			v = rat[a].Valence.Pearson.Estimate
		}
		s.ValenceR = append(s.ValenceR, Float(v))
	}
	best := s.Recommend(autoLayer)
	s.Recommended = layers[best]
	for i, l := range layers {
		if s.Similarity[best][i] >= 0.9 {
			s.Stable = append(s.Stable, l)
		}
	}
	return s, nil
}

// Float is a float64 that JSON writes as null when it is NaN or infinite (encoding/json refuses those) and
// reads back from null as NaN.
type Float float64

// MarshalJSON writes null for NaN and ±Inf.
func (f Float) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

// UnmarshalJSON reads null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Float(math.NaN())
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Float(v)
	return nil
}
