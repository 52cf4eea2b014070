package numeric

import (
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestCosineMatrixMatchesSklearn(t *testing.T) {
	f := loadFixture(t)
	s, err := CosineMatrix(dense(f.Denoise.Vectors))
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "cosine", s, dense(f.Cosine), 1e-12, 0)
	n, _ := s.Dims()
	for i := 0; i < n; i++ {
		if s.At(i, i) != 1 {
			t.Errorf("diagonal %d = %v, want exactly 1", i, s.At(i, i))
		}
		for j := 0; j < n; j++ {
			if v := s.At(i, j); v != s.At(j, i) || v < -1 || v > 1 {
				t.Errorf("entry (%d,%d) = %v: not symmetric or out of [-1, 1]", i, j, v)
			}
		}
	}
	// Scaling rows changes nothing.
	scaled := mat.DenseCopyOf(dense(f.Denoise.Vectors))
	scaled.Scale(7.5, scaled)
	s2, _ := CosineMatrix(scaled)
	assertClose(t, "scale invariance", s2, s, 1e-12, 0)
}

func TestCosineMatrixZeroRow(t *testing.T) {
	v := mat.NewDense(3, 2, []float64{1, 0, 0, 0, 0, 1})
	_, err := CosineMatrix(v)
	if err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Fatalf("error %v, want one naming row 1", err)
	}
}
