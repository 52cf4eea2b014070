package nb

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Rows returns the rows of m as slices [r][c], the form the figures package takes.
func Rows(m mat.Matrix) [][]float64 {
	r, c := m.Dims()
	out := make([][]float64, r)
	for i := range out {
		out[i] = make([]float64, c)
		for j := range out[i] {
			out[i][j] = m.At(i, j)
		}
	}
	return out
}

// Dense stacks rows [r][c] into a matrix [r, c]; all rows must have the same length (it panics otherwise,
// as gonum does).
func Dense(rows [][]float64) *mat.Dense {
	if len(rows) == 0 {
		return &mat.Dense{}
	}
	data := make([]float64, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		if len(r) != len(rows[0]) {
			panic("nb: Dense: rows of different lengths")
		}
		data = append(data, r...)
	}
	return mat.NewDense(len(rows), len(rows[0]), data)
}

// Range returns the smallest and largest values of m [r][c], ignoring NaNs: to fit a heatmap's colour
// scale to data that fill only part of -1..1.
func Range(m [][]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range m {
		for _, v := range r {
			if !math.IsNaN(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	return lo, hi
}
