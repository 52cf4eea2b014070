package geometry

import (
	"fmt"
	"path/filepath"

	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
)

// File names of one layer's results, in <out>/analysis/layer_{L}/.
const (
	CosineFile  = "cosine.json"
	PCAFile     = "pca.json"
	KMeansFile  = "kmeans.json"
	UMAPFile    = "umap.json"
	SummaryFile = "summary.md"
)

// Result is one layer's analysis: what Analyze computes and Run writes, and what Load reads back.
type Result struct {
	Layer  int     `json:"layer"`
	Cosine *Cosine `json:"cosine"`
	PCA    *PCA    `json:"pca"`
	KMeans *KMeans `json:"kmeans"`
	UMAP   *UMAP   `json:"umap"`
}

// Cosine is the content of cosine.json: the pairwise cosine similarities of the emotion vectors.
type Cosine struct {
	Layer    int         `json:"layer"`
	Emotions []string    `json:"emotions"` // [n] in the vectors file's order
	Matrix   [][]float64 `json:"matrix"`   // [n][n] in Emotions order: symmetric, unit diagonal, in [-1, 1]
	// Order [n] lists indices into Emotions in display order (for heatmaps), as OrderMethod says:
	// clusters by decreasing mean PC1 score, and within a cluster emotions by decreasing PC1 score.
	Order       []int  `json:"order"`
	OrderMethod string `json:"order_method"`
	// MostSimilar and LeastSimilar are the off-diagonal pairs with the highest and lowest cosine (up to 10).
	MostSimilar  []Pair `json:"most_similar"`
	LeastSimilar []Pair `json:"least_similar"`
}

// Pair is two emotions and the cosine similarity of their vectors.
type Pair struct {
	A      string  `json:"a"`
	B      string  `json:"b"`
	Cosine float64 `json:"cosine"`
}

// PCA is the content of pca.json: a principal component analysis of the emotion vectors (rows = emotions).
type PCA struct {
	Layer    int      `json:"layer"`
	Emotions []string `json:"emotions"` // [n]
	// ExplainedVarianceRatio [min(n, D)]: every component's share of the total variance, in decreasing order.
	ExplainedVarianceRatio []float64 `json:"explained_variance_ratio"`
	// Scores [n][m], m = min(5, components): each emotion's coordinates on PC1..PCm (after orientation).
	Scores [][]float64 `json:"scores"`
	// Labels [m]: axis names. "PC1 (valence: pleasant +)" and "PC2 (arousal: high +)" only when the orientation
	// of that component succeeded; otherwise plain "PC1", "PC2": an unoriented sign means nothing.
	Labels []string `json:"labels"`
	// Valence and Arousal record how the signs of PC1 and PC2 were decided.
	Valence Orientation `json:"valence"`
	Arousal Orientation `json:"arousal"`
}

// Orientation records how the sign of one principal component was decided from the data (see
// numeric.OrientComponent): its positive end must hold the emotions of the positive list.
type Orientation struct {
	Component int    `json:"component"` // 0 = PC1
	Axis      string `json:"axis"`      // "valence" or "arousal"
	// Oriented: both lists had emotions present, so the sign was decided (and the axis may carry the name).
	Oriented bool `json:"oriented"`
	Flipped  bool `json:"flipped"` // the PCA's conventional sign was negated
	// Positive and Negative: the emotions of each list present in this run, which decided the sign.
	Positive     []string `json:"positive"`
	Negative     []string `json:"negative"`
	PositiveMean float64  `json:"positive_mean"` // mean score of Positive, after orientation
	NegativeMean float64  `json:"negative_mean"`
	// AUC is the share of (positive, negative) pairs whose positive member scores higher: 1 = the component
	// separates the two lists perfectly, 0.5 = no better than chance. It says how much the name is worth.
	AUC  float64 `json:"auc"`
	Note string  `json:"note,omitempty"` // why the component is not oriented, or a warning
}

// KMeans is the content of kmeans.json: a k-means clustering of the emotion vectors.
type KMeans struct {
	Layer      int        `json:"layer"`
	Emotions   []string   `json:"emotions"`
	K          int        `json:"k"`           // clusters made: analysis.kmeans_k, capped at the number of emotions
	RequestedK int        `json:"requested_k"` // analysis.kmeans_k
	Metric     string     `json:"metric"`      // "cosine" (spherical k-means) or "euclidean"
	Restarts   int        `json:"restarts"`
	Seed       int64      `json:"seed"`
	Labels     []int      `json:"labels"` // [n] cluster of each emotion, 0..K-1, numbered by first appearance
	Inertia    float64    `json:"inertia"`
	Sizes      []int      `json:"sizes"`   // [K]
	Members    [][]string `json:"members"` // [K] emotions of each cluster, by decreasing PC1 score
	Note       string     `json:"note,omitempty"`
}

// UMAP is the content of umap.json: a 2-D UMAP map of the emotion vectors.
type UMAP struct {
	Layer    int      `json:"layer"`
	Emotions []string `json:"emotions"`
	// Skipped: too few emotions for a meaningful map (fewer than 4); Note says why and Coords is empty.
	Skipped    bool         `json:"skipped"`
	Note       string       `json:"note,omitempty"`
	Coords     [][2]float64 `json:"coords"`      // [n] (x, y)
	NNeighbors int          `json:"n_neighbors"` // as used, after capping at n-1
	MinDist    float64      `json:"min_dist"`
	Metric     string       `json:"metric"`
	Seed       int64        `json:"seed"`
	Init       string       `json:"init"`
	NEpochs    int          `json:"n_epochs"`
	// Trustworthiness of the map at TrustK = min(5, n/2-1) neighbours, under Metric (1 = every neighbour in the
	// map is a true neighbour).
	Trustworthiness float64  `json:"trustworthiness"`
	TrustK          int      `json:"trust_k"`
	Warnings        []string `json:"warnings,omitempty"`
}

// Dir is the folder of one layer's analysis under the run folder outDir: <outDir>/analysis/layer_{L}.
func Dir(outDir string, layer int) string {
	return filepath.Join(outDir, Stage, checkpoint.LayerName(layer))
}

// Load reads one layer's results back from <outDir>/analysis/layer_{L}/.
func Load(outDir string, layer int) (*Result, error) {
	dir := Dir(outDir, layer)
	r := &Result{Layer: layer, Cosine: &Cosine{}, PCA: &PCA{}, KMeans: &KMeans{}, UMAP: &UMAP{}}
	for _, f := range []struct {
		name string
		v    any
	}{{CosineFile, r.Cosine}, {PCAFile, r.PCA}, {KMeansFile, r.KMeans}, {UMAPFile, r.UMAP}} {
		if err := checkpoint.ReadJSON(filepath.Join(dir, f.name), f.v); err != nil {
			return nil, fmt.Errorf("geometry: layer %d: %w (run the analysis stage for this layer first)", layer, err)
		}
	}
	return r, nil
}

// AnalyzedLayers lists the layers with results under <outDir>/analysis, in increasing order.
func AnalyzedLayers(outDir string) ([]int, error) {
	return checkpoint.LayersWith(filepath.Join(outDir, Stage), SummaryFile)
}
