package numeric

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// CosineMatrix returns the [n, n] cosine similarities between the rows of v [n, D]: entry (i, j) is
// v_i·v_j / (||v_i|| ||v_j||), as sklearn.metrics.pairwise.cosine_similarity. The result is symmetric with an
// exact unit diagonal and entries clipped to [-1, 1]. A zero row has no direction, so it is an error (naming the
// row) rather than the silent zeros scikit-learn returns.
func CosineMatrix(v *mat.Dense) (*mat.SymDense, error) {
	if v == nil {
		return nil, fmt.Errorf("analysis: CosineMatrix: nil matrix")
	}
	if i := zeroRow(v); i >= 0 {
		return nil, fmt.Errorf("analysis: CosineMatrix: row %d is all zeros and has no direction: drop it first", i)
	}
	u := normalizedRows(v)
	n, _ := u.Dims()
	s := mat.NewSymDense(n, nil)
	s.SymOuterK(1, u) // u u^T
	for i := 0; i < n; i++ {
		s.SetSym(i, i, 1)
		for j := i + 1; j < n; j++ {
			s.SetSym(i, j, math.Max(-1, math.Min(1, s.At(i, j))))
		}
	}
	return s, nil
}
