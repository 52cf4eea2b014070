package validate

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/analysis"
	"github.com/emotion-probes/emotion-probes/pkg/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/figures"
)

// Report is everything `emotion-probes validate` found, as written to report.json.
type Report struct {
	Name         string  `json:"name"`
	Model        string  `json:"model"`
	Layers       Layers  `json:"layers"`
	TestFraction float64 `json:"test_fraction"`
	Seed         int64   `json:"seed"`
	// HeldOut is the single held-out split of the run's layer (its confusion matrices).
	HeldOut []*HeldOut `json:"held_out"`
	// CrossVal has, per layer of Layers.Sweep, the cross-validation by topic then by story; the run's layer
	// carries the probe, the bag of words and the permutation null too.
	CrossVal []*CrossVal `json:"cross_validation"`
	Sweep    *LayerSweep `json:"layer_sweep"`
	// Ratings compares the default layer's PCA with human ratings; nil without a ratings file.
	Ratings *RatingsResult `json:"ratings,omitempty"`
	// Sections are checks that need the model, attached by the caller (the implicit scenarios and the
	// numeric sweep of package probe).
	Sections []*Section `json:"sections,omitempty"`
	Notes    []string   `json:"notes,omitempty"`
}

// Section is a check computed elsewhere that the report carries: its numbers (Data, any JSON value), a
// few lines of markdown, and its figures.
type Section struct {
	Name     string          `json:"name"` // a plain file-name stem, e.g. "scenarios"
	Title    string          `json:"title"`
	Markdown string          `json:"markdown"`
	Data     any             `json:"data,omitempty"`
	Figures  []SectionFigure `json:"figures,omitempty"`
}

// SectionFigure is one figure of a Section; Write saves it as figures/<Base>.png and .html.
type SectionFigure struct {
	Base    string         `json:"file"`
	Caption string         `json:"caption"`
	Figure  figures.Figure `json:"-"`
}

// CrossValAt returns the cross-validations of layer (by topic, then by story).
func (r *Report) CrossValAt(layer int) []*CrossVal {
	var out []*CrossVal
	for _, cv := range r.CrossVal {
		if cv.Layer == layer {
			out = append(out, cv)
		}
	}
	return out
}

// foldsName is "topic" or "story", for "by topic" and "by story".
func foldsName(split string) string {
	if split == ByStory {
		return "story"
	}
	return "topic"
}

// pValue formats a p-value: "< 1e-300" for one that underflows, else two significant digits.
func pValue(p float64) string {
	if p < 1e-300 {
		return "< 1e-300"
	}
	return fmt.Sprintf("%.2g", p)
}

// HeldOutAt returns the held-out check of layer, or nil.
func (r *Report) HeldOutAt(layer int) *HeldOut {
	for _, h := range r.HeldOut {
		if h.Layer == layer {
			return h
		}
	}
	return nil
}

// Paper's reference numbers (METHOD.md), quoted in the report.
const (
	paperValenceR = 0.81
	paperArousalR = 0.66
	paperProbe    = "0.39-0.83 (15-way logistic probe, depending on the setting)"
)

// Markdown is the report as a short readable page: report.md without its figure links (Write adds them),
// so that it also reads well where relative links do not resolve (notebook 07).
func (r *Report) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Validation of %s\n\nModel: %s. Layers validated: %v (the run's layer: %d of %d).\n\n", r.Name, r.Model,
		r.Layers.Sweep, r.Layers.DefaultLayer, r.Layers.NumLayers)

	if cvs := r.CrossValAt(r.Layers.DefaultLayer); len(cvs) > 0 {
		p("## Cross-validated accuracy (layer %d)\n\n", r.Layers.DefaultLayer)
		p("Every story is classified once, among %d emotions, by classifiers made from the other folds' stories "+
			"(%d folds). *By topic*: whole topics are held out, so a test story's plot was never seen in training. "+
			"*By story*: each emotion's stories are spread over the folds (the protocol replications report). "+
			"p: one-sided binomial test against chance; brackets: 95%% bootstrap interval over the stories.\n\n",
			len(cvs[0].Emotions), cvs[0].Folds)
		p("| folds | classifier | top-1 | x chance | p | top-3 | p |\n|---|---|---|---|---|---|---|\n")
		for _, cv := range cvs {
			for _, c := range []struct {
				name string
				a    *Accuracy
			}{{"emotion vectors (cosine)", cv.Cosine}, {"logistic probe (activations)", cv.Probe}, {"bag of words (TF-IDF probe, no model)", cv.Words}} {
				if c.a == nil {
					continue
				}
				p("| by %s | %s | %s | %.1f | %s | %.2f | %s |\n", foldsName(cv.Split), c.name, interval(c.a.CI1),
					c.a.Top1/c.a.Chance1, pValue(c.a.P1), c.a.Top3, pValue(c.a.P3))
			}
		}
		p("| | chance | %.3f | 1 | | %.3f | |\n\n", cvs[0].Cosine.Chance1, cvs[0].Cosine.Chance3)
		for _, cv := range cvs {
			if n := cv.Cosine.Null; n != nil {
				p("Permutation null (by %s, %d label shuffles): the vectors' top-1 with shuffled emotions averages %.3f "+
					"(95th percentile %.3f) against %.3f observed; p = %s.\n\n", foldsName(cv.Split),
					n.Permutations, n.Mean, n.Hi, cv.Cosine.Top1, pValue(n.P))
			}
		}
		p("The paper's probe: %s.\n\n", paperProbe)
	}

	if h := r.HeldOutAt(r.Layers.DefaultLayer); h != nil {
		p("## One held-out split (layer %d)\n\n", h.Layer)
		p("Vectors and probe made from the stories of %d topic(s); the %d stories of %d held-out topic(s) (%.0f%% of the "+
			"topics, seed %d) classified among %d emotions.\n\n", len(h.Train), h.NTest, len(h.Test), 100*r.TestFraction, r.Seed, len(h.Emotions))
		p("| classifier | top-1 | top-3 |\n|---|---|---|\n")
		p("| cosine to the emotion vectors | %.2f (%.1fx chance) | %.2f |\n", h.Cosine.Top1, h.Cosine.Top1/h.Chance1, h.Cosine.Top3)
		p("| logistic-regression probe | %.2f (%.1fx chance) | %.2f |\n", h.Probe.Top1, h.Probe.Top1/h.Chance1, h.Probe.Top3)
		p("| chance | %.2f | %.2f |\n\n", h.Chance1, h.Chance3)
		for _, n := range h.Notes {
			p("- %s\n", n)
		}
		if len(h.Notes) > 0 {
			p("\n")
		}
	}

	if s := r.Sweep; s != nil {
		p("## Layer sweep\n\nThe emotion vectors' cross-validated accuracy at each layer.\n\n"+
			"| layer | top-1, by topic | top-1, by story | top-3, by topic | PC1 r with valence | similarity to layer %d |\n|---|---|---|---|---|---|\n", s.Recommended)
		rec := 0
		for i, l := range s.Layers {
			if l == s.Recommended {
				rec = i
			}
		}
		for i, l := range s.Layers {
			mark := ""
			if l == s.DefaultLayer {
				mark += " (run)"
			}
			if l == s.Recommended {
				mark += " (recommended)"
			}
			p("| %d%s | %.2f | %.2f | %.2f | %s | %s |\n", l, mark, s.CosineTop1[i], s.StoryTop1[i], s.CosineTop3[i], num(s.ValenceR[i]), num(s.Similarity[rec][i]))
		}
		p("\nRecommended layer: **%d**. Rule: %s. Chance top-1: %.2f.\n", s.Recommended, s.Rule, s.Chance1)
		p("Layers whose cosine-similarity matrix correlates >= 0.9 with the recommended layer's: %v "+
			"(similarity: Pearson r of the off-diagonal cosine similarities of two layers).\n\n", s.Stable)
	}

	if rr := r.Ratings; rr != nil {
		p("## Human ratings (layer %d)\n\n", rr.Layer)
		p("%d of the run's emotions are rated in %s", len(rr.Emotions), filepath.Base(rr.File))
		if len(rr.Missing) > 0 {
			p(" (not rated: %s)", strings.Join(rr.Missing, ", "))
		}
		p(". PC1 explains %.0f%% and PC2 %.0f%% of the vectors' variance. Intervals: %.0f%% percentile bootstrap over "+
			"emotions, %d resamples.\n\n", 100*rr.ExplainedVarianceRatio[0], 100*rr.ExplainedVarianceRatio[1], 100*rr.Level, rr.NBoot)
		p("| | Pearson r | Spearman rho | paper (r) |\n|---|---|---|---|\n")
		for _, c := range []struct {
			c     Correlation
			paper float64
		}{{rr.Valence, paperValenceR}, {rr.Arousal, paperArousalR}} {
			p("| %s vs %s | %s | %s | %.2f |\n", c.c.Component, c.c.Rating, interval(c.c.Pearson), interval(c.c.Spearman), c.paper)
		}
		p("\n")
		for _, n := range rr.Notes {
			p("- %s\n", n)
		}
		if len(rr.Notes) > 0 {
			p("\n")
		}
	}
	for _, s := range r.Sections {
		p("## %s\n\n%s\n\n", s.Title, strings.TrimSpace(s.Markdown))
	}
	if len(r.Notes) > 0 {
		p("## Notes\n\n")
		for _, n := range r.Notes {
			p("- %s\n", n)
		}
	}
	return b.String()
}

func num(f Float) string {
	if math.IsNaN(float64(f)) {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(f))
}

// interval formats an estimate with its bootstrap interval: "0.81 [0.62, 0.93]".
func interval(iv analysis.Interval) string {
	return fmt.Sprintf("%.2f [%.2f, %.2f]", iv.Estimate, iv.Lo, iv.Hi)
}

// Figure base names written by Write under <dir>/figures/.
const (
	FigConfusionCosine = "confusion_cosine"
	FigConfusionProbe  = "confusion_probe"
	FigLayerAccuracy   = "layer_sweep_accuracy"
	FigLayerSimilarity = "layer_sweep_similarity"
	FigValence         = "pc1_vs_valence"
	FigArousal         = "pc2_vs_arousal"
)

// Figures draws the report's figures: the confusion matrices of the run's layer, the layer sweep (accuracy
// per layer, and the similarity of layers' cosine matrices), and the two scatter plots against human
// ratings. Section figures are not included (they are drawn already).
func (r *Report) Figures() ([]SectionFigure, error) {
	var out []SectionFigure
	add := func(base, caption string, f figures.Figure, err error) error {
		if err != nil {
			return fmt.Errorf("validate: figure %s: %w", base, err)
		}
		out = append(out, SectionFigure{Base: base, Caption: caption, Figure: f})
		return nil
	}
	if h := r.HeldOutAt(r.Layers.DefaultLayer); h != nil {
		for _, c := range []struct {
			base string
			c    Classifier
			name string
		}{{FigConfusionCosine, h.Cosine, "cosine to the emotion vectors"}, {FigConfusionProbe, h.Probe, "logistic probe"}} {
			m := make([][]float64, len(c.c.Confusion))
			for i, row := range c.c.Confusion {
				total := 0
				for _, v := range row {
					total += v
				}
				m[i] = make([]float64, len(row))
				for j, v := range row {
					if total > 0 {
						m[i][j] = float64(v) / float64(total)
					}
				}
			}
			title := fmt.Sprintf("Held-out stories, %s (layer %d): rows true, columns predicted; top-1 %.2f, chance %.2f",
				c.name, h.Layer, c.c.Top1, h.Chance1)
			f, err := figures.Heatmap(h.Emotions, m, figures.HeatmapOptions{Title: title, ColLabels: h.Emotions, Min: 0, Max: 1,
				CellLabels: len(h.Emotions) <= 20, ValueName: "share of the row"})
			if err := add(c.base, "Confusion matrix: "+c.name, f, err); err != nil {
				return nil, err
			}
		}
	}
	if s := r.Sweep; s != nil {
		x := make([]float64, len(s.Layers))
		labels := make([]string, len(s.Layers))
		chance := make([]float64, len(s.Layers))
		for i, l := range s.Layers {
			x[i] = float64(l)
			labels[i] = fmt.Sprint(l)
			chance[i] = s.Chance1
		}
		series := []figures.Series{{Name: "top-1, by topic", Y: s.CosineTop1}, {Name: "top-1, by story", Y: s.StoryTop1}, {Name: "top-3, by topic", Y: s.CosineTop3}}
		f, err := figures.Line(x, series, figures.PlotOptions{
			Title:  fmt.Sprintf("Cross-validated accuracy of the emotion vectors per layer (recommended: %d)", s.Recommended),
			XLabel: "layer (hidden_states index)", YLabel: "accuracy", YMin: 0, YMax: 1,
			References: []figures.Reference{{Value: s.Chance1, Label: "chance top-1"}},
		})
		if err := add(FigLayerAccuracy, "Held-out accuracy per layer", f, err); err != nil {
			return nil, err
		}
		sim := make([][]float64, len(s.Similarity))
		for i, row := range s.Similarity {
			sim[i] = make([]float64, len(row))
			for j, v := range row {
				sim[i][j] = float64(v)
			}
		}
		f, err = figures.Heatmap(labels, sim, figures.HeatmapOptions{
			Title:      "Similarity of layers' cosine matrices (Pearson r of the off-diagonal entries)",
			CellLabels: len(labels) <= 16, ValueName: "r",
		})
		if err := add(FigLayerSimilarity, "Similarity of the emotion geometry between layers", f, err); err != nil {
			return nil, err
		}
	}
	if rr := r.Ratings; rr != nil {
		for _, c := range []struct {
			base string
			c    Correlation
			axis string
		}{{FigValence, rr.Valence, "valence"}, {FigArousal, rr.Arousal, "arousal"}} {
			pts := make([][2]float64, len(rr.Emotions))
			for i := range pts {
				pts[i] = [2]float64{c.c.Scores[i], c.c.Ratings[i]}
			}
			label := c.c.Component + " score"
			if c.c.Oriented {
				label += map[string]string{"valence": " (pleasant +)", "arousal": " (high arousal +)"}[c.axis]
			}
			f, err := figures.Scatter(pts, rr.Emotions, nil, figures.ScatterOptions{
				Title: fmt.Sprintf("%s of the emotion vectors against human %s (layer %d): r = %.2f, rho = %.2f, n = %d",
					c.c.Component, c.axis, rr.Layer, c.c.Pearson.Estimate, c.c.Spearman.Estimate, len(rr.Emotions)),
				XLabel: label, YLabel: "human " + c.axis + " rating (" + filepath.Base(rr.File) + ")",
			})
			if err := add(c.base, fmt.Sprintf("%s against human %s", c.c.Component, c.axis), f, err); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Write writes report.json, report.md and figures/<name>.{png,html} (the report's figures and every
// section's) into dir, each file atomically (checkpoint.WriteFileAtomic), and returns the paths written.
func Write(dir string, r *Report) ([]string, error) {
	figs, err := r.Figures()
	if err != nil {
		return nil, err
	}
	for _, s := range r.Sections {
		figs = append(figs, s.Figures...)
	}
	var written []string
	put := func(path string, data []byte) error {
		if err := checkpoint.WriteFileAtomic(path, data); err != nil {
			return fmt.Errorf("validate: %w", err)
		}
		written = append(written, path)
		return nil
	}
	for _, f := range figs {
		if f.Base == "" || strings.ContainsAny(f.Base, `/\`) || f.Base == "." || f.Base == ".." {
			return written, fmt.Errorf("validate: figure name %q must be a plain file name", f.Base)
		}
		for _, x := range []struct {
			ext  string
			data []byte
		}{{".png", f.Figure.PNG}, {".html", f.Figure.HTML}} {
			if len(x.data) == 0 {
				continue
			}
			if err := put(filepath.Join(dir, "figures", f.Base+x.ext), x.data); err != nil {
				return written, err
			}
		}
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return written, fmt.Errorf("validate: report.json: %w", err)
	}
	if err := put(filepath.Join(dir, ReportFile), append(js, '\n')); err != nil {
		return written, err
	}
	md := r.Markdown()
	var figList strings.Builder
	for _, f := range figs { // links only here: Markdown is also shown in notebook 07, where a relative link breaks
		fmt.Fprintf(&figList, "![%s](figures/%s.png)\n\n", f.Caption, f.Base)
	}
	if figList.Len() > 0 {
		md += "\n## Figures\n\n" + figList.String()
	}
	if err := put(filepath.Join(dir, "report.md"), []byte(md)); err != nil {
		return written, err
	}
	return written, nil
}

// ReportFile is the report's JSON file in the validation folder.
const ReportFile = "report.json"

// Dir is the validation folder of a run: <output>/validation.
func Dir(outputDir string) string { return filepath.Join(outputDir, Folder) }

// FiguresDir is the folder of the report's figures: <output>/validation/figures.
func FiguresDir(outputDir string) string { return filepath.Join(outputDir, Folder, "figures") }

// Load reads back the report that Write wrote in <output>/validation. Section data come back as plain JSON
// values (maps and lists), not as the types that made them.
func Load(outputDir string) (*Report, error) {
	var r Report
	if err := checkpoint.ReadJSON(filepath.Join(Dir(outputDir), ReportFile), &r); err != nil {
		return nil, fmt.Errorf("validate: %w: run `emotion-probes %s` first", err, Command)
	}
	return &r, nil
}
