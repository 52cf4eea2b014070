package vectors

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randomMatrix is [n, d] with a few strong shared directions plus noise, like residual-stream activations.
func randomMatrix(seed uint64, n, d int, offset float64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 1))
	dirs := make([][]float64, 3)
	for k := range dirs {
		dirs[k] = make([]float64, d)
		for c := range dirs[k] {
			dirs[k][c] = rng.NormFloat64()
		}
	}
	m := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		w := []float64{5 * rng.NormFloat64(), 3 * rng.NormFloat64(), rng.NormFloat64()}
		for c := 0; c < d; c++ {
			v := offset + 0.3*rng.NormFloat64()
			for k := range dirs {
				v += w[k] * dirs[k][c]
			}
			m.Set(i, c, v)
		}
	}
	return m
}

// The invariants of docs/method.md step 4: raw rows sum to zero; denoised vectors are orthogonal to every removed
// component; k is the smallest count reaching the threshold; without neutral rows nothing is removed, and
// the result says why.
func TestComputeInvariants(t *testing.T) {
	means := randomMatrix(1, 12, 40, 7)
	neutral := randomMatrix(2, 60, 40, 7)
	cases := []struct {
		name      string
		neutral   *mat.Dense
		threshold float64
		denoised  bool
		note      string
	}{
		{"paper threshold", neutral, 0.5, true, ""},
		{"high threshold", neutral, 0.95, true, ""},
		{"no neutral", nil, 0.5, false, "no neutral activations"},
		{"threshold 0", neutral, 0, false, "is 0"},
		{"one neutral row", neutral.Slice(0, 1, 0, 40).(*mat.Dense), 0.5, false, "only 1 neutral row"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Compute(means, c.neutral, c.threshold)
			if err != nil {
				t.Fatal(err)
			}
			if r.Denoised != c.denoised || !strings.Contains(r.Note, c.note) || (c.denoised && r.Note != "") {
				t.Fatalf("denoised %v, note %q; want %v, %q", r.Denoised, r.Note, c.denoised, c.note)
			}
			e, d := r.Raw.Dims()
			for col := 0; col < d; col++ {
				s, scale := 0.0, 0.0
				for i := 0; i < e; i++ {
					s += r.Raw.At(i, col)
					scale += math.Abs(means.At(i, col))
				}
				if math.Abs(s) > 1e-12*scale {
					t.Errorf("raw column %d sums to %v, want 0", col, s)
				}
			}
			if !c.denoised {
				if !mat.Equal(r.Vectors, r.Raw) || r.K() != 0 {
					t.Errorf("not denoised, yet the vectors differ from the raw ones (k = %d)", r.K())
				}
				return
			}
			k := r.K()
			cum := 0.0
			for i, v := range r.Explain {
				cum += v
				if i < k-1 && cum >= c.threshold {
					t.Errorf("k = %d, but %d components already explain %v >= %v", k, i+1, cum, c.threshold)
				}
			}
			if cum < c.threshold-1e-12 {
				t.Errorf("the %d components removed explain %v < threshold %v", k, cum, c.threshold)
			}
			for i := 0; i < e; i++ {
				v := r.Vectors.RawRowView(i)
				for j := 0; j < k; j++ {
					dot := mat.Dot(mat.NewVecDense(d, v), r.C.RowView(j))
					if math.Abs(dot) > 1e-9*mat.Norm(r.Raw.RowView(i), 2) {
						t.Errorf("vector %d . component %d = %v, want 0", i, j, dot)
					}
				}
			}
		})
	}
}

func TestComputeRefusesBadInput(t *testing.T) {
	if _, err := Compute(randomMatrix(1, 1, 4, 0), nil, 0.5); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("one emotion: got %v", err)
	}
	if _, err := Compute(randomMatrix(1, 3, 4, 0), randomMatrix(2, 5, 6, 0), 0.5); err == nil || !strings.Contains(err.Error(), "width 6") {
		t.Errorf("widths differ: got %v", err)
	}
}
