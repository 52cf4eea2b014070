package report

import (
	"errors"
	"fmt"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/method/geometry"
	"github.com/emotion-probes/emotion-probes/pkg/method/logitlens"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/drawing"
)

// Folder is the report's folder under the run folder.
const Folder = "figures"

// Figure base names (each written as .png and .html) and page names in each layer's folder.
const (
	CosineHeatmap = "cosine_heatmap"
	PCAScatter    = "pca_scatter"
	UMAPScatter   = "umap"
	LogitLensPage = "logit_lens.html"
	IndexPage     = "index.html"
)

// Options controls Run.
type Options struct {
	// Layers to draw; nil means every layer the analysis stage wrote.
	Layers []int
}

// Run draws the figures of each analysed layer into <out>/figures/layer_{L}/ and writes <out>/figures/index.html,
// and returns the paths of the files written. It needs the analysis stage; the logit lens is optional (the
// index says when it is missing).
func Run(cfg *config.Config, opts Options) ([]string, error) {
	out := cfg.OutputDir()
	if err := checkpoint.Require(out, geometry.Stage, geometry.Command); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	layers := opts.Layers
	if layers == nil {
		var err error
		if layers, err = geometry.AnalyzedLayers(out); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if len(layers) == 0 {
			return nil, fmt.Errorf("report: no analysed layer under %s: run `emotion-probes %s` first",
				filepath.Join(out, geometry.Stage), geometry.Command)
		}
	}
	root := filepath.Join(out, Folder)
	var written []string
	var sections []section
	for _, layer := range layers {
		s, files, err := drawLayer(out, root, layer)
		if err != nil {
			return written, err
		}
		written = append(written, files...)
		sections = append(sections, s)
	}
	index := filepath.Join(root, IndexPage)
	if err := checkpoint.WriteFileAtomic(index, []byte(indexPage(cfg.Name, sections))); err != nil {
		return written, fmt.Errorf("report: %w", err)
	}
	return append(written, index), nil
}

// section is what the index shows of one layer.
type section struct {
	layer    int
	summary  string  // summary.md
	images   []image // in display order
	lensNote string  // why the logit lens is missing ("" when present)
	lens     string  // the logit-lens table (HTML fragment), "" when missing
}

type image struct {
	title, page string // page: the interactive page, relative to the index
	png         []byte
}

// drawLayer writes one layer's figures and returns its index section and the files written.
func drawLayer(out, root string, layer int) (section, []string, error) {
	s := section{layer: layer}
	r, err := geometry.Load(out, layer)
	if err != nil {
		return s, nil, fmt.Errorf("report: %w", err)
	}
	if md, err := os.ReadFile(filepath.Join(geometry.Dir(out, layer), geometry.SummaryFile)); err == nil {
		s.summary = string(md)
	}
	dir := filepath.Join(root, checkpoint.LayerName(layer))
	var files []string
	add := func(base, title string, fig drawing.Figure) error {
		if err := fig.WriteFiles(dir, base); err != nil {
			return fmt.Errorf("report: layer %d: %w", layer, err)
		}
		files = append(files, filepath.Join(dir, base+".png"), filepath.Join(dir, base+".html"))
		s.images = append(s.images, image{title: title, page: checkpoint.LayerName(layer) + "/" + base + ".html", png: fig.PNG})
		return nil
	}

	n := len(r.Cosine.Emotions)
	heat, err := drawing.Heatmap(r.Cosine.Emotions, r.Cosine.Matrix, drawing.HeatmapOptions{
		Title:      fmt.Sprintf("Cosine similarity of emotion vectors (layer %d)", layer),
		Order:      r.Cosine.Order,
		CellLabels: n <= 20,
		ValueName:  "cosine",
	})
	if err != nil {
		return s, files, fmt.Errorf("report: layer %d: %w", layer, err)
	}
	if err := add(CosineHeatmap, "Cosine similarity ("+r.Cosine.OrderMethod+")", heat); err != nil {
		return s, files, err
	}

	groups := clusterNames(r.KMeans)
	pts := make([][2]float64, len(r.PCA.Scores))
	for i, sc := range r.PCA.Scores {
		pts[i] = [2]float64{sc[0], sc[1]}
	}
	pca, err := drawing.Scatter(pts, r.PCA.Emotions, r.KMeans.Labels, drawing.ScatterOptions{
		Title:      fmt.Sprintf("PCA of emotion vectors (layer %d)", layer),
		XLabel:     axisTitle(r.PCA, 0),
		YLabel:     axisTitle(r.PCA, 1),
		GroupNames: groups,
		ZeroLines:  true,
	})
	if err != nil {
		return s, files, fmt.Errorf("report: layer %d: %w", layer, err)
	}
	if err := add(PCAScatter, "PC1 x PC2, coloured by k-means cluster", pca); err != nil {
		return s, files, err
	}

	if !r.UMAP.Skipped {
		um, err := drawing.Scatter(r.UMAP.Coords, r.UMAP.Emotions, r.KMeans.Labels, drawing.ScatterOptions{
			Title: fmt.Sprintf("UMAP of emotion vectors (layer %d; n_neighbors %d, min_dist %g, %s; trustworthiness %.2f)",
				layer, r.UMAP.NNeighbors, r.UMAP.MinDist, r.UMAP.Metric, r.UMAP.Trustworthiness),
			XLabel: "UMAP 1", YLabel: "UMAP 2",
			GroupNames: groups,
		})
		if err != nil {
			return s, files, fmt.Errorf("report: layer %d: %w", layer, err)
		}
		if err := add(UMAPScatter, "UMAP, coloured by k-means cluster", um); err != nil {
			return s, files, err
		}
	}

	lens, err := logitlens.Load(out, layer)
	switch {
	case err == nil:
		s.lens = drawing.LogitLensTable(lensRows(lens))
		path := filepath.Join(dir, LogitLensPage)
		title := fmt.Sprintf("Logit lens (layer %d)", layer)
		body := fmt.Sprintf("<h1>%s</h1>\n<p>%s; top and bottom %d of %d tokens.</p>\n%s", html.EscapeString(title),
			html.EscapeString(lens.Method), lens.TopK, lens.EligibleTokens, s.lens)
		if err := checkpoint.WriteFileAtomic(path, []byte(page(title, body))); err != nil {
			return s, files, fmt.Errorf("report: %w", err)
		}
		files = append(files, path)
	case errors.Is(err, fs.ErrNotExist):
		s.lensNote = "No logit lens for this layer yet: run `emotion-probes " + logitlens.Command + "`."
	default:
		return s, files, fmt.Errorf("report: %w", err)
	}
	return s, files, nil
}

// axisTitle is a PCA axis's label with its share of variance: "PC1 (valence: pleasant +), 26% of variance".
func axisTitle(p *geometry.PCA, j int) string {
	label := fmt.Sprintf("PC%d", j+1)
	if j < len(p.Labels) {
		label = p.Labels[j]
	}
	if j < len(p.ExplainedVarianceRatio) {
		label += fmt.Sprintf(", %.1f%% of variance", 100*p.ExplainedVarianceRatio[j])
	}
	return label
}

// clusterNames names each cluster after its first members by PC1: "1: happy, joyful, … (6)".
func clusterNames(k *geometry.KMeans) map[int]string {
	out := make(map[int]string, len(k.Members))
	for c, ms := range k.Members {
		head := ms[:min(3, len(ms))]
		name := fmt.Sprintf("%d: %s", c+1, strings.Join(head, ", "))
		if len(ms) > len(head) {
			name += ", …"
		}
		out[c] = fmt.Sprintf("%s (%d)", name, len(ms))
	}
	return out
}

func lensRows(r *logitlens.Result) []drawing.LogitLensRow {
	rows := make([]drawing.LogitLensRow, len(r.Emotions))
	conv := func(ts []logitlens.Token) []drawing.TokenScore {
		out := make([]drawing.TokenScore, len(ts))
		for i, t := range ts {
			out[i] = drawing.TokenScore{Token: t.Text, Score: t.Logit}
		}
		return out
	}
	for i, e := range r.Emotions {
		rows[i] = drawing.LogitLensRow{Emotion: e.Emotion, Top: conv(e.Top), Bottom: conv(e.Bottom)}
	}
	return rows
}
