package nb

import (
	"fmt"
	"html"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/use/probe"
)

// scorePalette gives each emotion of a scored text its colour, in the vector set's order: Matplotlib's tab10
// then the light half of tab20 (Tableau's palettes). Beyond 20 emotions colours repeat; the tooltip names the
// emotion.
var scorePalette = []string{
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
	"#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
}

// Score shows a scored text (probe.ScoreText) with each token coloured by its top emotion.
func Score(s *probe.TextScore) { HTML(ScoreHTML(s)) }

// ScoreHTML is the HTML that Score shows: the text's ranking, then the text with each token on the colour of
// the emotion whose vector it is closest to, as strong as its cosine (relative to the text's highest token
// cosine; tokens whose best cosine is not positive stay white), and a tooltip with the token's top three
// emotions and their cosines. The BOS is left out: its state is the same for every text. A legend lists the
// emotions that top at least one token.
func ScoreHTML(s *probe.TextScore) string {
	var b strings.Builder
	b.WriteString(`<div style="font:13px sans-serif">`)
	fmt.Fprintf(&b, `<div style="color:#555">layer %d, %s; text read at %s: `, s.Layer, html.EscapeString("centring: "+s.Centering), s.At)
	for i, r := range s.Ranked[:min(5, len(s.Ranked))] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `<b>%s</b> %+.3f`, html.EscapeString(r.Emotion), r.Score)
	}
	b.WriteString("</div>")

	best := 0.0
	for _, t := range s.Tokens[1:] {
		for _, x := range t.Scores {
			best = max(best, x)
		}
	}
	used := map[int]bool{}
	b.WriteString(`<div style="line-height:1.9;margin:6px 0;white-space:pre-wrap;font-family:monospace">`)
	for _, t := range s.Tokens[1:] {
		top := probe.Rank(s.Emotions, t.Scores)
		k := indexOf(s.Emotions, top[0].Emotion)
		style := ""
		if best > 0 && top[0].Score > 0 {
			used[k] = true
			style = fmt.Sprintf(` style="background:%s%02x"`, scorePalette[k%len(scorePalette)], int(0x10+0xcf*min(1, top[0].Score/best)))
		}
		var tip []string
		for _, r := range top[:min(3, len(top))] {
			tip = append(tip, fmt.Sprintf("%s %+.3f", r.Emotion, r.Score))
		}
		fmt.Fprintf(&b, `<span title="%s"%s>%s</span>`, html.EscapeString(fmt.Sprintf("#%d: %s", t.Position, strings.Join(tip, ", "))),
			style, html.EscapeString(t.Text))
	}
	b.WriteString(`</div><div style="color:#555">`)
	for k, e := range s.Emotions {
		if used[k] {
			fmt.Fprintf(&b, `<span style="background:%s;color:#fff;padding:0 4px;margin-right:4px">%s</span>`,
				scorePalette[k%len(scorePalette)], html.EscapeString(e))
		}
	}
	b.WriteString("</div></div>")
	return b.String()
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
