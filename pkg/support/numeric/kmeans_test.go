package numeric

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestKMeansNoWorseThanSklearn(t *testing.T) {
	f := loadFixture(t)
	x := dense(f.Clusters.X)
	// Default options (50 restarts with Hartigan refinement), several seeds: no seed-picking.
	for _, seed := range []uint64{0, 1, 42} {
		for _, tc := range f.Clusters.KMeans {
			res, err := KMeans(x, KMeansOptions{K: tc.K, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			if res.Inertia > tc.Inertia*(1+1e-6) {
				t.Errorf("seed %d, k=%d: inertia %.6f, sklearn KMeans(n_init=10) %.6f", seed, tc.K, res.Inertia, tc.Inertia)
			}
			checkKMeans(t, x, res, tc.K, Euclidean)
		}
	}
}

func TestKMeansRecoversClusters(t *testing.T) {
	f := loadFixture(t)
	res, err := KMeans(dense(f.Clusters.X), KMeansOptions{K: 6, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Each true cluster should map to one found cluster for nearly all its points.
	agree := 0
	for c := 0; c < 6; c++ {
		counts := map[int]int{}
		for i, l := range f.Clusters.Truth {
			if l == c {
				counts[res.Labels[i]]++
			}
		}
		m := 0
		for _, v := range counts {
			m = max(m, v)
		}
		agree += m
	}
	if frac := float64(agree) / float64(len(f.Clusters.Truth)); frac < 0.9 {
		t.Errorf("only %.2f of points agree with the true clusters", frac)
	}
}

func TestKMeansCosine(t *testing.T) {
	f := loadFixture(t)
	x := dense(f.Denoise.Vectors)
	res, err := KMeans(x, KMeansOptions{K: 5, Metric: Cosine, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	checkKMeans(t, x, res, 5, Cosine)
	for j := 0; j < 5; j++ {
		if nr := mat.Norm(res.Centroids.RowView(j), 2); math.Abs(nr-1) > 1e-12 {
			t.Errorf("centroid %d has norm %v, want 1", j, nr)
		}
	}
}

func TestKMeansEdgeCases(t *testing.T) {
	dup := mat.NewDense(10, 2, nil) // ten identical points
	for i := 0; i < 10; i++ {
		dup.SetRow(i, []float64{1, 2})
	}
	for _, tc := range []struct {
		name string
		x    *mat.Dense
		k    int
	}{
		{"K=1", mat.NewDense(4, 1, []float64{0, 1, 2, 3}), 1},
		{"K=n", mat.NewDense(4, 1, []float64{0, 1, 2, 3}), 4},
		{"identical points", dup, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := KMeans(tc.x, KMeansOptions{K: tc.k})
			if err != nil {
				t.Fatal(err)
			}
			checkKMeans(t, tc.x, res, tc.k, Euclidean)
		})
	}
	if _, err := KMeans(mat.NewDense(3, 1, []float64{1, 2, 3}), KMeansOptions{K: 4}); err == nil {
		t.Error("K > n accepted")
	}
	if _, err := KMeans(mat.NewDense(2, 2, []float64{1, 2, 0, 0}), KMeansOptions{K: 1, Metric: Cosine}); err == nil {
		t.Error("zero row accepted with cosine")
	}
}

func TestKMeansDeterministic(t *testing.T) {
	f := loadFixture(t)
	x := dense(f.Clusters.X)
	a, _ := KMeans(x, KMeansOptions{K: 10, Seed: 3, NInit: 2})
	b, _ := KMeans(x, KMeansOptions{K: 10, Seed: 3, NInit: 2})
	if !slices.Equal(a.Labels, b.Labels) || a.Inertia != b.Inertia {
		t.Error("same seed, different result")
	}
}

// checkKMeans asserts the invariants: every cluster used, labels numbered by first appearance, centroids the
// (normalised) means of their clusters, each point at its nearest centroid, inertia as documented.
func checkKMeans(t *testing.T, x *mat.Dense, res *KMeansResult, k int, m Metric) {
	t.Helper()
	n, d := x.Dims()
	data := x
	if m == Cosine {
		data = normalizedRows(x)
	}
	next := 0
	for i, l := range res.Labels {
		if l > next {
			t.Fatalf("label %d at row %d before label %d appeared", l, i, next)
		}
		if l == next {
			next++
		}
	}
	if next != k {
		t.Fatalf("%d clusters used, want %d", next, k)
	}
	for j, s := range res.Sizes {
		if s == 0 {
			t.Errorf("cluster %d empty", j)
		}
	}
	inertia := 0.0
	for i := 0; i < n; i++ {
		r := data.RawRowView(i)
		own := sqDist(r, res.Centroids.RawRowView(res.Labels[i]))
		for j := 0; j < k; j++ {
			if o := sqDist(r, res.Centroids.RawRowView(j)); o < own-1e-9 {
				t.Fatalf("row %d is nearer centroid %d than its own %d", i, j, res.Labels[i])
			}
		}
		if m == Cosine {
			own = 1 - dot(r, res.Centroids.RawRowView(res.Labels[i]))
		}
		inertia += own
	}
	if math.Abs(inertia-res.Inertia) > 1e-9*math.Max(1, inertia) {
		t.Errorf("inertia %v, recomputed %v", res.Inertia, inertia)
	}
	for j := 0; j < k; j++ {
		mean := make([]float64, d)
		for i, l := range res.Labels {
			if l == j {
				for c := range mean {
					mean[c] += data.At(i, c) / float64(res.Sizes[j])
				}
			}
		}
		if m == Cosine {
			nr := math.Sqrt(dot(mean, mean))
			for c := range mean {
				mean[c] /= nr
			}
		}
		if sqDist(mean, res.Centroids.RawRowView(j)) > 1e-18*float64(d)+1e-20 {
			t.Errorf("centroid %d is not its cluster's mean", j)
		}
	}
}
