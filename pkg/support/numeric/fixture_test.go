package numeric

import (
	"encoding/json"
	"math"
	"os"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// fixture mirrors testdata/analysis_fixtures.json, written by tools/reference/make_analysis_fixtures.py
// (numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1, umap-learn 0.5.12).
type fixture struct {
	Source  string      `json:"source"`
	Names   []string    `json:"names"`
	Means   [][]float64 `json:"means"`
	Neutral [][]float64 `json:"neutral"`
	Denoise struct {
		Raw                   [][]float64 `json:"raw"`
		NeutralK              int         `json:"neutral_k"`
		NeutralComponents     [][]float64 `json:"neutral_components"`
		NeutralExplainedRatio []float64   `json:"neutral_explained_ratio"`
		Vectors               [][]float64 `json:"vectors"`
	} `json:"denoise"`
	Cosine [][]float64 `json:"cosine"`
	PCA    struct {
		NComponents            int         `json:"n_components"`
		Components             [][]float64 `json:"components"`
		ExplainedVarianceRatio []float64   `json:"explained_variance_ratio"`
		Scores                 [][]float64 `json:"scores"`
		WideRows               int         `json:"wide_rows"`
		WideComponents         [][]float64 `json:"wide_components"`
		WideExplainedRatio     []float64   `json:"wide_explained_variance_ratio"`
	} `json:"pca"`
	Clusters struct {
		X      [][]float64 `json:"x"`
		Truth  []int       `json:"truth"`
		KMeans []struct {
			K       int     `json:"k"`
			Inertia float64 `json:"sklearn_inertia"`
		} `json:"kmeans"`
		UMAP []struct {
			Metric       string      `json:"metric"`
			NNeighbors   int         `json:"n_neighbors"`
			MinDist      float64     `json:"min_dist"`
			Sigmas       []float64   `json:"sigmas"`
			Rhos         []float64   `json:"rhos"`
			GraphRowSums []float64   `json:"graph_row_sums"`
			GraphNNZ     int         `json:"graph_nnz"`
			GraphComps   int         `json:"graph_components"`
			Embedding    [][]float64 `json:"embedding"`
			TrustK       int         `json:"trust_k"`
			SklearnTrust float64     `json:"sklearn_trustworthiness"`
		} `json:"umap"`
	} `json:"clusters"`
	ABParams []struct {
		Spread  float64 `json:"spread"`
		MinDist float64 `json:"min_dist"`
		A       float64 `json:"a"`
		B       float64 `json:"b"`
	} `json:"ab_params"`
	Stats struct {
		X            []float64  `json:"x"`
		Y            []float64  `json:"y"`
		Pearson      float64    `json:"pearson"`
		Spearman     float64    `json:"spearman"`
		TiesX        []float64  `json:"ties_x"`
		TiesY        []float64  `json:"ties_y"`
		TiesPearson  float64    `json:"ties_pearson"`
		TiesSpearman float64    `json:"ties_spearman"`
		TiesRanksX   []float64  `json:"ties_ranks_x"`
		Bootstrap95  [2]float64 `json:"bootstrap_pearson_95"`
	} `json:"stats"`
}

var (
	fxOnce sync.Once
	fx     fixture
	fxErr  error
)

func loadFixture(t testing.TB) *fixture {
	t.Helper()
	fxOnce.Do(func() {
		b, err := os.ReadFile("testdata/analysis_fixtures.json")
		if err != nil {
			fxErr = err
			return
		}
		fxErr = json.Unmarshal(b, &fx)
	})
	if fxErr != nil {
		t.Fatalf("fixture (regenerate with tools/reference/make_analysis_fixtures.py): %v", fxErr)
	}
	return &fx
}

func dense(rows [][]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

// assertClose fails if got and want differ by more than atol + rtol*|want| anywhere.
func assertClose(t *testing.T, what string, got, want mat.Matrix, atol, rtol float64) {
	t.Helper()
	gr, gc := got.Dims()
	wr, wc := want.Dims()
	if gr != wr || gc != wc {
		t.Fatalf("%s: shape %dx%d, want %dx%d", what, gr, gc, wr, wc)
	}
	worst, wi, wj := 0.0, 0, 0
	for i := 0; i < gr; i++ {
		for j := 0; j < gc; j++ {
			g, w := got.At(i, j), want.At(i, j)
			if e := math.Abs(g-w) - (atol + rtol*math.Abs(w)); e > worst || math.IsNaN(g) {
				worst, wi, wj = e, i, j
				if math.IsNaN(g) {
					worst = math.Inf(1)
				}
			}
		}
	}
	if worst > 0 {
		t.Errorf("%s: entry (%d,%d) = %.12g, want %.12g", what, wi, wj, got.At(wi, wj), want.At(wi, wj))
	}
}

func assertSliceClose(t *testing.T, what string, got, want []float64, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	assertClose(t, what, mat.NewDense(1, len(got), got), mat.NewDense(1, len(want), want), atol, rtol)
}
