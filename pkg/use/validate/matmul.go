package validate

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// The probes' fits spend most of their time in two matrix products per L-BFGS step: the logits Z Wᵀ and
// the gradient Gᵀ Z, for about 1,600 stories x 576 features x 171 emotions in the small run. gonum's BLAS
// is pure Go and runs them at about 5 GFLOP/s a core on the machines this project is measured on; where
// the CPU has AVX2 and FMA and the build has GOEXPERIMENT=simd (as the Makefile sets it), mulFMA runs them
// with 256-bit fused multiply-adds instead (matmul_simd.go). No maintained pure-Go library offers that.

// matMul sets c [m, p] = a [m, q] · b [q, p], all three row-major and contiguous.
func matMul(c, a, b []float64, m, q, p int) {
	if haveFMA {
		mulFMA(c, a, b, m, q, p)
		return
	}
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas64.General{Rows: m, Cols: q, Stride: q, Data: a},
		blas64.General{Rows: q, Cols: p, Stride: p, Data: b},
		0, blas64.General{Rows: m, Cols: p, Stride: p, Data: c})
}

// contiguous says whether every matrix's rows lie one after the other in its RawMatrix().Data, as matMul
// needs.
func contiguous(xs ...*mat.Dense) bool {
	for _, x := range xs {
		if r := x.RawMatrix(); r.Stride != r.Cols {
			return false
		}
	}
	return true
}

// transposed returns the elements of xᵀ, row after row. A plain loop: in the small run's validation,
// mat.DenseCopyOf(x.T()) took 3.2 CPU-seconds for what this does in under one.
func transposed(x *mat.Dense) []float64 {
	r, c := x.Dims()
	t := make([]float64, r*c)
	for i := 0; i < r; i++ {
		for j, v := range x.RawRowView(i) {
			t[j*r+i] = v
		}
	}
	return t
}
