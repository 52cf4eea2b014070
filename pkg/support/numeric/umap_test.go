package numeric

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

func TestFindABParamsMatchesUmapLearn(t *testing.T) {
	f := loadFixture(t)
	for _, tc := range f.ABParams {
		a, b, err := FindABParams(tc.Spread, tc.MinDist)
		if err != nil {
			t.Fatal(err)
		}
		// scipy's curve_fit stops at ftol 1.5e-8 on the cost, so agreement is to about 1e-5.
		if math.Abs(a-tc.A) > 1e-4*tc.A || math.Abs(b-tc.B) > 1e-4*tc.B {
			t.Errorf("spread %v min_dist %v: a, b = %.6f, %.6f, umap-learn %.6f, %.6f", tc.Spread, tc.MinDist, a, b, tc.A, tc.B)
		}
	}
	if _, _, err := FindABParams(0, 0.1); err == nil {
		t.Error("spread 0 accepted")
	}
}

func TestFuzzyGraphMatchesUmapLearn(t *testing.T) {
	f := loadFixture(t)
	x := dense(f.Clusters.X)
	for _, u := range f.Clusters.UMAP {
		t.Run(u.Metric, func(t *testing.T) {
			m, err := ParseMetric(u.Metric)
			if err != nil {
				t.Fatal(err)
			}
			idx, d := exactKNN(pairwiseDistances(x, m), u.NNeighbors)
			sigmas, rhos := smoothKNNDist(d, float64(u.NNeighbors))
			// umap-learn keeps sigma and rho in float32.
			assertSliceClose(t, "rhos", rhos, u.Rhos, 1e-6, 1e-6)
			assertSliceClose(t, "sigmas", sigmas, u.Sigmas, 1e-6, 1e-5)
			g := fuzzyGraph(idx, d, sigmas, rhos)
			nnz := 0
			sums := make([]float64, len(g))
			for i, row := range g {
				nnz += len(row)
				for j, w := range row {
					sums[i] += w
					if g[j][i] != w {
						t.Fatalf("graph not symmetric at (%d,%d)", i, j)
					}
				}
			}
			if nnz != u.GraphNNZ {
				t.Errorf("graph has %d non-zeros, umap-learn %d", nnz, u.GraphNNZ)
			}
			assertSliceClose(t, "graph row sums", sums, u.GraphRowSums, 1e-5, 1e-5)
		})
	}
}

func TestTrustworthinessMatchesSklearn(t *testing.T) {
	f := loadFixture(t)
	x := dense(f.Clusters.X)
	for _, u := range f.Clusters.UMAP {
		m, _ := ParseMetric(u.Metric)
		got, err := Trustworthiness(x, dense(u.Embedding), u.TrustK, m)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-u.SklearnTrust) > 1e-12 {
			t.Errorf("%s: trustworthiness %.15f, sklearn %.15f", u.Metric, got, u.SklearnTrust)
		}
	}
	// The identity embedding is perfectly trustworthy.
	if got, _ := Trustworthiness(x, x, 10, Euclidean); math.Abs(got-1) > 1e-15 {
		t.Errorf("identity embedding: %v, want 1", got)
	}
	if _, err := Trustworthiness(x, x, 75, Euclidean); err == nil {
		t.Error("k = n/2 accepted")
	}
}

func TestUMAPQualityMatchesUmapLearn(t *testing.T) {
	f := loadFixture(t)
	x := dense(f.Clusters.X)
	for _, u := range f.Clusters.UMAP {
		t.Run(u.Metric, func(t *testing.T) {
			m, _ := ParseMetric(u.Metric)
			opts := DefaultUMAPOptions()
			opts.Metric = m
			opts.NNeighbors = u.NNeighbors
			opts.MinDist = u.MinDist
			res, err := UMAP(x, opts)
			if err != nil {
				t.Fatal(err)
			}
			// umap-learn found u.GraphComps connected components; with more than one, it (and this code) lays them
			// out separately, and this code says so.
			if res.Init != InitSpectral || (u.GraphComps > 1) != (len(res.Warnings) == 1) {
				t.Errorf("init %q, warnings %q; umap-learn's graph has %d components", res.Init, res.Warnings, u.GraphComps)
			}
			got, err := Trustworthiness(x, res.Embedding, u.TrustK, m)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: Go UMAP trustworthiness %.4f, umap-learn %.4f", u.Metric, got, u.SklearnTrust)
			if got < u.SklearnTrust-0.03 {
				t.Errorf("trustworthiness %.4f, more than 0.03 below umap-learn's %.4f", got, u.SklearnTrust)
			}
		})
	}
}

func TestUMAPDeterministic(t *testing.T) {
	// 171 rows, as many as the paper's emotions: the 150 clustered rows plus 21 perturbed copies of some of them.
	f := loadFixture(t)
	rows := append([][]float64{}, f.Clusters.X...)
	for i := 0; i < 21; i++ {
		r := append([]float64{}, f.Clusters.X[i*7%150]...)
		r[i%20] += 0.5
		rows = append(rows, r)
	}
	x := dense(rows)
	opts := DefaultUMAPOptions()
	opts.Metric = Cosine
	start := time.Now()
	a, err := UMAP(x, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Speed is a benchmark, not an assertion (a loaded machine is slow): logged for whoever reads -v.
	t.Logf("UMAP n=171, D=20: %v", time.Since(start))
	b, _ := UMAP(x, opts)
	if !mat.Equal(a.Embedding, b.Embedding) {
		t.Error("same seed, different embedding")
	}
	opts.Seed++
	c, _ := UMAP(x, opts)
	if mat.Equal(a.Embedding, c.Embedding) {
		t.Error("different seed, same embedding")
	}
	if r, cdim := a.Embedding.Dims(); r != 171 || cdim != 2 {
		t.Errorf("embedding %dx%d", r, cdim)
	}
}

func TestUMAPDisconnectedLaysOutComponents(t *testing.T) {
	// groups far-apart groups of 10 rows: with 5 neighbours the graph has one component per group. Two groups
	// take the ±axis placement; six (more than 2*dim) place the groups from their centroids, by a spectral
	// embedding (cosine: centroid affinities exp(-d^2) are usable) or by PCA (Euclidean: exp(-1000^2) is 0).
	for _, tc := range []struct {
		groups int
		metric Metric
	}{{2, Euclidean}, {6, Euclidean}, {6, Cosine}} {
		t.Run(fmt.Sprintf("%d groups %v", tc.groups, tc.metric), func(t *testing.T) {
			n := 10 * tc.groups
			x := mat.NewDense(n, 8, nil)
			for i := 0; i < n; i++ {
				g := i / 10
				row := make([]float64, 8)
				row[g%8] = 1000 // far apart in either metric
				row[6] = float64(i%10) * 0.3
				row[7] = float64(i%3) * 0.2
				x.SetRow(i, row)
			}
			opts := DefaultUMAPOptions()
			opts.NNeighbors = 5
			opts.Metric = tc.metric
			res, err := UMAP(x, opts)
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("%d disconnected", tc.groups)
			if res.Init != InitSpectral || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], want) {
				t.Errorf("init %q, warnings %q: want a component-wise spectral layout with a warning", res.Init, res.Warnings)
			}
			for _, v := range res.Embedding.RawMatrix().Data {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatal("non-finite embedding")
				}
			}
			// Groups stay apart: every row's nearest embedded neighbour is in its own group.
			e := res.Embedding
			for i := 0; i < n; i++ {
				best, bd := -1, math.Inf(1)
				for j := 0; j < n; j++ {
					if d := sqDist(e.RawRowView(i), e.RawRowView(j)); j != i && d < bd {
						best, bd = j, d
					}
				}
				if best/10 != i/10 {
					t.Fatalf("row %d (group %d) is embedded next to row %d (group %d)", i, i/10, best, best/10)
				}
			}
		})
	}
}

func TestUMAPOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*UMAPOptions)
	}{
		{"neighbours", func(o *UMAPOptions) { o.NNeighbors = 1 }},
		{"components", func(o *UMAPOptions) { o.NComponents = 0 }},
		{"min dist", func(o *UMAPOptions) { o.MinDist = -1 }},
		{"spread", func(o *UMAPOptions) { o.Spread = 0 }},
		{"init", func(o *UMAPOptions) { o.Init = "pca" }},
		{"metric", func(o *UMAPOptions) { o.Metric = Metric(9) }},
		{"learning rate", func(o *UMAPOptions) { o.LearningRate = 0 }},
	} {
		o := DefaultUMAPOptions()
		tc.edit(&o)
		if err := o.Validate(); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if err := DefaultUMAPOptions().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func BenchmarkUMAP171(b *testing.B) {
	f := loadFixture(b)
	rows := append([][]float64{}, f.Clusters.X...)
	rows = append(rows, f.Clusters.X[:21]...)
	x := dense(rows)
	opts := DefaultUMAPOptions()
	opts.Metric = Cosine
	for b.Loop() {
		if _, err := UMAP(x, opts); err != nil {
			b.Fatal(err)
		}
	}
}
