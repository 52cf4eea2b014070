package vectors

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/support/numeric"
	"gonum.org/v1/gonum/mat"
)

// Result is the vectors of one layer, in float64.
type Result struct {
	Raw      *mat.Dense // [E, D] emotion means minus their mean row
	Vectors  *mat.Dense // [E, D] Raw with the neutral components projected out (= Raw when not Denoised)
	C        *mat.Dense // [k, D] the neutral components removed, unit orthogonal rows; nil when k = 0
	Explain  []float64  // [k] explained variance ratio of each removed component; empty, not nil, when k = 0
	Denoised bool       // whether any component was removed
	Note     string     // why nothing was removed, when Denoised is false
}

// Compute makes the vectors of one layer from the emotion means [E, D] and the neutral activations [n, D]
// (nil when there are none): the recipe of the package comment. threshold is vectors.pca_variance_threshold;
// 0 removes nothing.
func Compute(means, neutral *mat.Dense, threshold float64) (*Result, error) {
	if means == nil {
		return nil, fmt.Errorf("vectors: no emotion means")
	}
	e, d := means.Dims()
	if e < 2 {
		return nil, fmt.Errorf("vectors: %d emotion with activations: emotion vectors are differences from the mean "+
			"over emotions, so at least 2 are needed (check data.emotions and the stories stage)", e)
	}
	res := &Result{Raw: numeric.EmotionVectors(means), Explain: []float64{}}
	switch {
	case threshold == 0:
		res.Note = "vectors.pca_variance_threshold is 0: no neutral component was projected out"
	case neutral == nil:
		res.Note = "no neutral activations (run the neutral stage, then `emotion-probes generate-neutral`, then `emotion-probes extract-activations --source neutral`): " +
			"no neutral component was projected out; these are the raw vectors"
	default:
		n, nd := neutral.Dims()
		if nd != d {
			return nil, fmt.Errorf("vectors: neutral activations have width %d but emotion means %d: they come from "+
				"different models or layers; rerun `emotion-probes extract-activations --force`", nd, d)
		}
		if n < 2 {
			res.Note = fmt.Sprintf("only %d neutral row: a PCA needs 2 or more; no neutral component was projected out", n)
			break
		}
		C, explained, err := numeric.NeutralPCs(neutral, threshold)
		if err != nil {
			return nil, fmt.Errorf("vectors: %w", err)
		}
		res.C, res.Explain, res.Denoised = C, explained, true
	}
	res.Vectors = numeric.ProjectOut(res.Raw, res.C)
	return res, nil
}

// K is the number of components removed.
func (r *Result) K() int {
	if r.C == nil {
		return 0
	}
	k, _ := r.C.Dims()
	return k
}
