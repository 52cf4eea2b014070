package numeric

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// spectralLayout returns the [n*dim] spectral initialisation of the graph given by its edges (both directions
// present), following umap-learn's spectral_layout (umap/spectral.py). A connected graph gets the eigenvectors
// 1..dim of its normalised Laplacian. A disconnected one gets multi_component_layout: each component is placed
// at a "meta" position (the ±unit axes when there are at most 2*dim components, otherwise a spectral embedding of
// the components' centroids in data space with affinity exp(-d^2)), and laid out inside a box of half the distance
// to the nearest other component, by its own spectral embedding, or uniformly at random if it is too small.
// It returns nil and the reason when it cannot; a non-empty note with a non-nil layout is a warning for the caller.
func spectralLayout(x *mat.Dense, metric Metric, dim int, head, tail []int, weight []float64, rng *rand.Rand) ([]float64, string) {
	n, _ := x.Dims()
	if n > spectralMaxRows {
		return nil, fmt.Sprintf("%d rows exceed the dense eigen-solver's limit of %d", n, spectralMaxRows)
	}
	labels, nComp := componentLabels(n, head, tail)
	if nComp == 1 {
		if dim+1 >= n {
			return nil, fmt.Sprintf("%d components need more than %d rows", dim, n)
		}
		out, err := connectedSpectral(n, dim, head, tail, weight)
		if err != nil {
			return nil, err.Error()
		}
		return out, ""
	}

	meta, err := componentMeta(x, metric, labels, nComp, dim)
	if err != nil {
		return nil, fmt.Sprintf("the neighbour graph has %d components and placing them failed: %v", nComp, err)
	}
	out := make([]float64, n*dim)
	members := make([][]int, nComp)
	for i, l := range labels {
		members[l] = append(members[l], i)
	}
	local := make([]int, n) // index of each row inside its component
	for _, m := range members {
		for li, i := range m {
			local[i] = li
		}
	}
	for c, m := range members {
		dataRange := math.Inf(1) // half the distance to the nearest other component
		for o := 0; o < nComp; o++ {
			if d := math.Sqrt(sqDist(meta[c], meta[o])); d > 0 {
				dataRange = math.Min(dataRange, d/2)
			}
		}
		if math.IsInf(dataRange, 1) {
			dataRange = 1
		}
		var sub []float64
		if len(m) >= 2*dim && len(m) > dim+1 {
			var sh, st []int
			var sw []float64
			for e, h := range head {
				if labels[h] == c {
					sh, st, sw = append(sh, local[h]), append(st, local[tail[e]]), append(sw, weight[e])
				}
			}
			if s, err := connectedSpectral(len(m), dim, sh, st, sw); err == nil {
				maxAbs := 0.0
				for _, v := range s {
					maxAbs = math.Max(maxAbs, math.Abs(v))
				}
				if maxAbs > 0 {
					sub = s
					for i := range sub {
						sub[i] *= dataRange / maxAbs
					}
				}
			}
		}
		if sub == nil { // too small for a spectral layout (or it failed): uniform in the box
			sub = make([]float64, len(m)*dim)
			for i := range sub {
				sub[i] = (2*rng.Float64() - 1) * dataRange
			}
		}
		for li, i := range m {
			for d := 0; d < dim; d++ {
				out[i*dim+d] = sub[li*dim+d] + meta[c][d]
			}
		}
	}
	return out, fmt.Sprintf("the neighbour graph has %d disconnected components: laid out separately", nComp)
}

// componentMeta places nComp components in dim dimensions (umap-learn's multi_component_layout and
// component_layout): for at most 2*dim components, the unit axes and their negatives; beyond that, a spectral
// embedding of the centroids' complete graph with affinity exp(-d^2) under metric, scaled to a maximum of 1
// (falling back to the centroids' principal components when that affinity graph is numerically disconnected).
func componentMeta(x *mat.Dense, metric Metric, labels []int, nComp, dim int) ([][]float64, error) {
	meta := make([][]float64, nComp)
	for c := range meta {
		meta[c] = make([]float64, dim)
	}
	if nComp <= 2*dim {
		k := (nComp + 1) / 2
		for c := 0; c < nComp; c++ {
			if c < k {
				meta[c][c] = 1
			} else {
				meta[c][c-k] = -1
			}
		}
		return meta, nil
	}
	n, d := x.Dims()
	cent := mat.NewDense(nComp, d, nil)
	counts := make([]float64, nComp)
	for i := 0; i < n; i++ {
		row := cent.RawRowView(labels[i])
		for j, v := range x.RawRowView(i) {
			row[j] += v
		}
		counts[labels[i]]++
	}
	for c := 0; c < nComp; c++ {
		row := cent.RawRowView(c)
		for j := range row {
			row[j] /= counts[c]
		}
	}
	dist := pairwiseDistances(cent, metric)
	var head, tail []int
	var weight []float64
	for i := 0; i < nComp; i++ {
		for j := 0; j < nComp; j++ {
			if w := math.Exp(-dist[i][j] * dist[i][j]); i != j && w > 0 {
				head, tail, weight = append(head, i), append(tail, j), append(weight, w)
			}
		}
	}
	var flat []float64
	if _, c := componentLabels(nComp, head, tail); c == 1 {
		if s, err := connectedSpectral(nComp, dim, head, tail, weight); err == nil {
			flat = s
		}
	}
	if flat == nil {
		p, err := PCA(cent, min(dim, nComp, d))
		if err != nil {
			return nil, err
		}
		flat = make([]float64, nComp*dim)
		_, k := p.Scores.Dims()
		for c := 0; c < nComp; c++ {
			for j := 0; j < k; j++ {
				flat[c*dim+j] = p.Scores.At(c, j)
			}
		}
	}
	maxV := 0.0
	for _, v := range flat {
		maxV = math.Max(maxV, math.Abs(v))
	}
	if maxV == 0 {
		maxV = 1
	}
	for c := 0; c < nComp; c++ {
		for j := 0; j < dim; j++ {
			meta[c][j] = flat[c*dim+j] / maxV
		}
	}
	return meta, nil
}

// connectedSpectral returns the eigenvectors 1..dim (by ascending eigenvalue; vector 0 is the trivial
// sqrt(degree) one) of the normalised Laplacian I - D^-1/2 W D^-1/2 of a connected graph on n vertices, as an
// [n*dim] row-major slice.
func connectedSpectral(n, dim int, head, tail []int, weight []float64) ([]float64, error) {
	if dim+1 > n {
		return nil, fmt.Errorf("%d dimensions need more than %d vertices", dim, n)
	}
	deg := make([]float64, n)
	for e, h := range head {
		deg[h] += weight[e]
	}
	L := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		L.SetSym(i, i, 1)
	}
	for e, h := range head {
		if t := tail[e]; h <= t {
			L.SetSym(h, t, L.At(h, t)-weight[e]/math.Sqrt(deg[h]*deg[t]))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(L, true) {
		return nil, fmt.Errorf("the eigen-decomposition of the %dx%d Laplacian did not converge", n, n)
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	out := make([]float64, n*dim)
	for i := 0; i < n; i++ {
		for c := 0; c < dim; c++ {
			out[i*dim+c] = vecs.At(i, c+1)
		}
	}
	return out, nil
}

// componentLabels labels the connected components of the graph given by its edges (union-find), numbered from 0
// in order of their lowest vertex, and returns their count.
func componentLabels(n int, head, tail []int) ([]int, int) {
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for e, h := range head {
		if a, b := find(h), find(tail[e]); a != b {
			parent[max(a, b)] = min(a, b)
		}
	}
	labels := make([]int, n)
	id := map[int]int{}
	for i := range labels {
		r := find(i)
		if _, ok := id[r]; !ok {
			id[r] = len(id)
		}
		labels[i] = id[r]
	}
	return labels, len(id)
}
