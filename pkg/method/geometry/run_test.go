package geometry_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/method/geometry"
	"github.com/emotion-probes/emotion-probes/pkg/method/geometry/geometrytest"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"gonum.org/v1/gonum/mat"
)

const layer = 20

func TestRunSynthetic(t *testing.T) {
	for _, tc := range []struct {
		name string
		sign float64 // -1 puts the raw valence direction the other way round: orientation must undo it
	}{{"plain", 1}, {"negated", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			names := geometrytest.Emotions()
			cfg, err := geometrytest.Run(dir, layer, names, geometrytest.Vectors(names, 16, tc.sign, 7))
			if err != nil {
				t.Fatal(err)
			}
			res, err := geometry.Run(cfg, geometry.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 || res[0].Layer != layer {
				t.Fatalf("got %d results, want one for layer %d", len(res), layer)
			}
			for _, f := range []string{geometry.CosineFile, geometry.PCAFile, geometry.KMeansFile, geometry.UMAPFile, geometry.SummaryFile} {
				if _, err := os.Stat(filepath.Join(geometry.Dir(dir, layer), f)); err != nil {
					t.Errorf("missing output: %v", err)
				}
			}
			r, err := geometry.Load(dir, layer)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, r, names)
		})
	}
}

func checkResult(t *testing.T, r *geometry.Result, names []string) {
	t.Helper()
	n := len(names)
	// Cosine: symmetric, unit diagonal, order a permutation.
	c := r.Cosine
	if !slices.Equal(c.Emotions, names) || len(c.Matrix) != n {
		t.Fatalf("cosine: emotions %v, %d rows", c.Emotions, len(c.Matrix))
	}
	for i := range n {
		if c.Matrix[i][i] != 1 {
			t.Errorf("cosine[%d][%d] = %v, want 1", i, i, c.Matrix[i][i])
		}
		for j := range n {
			if c.Matrix[i][j] != c.Matrix[j][i] || math.Abs(c.Matrix[i][j]) > 1 {
				t.Errorf("cosine[%d][%d] = %v, [%d][%d] = %v", i, j, c.Matrix[i][j], j, i, c.Matrix[j][i])
			}
		}
	}
	perm := slices.Clone(c.Order)
	slices.Sort(perm)
	for i, v := range perm {
		if v != i {
			t.Fatalf("cosine order %v is not a permutation of 0..%d", c.Order, n-1)
		}
	}
	// PCA: PC1 is valence, pleasant at the positive end, and labelled so.
	p := r.PCA
	if !p.Valence.Oriented || p.Labels[0] != "PC1 (valence: pleasant +)" {
		t.Errorf("PC1 not oriented: %+v, label %q", p.Valence, p.Labels[0])
	}
	if p.Valence.AUC != 1 {
		t.Errorf("valence AUC %v, want 1 (the groups are well apart)", p.Valence.AUC)
	}
	if len(p.Valence.Positive) != len(geometrytest.Pleasant) || len(p.Valence.Negative) != len(geometrytest.Unpleasant) {
		t.Errorf("orientation used %v / %v", p.Valence.Positive, p.Valence.Negative)
	}
	pleasant := map[string]bool{}
	for _, e := range geometrytest.Pleasant {
		pleasant[e] = true
	}
	for i, e := range p.Emotions {
		if s := p.Scores[i][0]; (s > 0) != pleasant[e] {
			t.Errorf("PC1 score of %s = %.3f: pleasant emotions must be positive, unpleasant negative", e, s)
		}
	}
	if p.ExplainedVarianceRatio[0] < 0.5 || len(p.Scores[0]) != 5 {
		t.Errorf("PC1 explains %.2f (want > 0.5 by construction); %d scores per emotion (want 5)",
			p.ExplainedVarianceRatio[0], len(p.Scores[0]))
	}
	// PC2 separates arousal (coordinate 1) and is oriented high-positive.
	if !p.Arousal.Oriented || p.Arousal.AUC < 0.9 {
		t.Errorf("PC2 arousal orientation: %+v", p.Arousal)
	}
	// K-means: 2 clusters, both used, split by valence.
	k := r.KMeans
	if k.K != 2 || len(k.Sizes) != 2 || len(k.Members) != 2 {
		t.Fatalf("kmeans: K %d, sizes %v", k.K, k.Sizes)
	}
	for c, s := range k.Sizes {
		if s == 0 || len(k.Members[c]) != s {
			t.Errorf("cluster %d: size %d, members %v", c, s, k.Members[c])
		}
	}
	for i, e := range names {
		for j, f := range names {
			if same := k.Labels[i] == k.Labels[j]; same != (pleasant[e] == pleasant[f]) {
				t.Errorf("%s and %s: same cluster %v, but pleasantness differs %v", e, f, same, pleasant[e] != pleasant[f])
			}
		}
	}
	// The clustered order puts the pleasant cluster (higher PC1) first.
	if !pleasant[names[c.Order[0]]] || pleasant[names[c.Order[n-1]]] {
		t.Errorf("order %v should run from pleasant to unpleasant", c.Order)
	}
	// UMAP: a map for every emotion, faithful at this separation.
	u := r.UMAP
	if u.Skipped || len(u.Coords) != n || u.TrustK != 5 || u.Trustworthiness < 0.8 {
		t.Errorf("umap: skipped %v, %d coords, trust %.3f at k %d", u.Skipped, len(u.Coords), u.Trustworthiness, u.TrustK)
	}
}

func TestRunSmall(t *testing.T) {
	dir := t.TempDir()
	names := []string{"happy", "sad", "calm"}
	cfg, err := geometrytest.Run(dir, layer, names, geometrytest.Vectors(names, 8, 1, 3))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Analysis.KMeansK = 10
	res, err := geometry.Run(cfg, geometry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.KMeans.K != 3 || r.KMeans.RequestedK != 10 || r.KMeans.Note == "" {
		t.Errorf("kmeans k: %d (requested %d), note %q: want capped at 3 with a note", r.KMeans.K, r.KMeans.RequestedK, r.KMeans.Note)
	}
	if !r.UMAP.Skipped || r.UMAP.Note == "" {
		t.Errorf("umap with 3 emotions: skipped %v, note %q", r.UMAP.Skipped, r.UMAP.Note)
	}
	if _, err := geometry.Load(dir, layer); err != nil {
		t.Errorf("reload: %v", err)
	}
}

func TestRunUnorientable(t *testing.T) {
	// No emotion of the valence lists: PC1 must stay unnamed.
	dir := t.TempDir()
	names := []string{"curious", "surprised", "nostalgic", "amazed", "puzzled"}
	cfg, err := geometrytest.Run(dir, layer, names, geometrytest.Vectors(names, 8, 1, 5))
	if err != nil {
		t.Fatal(err)
	}
	res, err := geometry.Run(cfg, geometry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := res[0].PCA
	if p.Valence.Oriented || p.Labels[0] != "PC1" || p.Valence.Note == "" {
		t.Errorf("PC1 of emotions outside the lists: oriented %v, label %q, note %q", p.Valence.Oriented, p.Labels[0], p.Valence.Note)
	}
}

func TestRunResumesAndChecksFingerprint(t *testing.T) {
	dir := t.TempDir()
	names := geometrytest.Emotions()
	cfg, err := geometrytest.Run(dir, layer, names, geometrytest.Vectors(names, 16, 1, 7))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := geometry.Run(cfg, geometry.Options{}); err != nil {
		t.Fatal(err)
	}
	// A second run reads the results back.
	pcaPath := filepath.Join(geometry.Dir(dir, layer), geometry.PCAFile)
	before, _ := os.Stat(pcaPath)
	if _, err := geometry.Run(cfg, geometry.Options{}); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(pcaPath); !after.ModTime().Equal(before.ModTime()) {
		t.Error("a second run with the same settings rewrote pca.json")
	}
	// Other settings: refused without Force, redone with it.
	cfg.Analysis.KMeansK = 3
	var mm *checkpoint.MismatchError
	if _, err := geometry.Run(cfg, geometry.Options{}); !errors.As(err, &mm) {
		t.Fatalf("changed kmeans_k without Force: got %v, want a MismatchError", err)
	}
	res, err := geometry.Run(cfg, geometry.Options{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].KMeans.K != 3 {
		t.Errorf("after Force: k = %d, want 3", res[0].KMeans.K)
	}
	if ls, err := geometry.AnalyzedLayers(dir); err != nil || !slices.Equal(ls, []int{layer}) {
		t.Errorf("AnalyzedLayers = %v, %v", ls, err)
	}
}

func TestRunNeedsVectors(t *testing.T) {
	cfg, err := geometrytest.Run(t.TempDir(), layer, []string{"happy", "sad"}, geometrytest.Vectors([]string{"happy", "sad"}, 4, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Output.Dir = t.TempDir() // empty run folder
	if _, err := geometry.Run(cfg, geometry.Options{}); !errors.Is(err, checkpoint.ErrIncomplete) {
		t.Errorf("no vectors stage: got %v, want ErrIncomplete", err)
	}
}

func TestDefaultLayerFromVectorsSummary(t *testing.T) {
	dir := t.TempDir()
	names := []string{"happy", "sad", "calm", "afraid"}
	vecs := geometrytest.Vectors(names, 8, 1, 2)
	cfg, err := geometrytest.Run(dir, 20, names, vecs)
	if err != nil {
		t.Fatal(err)
	}
	// Another layer's vectors beside the default one; the config says "auto".
	if err := geometrytest.WriteVectors(filepath.Join(dir, "vectors", "layer_10", "emotion_vectors.safetensors"), names, vecs, 10, true); err != nil {
		t.Fatal(err)
	}
	cfg.Extraction.Layers = config.Layers{Auto: true}
	if got, err := vectors.DefaultLayers(cfg); err != nil || !slices.Equal(got, []int{20}) {
		t.Errorf("Layers = %v, %v; want the vectors stage's default layer [20]", got, err)
	}
	if got, err := vectors.Layers(dir); err != nil || !slices.Equal(got, []int{10, 20}) {
		t.Errorf("VectorLayers = %v, %v; want [10 20]", got, err)
	}
	res, err := geometry.Run(cfg, geometry.Options{Layers: []int{10, 20}})
	if err != nil || len(res) != 2 || res[0].Layer != 10 {
		t.Fatalf("two layers: %v", err)
	}
	if ls, _ := geometry.AnalyzedLayers(dir); !slices.Equal(ls, []int{10, 20}) {
		t.Errorf("AnalyzedLayers = %v", ls)
	}
}

func TestAnalyzeFewEmotions(t *testing.T) {
	for _, names := range [][]string{{"happy", "sad"}, {"happy", "sad", "calm"}, {"happy", "sad", "calm", "afraid"}} {
		n := len(names)
		v := mat.NewDense(n, 6, nil)
		for i, row := range geometrytest.Vectors(names, 6, 1, 4) {
			for j, x := range row {
				v.Set(i, j, float64(x))
			}
		}
		r, err := geometry.Analyze(names, v, 3, geometry.Params{KMeansK: 10, KMeansMetric: "cosine", KMeansRestarts: 5, UMAPNeighbors: 15, UMAPMinDist: 0.1, Seed: 1})
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if r.KMeans.K != n || r.UMAP.Skipped != (n < 4) || !r.PCA.Valence.Oriented {
			t.Errorf("n=%d: k %d, umap skipped %v, PC1 oriented %v", n, r.KMeans.K, r.UMAP.Skipped, r.PCA.Valence.Oriented)
		}
		if n >= 4 && (r.UMAP.NNeighbors != n-1 || r.UMAP.TrustK != 1 || len(r.UMAP.Warnings) == 0) {
			t.Errorf("n=%d: umap n_neighbors %d, trust k %d, warnings %v", n, r.UMAP.NNeighbors, r.UMAP.TrustK, r.UMAP.Warnings)
		}
		if s := geometry.Summary(r); !strings.Contains(s, "PC1 (valence: pleasant +)") {
			t.Errorf("n=%d: summary:\n%s", n, s)
		}
	}
	if _, err := geometry.Analyze([]string{"happy"}, mat.NewDense(1, 3, []float64{1, 2, 3}), 3, geometry.Params{KMeansK: 1, KMeansMetric: "cosine"}); err == nil {
		t.Error("one emotion: no error")
	}
}
