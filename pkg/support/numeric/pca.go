package numeric

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// PCAResult is a principal component analysis of the rows of a matrix [n, D] keeping k components.
type PCAResult struct {
	// Components [k, D]: unit, mutually orthogonal rows, in order of decreasing variance. Each row's sign follows
	// the convention of PCA (largest-|loading| coordinate positive) unless an Orient function flipped it.
	Components *mat.Dense
	// Scores [n, k]: (x - Mean) Components^T, the coordinates of each row on each component.
	Scores *mat.Dense
	// Mean [D]: the column means subtracted before the analysis.
	Mean []float64
	// ExplainedVariance [k]: variance along each component (unbiased, divided by n-1, as scikit-learn).
	ExplainedVariance []float64
	// ExplainedVarianceRatio [k]: ExplainedVariance over the total variance of the data (all components).
	ExplainedVarianceRatio []float64
}

// PCA computes the first nComponents principal components of the rows of v [n, D] (nComponents <= 0 keeps all
// min(n, D)). It matches sklearn.decomposition.PCA up to floating-point error, including the sign convention
// of scikit-learn >= 1.5 (svd_flip with u_based_decision=False): each component is flipped so that its
// coordinate of largest absolute value is positive (the first such coordinate on ties). That makes the output
// deterministic, but the sign still carries no meaning; see OrientByValence for a sign decided from the data.
func PCA(v *mat.Dense, nComponents int) (*PCAResult, error) {
	if v == nil {
		return nil, fmt.Errorf("analysis: PCA: nil matrix")
	}
	n, d := v.Dims()
	if n < 2 {
		return nil, fmt.Errorf("analysis: PCA: need at least 2 rows, got %d", n)
	}
	maxK := min(n, d)
	if nComponents <= 0 || nComponents > maxK {
		if nComponents > maxK {
			return nil, fmt.Errorf("analysis: PCA: nComponents %d exceeds min(rows %d, columns %d)", nComponents, n, d)
		}
		nComponents = maxK
	}
	ax, err := principalAxes(v)
	if err != nil {
		return nil, fmt.Errorf("analysis: PCA: %w", err)
	}
	k := nComponents
	res := &PCAResult{
		Components:             mat.NewDense(k, d, nil),
		Mean:                   ax.mean,
		ExplainedVariance:      make([]float64, k),
		ExplainedVarianceRatio: make([]float64, k),
	}
	for i := 0; i < k; i++ {
		res.Components.SetRow(i, ax.axes[i])
		res.ExplainedVariance[i] = ax.variance[i]
		res.ExplainedVarianceRatio[i] = ax.variance[i] / ax.total
	}
	res.Scores = mat.NewDense(n, k, nil)
	res.Scores.Mul(ax.centred, res.Components.T())
	return res, nil
}

// axes is the full eigen-decomposition of a data matrix's covariance.
type axes struct {
	mean     []float64   // [D]
	centred  *mat.Dense  // [n, D]
	axes     [][]float64 // [m][D], unit, sign-fixed, in order of decreasing variance; m = min(n, D)
	variance []float64   // [m]
	total    float64     // sum of the variances of all components (the trace of the covariance)
}

// principalAxes centres x [n, D] and finds its principal axes. With more rows than columns it
// eigen-decomposes the covariance [D, D] (cheap for many tokens of a small model); otherwise it takes the thin
// SVD of the centred data. Both give the same axes; variances are divided by n-1.
func principalAxes(x *mat.Dense) (*axes, error) {
	n, d := x.Dims()
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for c, val := range x.RawRowView(i) {
			mean[c] += val
		}
	}
	for c := range mean {
		mean[c] /= float64(n)
	}
	xc := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		src, dst := x.RawRowView(i), xc.RawRowView(i)
		for c := range dst {
			dst[c] = src[c] - mean[c]
		}
	}
	m := min(n, d)
	a := &axes{mean: mean, centred: xc, axes: make([][]float64, m), variance: make([]float64, m)}
	scale := 1 / float64(n-1)
	if n > d {
		var cov mat.SymDense
		cov.SymOuterK(scale, xc.T()) // [D, D] = xc^T xc / (n-1)
		var eig mat.EigenSym
		if !eig.Factorize(&cov, true) {
			return nil, fmt.Errorf("eigen-decomposition of the %dx%d covariance did not converge", d, d)
		}
		vals := eig.Values(nil) // ascending
		var vecs mat.Dense
		eig.VectorsTo(&vecs)
		for i := 0; i < m; i++ {
			j := d - 1 - i
			a.variance[i] = math.Max(vals[j], 0)
			a.axes[i] = mat.Col(nil, j, &vecs)
		}
	} else {
		var svd mat.SVD
		if !svd.Factorize(xc, mat.SVDThinV) {
			return nil, fmt.Errorf("SVD of the %dx%d centred data did not converge", n, d)
		}
		s := svd.Values(nil) // descending
		var vt mat.Dense
		svd.VTo(&vt) // [D, m], columns are axes
		for i := 0; i < m; i++ {
			a.variance[i] = s[i] * s[i] * scale
			a.axes[i] = mat.Col(nil, i, &vt)
		}
	}
	for i := range a.axes {
		flipLargestPositive(a.axes[i])
		a.total += a.variance[i]
	}
	if a.total == 0 {
		return nil, fmt.Errorf("all %d rows are identical: the data has no variance", n)
	}
	return a, nil
}

// flipLargestPositive negates v if its coordinate of largest absolute value (first on ties) is negative.
func flipLargestPositive(v []float64) {
	best, at := -1.0, 0
	for i, x := range v {
		if math.Abs(x) > best {
			best, at = math.Abs(x), i
		}
	}
	if v[at] < 0 {
		for i := range v {
			v[i] = -v[i]
		}
	}
}
