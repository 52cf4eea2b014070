package validate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveMul is the definition: c[i, j] = sum over k of a[i, k] b[k, j].
func naiveMul(a, b []float64, m, q, p int) []float64 {
	c := make([]float64, m*p)
	for i := range m {
		for j := range p {
			for k := range q {
				c[i*p+j] += a[i*q+k] * b[k*p+j]
			}
		}
	}
	return c
}

// TestMatMul checks matMul (and mulFMA where this CPU runs it) against the definition, on shapes that
// leave partial blocks of rows (m % 4) and columns (p % 8), and on the probe's own shape.
func TestMatMul(t *testing.T) {
	t.Logf("AVX2+FMA kernel in use: %v", haveFMA)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][3]int{{1, 1, 1}, {4, 8, 8}, {5, 3, 9}, {7, 13, 17}, {13, 1, 24}, {3, 29, 7}, {64, 576, 171}} {
		m, q, p := s[0], s[1], s[2]
		a, b := make([]float64, m*q), make([]float64, q*p)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		want := naiveMul(a, b, m, q, p)
		kernels := map[string]func(c, a, b []float64, m, q, p int){"matMul": matMul}
		if haveFMA {
			kernels["mulFMA"] = mulFMA
		}
		for name, mul := range kernels {
			t.Run(fmt.Sprintf("%s/%dx%dx%d", name, m, q, p), func(t *testing.T) {
				c := make([]float64, m*p)
				for i := range c {
					c[i] = math.NaN() // every element must be written, not added to
				}
				mul(c, a, b, m, q, p)
				for i := range c {
					if d := math.Abs(c[i] - want[i]); !(d <= 1e-12*(1+math.Abs(want[i]))*float64(q)) {
						t.Fatalf("c[%d, %d] = %v, want %v", i/p, i%p, c[i], want[i])
					}
				}
			})
		}
	}
}

// BenchmarkMatMul times matMul on the validation's shapes: a fold's held-out stories against the
// vectors (410 x 576 x 171), a probe's logits (1640 x 577 x 171) and its gradient (577 x 1640 x 171).
func BenchmarkMatMul(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][3]int{{410, 576, 171}, {1640, 577, 171}, {577, 1640, 171}} {
		m, q, p := s[0], s[1], s[2]
		x, y, c := make([]float64, m*q), make([]float64, q*p), make([]float64, m*p)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		for i := range y {
			y[i] = rng.NormFloat64()
		}
		b.Run(fmt.Sprintf("%dx%dx%d", m, q, p), func(b *testing.B) {
			for b.Loop() {
				matMul(c, x, y, m, q, p)
			}
			b.ReportMetric(2*float64(m*q*p)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
