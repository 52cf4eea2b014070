package validate

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Logistic is a multinomial logistic-regression probe on standardised features: the paper's "15-way
// logistic-regression probe" (docs/method.md), fitted like scikit-learn's
//
//	make_pipeline(StandardScaler(), LogisticRegression(C=C))             # lbfgs, multinomial, L2
//
// Features are standardised with the training rows' mean and population standard deviation (a constant
// feature keeps scale 1). With z = (x - Mean) / Scale, class k scores W_k·z + b_k and
//
//	p(k | x) = softmax_k(W z + b)
//	loss(W, b) = 1/n * sum_i -log p(y_i | x_i) + 1/(2 C n) * ||W||²      (b is not penalised)
//
// the objective scikit-learn minimises (C times the summed loss plus ½||W||², rescaled). It is strictly
// convex in W, so the coefficients are unique; the intercepts are unique up to a constant shared by all
// classes, and start at 0 and stay centred, as scikit-learn's do. The fit is L-BFGS from zero, single
// threaded: the same data give the same probe bit for bit.
type Logistic struct {
	Mean, Scale []float64  // [D] the standardisation fitted on the training rows
	W           *mat.Dense // [K, D] coefficients in the standardised space (sklearn coef_)
	B           []float64  // [K] intercepts (sklearn intercept_)
	Iterations  int        // L-BFGS iterations used
}

// DefaultC is the inverse regularisation strength of the probe: scikit-learn's default.
const DefaultC = 1.0

// FitLogistic fits the probe to rows x [n, D] with labels y [n] in 0..k-1. c is the inverse regularisation
// strength (sklearn's C; 0 means DefaultC). Every class must have at least one row.
func FitLogistic(x *mat.Dense, y []int, k int, c float64) (*Logistic, error) {
	return fitLogistic(x, y, k, c, exactFit())
}

// FitLogisticQuick is FitLogistic stopped as scikit-learn's defaults stop (tolerance 1e-4, at most 100
// iterations) instead of at the exact optimum: for cross-validation, where many probes are fitted.
func FitLogisticQuick(x *mat.Dense, y []int, k int, c float64) (*Logistic, error) {
	return fitLogistic(x, y, k, c, quickFit())
}

func fitLogistic(x *mat.Dense, y []int, k int, c float64, fit *optimize.Settings) (*Logistic, error) {
	if x == nil {
		return nil, errors.New("validate: FitLogistic: nil matrix")
	}
	n, d := x.Dims()
	if len(y) != n {
		return nil, fmt.Errorf("validate: FitLogistic: %d labels for %d rows", len(y), n)
	}
	if k < 2 {
		return nil, fmt.Errorf("validate: FitLogistic: %d class(es): a probe needs at least 2", k)
	}
	if c == 0 {
		c = DefaultC
	}
	if !(c > 0) || math.IsInf(c, 0) {
		return nil, fmt.Errorf("validate: FitLogistic: C = %g: must be a positive number (1 is scikit-learn's default)", c)
	}
	count := make([]int, k)
	for i, l := range y {
		if l < 0 || l >= k {
			return nil, fmt.Errorf("validate: FitLogistic: label %d of row %d is outside 0..%d", l, i, k-1)
		}
		count[l]++
	}
	for l, m := range count {
		if m == 0 {
			return nil, fmt.Errorf("validate: FitLogistic: class %d has no training row", l)
		}
	}

	p := &Logistic{Mean: make([]float64, d), Scale: make([]float64, d)}
	for j := 0; j < d; j++ {
		s := 0.0
		for i := 0; i < n; i++ {
			s += x.At(i, j)
		}
		m := s / float64(n)
		v := 0.0
		for i := 0; i < n; i++ {
			dv := x.At(i, j) - m
			v += dv * dv
		}
		sd := math.Sqrt(v / float64(n))
		// As sklearn's StandardScaler: a constant feature (up to rounding) keeps scale 1.
		if sd <= 1e-12*math.Max(1, math.Abs(m)) {
			sd = 1
		}
		p.Mean[j], p.Scale[j] = m, sd
	}
	W, b, iters, err := fitSoftmax(denseDesign{p.standardise(x)}, y, k, c, fit)
	if err != nil {
		return nil, err
	}
	p.W, p.B, p.Iterations = W, b, iters
	return p, nil
}

// design is the feature matrix Z [n, D] of a softmax regression, as the two products the fit needs: dense
// (standardised activations) or sparse (TF-IDF rows of words).
type design interface {
	Dims() (n, d int)
	// Logits sets dst [n, K] = Z W^T.
	Logits(dst, W *mat.Dense)
	// GradW sets dst [K, D] = G^T Z for G [n, K].
	GradW(dst, G *mat.Dense)
}

type denseDesign struct{ z *mat.Dense }

func (d denseDesign) Dims() (int, int) { return d.z.Dims() }

func (d denseDesign) Logits(dst, W *mat.Dense) {
	if !contiguous(d.z, dst) {
		dst.Mul(d.z, W.T())
		return
	}
	n, features := d.z.Dims()
	k, _ := W.Dims()
	matMul(dst.RawMatrix().Data, d.z.RawMatrix().Data, transposed(W), n, features, k)
}

func (d denseDesign) GradW(dst, G *mat.Dense) {
	if !contiguous(d.z, dst) {
		dst.Mul(G.T(), d.z)
		return
	}
	n, features := d.z.Dims()
	_, k := G.Dims()
	matMul(dst.RawMatrix().Data, transposed(G), d.z.RawMatrix().Data, k, n, features)
}

// Fit settings, made anew for each fit: a Converger keeps state, so two fits must not share one.
// exactFit matches scikit-learn to 1e-5 (the golden test) and may take hundreds of iterations; quickFit
// stops as scikit-learn's defaults do (tol 1e-4, at most 100 iterations), which moves the accuracies of a
// cross-validation by far less than their sampling error, at a fraction of the cost.
func exactFit() *optimize.Settings {
	return &optimize.Settings{
		GradientThreshold: 1e-10,
		MajorIterations:   20000,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-15, Relative: 1e-15, Iterations: 50},
	}
}

func quickFit() *optimize.Settings {
	return &optimize.Settings{
		GradientThreshold: 1e-4,
		MajorIterations:   100,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-9, Relative: 1e-4, Iterations: 3},
	}
}

// fitSoftmax minimises the multinomial logistic loss with an L2 penalty 1/(2 C n) ||W||² (b not penalised)
// by L-BFGS from zero: the objective of the Logistic comment, on any design.
func fitSoftmax(z design, y []int, k int, c float64, settings *optimize.Settings) (W *mat.Dense, b []float64, iters int, err error) {
	n, d := z.Dims()
	lambda := 1 / (c * float64(n))
	probs := mat.NewDense(n, k, nil)
	// forward sets probs to p(k | x_i) at theta and returns the objective. The line search asks for the
	// objective and then the gradient at the same point, as two calls: at holds the theta probs belong
	// to, so the gradient reuses them (the logits are most of a fit's time).
	var at []float64
	forward := func(theta []float64) float64 {
		W := mat.NewDense(k, d, theta[:k*d])
		b := theta[k*d:]
		z.Logits(probs, W) // [n, K] logits
		loss := 0.0
		for i := 0; i < n; i++ {
			row := probs.RawRowView(i)
			for c := range row {
				row[c] += b[c]
			}
			lse := logSumExp(row)
			loss += lse - row[y[i]]
			for c := range row {
				row[c] = math.Exp(row[c] - lse)
			}
		}
		reg := 0.0
		for _, w := range theta[:k*d] {
			reg += w * w
		}
		at = append(at[:0], theta...)
		return loss/float64(n) + 0.5*lambda*reg
	}
	grad := func(g, theta []float64) {
		if !slices.Equal(at, theta) {
			forward(theta)
		}
		at = at[:0] // probs become the gradient of the logits below
		// dL/dlogits = (P - Y) / n
		for i := 0; i < n; i++ {
			probs.Set(i, y[i], probs.At(i, y[i])-1)
		}
		probs.Scale(1/float64(n), probs)
		gW := mat.NewDense(k, d, g[:k*d])
		z.GradW(gW, probs) // [K, D]
		for j, w := range theta[:k*d] {
			g[j] += lambda * w
		}
		gb := g[k*d:]
		for c := range gb {
			gb[c] = 0
		}
		for i := 0; i < n; i++ {
			for c, v := range probs.RawRowView(i) {
				gb[c] += v
			}
		}
	}
	prob := optimize.Problem{Func: forward, Grad: grad}
	res, err := optimize.Minimize(prob, make([]float64, k*d+k), settings, &optimize.LBFGS{Store: 20})
	if err != nil && res == nil {
		return nil, nil, 0, fmt.Errorf("validate: FitLogistic: L-BFGS: %w", err)
	}
	if res == nil || math.IsNaN(res.F) {
		return nil, nil, 0, fmt.Errorf("validate: FitLogistic: L-BFGS did not converge (%v)", err)
	}
	theta := res.X
	return mat.NewDense(k, d, append([]float64(nil), theta[:k*d]...)), append([]float64(nil), theta[k*d:]...),
		res.Stats.MajorIterations, nil
}

// standardise returns (x - Mean) / Scale.
func (p *Logistic) standardise(x *mat.Dense) *mat.Dense {
	n, d := x.Dims()
	z := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		src, dst := x.RawRowView(i), z.RawRowView(i)
		for j := range dst {
			dst[j] = (src[j] - p.Mean[j]) / p.Scale[j]
		}
	}
	return z
}

// Probabilities returns p(k | x) for each row of x [m, D]: [m, K], rows summing to 1.
func (p *Logistic) Probabilities(x *mat.Dense) *mat.Dense {
	z := p.standardise(x)
	m, _ := z.Dims()
	k, _ := p.W.Dims()
	out := mat.NewDense(m, k, nil)
	out.Mul(z, p.W.T())
	for i := 0; i < m; i++ {
		row := out.RawRowView(i)
		for c := range row {
			row[c] += p.B[c]
		}
		lse := logSumExp(row)
		for c := range row {
			row[c] = math.Exp(row[c] - lse)
		}
	}
	return out
}

// logSumExp returns log(sum(exp(v))) without overflow. It first clears the vector registers' upper
// halves (clearUpperBits): math.Exp is the validation's hottest call, and with dirty upper halves it
// ran 13x slower on an AVX-512 Xeon.
func logSumExp(v []float64) float64 {
	clearUpperBits()
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	s := 0.0
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}
