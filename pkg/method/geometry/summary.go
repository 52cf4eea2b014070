package geometry

import (
	"fmt"
	"sort"
	"strings"
)

// Summary renders a short Markdown report of one layer's results: variance explained, the emotions at each
// end of PC1, the clusters, the most and least similar pairs and the UMAP map's trustworthiness.
func Summary(r *Result) string {
	var b strings.Builder
	n := len(r.PCA.Emotions)
	fmt.Fprintf(&b, "# Emotion-vector geometry, layer %d\n\n%d emotions.\n\n", r.Layer, n)

	b.WriteString("## Principal components\n\n")
	for j, lab := range r.PCA.Labels {
		fmt.Fprintf(&b, "- %s: %.1f%% of the variance\n", lab, 100*r.PCA.ExplainedVarianceRatio[j])
	}
	b.WriteString("\n")
	for _, o := range []Orientation{r.PCA.Valence, r.PCA.Arousal} {
		if o.Oriented {
			fmt.Fprintf(&b, "PC%d oriented by %s (%d positive-list and %d negative-list emotions present; flipped: %v; "+
				"AUC %.2f).", o.Component+1, o.Axis, len(o.Positive), len(o.Negative), o.Flipped, o.AUC)
		} else {
			fmt.Fprintf(&b, "PC%d not oriented by %s.", o.Component+1, o.Axis)
		}
		if o.Note != "" {
			b.WriteString(" " + o.Note + ".")
		}
		b.WriteString("\n\n")
	}
	if len(r.PCA.Scores) > 0 && len(r.PCA.Scores[0]) > 0 {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return r.PCA.Scores[idx[a]][0] > r.PCA.Scores[idx[b]][0] })
		m := min(10, n/2)
		top, bottom := make([]string, m), make([]string, m)
		for i := range m {
			top[i] = fmt.Sprintf("%s (%.2f)", r.PCA.Emotions[idx[i]], r.PCA.Scores[idx[i]][0])
			k := idx[n-1-i]
			bottom[i] = fmt.Sprintf("%s (%.2f)", r.PCA.Emotions[k], r.PCA.Scores[k][0])
		}
		fmt.Fprintf(&b, "Highest on PC1: %s.\n\nLowest on PC1: %s.\n\n", strings.Join(top, ", "), strings.Join(bottom, ", "))
	}

	fmt.Fprintf(&b, "## K-means clusters (k = %d, %s, inertia %.4g)\n\n", r.KMeans.K, r.KMeans.Metric, r.KMeans.Inertia)
	if r.KMeans.Note != "" {
		b.WriteString(r.KMeans.Note + ".\n\n")
	}
	for c, ms := range r.KMeans.Members {
		fmt.Fprintf(&b, "%d. (%d) %s\n", c+1, len(ms), strings.Join(ms, ", "))
	}
	b.WriteString("\n## Cosine similarity\n\n")
	pairs := func(ps []Pair) string {
		s := make([]string, min(5, len(ps)))
		for i := range s {
			s[i] = fmt.Sprintf("%s / %s (%.2f)", ps[i].A, ps[i].B, ps[i].Cosine)
		}
		return strings.Join(s, ", ")
	}
	fmt.Fprintf(&b, "Most similar: %s.\n\nLeast similar: %s.\n\n", pairs(r.Cosine.MostSimilar), pairs(r.Cosine.LeastSimilar))

	b.WriteString("## UMAP\n\n")
	if r.UMAP.Skipped {
		b.WriteString(r.UMAP.Note + ".\n")
	} else {
		fmt.Fprintf(&b, "n_neighbors %d, min_dist %g, %s metric; trustworthiness %.3f at k = %d.\n",
			r.UMAP.NNeighbors, r.UMAP.MinDist, r.UMAP.Metric, r.UMAP.Trustworthiness, r.UMAP.TrustK)
		for _, w := range r.UMAP.Warnings {
			b.WriteString("\n- " + w)
		}
		if len(r.UMAP.Warnings) > 0 {
			b.WriteString("\n")
		}
	}
	return b.String()
}
