package numeric

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// KMeansOptions configures KMeans. Zero values take the documented defaults.
type KMeansOptions struct {
	K       int    // number of clusters, 1 <= K <= rows (required; the paper uses 10 on 171 emotions)
	NInit   int    // restarts from fresh k-means++ seeds; the lowest inertia wins (default 50: scikit-learn uses 10, but restarts are cheap at this scale and more of them find lower optima)
	MaxIter int    // Lloyd iterations per restart at most (default 300)
	Metric  Metric // Euclidean (default) or Cosine (spherical k-means)
	Seed    uint64 // seeds the PCG generator of every random choice
}

// KMeansResult is a clustering of n rows into K clusters.
type KMeansResult struct {
	// Labels [n]: cluster of each row, in 0..K-1, numbered in order of first appearance (row 0 is in cluster 0,
	// the next row not in cluster 0 starts cluster 1, ...), so equal partitions get equal labels.
	Labels []int
	// Centroids [K, D]: mean of each cluster; unit rows for Cosine.
	Centroids *mat.Dense
	// Inertia: for Euclidean the sum of squared distances to the own centroid (scikit-learn's inertia_); for
	// Cosine the sum of cosine distances 1 - cos(x, centroid).
	Inertia float64
	// Sizes [K]: rows per cluster; every cluster has at least one.
	Sizes []int
	// Iterations: Lloyd iterations of the winning restart.
	Iterations int
}

// KMeans clusters the rows of x [n, D].
//
// Each restart seeds with greedy k-means++ (Arthur and Vassilvitskii 2007; 2+ln K candidate draws per centre,
// as scikit-learn) and runs Lloyd iterations until no label changes (an exact local optimum, not a tolerance on
// centre movement), then refines with Hartigan's single-point moves, which escape many of Lloyd's poor local
// optima at little cost; the result is never worse than the Lloyd solution it starts from. A cluster that empties is re-seeded with the row farthest from its own centroid among rows of
// clusters with more than one member, so no cluster is ever empty. With Metric Cosine, rows are normalised to
// unit length and centroids renormalised after each update (spherical k-means, Dhillon and Modha 2001); a zero
// row is then an error.
func KMeans(x *mat.Dense, opts KMeansOptions) (*KMeansResult, error) {
	if x == nil {
		return nil, fmt.Errorf("analysis: KMeans: nil matrix")
	}
	n, d := x.Dims()
	if opts.K < 1 || opts.K > n {
		return nil, fmt.Errorf("analysis: KMeans: K %d must be between 1 and the number of rows %d", opts.K, n)
	}
	if err := opts.Metric.valid(); err != nil {
		return nil, fmt.Errorf("analysis: KMeans: %w", err)
	}
	if opts.NInit <= 0 {
		opts.NInit = 50
	}
	if opts.MaxIter <= 0 {
		opts.MaxIter = 300
	}
	data := x
	if opts.Metric == Cosine {
		if i := zeroRow(x); i >= 0 {
			return nil, fmt.Errorf("analysis: KMeans: cosine metric: row %d is all zeros and has no direction", i)
		}
		data = normalizedRows(x)
	}
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = data.RawRowView(i)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	var best *kmRun
	for r := 0; r < opts.NInit; r++ {
		run := lloyd(rows, d, opts.K, opts.MaxIter, opts.Metric == Cosine, rng)
		if best == nil || run.sse < best.sse {
			best = run
		}
	}
	return best.result(d, opts.Metric == Cosine), nil
}

type kmRun struct {
	labels  []int
	centres [][]float64
	sse     float64 // sum of squared Euclidean distances to the own centre
	iters   int
}

// lloyd runs one restart: k-means++ seeding, then assignment and update steps until the labels are stable.
func lloyd(rows [][]float64, d, k, maxIter int, spherical bool, rng *rand.Rand) *kmRun {
	n := len(rows)
	centres := kmeansPlusPlus(rows, k, rng)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = -1
	}
	dist := make([]float64, n) // squared distance of each row to its centre
	iters := 0
	for iters < maxIter {
		iters++
		changed := false
		for i, r := range rows {
			bj, bd := 0, math.Inf(1)
			for j, c := range centres {
				if s := sqDist(r, c); s < bd {
					bj, bd = j, s
				}
			}
			if labels[i] != bj {
				labels[i] = bj
				changed = true
			}
			dist[i] = bd
		}
		if !changed {
			break
		}
		fixEmpty(labels, dist, k)
		updateCentres(rows, labels, centres, d, spherical)
	}
	if hartigan(rows, labels, k, d, spherical) {
		updateCentres(rows, labels, centres, d, spherical)
	}
	sse := 0.0
	for i, r := range rows {
		sse += sqDist(r, centres[labels[i]])
	}
	return &kmRun{labels: labels, centres: centres, sse: sse, iters: iters}
}

// hartigan refines a Lloyd solution by single-point moves (Hartigan and Wong 1979; Telgarsky and Vattani 2010):
// a row moves from cluster A to B whenever that lowers the objective counting the change of both means, which
// Lloyd's step cannot see. Euclidean: moving x lowers the sum of squares when
// n_B/(n_B+1) ||x - c_B||^2 < n_A/(n_A-1) ||x - c_A||^2. Spherical: the objective n - sum_j ||S_j|| (S_j the
// sum of cluster j's unit rows) drops when ||S_A - x|| + ||S_B + x|| > ||S_A|| + ||S_B||. Every Hartigan-stable
// labelling is also Lloyd-stable (each row nearest its own centroid) and never empties a cluster. It reports
// whether any row moved.
func hartigan(rows [][]float64, labels []int, k, d int, spherical bool) bool {
	sums := make([][]float64, k)
	for j := range sums {
		sums[j] = make([]float64, d)
	}
	counts := make([]int, k)
	for i, r := range rows {
		for c, v := range r {
			sums[labels[i]][c] += v
		}
		counts[labels[i]]++
	}
	// With sq[j] = ||S_j||^2 and xx = ||x||^2, every quantity below needs only the dot product x·S_j:
	// ||S ± x||^2 = sq ± 2 x·S + xx and ||x - S/n||^2 = xx - 2 x·S/n + sq/n^2.
	sq := make([]float64, k)
	for j := range sums {
		sq[j] = dot(sums[j], sums[j])
	}
	sqToMean := func(xx, xs float64, j int) float64 {
		nj := float64(counts[j])
		return math.Max(0, xx-2*xs/nj+sq[j]/(nj*nj))
	}
	movedAny := false
	for sweep := 0; sweep < 100; sweep++ {
		moved := false
		for i, x := range rows {
			a := labels[i]
			if counts[a] == 1 {
				continue
			}
			bestB, bestGain := -1, 0.0
			xx := dot(x, x)
			xa := dot(x, sums[a])
			var removeCost float64
			if spherical { // objective lost by leaving A: ||S_A|| - ||S_A - x||
				removeCost = math.Sqrt(sq[a]) - math.Sqrt(math.Max(0, sq[a]-2*xa+xx))
			} else {
				removeCost = float64(counts[a]) / float64(counts[a]-1) * sqToMean(xx, xa, a)
			}
			for b := 0; b < k; b++ {
				if b == a {
					continue
				}
				xb := dot(x, sums[b])
				var gain float64
				if spherical {
					gain = math.Sqrt(math.Max(0, sq[b]+2*xb+xx)) - math.Sqrt(sq[b]) - removeCost
				} else {
					gain = removeCost - float64(counts[b])/float64(counts[b]+1)*sqToMean(xx, xb, b)
				}
				if gain > bestGain {
					bestB, bestGain = b, gain
				}
			}
			if bestB < 0 || bestGain <= 1e-12*math.Max(1, math.Abs(removeCost)) {
				continue
			}
			for c, v := range x {
				sums[a][c] -= v
				sums[bestB][c] += v
			}
			counts[a]--
			counts[bestB]++
			sq[a], sq[bestB] = dot(sums[a], sums[a]), dot(sums[bestB], sums[bestB])
			labels[i] = bestB
			moved, movedAny = true, true
		}
		if !moved {
			break
		}
	}
	return movedAny
}

// kmeansPlusPlus picks k initial centres: the first uniformly, each next one among 2+ln(k) candidates drawn with
// probability proportional to the squared distance to the nearest chosen centre, keeping the candidate that
// lowers the total most (scikit-learn's greedy variant).
func kmeansPlusPlus(rows [][]float64, k int, rng *rand.Rand) [][]float64 {
	n := len(rows)
	trials := 2 + int(math.Log(float64(k)))
	centres := make([][]float64, 0, k)
	first := rows[rng.IntN(n)]
	centres = append(centres, append([]float64(nil), first...))
	closest := make([]float64, n)
	pot := 0.0
	for i, r := range rows {
		closest[i] = sqDist(r, first)
		pot += closest[i]
	}
	cand := make([]float64, n)
	for len(centres) < k {
		bestIdx, bestPot := -1, math.Inf(1)
		var bestClosest []float64
		for t := 0; t < trials; t++ {
			idx := sampleProportional(closest, pot, rng)
			p := 0.0
			for i, r := range rows {
				cand[i] = math.Min(closest[i], sqDist(r, rows[idx]))
				p += cand[i]
			}
			if p < bestPot {
				bestIdx, bestPot = idx, p
				bestClosest = append(bestClosest[:0], cand...)
			}
		}
		centres = append(centres, append([]float64(nil), rows[bestIdx]...))
		copy(closest, bestClosest)
		pot = bestPot
	}
	return centres
}

// sampleProportional draws an index with probability w[i]/total; with total 0 (all rows on chosen centres) it
// draws uniformly.
func sampleProportional(w []float64, total float64, rng *rand.Rand) int {
	if !(total > 0) {
		return rng.IntN(len(w))
	}
	u := rng.Float64() * total
	acc := 0.0
	for i, v := range w {
		acc += v
		if u < acc {
			return i
		}
	}
	for i := len(w) - 1; i >= 0; i-- { // rounding: fall back to the last row with weight
		if w[i] > 0 {
			return i
		}
	}
	return len(w) - 1
}

// fixEmpty gives every empty cluster the row farthest from its centre among rows whose cluster has more than one
// member, updating labels and dist in place.
func fixEmpty(labels []int, dist []float64, k int) {
	sizes := make([]int, k)
	for _, l := range labels {
		sizes[l]++
	}
	for j := 0; j < k; j++ {
		if sizes[j] > 0 {
			continue
		}
		far, fd := -1, -1.0
		for i, l := range labels {
			if sizes[l] > 1 && dist[i] > fd {
				far, fd = i, dist[i]
			}
		}
		sizes[labels[far]]--
		labels[far] = j
		sizes[j] = 1
		dist[far] = 0
	}
}

func updateCentres(rows [][]float64, labels []int, centres [][]float64, d int, spherical bool) {
	counts := make([]int, len(centres))
	for _, c := range centres {
		clear(c)
	}
	for i, r := range rows {
		c := centres[labels[i]]
		for t, v := range r {
			c[t] += v
		}
		counts[labels[i]]++
	}
	for j, c := range centres {
		for t := range c {
			c[t] /= float64(counts[j])
		}
		if spherical {
			if nr := math.Sqrt(dot(c, c)); nr > 0 {
				for t := range c {
					c[t] /= nr
				}
			}
		}
	}
}

// result renumbers clusters by first appearance and packs the run into a KMeansResult.
func (r *kmRun) result(d int, spherical bool) *KMeansResult {
	k := len(r.centres)
	perm := make([]int, k)
	for i := range perm {
		perm[i] = -1
	}
	next := 0
	for _, l := range r.labels {
		if perm[l] < 0 {
			perm[l] = next
			next++
		}
	}
	res := &KMeansResult{
		Labels:     make([]int, len(r.labels)),
		Centroids:  mat.NewDense(k, d, nil),
		Sizes:      make([]int, k),
		Iterations: r.iters,
		Inertia:    r.sse,
	}
	for i, l := range r.labels {
		res.Labels[i] = perm[l]
		res.Sizes[perm[l]]++
	}
	for j, c := range r.centres {
		res.Centroids.SetRow(perm[j], c)
	}
	if spherical {
		// For unit x and c, ||x - c||^2 = 2 (1 - cos(x, c)).
		res.Inertia = r.sse / 2
	}
	return res
}
