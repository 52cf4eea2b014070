package validate

import (
	"fmt"
	"strings"
)

// Beside is the report's section that sets runs side by side: typically the same model reading a written
// corpus and reading the stories it wrote itself, which tells what the data does from what the method does.
// Each column is a run's headline numbers at its own layer.
func Beside(reports []*Report) *Section {
	var b strings.Builder
	b.WriteString("| |")
	for _, r := range reports {
		fmt.Fprintf(&b, " %s (stories %s) |", r.Name, r.Stories)
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(reports)) + "\n")
	row := func(label string, cell func(r *Report) string) {
		b.WriteString("| " + label + " |")
		for _, r := range reports {
			b.WriteString(" " + cell(r) + " |")
		}
		b.WriteString("\n")
	}
	cv := func(r *Report, split string) *CrossVal {
		for _, c := range r.CrossValAt(r.Layers.DefaultLayer) {
			if c.Split == split {
				return c
			}
		}
		return nil
	}
	acc := func(pick func(*CrossVal) *Accuracy, split string) func(r *Report) string {
		return func(r *Report) string {
			c := cv(r, split)
			if c == nil || pick(c) == nil {
				return "-"
			}
			a := pick(c)
			return fmt.Sprintf("%.3f (%.0fx chance, p %s)", a.Top1, a.Top1/a.Chance1, PValue(a.P1))
		}
	}
	vectorsOf := func(c *CrossVal) *Accuracy { return c.Cosine }
	probeOf := func(c *CrossVal) *Accuracy { return c.Probe }
	wordsOf := func(c *CrossVal) *Accuracy { return c.Words }
	row("emotions, stories (layer)", func(r *Report) string {
		c := cv(r, ByTopic)
		if c == nil {
			return "-"
		}
		return fmt.Sprintf("%d, %d (%d)", len(c.Emotions), c.Cosine.N, r.Layers.DefaultLayer)
	})
	row("vectors, top-1 by topic", acc(vectorsOf, ByTopic))
	row("vectors, top-1 by story", acc(vectorsOf, ByStory))
	row("probe, top-1 by topic", acc(probeOf, ByTopic))
	row("probe, top-1 by story", acc(probeOf, ByStory))
	row("bag of words, top-1 by story", acc(wordsOf, ByStory))
	row("PC1 vs valence, r", func(r *Report) string {
		if r.Ratings == nil {
			return "-"
		}
		return interval(r.Ratings.Valence.Pearson)
	})
	row("PC2 vs arousal, r", func(r *Report) string {
		if r.Ratings == nil {
			return "-"
		}
		return interval(r.Ratings.Arousal.Pearson)
	})
	return &Section{Name: "beside", Title: "Runs side by side", Markdown: b.String()}
}
