package report

import (
	"fmt"
	"html"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/support/drawing"
)

const css = `<style>
body{font:15px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222}
h1{font-size:24px}h2{font-size:20px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}h3{font-size:16px}
pre{background:#f7f7f7;padding:10px;white-space:pre-wrap;font-size:13px}
figure{margin:16px 0}figcaption{color:#555;font-size:13px}
.note{color:#a15c00}
</style>
`

// page wraps an HTML body in a complete page with no remote resource.
func page(title, body string) string {
	return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html.EscapeString(title) + "</title>\n" +
		css + "</head><body>\n" + body + "\n</body></html>\n"
}

// indexPage shows every layer's figures as inline PNGs, each linked to its interactive page, its summary,
// and its logit-lens table. The PNGs are inline (data URIs), so the page shows them even when copied alone;
// the links need the folder beside it.
func indexPage(name string, sections []section) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<h1>Emotion vectors: %s</h1>\n<p>Layers: ", html.EscapeString(name))
	for i, s := range sections {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `<a href="#layer-%d">%d</a>`, s.layer, s.layer)
	}
	b.WriteString(".</p>\n")
	for _, s := range sections {
		fmt.Fprintf(&b, "<h2 id=\"layer-%d\">Layer %d</h2>\n", s.layer, s.layer)
		for _, im := range s.images {
			fmt.Fprintf(&b, "<figure><a href=\"%s\">%s</a><figcaption>%s — <a href=\"%s\">interactive version</a></figcaption></figure>\n",
				html.EscapeString(im.page), drawing.ImgTag(im.png, im.title), html.EscapeString(im.title), html.EscapeString(im.page))
		}
		b.WriteString("<h3>Logit lens</h3>\n")
		if s.lens != "" {
			b.WriteString(s.lens)
		} else {
			fmt.Fprintf(&b, "<p class=\"note\">%s</p>\n", html.EscapeString(s.lensNote))
		}
		if s.summary != "" {
			fmt.Fprintf(&b, "<h3>Summary</h3>\n<pre>%s</pre>\n", html.EscapeString(s.summary))
		}
	}
	return page("Emotion vectors: "+name, b.String())
}
