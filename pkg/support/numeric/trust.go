package numeric

import (
	"fmt"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Trustworthiness measures how far an embedding y [n, d] keeps to the neighbourhoods of the original data
// x [n, D] (Venna and Kaski 2001), with sklearn.manifold.trustworthiness's semantics: for each point, each of its
// k nearest neighbours in y that is not among its k nearest in x is penalised by how far down x's ranking it
// sits (rank - k), and
//
//	T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in N_k^y(i) \ N_k^x(i)} (r(i, j) - k),
//
// where r(i, j) is j's rank (1 = nearest) among i's neighbours in x under metric; y always uses Euclidean
// distance. 1 means every embedded neighbourhood is a true one. k must be below n/2. Ties in distance are ranked
// by index (scikit-learn's argsort order is not specified for ties).
func Trustworthiness(x, y *mat.Dense, k int, metric Metric) (float64, error) {
	if x == nil || y == nil {
		return 0, fmt.Errorf("analysis: Trustworthiness: nil matrix")
	}
	n, _ := x.Dims()
	if ny, _ := y.Dims(); ny != n {
		return 0, fmt.Errorf("analysis: Trustworthiness: x has %d rows but the embedding has %d", n, ny)
	}
	if k < 1 || float64(k) >= float64(n)/2 {
		return 0, fmt.Errorf("analysis: Trustworthiness: k %d must be >= 1 and below n/2 = %v", k, float64(n)/2)
	}
	if err := metric.valid(); err != nil {
		return 0, fmt.Errorf("analysis: Trustworthiness: %w", err)
	}
	dx := pairwiseDistances(x, metric)
	dy := pairwiseDistances(y, Euclidean)
	order := make([]int, 0, n)
	rank := make([]int, n)
	sorted := func(row []float64, self int) []int {
		order = order[:0]
		for j := range row {
			if j != self {
				order = append(order, j)
			}
		}
		sort.SliceStable(order, func(a, b int) bool { return row[order[a]] < row[order[b]] })
		return order
	}
	t := 0.0
	for i := 0; i < n; i++ {
		for r, j := range sorted(dx[i], i) {
			rank[j] = r + 1
		}
		for _, j := range sorted(dy[i], i)[:k] {
			if p := rank[j] - k; p > 0 {
				t += float64(p)
			}
		}
	}
	nf, kf := float64(n), float64(k)
	return 1 - t*2/(nf*kf*(2*nf-3*kf-1)), nil
}
