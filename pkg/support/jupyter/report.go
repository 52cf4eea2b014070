package jupyter

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A report is one HTML page holding a whole run: every executed notebook, in order, under a
// header and a table of contents. It is for the reader who looks rather than reads code: the
// figures are inline (PNG as data: URIs), the go-echarts charts stay interactive (their
// <iframe srcdoc> pages carry their own JavaScript), and nothing is fetched from the network,
// so the one file can be opened offline, archived with the run or mailed.
//
// Each notebook becomes a <section id="nb-NN-name"> whose cells are written by the same code as
// RenderHTML's page; the table of contents links to the sections by those ids and names each by
// the notebook's first markdown heading (its title), or by its file name where it has none.

// ReportSection is one notebook of a report.
type ReportSection struct {
	// Name is the notebook's file name without .ipynb, e.g. "01-stories"; it makes the section's
	// id and names the section where the notebook has no heading.
	Name     string
	Notebook *Notebook
}

// ReportOptions is what the report's header says besides its title.
type ReportOptions struct {
	// Details are shown under the title, one per line, e.g. "config: config/small.yaml".
	Details []string
	// Date is when the notebooks ran; shown in the header when set.
	Date time.Time
}

// reportCSS adds the header and table of contents to pageCSS.
const reportCSS = `header.report { border-bottom: 2px solid #e1e4e8; margin-bottom: 1em; }
header.report p { margin: .2em 0; color: #555; }
nav.toc ol { padding-left: 1.5em; }
section.notebook { border-top: 1px solid #e1e4e8; margin-top: 2.5em; padding-top: .5em; }
.notebook-file { color: #888; font: 12px monospace; }
`

// RenderReport writes one self-contained HTML page showing the notebooks of sections in order:
// a header (title, opts.Details, opts.Date), a table of contents linking to each notebook's
// section, then each notebook's cells as RenderHTML shows them.
func RenderReport(w io.Writer, title string, sections []ReportSection, opts ReportOptions) error {
	var b bytes.Buffer
	writePageHead(&b, title, reportCSS)
	fmt.Fprintf(&b, "<header class=\"report\">\n<h1>%s</h1>\n", html.EscapeString(title))
	for _, d := range opts.Details {
		fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(d))
	}
	if !opts.Date.IsZero() {
		fmt.Fprintf(&b, "<p>run: %s</p>\n", opts.Date.Format("2006-01-02 15:04 MST"))
	}
	b.WriteString("</header>\n")

	ids := sectionIDs(sections)
	b.WriteString("<nav class=\"toc\">\n<h2>Contents</h2>\n<ol>\n")
	for i, s := range sections {
		fmt.Fprintf(&b, "<li><a href=\"#%s\">%s</a></li>\n", ids[i], sectionTitle(s))
	}
	b.WriteString("</ol>\n</nav>\n")

	for i, s := range sections {
		fmt.Fprintf(&b, "<section class=\"notebook\" id=\"%s\">\n<div class=\"notebook-file\">%s.ipynb</div>\n",
			ids[i], html.EscapeString(s.Name))
		writeCells(&b, s.Notebook)
		b.WriteString("</section>\n")
	}
	writePageFoot(&b)
	_, err := w.Write(b.Bytes())
	return err
}

// WriteReport reads the executed notebooks at paths (in that order) and writes their report to
// path. Where opts.Date is unset it is the newest notebook's modification time: when the run
// ended, which stays true when the report is re-made later from the same files.
func WriteReport(path, title string, paths []string, opts ReportOptions) error {
	sections := make([]ReportSection, 0, len(paths))
	var newest time.Time
	for _, p := range paths {
		nb, err := Read(p)
		if err != nil {
			return fmt.Errorf("report %s: %w", path, err)
		}
		if fi, err := os.Stat(p); err == nil && fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
		sections = append(sections, ReportSection{Name: strings.TrimSuffix(filepath.Base(p), ".ipynb"), Notebook: nb})
	}
	if opts.Date.IsZero() {
		opts.Date = newest
	}
	var b bytes.Buffer
	if err := RenderReport(&b, title, sections, opts); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	return writeAtomic(path, b.Bytes())
}

// sectionTitle is the inline HTML of the notebook's first markdown heading, or its escaped name.
func sectionTitle(s ReportSection) string {
	if s.Notebook != nil {
		for _, c := range s.Notebook.Cells {
			if c.Type != MarkdownCell {
				continue
			}
			for _, line := range strings.Split(c.Source, "\n") {
				if m := headingRE.FindStringSubmatch(line); m != nil {
					return inlineMarkdown(m[2])
				}
			}
		}
	}
	return html.EscapeString(s.Name)
}

var idUnsafeRE = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// sectionIDs gives each section an id made from its name, unique on the page: "nb-" keeps them
// apart from any id a notebook's own HTML outputs use.
func sectionIDs(sections []ReportSection) []string {
	ids := make([]string, len(sections))
	seen := map[string]bool{}
	for i, s := range sections {
		base := "nb-" + strings.Trim(idUnsafeRE.ReplaceAllString(s.Name, "-"), "-")
		id := base
		for n := 2; seen[id]; n++ {
			id = base + "-" + strconv.Itoa(n)
		}
		seen[id] = true
		ids[i] = id
	}
	return ids
}
