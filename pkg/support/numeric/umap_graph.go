package numeric

import (
	"math"
	"sort"
)

// Constants of umap-learn's smooth_knn_dist (umap/umap_.py).
const (
	smoothKTolerance = 1e-5
	minKDistScale    = 1e-3
)

// exactKNN returns, for each row, the indices and distances of its k nearest rows, itself first (distance 0),
// then the others by increasing distance (ties by index). It is the exact search umap-learn uses for small data
// (fewer than 4096 rows: pairwise distances, then fast_knn_indices).
func exactKNN(dist [][]float64, k int) (idx [][]int, d [][]float64) {
	n := len(dist)
	idx = make([][]int, n)
	d = make([][]float64, n)
	order := make([]int, 0, n)
	for i := 0; i < n; i++ {
		order = order[:0]
		for j := 0; j < n; j++ {
			if j != i {
				order = append(order, j)
			}
		}
		row := dist[i]
		sort.SliceStable(order, func(a, b int) bool { return row[order[a]] < row[order[b]] })
		idx[i] = append([]int{i}, order[:k-1]...)
		d[i] = make([]float64, k)
		for j, o := range idx[i] {
			d[i][j] = row[o]
		}
		d[i][0] = 0
	}
	return idx, d
}

// smoothKNNDist finds, for each row of knnDists [n, k] (sorted, self first), rho (the distance to the nearest
// neighbour at a positive distance, local_connectivity = 1) and sigma such that
// sum_{j>=1} exp(-max(0, d_j - rho) / sigma) = log2(k), by bisection: umap-learn's smooth_knn_dist with
// n_iter 64, bandwidth 1, and its floor of 1e-3 times the mean distance on sigma.
func smoothKNNDist(knnDists [][]float64, k float64) (sigmas, rhos []float64) {
	n := len(knnDists)
	target := math.Log2(k)
	sigmas = make([]float64, n)
	rhos = make([]float64, n)
	meanAll, cnt := 0.0, 0
	for _, row := range knnDists {
		for _, v := range row {
			meanAll += v
			cnt++
		}
	}
	meanAll /= float64(cnt)
	for i, row := range knnDists {
		for _, v := range row { // first positive distance (rows are sorted)
			if v > 0 {
				rhos[i] = v
				break
			}
		}
		lo, hi, mid := 0.0, math.MaxFloat64, 1.0
		for iter := 0; iter < 64; iter++ {
			psum := 0.0
			for _, v := range row[1:] {
				if dd := v - rhos[i]; dd > 0 {
					psum += math.Exp(-dd / mid)
				} else {
					psum += 1
				}
			}
			if math.Abs(psum-target) < smoothKTolerance {
				break
			}
			if psum > target {
				hi = mid
				mid = (lo + hi) / 2
			} else {
				lo = mid
				if hi >= math.MaxFloat64 {
					mid *= 2
				} else {
					mid = (lo + hi) / 2
				}
			}
		}
		sigmas[i] = mid
		floor := minKDistScale * meanAll
		if rhos[i] > 0 {
			m := 0.0
			for _, v := range row {
				m += v
			}
			floor = minKDistScale * m / float64(len(row))
		}
		if sigmas[i] < floor {
			sigmas[i] = floor
		}
	}
	return sigmas, rhos
}

// fuzzyGraph builds UMAP's symmetric fuzzy simplicial set from the kNN graph: directed memberships
// exp(-(d - rho_i) / sigma_i) (1 within rho, 0 for self), combined by fuzzy union A + A^T - A∘A^T
// (set_op_mix_ratio 1). Returned as one map per row, column -> weight, zero weights dropped.
func fuzzyGraph(knnIdx [][]int, knnDists [][]float64, sigmas, rhos []float64) []map[int]float64 {
	n := len(knnIdx)
	dir := make([]map[int]float64, n)
	for i := range dir {
		dir[i] = make(map[int]float64, len(knnIdx[i]))
		for j, col := range knnIdx[i] {
			var v float64
			switch {
			case col == i:
				v = 0
			case knnDists[i][j]-rhos[i] <= 0 || sigmas[i] == 0:
				v = 1
			default:
				v = math.Exp(-(knnDists[i][j] - rhos[i]) / sigmas[i])
			}
			if v != 0 {
				dir[i][col] = v
			}
		}
	}
	sym := make([]map[int]float64, n)
	for i := range sym {
		sym[i] = make(map[int]float64)
	}
	for i := range dir {
		for j, a := range dir[i] {
			b := dir[j][i]
			v := a + b - a*b
			if v != 0 {
				sym[i][j] = v
				sym[j][i] = v
			}
		}
	}
	return sym
}
