package jupyter

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strings"
)

// RenderHTML returns a self-contained HTML page showing nb: markdown cells through a small
// markdown subset (headings, paragraphs, lists, fenced code, inline code, bold, italics, links),
// code cells with their source and outputs. Outputs show their richest MIME type: text/html as
// is (iframes and scripts kept, so go-echarts charts in <iframe srcdoc> work), SVG inline,
// PNG/JPEG as data: URIs, markdown rendered, text/plain in <pre>; streams and errors in <pre>,
// with terminal colour codes removed.
//
// RenderReport puts many notebooks on one page; both go through writePageHead, writeCells and
// writePageFoot, so a notebook looks the same in its own page and in the report.
func RenderHTML(nb *Notebook, title string) []byte {
	var b bytes.Buffer
	writePageHead(&b, title, "")
	writeCells(&b, nb)
	writePageFoot(&b)
	return b.Bytes()
}

// pageCSS styles both pages. It is inline, like everything else on them: the pages are read
// from disk, offline, and are mailed around, so nothing may be fetched.
const pageCSS = `body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.45; color: #222; }
.cell { margin: 1em 0; }
.code pre.source { background: #f6f8fa; border: 1px solid #e1e4e8; border-radius: 4px; padding: .6em; overflow-x: auto; }
.prompt { color: #888; font: 12px monospace; }
.output { margin: .3em 0 .3em 1.5em; overflow-x: auto; }
pre { margin: 0; white-space: pre-wrap; }
pre.stderr { background: #fff5f5; }
pre.error { background: #fdd; padding: .4em; }
.markdown pre { background: #f6f8fa; padding: .5em; }
code { background: #f3f3f3; padding: 0 .2em; }
img { max-width: 100%; }
iframe { border: none; }
`

// writePageHead writes the page up to and including <body>; extraCSS is appended to pageCSS.
func writePageHead(b *bytes.Buffer, title, extraCSS string) {
	fmt.Fprintf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>\n%s%s</style>\n</head>\n<body>\n",
		html.EscapeString(title), pageCSS, extraCSS)
}

// writePageFoot closes what writePageHead opened.
func writePageFoot(b *bytes.Buffer) {
	b.WriteString("</body>\n</html>\n")
}

// writeCells writes nb's cells in order, each in a <div class="cell ...">.
func writeCells(b *bytes.Buffer, nb *Notebook) {
	for _, c := range nb.Cells {
		switch c.Type {
		case MarkdownCell:
			fmt.Fprintf(b, "<div class=\"cell markdown\">\n%s</div>\n", markdownToHTML(c.Source))
		case CodeCell:
			count := " "
			if c.ExecutionCount != nil {
				count = fmt.Sprint(*c.ExecutionCount)
			}
			fmt.Fprintf(b, "<div class=\"cell code\">\n<div class=\"prompt\">In [%s]:</div>\n<pre class=\"source\">%s</pre>\n", count, html.EscapeString(c.Source))
			for _, o := range c.Outputs {
				b.WriteString("<div class=\"output\">")
				b.WriteString(outputHTML(o))
				b.WriteString("</div>\n")
			}
			b.WriteString("</div>\n")
		default:
			fmt.Fprintf(b, "<div class=\"cell raw\"><pre>%s</pre></div>\n", html.EscapeString(c.Source))
		}
	}
}

// outputHTML renders one output.
func outputHTML(o *Output) string {
	switch o.Type {
	case StreamOutput:
		return fmt.Sprintf("<pre class=%q>%s</pre>", o.Name, html.EscapeString(ansiRE.ReplaceAllString(o.Text, "")))
	case ErrorOutput:
		text := strings.Join(o.Traceback, "\n")
		if text == "" {
			text = o.EName + ": " + o.EValue
		}
		return fmt.Sprintf("<pre class=\"error\">%s</pre>", html.EscapeString(ansiRE.ReplaceAllString(text, "")))
	}
	str := func(mime string) (string, bool) {
		s, ok := o.Data[mime].(string)
		return s, ok
	}
	if s, ok := str("text/html"); ok {
		return s
	}
	if s, ok := str("image/svg+xml"); ok {
		return s
	}
	for _, mime := range []string{"image/png", "image/jpeg", "image/gif"} {
		if s, ok := str(mime); ok {
			return fmt.Sprintf("<img src=\"data:%s;base64,%s\">", mime, strings.TrimSpace(s))
		}
	}
	if s, ok := str("text/markdown"); ok {
		return markdownToHTML(s)
	}
	if s, ok := str("text/plain"); ok {
		return "<pre>" + html.EscapeString(s) + "</pre>"
	}
	return ""
}

var (
	headingRE  = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	ulItemRE   = regexp.MustCompile(`^\s*[-*+]\s+(.*)$`)
	olItemRE   = regexp.MustCompile(`^\s*\d+[.)]\s+(.*)$`)
	codeSpanRE = regexp.MustCompile("`([^`]+)`")
	boldRE     = regexp.MustCompile(`\*\*([^*]+)\*\*|__([^_]+)__`)
	italicRE   = regexp.MustCompile(`(^|[^*\w])\*([^*\s][^*]*)\*`)
	linkRE     = regexp.MustCompile(`!?\[([^\]]*)\]\(([^)\s]+)\)`)
)

// markdownToHTML converts the markdown subset notebooks here use. It is not CommonMark: nested
// lists, block quotes and tables come out as paragraphs.
func markdownToHTML(src string) string {
	var b strings.Builder
	var para []string
	list := "" // "ul" or "ol" while inside a list
	flush := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + inlineMarkdown(strings.Join(para, "\n")) + "</p>\n")
			para = nil
		}
		if list != "" {
			b.WriteString("</" + list + ">\n")
			list = ""
		}
	}
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			flush()
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				code = append(code, lines[i])
			}
			b.WriteString("<pre><code>" + html.EscapeString(strings.Join(code, "\n")) + "</code></pre>\n")
		case trimmed == "":
			flush()
		case headingRE.MatchString(line):
			flush()
			m := headingRE.FindStringSubmatch(line)
			n := len(m[1])
			fmt.Fprintf(&b, "<h%d>%s</h%d>\n", n, inlineMarkdown(m[2]), n)
		case ulItemRE.MatchString(line) || olItemRE.MatchString(line):
			kind, re := "ul", ulItemRE
			if !ulItemRE.MatchString(line) {
				kind, re = "ol", olItemRE
			}
			if list != kind {
				flush()
				list = kind
				b.WriteString("<" + kind + ">\n")
			}
			b.WriteString("<li>" + inlineMarkdown(re.FindStringSubmatch(line)[1]) + "</li>\n")
		default:
			if list != "" && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) {
				b.WriteString("<li style=\"list-style:none\">" + inlineMarkdown(trimmed) + "</li>\n")
				continue
			}
			if list != "" {
				flush()
			}
			para = append(para, line)
		}
	}
	flush()
	return b.String()
}

// inlineMarkdown escapes s and applies code spans, links and images, bold and italics. Code
// spans are set aside first so their content is not formatted.
func inlineMarkdown(s string) string {
	var spans []string
	s = codeSpanRE.ReplaceAllStringFunc(s, func(m string) string {
		spans = append(spans, "<code>"+html.EscapeString(m[1:len(m)-1])+"</code>")
		return fmt.Sprintf("\x00%d\x00", len(spans)-1)
	})
	s = html.EscapeString(s)
	s = linkRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := linkRE.FindStringSubmatch(m)
		if strings.HasPrefix(m, "!") {
			return fmt.Sprintf("<img alt=\"%s\" src=\"%s\">", sub[1], sub[2])
		}
		return fmt.Sprintf("<a href=\"%s\">%s</a>", sub[2], sub[1])
	})
	s = boldRE.ReplaceAllString(s, "<strong>$1$2</strong>")
	s = italicRE.ReplaceAllString(s, "$1<em>$2</em>")
	for i, span := range spans {
		s = strings.Replace(s, fmt.Sprintf("\x00%d\x00", i), span, 1)
	}
	return s
}
