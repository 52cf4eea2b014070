//go:build amd64 && goexperiment.simd

package validate

import "simd/archsimd"

var haveFMA = archsimd.X86.AVX2() && archsimd.X86.FMA()

var haveAVX = archsimd.X86.AVX()

// clearUpperBits clears the upper halves of the vector registers (VZEROUPPER). While they are dirty,
// Intel CPUs charge legacy-SSE code for them, and Go's math.Exp is legacy-SSE assembly: on an AVX-512
// Xeon it took 80-225 ns a call instead of 6, and the validation ran 2.5x as long (plain Go arithmetic
// was not affected). Go 1.26 leaves them dirty after archsimd code (mulFMA below) and after an
// asynchronous preemption, which restores the full 512-bit registers; it clears them only in its
// own assembly. One VZEROUPPER costs about a cycle.
func clearUpperBits() {
	if haveAVX {
		archsimd.ClearAVXUpperBits()
	}
}

// mulFMA is matMul in panels of 8 columns of b, kept in the caches while 4 rows of a at a time run
// down them: 8 accumulators of 4 float64 each, one fused multiply-add per element pair.
//
// It runs at 13-17 GFLOP/s a core (BenchmarkMatMul; about a third of the AVX2 peak on the 2-core
// machine). Go 1.26 compiles x.MulAdd(y, acc) to VFMADD213PD, which overwrites x rather than the
// accumulator, so each step copies x and moves the results back into the accumulators; copying b
// into contiguous panels first (tried 2026-12-03) did not move it beyond the benchmark's spread.
func mulFMA(c, a, b []float64, m, q, p int) {
	defer clearUpperBits()
	whole := p - p%8
	for j := 0; j < whole; j += 8 {
		i := 0
		for ; i+4 <= m; i += 4 {
			a0, a1, a2, a3 := a[i*q:i*q+q], a[(i+1)*q:(i+1)*q+q], a[(i+2)*q:(i+2)*q+q], a[(i+3)*q:(i+3)*q+q]
			var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float64x4
			for k := range q {
				bk := b[k*p+j : k*p+j+8]
				b0, b1 := archsimd.LoadFloat64x4Slice(bk[:4]), archsimd.LoadFloat64x4Slice(bk[4:8])
				x := archsimd.BroadcastFloat64x4(a0[k])
				c00, c01 = x.MulAdd(b0, c00), x.MulAdd(b1, c01)
				x = archsimd.BroadcastFloat64x4(a1[k])
				c10, c11 = x.MulAdd(b0, c10), x.MulAdd(b1, c11)
				x = archsimd.BroadcastFloat64x4(a2[k])
				c20, c21 = x.MulAdd(b0, c20), x.MulAdd(b1, c21)
				x = archsimd.BroadcastFloat64x4(a3[k])
				c30, c31 = x.MulAdd(b0, c30), x.MulAdd(b1, c31)
			}
			c00.StoreSlice(c[i*p+j:])
			c01.StoreSlice(c[i*p+j+4:])
			c10.StoreSlice(c[(i+1)*p+j:])
			c11.StoreSlice(c[(i+1)*p+j+4:])
			c20.StoreSlice(c[(i+2)*p+j:])
			c21.StoreSlice(c[(i+2)*p+j+4:])
			c30.StoreSlice(c[(i+3)*p+j:])
			c31.StoreSlice(c[(i+3)*p+j+4:])
		}
		for ; i < m; i++ { // the last m%4 rows
			ai := a[i*q : i*q+q]
			var c0, c1 archsimd.Float64x4
			for k := range q {
				bk := b[k*p+j : k*p+j+8]
				x := archsimd.BroadcastFloat64x4(ai[k])
				c0, c1 = x.MulAdd(archsimd.LoadFloat64x4Slice(bk[:4]), c0), x.MulAdd(archsimd.LoadFloat64x4Slice(bk[4:8]), c1)
			}
			c0.StoreSlice(c[i*p+j:])
			c1.StoreSlice(c[i*p+j+4:])
		}
	}
	for i := 0; i < m; i++ { // the last p%8 columns
		ai := a[i*q : i*q+q]
		for j := whole; j < p; j++ {
			s := 0.0
			for k, x := range ai {
				s += x * b[k*p+j]
			}
			c[i*p+j] = s
		}
	}
}
