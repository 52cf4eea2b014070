package geometry

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/numeric"
	"gonum.org/v1/gonum/mat"
)

// Params are the analysis settings (config section "analysis").
type Params struct {
	KMeansK        int     // clusters; capped at the number of emotions
	KMeansMetric   string  // "cosine" or "euclidean"; also the metric of UMAP and its trustworthiness
	KMeansRestarts int     // k-means++ restarts, the lowest inertia wins
	UMAPNeighbors  int     // UMAP n_neighbors; capped at n-1
	UMAPMinDist    float64 // UMAP min_dist
	Seed           int64   // seeds k-means and UMAP
}

// ParamsFrom reads the analysis section of cfg.
func ParamsFrom(cfg *config.Config) Params {
	a := cfg.Analysis
	return Params{
		KMeansK: a.KMeansK, KMeansMetric: a.KMeansMetric, KMeansRestarts: a.KMeansRestarts,
		UMAPNeighbors: a.UMAPNeighbors, UMAPMinDist: a.UMAPMinDist, Seed: a.Seed,
	}
}

// maxScores is how many principal components' scores are kept per emotion.
const maxScores = 5

// minUMAP is the fewest emotions a UMAP map is made for: trustworthiness needs 1 <= k < n/2.
const minUMAP = 4

// orderMethod describes Cosine.Order.
const orderMethod = "k-means clusters by decreasing mean PC1 score, then emotions by decreasing PC1 score within each cluster"

// Analyze runs step 5 of the method on one layer's emotion vectors [n, D] (rows named by emotions): cosine
// similarities, PCA oriented by valence and arousal, k-means, and a 2-D UMAP map. It touches no file.
//
// n must be at least 2 (a PCA of one row means nothing); the UMAP map is skipped, with a note, below 4.
func Analyze(emotions []string, vectors *mat.Dense, layer int, p Params) (*Result, error) {
	if vectors == nil {
		return nil, fmt.Errorf("geometry: layer %d: nil vectors", layer)
	}
	n, _ := vectors.Dims()
	if len(emotions) != n {
		return nil, fmt.Errorf("geometry: layer %d: %d emotion names for %d vectors", layer, len(emotions), n)
	}
	if n < 2 {
		return nil, fmt.Errorf("geometry: layer %d: %d emotion vector(s): the analysis needs at least 2", layer, n)
	}
	metric, err := numeric.ParseMetric(p.KMeansMetric)
	if err != nil {
		return nil, fmt.Errorf("geometry: analysis.kmeans_metric: %w", err)
	}
	names := append([]string(nil), emotions...)
	r := &Result{Layer: layer}

	if r.PCA, err = runPCA(names, vectors, layer); err != nil {
		return nil, err
	}
	if r.KMeans, err = runKMeans(names, vectors, layer, p, metric); err != nil {
		return nil, err
	}
	if r.Cosine, err = runCosine(names, vectors, layer); err != nil {
		return nil, err
	}
	pc1 := column(r.PCA.Scores, 0)
	r.Cosine.Order = clusterOrder(r.KMeans.Labels, pc1)
	r.Cosine.OrderMethod = orderMethod
	r.KMeans.Members = members(names, r.KMeans.Labels, r.KMeans.K, pc1)
	if r.UMAP, err = runUMAP(names, vectors, layer, p, metric); err != nil {
		return nil, err
	}
	return r, nil
}

func runCosine(names []string, v *mat.Dense, layer int) (*Cosine, error) {
	s, err := numeric.CosineMatrix(v)
	if err != nil {
		return nil, fmt.Errorf("geometry: layer %d: cosine similarity: %w (emotion %q)", layer, err, zeroName(names, v))
	}
	n := len(names)
	c := &Cosine{Layer: layer, Emotions: names, Matrix: make([][]float64, n)}
	var pairs []Pair
	for i := range n {
		c.Matrix[i] = make([]float64, n)
		for j := range n {
			c.Matrix[i][j] = s.At(i, j)
			if j > i {
				pairs = append(pairs, Pair{A: names[i], B: names[j], Cosine: s.At(i, j)})
			}
		}
	}
	sort.SliceStable(pairs, func(a, b int) bool { return pairs[a].Cosine > pairs[b].Cosine })
	m := min(10, len(pairs))
	c.MostSimilar = append([]Pair(nil), pairs[:m]...)
	for i := range m {
		c.LeastSimilar = append(c.LeastSimilar, pairs[len(pairs)-1-i])
	}
	return c, nil
}

// zeroName names the first all-zero vector, for messages ("" if none).
func zeroName(names []string, v *mat.Dense) string {
	for i := range names {
		if mat.Norm(v.RowView(i), 2) == 0 {
			return names[i]
		}
	}
	return ""
}

func runPCA(names []string, v *mat.Dense, layer int) (*PCA, error) {
	res, err := numeric.PCA(v, 0)
	if err != nil {
		return nil, fmt.Errorf("geometry: layer %d: PCA: %w", layer, err)
	}
	_, k := res.Scores.Dims()
	m := min(maxScores, k)
	p := &PCA{Layer: layer, Emotions: names, ExplainedVarianceRatio: res.ExplainedVarianceRatio}
	p.Valence = orient(res, names, 0, "valence", numeric.PleasantEmotions, numeric.UnpleasantEmotions)
	p.Arousal = orient(res, names, 1, "arousal", numeric.HighArousalEmotions, numeric.LowArousalEmotions)
	p.Scores = make([][]float64, len(names))
	for i := range names {
		p.Scores[i] = make([]float64, m)
		for j := range m {
			p.Scores[i][j] = res.Scores.At(i, j)
		}
	}
	for j := range m {
		label := fmt.Sprintf("PC%d", j+1)
		switch {
		case j == 0 && p.Valence.Oriented:
			label += " (valence: pleasant +)"
		case j == 1 && p.Arousal.Oriented:
			label += " (arousal: high +)"
		}
		p.Labels = append(p.Labels, label)
	}
	return p, nil
}

// orient decides the sign of component comp from two lists of emotions and records how.
func orient(res *numeric.PCAResult, names []string, comp int, axis string, positive, negative []string) Orientation {
	o := Orientation{Component: comp, Axis: axis}
	_, k := res.Scores.Dims()
	if comp >= k {
		o.Note = fmt.Sprintf("PCA has only %d component(s)", k)
		return o
	}
	a, err := numeric.OrientComponent(res, comp, names, positive, negative)
	o.Positive, o.Negative = present(names, positive), present(names, negative)
	if err != nil {
		o.Note = fmt.Sprintf("not oriented: %d emotion(s) of the positive list and %d of the negative list are in this run; "+
			"at least one of each is needed, so the sign is arbitrary and the axis is not named", len(o.Positive), len(o.Negative))
		return o
	}
	o.Oriented, o.Flipped = true, a.Flipped
	o.PositiveMean, o.NegativeMean = a.PositiveMean, a.NegativeMean
	o.AUC = auc(res, names, comp, o.Positive, o.Negative)
	if o.AUC < 0.75 {
		o.Note = fmt.Sprintf("weak: only %.0f%% of (positive, negative) pairs are in the expected order on PC%d", 100*o.AUC, comp+1)
	}
	return o
}

// present returns the members of list found in names, in names' order.
func present(names, list []string) []string {
	in := map[string]bool{}
	for _, w := range list {
		in[strings.ToLower(strings.TrimSpace(w))] = true
	}
	var out []string
	for _, n := range names {
		if in[strings.ToLower(strings.TrimSpace(n))] {
			out = append(out, n)
		}
	}
	return out
}

// auc is the share of (p, q) pairs, p in pos and q in neg, with score(p) > score(q) (ties count half).
func auc(res *numeric.PCAResult, names []string, comp int, pos, neg []string) float64 {
	score := map[string]float64{}
	for i, n := range names {
		score[n] = res.Scores.At(i, comp)
	}
	var s float64
	for _, p := range pos {
		for _, q := range neg {
			switch {
			case score[p] > score[q]:
				s++
			case score[p] == score[q]:
				s += 0.5
			}
		}
	}
	return s / float64(len(pos)*len(neg))
}

func runKMeans(names []string, v *mat.Dense, layer int, p Params, metric numeric.Metric) (*KMeans, error) {
	n := len(names)
	km := &KMeans{Layer: layer, Emotions: names, RequestedK: p.KMeansK, K: p.KMeansK, Metric: metric.String(),
		Restarts: p.KMeansRestarts, Seed: p.Seed}
	if km.K < 1 {
		return nil, fmt.Errorf("geometry: analysis.kmeans_k %d must be >= 1", p.KMeansK)
	}
	if km.K > n {
		km.K = n
		km.Note = fmt.Sprintf("kmeans_k %d is more than the %d emotions: made %d clusters", p.KMeansK, n, n)
	}
	res, err := numeric.KMeans(v, numeric.KMeansOptions{K: km.K, NInit: p.KMeansRestarts, Metric: metric, Seed: uint64(p.Seed)})
	if err != nil {
		return nil, fmt.Errorf("geometry: layer %d: k-means: %w", layer, err)
	}
	km.Labels, km.Inertia, km.Sizes = res.Labels, res.Inertia, res.Sizes
	return km, nil
}

func runUMAP(names []string, v *mat.Dense, layer int, p Params, metric numeric.Metric) (*UMAP, error) {
	n := len(names)
	u := &UMAP{Layer: layer, Emotions: names, MinDist: p.UMAPMinDist, Metric: metric.String(), Seed: p.Seed,
		NNeighbors: p.UMAPNeighbors, Coords: [][2]float64{}}
	if n < minUMAP {
		u.Skipped = true
		u.Note = fmt.Sprintf("skipped: %d emotions are too few for a UMAP map (need at least %d)", n, minUMAP)
		return u, nil
	}
	if u.NNeighbors > n-1 {
		u.NNeighbors = n - 1
		u.Warnings = append(u.Warnings, fmt.Sprintf("umap_n_neighbors %d lowered to %d (the emotions minus one)", p.UMAPNeighbors, n-1))
	}
	opts := numeric.DefaultUMAPOptions()
	opts.NNeighbors, opts.MinDist, opts.Metric, opts.Seed = u.NNeighbors, p.UMAPMinDist, metric, uint64(p.Seed)
	res, err := numeric.UMAP(v, opts)
	if err != nil {
		return nil, fmt.Errorf("geometry: layer %d: UMAP: %w", layer, err)
	}
	u.Init, u.NEpochs = res.Init, res.NEpochs
	u.Warnings = append(u.Warnings, res.Warnings...)
	u.Coords = make([][2]float64, n)
	for i := range n {
		u.Coords[i] = [2]float64{res.Embedding.At(i, 0), res.Embedding.At(i, 1)}
	}
	u.TrustK = min(5, n/2-1)
	if u.Trustworthiness, err = numeric.Trustworthiness(v, res.Embedding, u.TrustK, metric); err != nil {
		return nil, fmt.Errorf("geometry: layer %d: UMAP trustworthiness: %w", layer, err)
	}
	return u, nil
}

// clusterOrder sorts indices by cluster (clusters by decreasing mean of key) and, within a cluster, by
// decreasing key; ties keep index order. With key = PC1 (valence once oriented) a heatmap in this order shows
// clusters as blocks running from pleasant to unpleasant.
func clusterOrder(labels []int, key []float64) []int {
	sum, cnt := map[int]float64{}, map[int]int{}
	for i, l := range labels {
		sum[l] += key[i]
		cnt[l]++
	}
	mean := func(l int) float64 { return sum[l] / float64(cnt[l]) }
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		i, j := order[a], order[b]
		if li, lj := labels[i], labels[j]; li != lj {
			if mi, mj := mean(li), mean(lj); mi != mj {
				return mi > mj
			}
			return li < lj
		}
		return key[i] > key[j]
	})
	return order
}

// members lists each cluster's emotions by decreasing key.
func members(names []string, labels []int, k int, key []float64) [][]string {
	out := make([][]string, k)
	for _, i := range clusterOrder(labels, key) {
		out[labels[i]] = append(out[labels[i]], names[i])
	}
	return out
}

func column(m [][]float64, j int) []float64 {
	out := make([]float64, len(m))
	for i, r := range m {
		if j < len(r) {
			out[i] = r[j]
		} else {
			out[i] = math.NaN()
		}
	}
	return out
}
