package jupyter

import (
	"bytes"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWriteReport makes a report from every notebook in testdata (figures.ipynb holds a PNG
// figure and a chart page as drawing makes them) and checks what a reader relies on: each
// notebook's heading is there, figures are inline, the table of contents leads somewhere, and
// the page fetches nothing from the network.
func TestWriteReport(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.ipynb")
	if err != nil || len(paths) < 2 {
		t.Fatalf("testdata notebooks: %v %v", paths, err)
	}
	out := filepath.Join(t.TempDir(), "report.html")
	err = WriteReport(out, "emotion-probes: tiny", paths, ReportOptions{
		Details: []string{"config: config/tiny.yaml"}, Date: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)

	for _, want := range []string{"<h1>emotion-probes: tiny</h1>", "config: config/tiny.yaml", "2026-01-02 03:04 UTC",
		"<iframe width=\"100%\" height=\"520\" srcdoc=",
		`<img src="data:image/png;base64,`} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if n := strings.Count(page, "<style>"); n != 1 {
		t.Errorf("report has %d <style> blocks, want the CSS once", n)
	}
	for _, p := range paths {
		nb, err := Read(p)
		if err != nil {
			t.Fatal(err)
		}
		title := sectionTitle(ReportSection{Name: "x", Notebook: nb})
		if title == "x" {
			t.Errorf("%s: no heading found", p)
		}
		// The heading shows twice: in the table of contents and in the notebook's own cell.
		if n := strings.Count(page, title); n < 2 {
			t.Errorf("%s: heading %q appears %d times, want in the contents and the section", p, title, n)
		}
	}

	// Every contents link resolves to an id on the page, one per notebook.
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		ids[m[1]] = true
	}
	links := regexp.MustCompile(`<nav class="toc">(?s:.*?)</nav>`).FindString(page)
	anchors := regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(links, -1)
	if len(anchors) != len(paths) {
		t.Errorf("contents has %d links, want %d", len(anchors), len(paths))
	}
	for _, a := range anchors {
		if !ids[a[1]] {
			t.Errorf("contents link #%s has no element with that id", a[1])
		}
	}

	// Nothing fetched: no script, link or img tag points at http(s). The page is checked as
	// written and unescaped once, which opens the <iframe srcdoc> pages of charts.
	for _, text := range []string{page, html.UnescapeString(page)} {
		if m := fetchRE.FindString(text); m != "" {
			t.Errorf("report fetches from the network: %s", m)
		}
	}
	// The check itself sees a fetch, inside a chart's srcdoc too.
	for _, bad := range []string{`<img alt="" src="https://e.org/x.png">`, `<link rel="stylesheet" href="//cdn.e.org/a.css">`,
		html.UnescapeString(`<iframe srcdoc="&lt;script src=&quot;https://cdn.jsdelivr.net/echarts.min.js&quot;&gt;"></iframe>`)} {
		if !fetchRE.MatchString(bad) {
			t.Errorf("fetchRE misses %s", bad)
		}
	}
}

// fetchRE finds a script, link, img or iframe tag whose src or href leaves the page.
var fetchRE = regexp.MustCompile(`(?i)<(script|link|img|iframe)\b[^>]*\s(src|href)\s*=\s*["']?\s*(https?:)?//`)

// TestRenderReportSharesCells checks a notebook's cells read the same in its own page and in
// the report, and that ids stay unique when two notebooks share a name.
func TestRenderReportSharesCells(t *testing.T) {
	nb, err := Read("testdata/nbformat_golden.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	var cells bytes.Buffer
	writeCells(&cells, nb)
	if !bytes.Contains(RenderHTML(nb, "t"), cells.Bytes()) {
		t.Errorf("RenderHTML does not show the cells as writeCells writes them")
	}
	var b bytes.Buffer
	s := ReportSection{Name: "01 stories", Notebook: nb}
	if err := RenderReport(&b, "r", []ReportSection{s, s}, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), cells.Bytes()) {
		t.Errorf("RenderReport does not show the cells as writeCells writes them")
	}
	for _, id := range []string{`id="nb-01-stories"`, `id="nb-01-stories-2"`} {
		if !strings.Contains(b.String(), id) {
			t.Errorf("report lacks %s", id)
		}
	}
}

// TestWriteReportNamesFile checks a notebook that cannot be read is named in the error.
func TestWriteReportNamesFile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "03-bad.ipynb")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteReport(filepath.Join(t.TempDir(), "report.html"), "r", []string{bad}, ReportOptions{})
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("error %v does not name %s", err, bad)
	}
}
