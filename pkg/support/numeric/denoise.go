package numeric

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// EmotionVectors returns means [nEmotions, D] minus their mean over emotions (the mean row), so that what all
// emotions share (the "story-ness" of the texts, the layer's offset) cancels: docs/method.md step 4,
// raw = emotion_mean - mean over emotions. It panics if means is nil.
func EmotionVectors(means *mat.Dense) *mat.Dense {
	if means == nil {
		panic("analysis: EmotionVectors: nil matrix")
	}
	n, d := means.Dims()
	avg := make([]float64, d)
	for i := 0; i < n; i++ {
		for c, v := range means.RawRowView(i) {
			avg[c] += v
		}
	}
	out := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		src, dst := means.RawRowView(i), out.RawRowView(i)
		for c := range dst {
			dst[c] = src[c] - avg[c]/float64(n)
		}
	}
	return out
}

// NeutralPCs fits a PCA to the centred neutral activations [nNeutral, D] and returns the top k components
// C [k, D] (unit, orthogonal rows), where k is the smallest count whose cumulative explained variance ratio is
// >= varianceThreshold (docs/method.md step 4, threshold 0.5 by default in the paper's tool), together with the
// explained variance ratios of those k components.
//
// scikit-learn's PCA(n_components=0.5) picks the smallest k whose cumulative ratio is strictly greater than the
// threshold; the two agree except when a cumulative ratio equals the threshold exactly.
// varianceThreshold must be in (0, 1]. Component signs follow PCA's convention (they do not matter to
// ProjectOut).
func NeutralPCs(neutral *mat.Dense, varianceThreshold float64) (C *mat.Dense, explained []float64, err error) {
	if neutral == nil {
		return nil, nil, fmt.Errorf("analysis: NeutralPCs: nil matrix")
	}
	if !(varianceThreshold > 0 && varianceThreshold <= 1) {
		return nil, nil, fmt.Errorf("analysis: NeutralPCs: varianceThreshold %v must be in (0, 1] (the paper uses 0.5)", varianceThreshold)
	}
	n, d := neutral.Dims()
	if n < 2 {
		return nil, nil, fmt.Errorf("analysis: NeutralPCs: need at least 2 neutral rows, got %d", n)
	}
	ax, err := principalAxes(neutral)
	if err != nil {
		return nil, nil, fmt.Errorf("analysis: NeutralPCs: neutral matrix [%d, %d]: %w", n, d, err)
	}
	cum, k := 0.0, len(ax.variance)
	for i, v := range ax.variance {
		explained = append(explained, v/ax.total)
		cum += v / ax.total
		// A little slack so that a threshold of 1 is reached despite rounding.
		if cum >= varianceThreshold-1e-12 {
			k = i + 1
			break
		}
	}
	C = mat.NewDense(k, d, nil)
	for i := 0; i < k; i++ {
		C.SetRow(i, ax.axes[i])
	}
	return C, explained[:k], nil
}

// ProjectOut removes from each row of v [n, D] its projection on the row space of C [k, D], whose rows must be
// orthonormal (as NeutralPCs returns): v - v C^T C. The result is orthogonal to every row of C. A nil C returns a
// copy of v. It panics if the column counts differ.
func ProjectOut(v *mat.Dense, C *mat.Dense) *mat.Dense {
	out := mat.DenseCopyOf(v)
	if C == nil {
		return out
	}
	_, d := v.Dims()
	k, dc := C.Dims()
	if d != dc {
		panic(fmt.Sprintf("analysis: ProjectOut: v has %d columns but C has %d", d, dc))
	}
	n, _ := v.Dims()
	coef := mat.NewDense(n, k, nil)
	coef.Mul(v, C.T()) // [n, k]
	var proj mat.Dense
	proj.Mul(coef, C) // [n, D]
	out.Sub(out, &proj)
	return out
}
