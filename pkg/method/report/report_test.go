package report_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/method/geometry"
	"github.com/emotion-probes/emotion-probes/pkg/method/geometry/geometrytest"
	"github.com/emotion-probes/emotion-probes/pkg/method/logitlens"
	"github.com/emotion-probes/emotion-probes/pkg/method/report"
)

// fakeModel's logits are the first len(words) coordinates of each vector; its vocabulary is words.
type fakeModel struct{ words []string }

func (f fakeModel) Unembed(v [][]float32) ([][]float32, error) {
	out := make([][]float32, len(v))
	for i, row := range v {
		out[i] = slices.Clone(row[:len(f.words)])
	}
	return out, nil
}
func (f fakeModel) TokenText(id int) string { return f.words[id] }
func (f fakeModel) IsSpecial(id int) bool   { return f.words[id] == "<s>" }
func (f fakeModel) VocabSize() int          { return len(f.words) }

func TestRunEndToEnd(t *testing.T) {
	const layer = 20
	dir := t.TempDir()
	names := geometrytest.Emotions()
	cfg, err := geometrytest.Run(dir, layer, names, geometrytest.Vectors(names, 16, 1, 7))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := geometry.Run(cfg, geometry.Options{}); err != nil {
		t.Fatal(err)
	}

	// Without the logit lens: figures, and an index that says the lens is missing.
	files, err := report.Run(cfg, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ldir := filepath.Join(dir, report.Folder, "layer_20")
	want := []string{
		filepath.Join(ldir, "cosine_heatmap.png"), filepath.Join(ldir, "cosine_heatmap.html"),
		filepath.Join(ldir, "pca_scatter.png"), filepath.Join(ldir, "pca_scatter.html"),
		filepath.Join(ldir, "umap.png"), filepath.Join(ldir, "umap.html"),
		filepath.Join(dir, report.Folder, "index.html"),
	}
	if !slices.Equal(files, want) {
		t.Errorf("files written:\n%v\nwant\n%v", files, want)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(f) {
		case ".png":
			if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
				t.Errorf("%s is not a PNG", f)
			}
		case ".html":
			if !bytes.Contains(b, []byte("</html>")) || bytes.Contains(b, []byte(`src="http`)) {
				t.Errorf("%s: not a complete offline page", f)
			}
		}
	}
	index := read(t, filepath.Join(dir, report.Folder, "index.html"))
	for _, s := range []string{`href="layer_20/cosine_heatmap.html"`, `href="layer_20/umap.html"`, "data:image/png;base64,",
		"No logit lens", "PC1 (valence: pleasant +)"} {
		if !strings.Contains(index, s) {
			t.Errorf("index.html lacks %q", s)
		}
	}
	// The PCA axis titles carry the valence name (oriented) and the explained variance.
	if pca := read(t, filepath.Join(ldir, "pca_scatter.html")); !strings.Contains(pca, "PC1 (valence: pleasant +), ") ||
		!strings.Contains(pca, "% of variance") {
		t.Error("pca_scatter.html: axis title lacks the valence name or the explained variance")
	}

	// With the logit lens.
	m := fakeModel{words: []string{"<s>", " joy", " grief", "!!", " calm", " rage", " tears", " hope"}}
	if _, err := logitlens.Run(m, m, cfg, logitlens.Options{TopK: 2}); err != nil {
		t.Fatal(err)
	}
	files, err = report.Run(cfg, report.Options{Layers: []int{layer}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(files, filepath.Join(ldir, "logit_lens.html")) {
		t.Errorf("no logit_lens.html among %v", files)
	}
	index = read(t, filepath.Join(dir, report.Folder, "index.html"))
	if strings.Contains(index, "No logit lens") || !strings.Contains(index, "␣</span>joy") || strings.Contains(index, "!!") {
		t.Errorf("index.html: the logit-lens table is missing, or shows filtered tokens: %v %v %v", strings.Contains(index, "No logit lens"), strings.Contains(index, "␣joy"), strings.Contains(index, "!!"))
	}
}

func TestRunSmallSkipsUMAP(t *testing.T) {
	dir := t.TempDir()
	names := []string{"happy", "sad", "calm"}
	cfg, err := geometrytest.Run(dir, 5, names, geometrytest.Vectors(names, 8, 1, 3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := geometry.Run(cfg, geometry.Options{}); err != nil {
		t.Fatal(err)
	}
	files, err := report.Run(cfg, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.Contains(f, "umap") {
			t.Errorf("UMAP figure %s drawn for 3 emotions", f)
		}
	}
	if len(files) != 5 {
		t.Errorf("files: %v", files)
	}
}

func TestRunNeedsAnalysis(t *testing.T) {
	names := []string{"happy", "sad"}
	cfg, err := geometrytest.Run(t.TempDir(), 5, names, geometrytest.Vectors(names, 4, 1, 3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := report.Run(cfg, report.Options{}); err == nil || !strings.Contains(err.Error(), "analyze") {
		t.Errorf("no analysis: %v", err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
