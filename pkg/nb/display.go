package nb

import (
	"fmt"
	"html"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/support/drawing"
	"github.com/janpfeifer/gonb/gonbui"
)

// Markdown shows s, Markdown, as the cell's output.
func Markdown(s string) {
	gonbui.DisplayMarkdown(s)
	gonbui.Sync()
}

// MarkdownSection shows a Markdown report (a stage's summary.md) with its headings demoted by two levels,
// so that its "# Title" sits under the notebook's own "## Section" instead of competing with it.
func MarkdownSection(md string) { Markdown(DemoteHeadings(md, 2)) }

// DemoteHeadings adds n levels to every ATX heading of md ("# A" -> "### A" for n = 2), up to level 6.
// Lines inside fenced code blocks are left alone.
func DemoteHeadings(md string, n int) string {
	lines := strings.Split(md, "\n")
	fence := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fence = !fence
		}
		if fence || !strings.HasPrefix(l, "#") {
			continue
		}
		level := len(l) - len(strings.TrimLeft(l, "#"))
		if level > 6 || (len(l) > level && l[level] != ' ') {
			continue // "#hashtag", not a heading
		}
		lines[i] = strings.Repeat("#", min(6, level+n)) + l[level:]
	}
	return strings.Join(lines, "\n")
}

// HTML shows an HTML fragment as the cell's output.
//
// It waits until GoNB has taken the output (gonbui.Sync). Without that, GoNB v0.11.5 loses the display that
// follows a large one (a chart page of about 1 MB) when the cell's program exits soon after: seen in
// headless runs, where whole tables went missing.
func HTML(s string) {
	gonbui.DisplayHTML(s)
	gonbui.Sync()
}

// Table shows a table: a header row, then rows of text (escaped; cells that look like numbers are
// right-aligned). Rows may be shorter than the header.
func Table(header []string, rows [][]string) { HTML(drawing.HTMLTable(header, rows)) }

// Figure shows a figure twice: the interactive chart (hover for values, wheel to zoom) and, under it,
// the static PNG. The PNG is there for wherever scripts do not run: JupyterLab hides the iframes of a
// notebook executed headless until it is trusted (File > Trust Notebook), GitHub shows no scripts at all.
func Figure(fig drawing.Figure, caption string) { HTML(FigureHTML(fig, caption)) }

// FigureHTML is the HTML that Figure shows.
func FigureHTML(fig drawing.Figure, caption string) string {
	var b strings.Builder
	if caption != "" {
		fmt.Fprintf(&b, `<div style="font:600 14px sans-serif;margin:4px 0">%s</div>`, html.EscapeString(caption))
	}
	if len(fig.HTML) > 0 {
		b.WriteString(fig.IFrame())
	}
	if len(fig.PNG) > 0 {
		b.WriteString(`<details open><summary style="font:12px sans-serif;color:#666;cursor:pointer">` +
			`static image (shows where the interactive chart cannot)</summary>`)
		b.WriteString(fig.ImgTag(caption))
		b.WriteString(`</details>`)
	}
	return b.String()
}

// PNG shows only a figure's static image: lighter than Figure (a chart page weighs about 1 MB), for
// secondary figures.
func PNG(fig drawing.Figure, caption string) { HTML(fig.ImgTag(caption)) }

// Excerpt returns text cut to at most n runes at a word boundary, with "…" where it was cut, and its
// line breaks shown as " ⏎ " so that it reads on one table line.
func Excerpt(text string, n int) string {
	text = strings.TrimSpace(text)
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.Join(strings.Fields(strings.ReplaceAll(text, "\n", " ⏎ ")), " ")
	r := []rune(text)
	if n <= 0 || len(r) <= n {
		return text
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:") + "…"
}

// Pre shows text as it is, line breaks and spacing kept, wrapped to the cell's width: for a whole story or
// dialogue.
func Pre(text string) {
	HTML(`<pre style="white-space:pre-wrap;background:#f8f8f8;border-left:3px solid #ccc;padding:6px 10px;` +
		`font:13px/1.4 ui-monospace,Menlo,Consolas,monospace">` + html.EscapeString(text) + `</pre>`)
}
