package numeric

import (
	"fmt"
	"math"
)

// FindABParams fits the curve 1 / (1 + a d^(2b)) to the target membership of two points at embedded distance d:
// 1 for d < minDist, exp(-(d - minDist) / spread) beyond, sampled at 300 points on [0, 3 spread]. It is
// umap-learn's find_ab_params (umap/umap_.py), which calls scipy.optimize.curve_fit (Levenberg-Marquardt from
// a = b = 1); this is a Levenberg-Marquardt fit with the analytic Jacobian from the same start. For the defaults
// spread 1, minDist 0.1 it gives a ≈ 1.577, b ≈ 0.895.
func FindABParams(spread, minDist float64) (a, b float64, err error) {
	if !(spread > 0) || !(minDist >= 0) || minDist > 3*spread {
		return 0, 0, fmt.Errorf("analysis: FindABParams: need spread > 0 and 0 <= minDist <= 3*spread, got spread %v, minDist %v", spread, minDist)
	}
	const m = 300
	xs := make([]float64, m)
	ys := make([]float64, m)
	for i := range xs {
		xs[i] = 3 * spread * float64(i) / float64(m-1) // np.linspace(0, spread*3, 300)
		if xs[i] < minDist {
			ys[i] = 1
		} else {
			ys[i] = math.Exp(-(xs[i] - minDist) / spread)
		}
	}
	cost := func(a, b float64) float64 {
		s := 0.0
		for i, x := range xs {
			r := 1/(1+a*math.Pow(x, 2*b)) - ys[i]
			s += r * r
		}
		return s
	}
	a, b = 1, 1
	c := cost(a, b)
	lambda := 1e-3
	for iter := 0; iter < 1000; iter++ {
		// Normal equations J^T J and J^T r at (a, b).
		var jaa, jab, jbb, ga, gb float64
		for i, x := range xs {
			t := math.Pow(x, 2*b)
			den := 1 + a*t
			r := 1/den - ys[i]
			da := -t / (den * den)
			db := 0.0
			if x > 0 {
				db = -a * t * 2 * math.Log(x) / (den * den)
			}
			jaa += da * da
			jab += da * db
			jbb += db * db
			ga += da * r
			gb += db * r
		}
		improved := false
		for try := 0; try < 50; try++ {
			m11, m22 := jaa*(1+lambda), jbb*(1+lambda)
			det := m11*m22 - jab*jab
			if det == 0 || math.IsNaN(det) {
				lambda *= 10
				continue
			}
			stepA := -(m22*ga - jab*gb) / det
			stepB := -(m11*gb - jab*ga) / det
			na, nb := a+stepA, b+stepB
			if na > 0 && nb > 0 {
				if nc := cost(na, nb); nc < c {
					small := math.Abs(stepA) <= 1e-12*math.Abs(a) && math.Abs(stepB) <= 1e-12*math.Abs(b)
					flat := c-nc <= 1e-15*c
					a, b, c = na, nb, nc
					lambda = math.Max(lambda/10, 1e-12)
					improved = true
					if small || flat {
						return a, b, nil
					}
					break
				}
			}
			lambda *= 10
		}
		if !improved {
			break // no step lowers the cost: at the minimum to machine precision
		}
	}
	return a, b, nil
}
