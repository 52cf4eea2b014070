package numeric

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestEmotionVectorsMatchesNumpy(t *testing.T) {
	f := loadFixture(t)
	got := EmotionVectors(dense(f.Means))
	assertClose(t, "raw vectors", got, dense(f.Denoise.Raw), 1e-10, 1e-10)
	// Columns sum to zero: what every emotion shares is gone.
	_, d := got.Dims()
	for c := 0; c < d; c++ {
		if s := mat.Sum(got.ColView(c)); math.Abs(s) > 1e-9 {
			t.Errorf("column %d sums to %g, want 0", c, s)
		}
	}
}

func TestNeutralPCsMatchesNumpy(t *testing.T) {
	f := loadFixture(t)
	C, explained, err := NeutralPCs(dense(f.Neutral), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	k, d := C.Dims()
	if k != f.Denoise.NeutralK {
		t.Fatalf("k = %d, want %d (numpy)", k, f.Denoise.NeutralK)
	}
	assertSliceClose(t, "explained ratio", explained, f.Denoise.NeutralExplainedRatio[:k], 1e-10, 1e-9)
	want := dense(f.Denoise.NeutralComponents)
	for i := 0; i < k; i++ { // up to sign
		s := 1.0
		if mat.Dot(C.RowView(i), want.RowView(i)) < 0 {
			s = -1
		}
		for c := 0; c < d; c++ {
			if math.Abs(s*C.At(i, c)-want.At(i, c)) > 1e-8 {
				t.Fatalf("component %d coord %d = %g, want %g (up to sign)", i, c, s*C.At(i, c), want.At(i, c))
			}
		}
	}
	// Orthonormal rows.
	var g mat.Dense
	g.Mul(C, C.T())
	assertClose(t, "C C^T", &g, identity(k), 1e-12, 0)
}

func TestNeutralPCsThreshold(t *testing.T) {
	f := loadFixture(t)
	ratios := f.Denoise.NeutralExplainedRatio
	for _, tc := range []struct {
		threshold float64
		wantErr   bool
	}{
		{0.1, false}, {0.39, false}, {0.5, false}, {0.8, false}, {0.95, false}, {1, false},
		{0, true}, {-0.2, true}, {1.01, true}, {math.NaN(), true},
	} {
		C, _, err := NeutralPCs(dense(f.Neutral), tc.threshold)
		if tc.wantErr {
			if err == nil {
				t.Errorf("threshold %v: no error", tc.threshold)
			}
			continue
		}
		if err != nil {
			t.Fatalf("threshold %v: %v", tc.threshold, err)
		}
		// Smallest k whose cumulative ratio reaches the threshold, counted from numpy's ratios.
		want, cum := len(ratios), 0.0
		for i, r := range ratios {
			cum += r
			if cum >= tc.threshold-1e-12 {
				want = i + 1
				break
			}
		}
		if k, _ := C.Dims(); k != want {
			t.Errorf("threshold %v: k = %d, want %d", tc.threshold, k, want)
		}
	}
}

func TestProjectOutMatchesNumpy(t *testing.T) {
	f := loadFixture(t)
	C, _, err := NeutralPCs(dense(f.Neutral), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	got := ProjectOut(dense(f.Denoise.Raw), C)
	assertClose(t, "denoised vectors", got, dense(f.Denoise.Vectors), 1e-9, 1e-9)
	// Invariant: every vector is orthogonal to every removed component.
	var p mat.Dense
	p.Mul(got, C.T())
	n, k := p.Dims()
	assertClose(t, "vectors . C^T", &p, mat.NewDense(n, k, nil), 1e-10, 0)
	// Projecting twice changes nothing.
	assertClose(t, "idempotent", ProjectOut(got, C), got, 1e-12, 0)
	// nil C: a copy.
	assertClose(t, "nil C", ProjectOut(got, nil), got, 0, 0)
}

func TestProjectOutPanicsOnShapeMismatch(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for mismatched columns")
		}
	}()
	ProjectOut(mat.NewDense(2, 3, nil), mat.NewDense(1, 4, nil))
}

func identity(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		m.Set(i, i, 1)
	}
	return m
}
