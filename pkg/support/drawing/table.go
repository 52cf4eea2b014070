package drawing

import (
	"fmt"
	"html"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TokenScore is one token of a logit-lens ranking and its score (a logit or a logit difference).
// Token is the decoded text of the token (" grief", "\n"), not its byte-level BPE spelling ("Ġgrief").
type TokenScore struct {
	Token string
	Score float64
}

// LogitLensRow is one emotion's row of LogitLensTable: the tokens its vector promotes most (Top) and
// suppresses most (Bottom), each in rank order.
type LogitLensRow struct {
	Emotion string
	Top     []TokenScore
	Bottom  []TokenScore
}

// tableCSS styles the tables; it is scoped to class "fig-table" so it cannot restyle the notebook.
const tableCSS = `<style>
.fig-table{border-collapse:collapse;font:13px/1.35 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:6px 0}
.fig-table th,.fig-table td{border-bottom:1px solid #e3e3e3;padding:3px 9px;text-align:left;vertical-align:top}
.fig-table th{background:#f5f5f5;border-bottom:2px solid #ccc;font-weight:600}
.fig-table tbody tr:nth-child(even){background:#fafafa}
.fig-table td.num{text-align:right;font-variant-numeric:tabular-nums}
.fig-table .tok{display:inline-block;font-family:ui-monospace,Menlo,Consolas,monospace;background:#eef3f8;border-radius:3px;padding:0 4px;margin:1px 2px;white-space:pre}
.fig-table .tok.neg{background:#f8eeee}
.fig-table .tok .sc{color:#888;font-size:11px;margin-left:3px}
.fig-table .ws{color:#b0b0b0}
</style>
`

// HTMLTable renders a plain table: a header row and body rows, every cell escaped as text. Rows may
// be shorter than the header (missing cells are left empty). Cells that look like numbers are right-
// aligned.
func HTMLTable(header []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString(tableCSS)
	b.WriteString(`<table class="fig-table"><thead><tr>`)
	for _, h := range header {
		b.WriteString("<th>" + html.EscapeString(h) + "</th>")
	}
	b.WriteString("</tr></thead><tbody>\n")
	width := len(header)
	for _, r := range rows {
		width = max(width, len(r))
	}
	for _, r := range rows {
		b.WriteString("<tr>")
		for j := range width {
			cell := ""
			if j < len(r) {
				cell = r[j]
			}
			if _, err := strconv.ParseFloat(strings.TrimSpace(cell), 64); err == nil {
				b.WriteString(`<td class="num">` + html.EscapeString(cell) + "</td>")
			} else {
				b.WriteString("<td>" + html.EscapeString(cell) + "</td>")
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody></table>\n")
	return b.String()
}

// LogitLensTable renders one row per emotion with its top and bottom tokens as chips, scores in grey.
// Tokens are shown exactly: spaces, newlines, tabs and other invisible characters are made visible
// (see VisibleToken), and everything is HTML-escaped.
func LogitLensTable(rows []LogitLensRow) string {
	var b strings.Builder
	b.WriteString(tableCSS)
	b.WriteString(`<table class="fig-table"><thead><tr><th>emotion</th><th>top tokens (promoted)</th>` +
		`<th>bottom tokens (suppressed)</th></tr></thead><tbody>` + "\n")
	chips := func(ts []TokenScore, class string) string {
		var c strings.Builder
		for _, t := range ts {
			fmt.Fprintf(&c, `<span class="%s" title="%s">%s<span class="sc">%s</span></span>`,
				class, html.EscapeString(strconv.Quote(t.Token)), visibleHTML(t.Token),
				html.EscapeString(strconv.FormatFloat(t.Score, 'f', 2, 64)))
		}
		return c.String()
	}
	for _, r := range rows {
		b.WriteString("<tr><td><b>" + html.EscapeString(r.Emotion) + "</b></td>")
		b.WriteString("<td>" + chips(r.Top, "tok") + "</td>")
		b.WriteString("<td>" + chips(r.Bottom, "tok neg") + "</td></tr>\n")
	}
	b.WriteString("</tbody></table>\n")
	return b.String()
}

// VisibleToken returns tok with invisible characters replaced by visible stand-ins, so " the", "the"
// and "the\n" read differently: space -> "␣", newline -> "↵", carriage return -> "␍", tab -> "⇥",
// other control or format characters -> "⟨U+XXXX⟩", bytes that are not valid UTF-8 (a token may hold
// part of a multi-byte character) -> "⟨0xXX⟩". An empty token is "∅".
func VisibleToken(tok string) string {
	if tok == "" {
		return "∅"
	}
	var b strings.Builder
	for i := 0; i < len(tok); {
		r, size := utf8.DecodeRuneInString(tok[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&b, "⟨0x%02X⟩", tok[i])
			i++
			continue
		}
		i += size
		if s, ok := visibleStandIn(r); ok {
			b.WriteString(s)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func visibleStandIn(r rune) (string, bool) {
	switch r {
	case ' ':
		return "␣", true
	case '\n':
		return "↵", true
	case '\r':
		return "␍", true
	case '\t':
		return "⇥", true
	}
	if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || (unicode.IsSpace(r) && r != ' ') {
		return fmt.Sprintf("⟨U+%04X⟩", r), true
	}
	return "", false
}

// visibleHTML is VisibleToken, HTML-escaped, with the stand-ins greyed so they read as markers, not text.
func visibleHTML(tok string) string {
	if tok == "" {
		return `<span class="ws">∅</span>`
	}
	var b strings.Builder
	for i := 0; i < len(tok); {
		r, size := utf8.DecodeRuneInString(tok[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&b, `<span class="ws">⟨0x%02X⟩</span>`, tok[i])
			i++
			continue
		}
		i += size
		if s, ok := visibleStandIn(r); ok {
			b.WriteString(`<span class="ws">` + s + `</span>`)
			continue
		}
		b.WriteString(html.EscapeString(string(r)))
	}
	return b.String()
}
