package numeric

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// UMAP initialisations.
const (
	InitSpectral = "spectral" // eigenvectors of the graph's normalised Laplacian (umap-learn's default)
	InitRandom   = "random"   // uniform in [-10, 10]
)

// spectralMaxRows bounds the dense eigen-decomposition of the Laplacian (memory n^2, time n^3).
const spectralMaxRows = 5000

// UMAPOptions configures UMAP. Start from DefaultUMAPOptions; Validate says which field is wrong.
type UMAPOptions struct {
	NNeighbors         int     // neighbourhood size, self included (default 15; the medium set uses 10)
	NComponents        int     // embedding dimension (default 2)
	MinDist            float64 // how tightly points may pack in the embedding (default 0.1)
	Spread             float64 // scale of the embedded points (default 1)
	NEpochs            int     // SGD epochs; 0 means 500 for n <= 10000, else 200 (umap-learn's rule)
	LearningRate       float64 // initial SGD step, decayed linearly to 0 (default 1)
	NegativeSampleRate int     // negative samples per positive sample (default 5)
	RepulsionStrength  float64 // weight of negative samples, umap-learn's gamma (default 1)
	Metric             Metric  // distance in the input space (default Euclidean; Cosine suits emotion vectors)
	Init               string  // InitSpectral (default) or InitRandom
	Seed               uint64  // seeds the PCG generator of all random choices
}

// DefaultUMAPOptions returns umap-learn's defaults, which are also the paper's tool's (n_neighbors 15,
// min_dist 0.1), with Euclidean metric and seed 42.
func DefaultUMAPOptions() UMAPOptions {
	return UMAPOptions{
		NNeighbors:         15,
		NComponents:        2,
		MinDist:            0.1,
		Spread:             1,
		LearningRate:       1,
		NegativeSampleRate: 5,
		RepulsionStrength:  1,
		Metric:             Euclidean,
		Init:               InitSpectral,
		Seed:               42,
	}
}

// Validate checks every field and names the first that breaks its rule.
func (o UMAPOptions) Validate() error {
	switch {
	case o.NNeighbors < 2:
		return fmt.Errorf("analysis: UMAP: NNeighbors %d must be >= 2 (start from DefaultUMAPOptions)", o.NNeighbors)
	case o.NComponents < 1:
		return fmt.Errorf("analysis: UMAP: NComponents %d must be >= 1", o.NComponents)
	case !(o.Spread > 0):
		return fmt.Errorf("analysis: UMAP: Spread %v must be > 0", o.Spread)
	case !(o.MinDist >= 0) || o.MinDist > o.Spread:
		return fmt.Errorf("analysis: UMAP: MinDist %v must be in [0, Spread=%v]", o.MinDist, o.Spread)
	case o.NEpochs < 0:
		return fmt.Errorf("analysis: UMAP: NEpochs %d must be >= 0 (0 chooses)", o.NEpochs)
	case !(o.LearningRate > 0):
		return fmt.Errorf("analysis: UMAP: LearningRate %v must be > 0", o.LearningRate)
	case o.NegativeSampleRate < 0:
		return fmt.Errorf("analysis: UMAP: NegativeSampleRate %d must be >= 0", o.NegativeSampleRate)
	case !(o.RepulsionStrength >= 0):
		return fmt.Errorf("analysis: UMAP: RepulsionStrength %v must be >= 0", o.RepulsionStrength)
	case o.Init != InitSpectral && o.Init != InitRandom:
		return fmt.Errorf("analysis: UMAP: Init %q must be %q or %q", o.Init, InitSpectral, InitRandom)
	}
	if err := o.Metric.valid(); err != nil {
		return fmt.Errorf("analysis: UMAP: %w", err)
	}
	return nil
}

// UMAPResult is an embedding and how it was made.
type UMAPResult struct {
	Embedding *mat.Dense // [n, NComponents]
	A, B      float64    // curve parameters fitted from MinDist and Spread (see FindABParams)
	Init      string     // the initialisation actually used (random after a spectral fallback)
	NEpochs   int        // epochs actually run
	Warnings  []string   // what was adjusted or fell back, for the caller to show
}

// UMAP embeds the rows of x [n, D] in NComponents dimensions with the algorithm of McInnes, Healy and Melville,
// "UMAP: Uniform Manifold Approximation and Projection for Dimension Reduction" (2018), following umap-learn
// 0.5's code path for small data:
//
//  1. exact k nearest neighbours (self included) under opts.Metric;
//  2. fuzzy simplicial set: per row rho and sigma by smooth_knn_dist's bisection, memberships
//     exp(-(d - rho) / sigma), symmetrised by fuzzy union (set_op_mix_ratio 1);
//  3. edges weaker than max/NEpochs dropped; a, b from FindABParams(Spread, MinDist);
//  4. spectral initialisation from the eigenvectors 1..NComponents of the normalised Laplacian
//     I - D^-1/2 W D^-1/2 (dense gonum EigenSym), scaled to at most 10 with N(0, 1e-4) noise; a disconnected
//     graph is laid out component by component as umap-learn's multi_component_layout does (see
//     spectralLayout), with a warning; when n > 5000 or the eigen-solver fails, random initialisation and a
//     warning; then each axis rescaled to [0, 10];
//  5. SGD for NEpochs epochs: each edge is sampled every epochs_per_sample = max_w / w epochs, attracting
//     both ends with gradient -2ab d^(2(b-1)) / (1 + a d^2b), followed by NegativeSampleRate repelling samples
//     with gradient 2 gamma b / ((0.001 + d^2)(1 + a d^2b)), each coordinate clipped to [-4, 4], learning rate
//     decayed linearly from LearningRate to 0.
//
// Unlike umap-learn, it runs single-threaded in float64 with one PCG stream, so the same seed gives the same
// embedding; it does not reproduce umap-learn's numbers (different random streams, eigenvector signs), only its
// quality, which the tests check by trustworthiness. n = 171 runs in well under a second.
func UMAP(x *mat.Dense, opts UMAPOptions) (*UMAPResult, error) {
	if x == nil {
		return nil, errors.New("analysis: UMAP: nil matrix")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	n, _ := x.Dims()
	if n < 3 {
		return nil, fmt.Errorf("analysis: UMAP: need at least 3 rows, got %d", n)
	}
	res := &UMAPResult{Init: opts.Init}
	k := opts.NNeighbors
	if k > n-1 {
		k = n - 1
		res.Warnings = append(res.Warnings, fmt.Sprintf("NNeighbors %d is not below the %d rows: using %d", opts.NNeighbors, n, k))
	}
	a, b, err := FindABParams(opts.Spread, opts.MinDist)
	if err != nil {
		return nil, fmt.Errorf("analysis: UMAP: %w", err)
	}
	res.A, res.B = a, b
	nEpochs := opts.NEpochs
	if nEpochs == 0 {
		nEpochs = 500
		if n > 10000 {
			nEpochs = 200
		}
	}
	res.NEpochs = nEpochs

	// 1-2. Fuzzy simplicial set.
	dist := pairwiseDistances(x, opts.Metric)
	knnIdx, knnDist := exactKNN(dist, k)
	sigmas, rhos := smoothKNNDist(knnDist, float64(k))
	graph := fuzzyGraph(knnIdx, knnDist, sigmas, rhos)

	// 3. Edge list in row-major order, without edges too weak to be sampled in nEpochs.
	var head, tail []int
	var weight []float64
	maxW := 0.0
	for _, row := range graph {
		for _, w := range row {
			maxW = math.Max(maxW, w)
		}
	}
	if maxW == 0 {
		return nil, errors.New("analysis: UMAP: the neighbour graph has no edges (are all rows identical?)")
	}
	pruneBelow := maxW / float64(nEpochs)
	if nEpochs <= 10 {
		pruneBelow = maxW / 500 // umap-learn prunes by its default epochs when asked for very few
	}
	for i, row := range graph {
		cols := make([]int, 0, len(row))
		for j, w := range row {
			if w >= pruneBelow {
				cols = append(cols, j)
			}
		}
		sort.Ints(cols)
		for _, j := range cols {
			head = append(head, i)
			tail = append(tail, j)
			weight = append(weight, row[j])
		}
	}

	// 4. Initialisation.
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	dim := opts.NComponents
	var emb []float64 // [n*dim], row-major
	if opts.Init == InitSpectral {
		var why string
		emb, why = spectralLayout(x, opts.Metric, dim, head, tail, weight, rng)
		if emb == nil {
			res.Warnings = append(res.Warnings, "spectral initialisation unavailable ("+why+"): using random initialisation")
			res.Init = InitRandom
		} else {
			if why != "" {
				res.Warnings = append(res.Warnings, why)
			}
			maxAbs := 0.0
			for _, v := range emb {
				maxAbs = math.Max(maxAbs, math.Abs(v))
			}
			for i := range emb {
				emb[i] = emb[i]*10/maxAbs + 1e-4*rng.NormFloat64()
			}
		}
	}
	if emb == nil {
		emb = make([]float64, n*dim)
		for i := range emb {
			emb[i] = rng.Float64()*20 - 10
		}
	}
	for c := 0; c < dim; c++ { // each axis to [0, 10]
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := 0; i < n; i++ {
			lo, hi = math.Min(lo, emb[i*dim+c]), math.Max(hi, emb[i*dim+c])
		}
		span := hi - lo
		if span == 0 {
			span = 1
		}
		for i := 0; i < n; i++ {
			emb[i*dim+c] = 10 * (emb[i*dim+c] - lo) / span
		}
	}

	// 5. Layout.
	optimizeLayout(emb, n, dim, head, tail, weight, nEpochs, a, b, opts, rng)
	res.Embedding = mat.NewDense(n, dim, emb)
	return res, nil
}

// optimizeLayout is umap-learn's optimize_layout_euclidean (umap/layouts.py) for fitting, with move_other true:
// stochastic gradient descent on the fuzzy cross-entropy, edges sampled in proportion to their weight.
func optimizeLayout(emb []float64, n, dim int, head, tail []int, weight []float64, nEpochs int, a, b float64, opts UMAPOptions, rng *rand.Rand) {
	maxW := 0.0
	for _, w := range weight {
		maxW = math.Max(maxW, w)
	}
	// make_epochs_per_sample: an edge of weight w is used every maxW/w epochs.
	ne := len(head)
	epochsPerSample := make([]float64, ne)
	for e, w := range weight {
		epochsPerSample[e] = maxW / w
	}
	negRate := float64(opts.NegativeSampleRate)
	epochsPerNeg := make([]float64, ne)
	nextNeg := make([]float64, ne)
	nextSample := make([]float64, ne)
	for e := range epochsPerSample {
		epochsPerNeg[e] = epochsPerSample[e] / negRate // +Inf when the rate is 0: no negative samples
		nextNeg[e] = epochsPerNeg[e]
		nextSample[e] = epochsPerSample[e]
	}
	clip := func(v float64) float64 { return math.Max(-4, math.Min(4, v)) }
	gamma := opts.RepulsionStrength
	alpha := opts.LearningRate
	for epoch := 0; epoch < nEpochs; epoch++ {
		fe := float64(epoch)
		for e := 0; e < ne; e++ {
			if nextSample[e] > fe {
				continue
			}
			j, k := head[e], tail[e]
			cur := emb[j*dim : (j+1)*dim]
			oth := emb[k*dim : (k+1)*dim]
			d2 := sqDist(cur, oth)
			gc := 0.0
			if d2 > 0 {
				pw := math.Exp(b * math.Log(d2)) // d2^b; d2^(b-1) = pw/d2
				gc = -2 * a * b * (pw / d2) / (a*pw + 1)
			}
			for c := 0; c < dim; c++ {
				g := clip(gc * (cur[c] - oth[c]))
				cur[c] += g * alpha
				oth[c] -= g * alpha
			}
			nextSample[e] += epochsPerSample[e]

			nNeg := 0
			if negRate > 0 {
				nNeg = int((fe - nextNeg[e]) / epochsPerNeg[e])
			}
			for p := 0; p < nNeg; p++ {
				k := rng.IntN(n)
				oth := emb[k*dim : (k+1)*dim]
				d2 := sqDist(cur, oth)
				if d2 > 0 {
					gc = 2 * gamma * b / ((0.001 + d2) * (a*math.Exp(b*math.Log(d2)) + 1))
				} else if j == k {
					continue
				} else {
					gc = 0
				}
				for c := 0; c < dim; c++ {
					g := 4.0 // coincident distinct points: push apart by the clip value
					if gc > 0 {
						g = clip(gc * (cur[c] - oth[c]))
					}
					cur[c] += g * alpha
				}
			}
			if nNeg > 0 {
				nextNeg[e] += float64(nNeg) * epochsPerNeg[e]
			}
		}
		alpha = opts.LearningRate * (1 - float64(epoch)/float64(nEpochs))
	}
}
