package drawing

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/png"
	"math"
	"regexp"
	"strings"
	"testing"
)

// decodePNG decodes b and fails the test unless it is a PNG of at least minW x minH pixels whose pixels
// are not all alike (a blank or single-colour image has luminance variance 0).
func decodePNG(t *testing.T, b []byte, minW, minH int) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	bounds := img.Bounds()
	if bounds.Dx() < minW || bounds.Dy() < minH {
		t.Errorf("PNG is %dx%d, want at least %dx%d", bounds.Dx(), bounds.Dy(), minW, minH)
	}
	if bounds.Dx() > 6000 || bounds.Dy() > 6000 {
		t.Errorf("PNG is %dx%d: unreasonably large", bounds.Dx(), bounds.Dy())
	}
	var sum, sum2, n float64
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			l := (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 65535
			sum, sum2, n = sum+l, sum2+l*l, n+1
		}
	}
	if variance := sum2/n - (sum/n)*(sum/n); variance < 1e-3 {
		t.Errorf("PNG looks blank: luminance variance %.2g", variance)
	}
	return img
}

var (
	scriptTagRe    = regexp.MustCompile(`(?i)<script\b`)
	remoteSrcRe    = regexp.MustCompile(`(?i)<(script|link|img|iframe)[^>]*\b(src|href)\s*=\s*["']?(https?:)?//`)
	echartsSnippet = string(echartsJS[len(echartsJS)-200:]) // the end of the embedded library
)

// checkPage asserts the properties every HTML page must have: complete, echarts inline, exactly two
// scripts (the library and the chart), no remote resource, and the given strings present.
func checkPage(t *testing.T, page []byte, want ...string) {
	t.Helper()
	s := string(page)
	if !strings.HasPrefix(strings.TrimSpace(s), "<!DOCTYPE html>") || !strings.Contains(s, "</html>") {
		t.Errorf("page is not a complete HTML document")
	}
	if !strings.Contains(s, echartsSnippet) {
		t.Errorf("page does not carry echarts.min.js inline")
	}
	if n := len(scriptTagRe.FindAllString(s, -1)); n != 2 {
		t.Errorf("page has %d <script> tags, want 2 (echarts inline, the chart)", n)
	}
	if m := remoteSrcRe.FindString(s); m != "" {
		t.Errorf("page references a remote resource: %q", m)
	}
	if strings.Contains(s, "__f__") {
		t.Errorf("page still holds go-echarts' __f__ function markers")
	}
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func TestHeatmapRenders(t *testing.T) {
	for _, tc := range []struct {
		name       string
		n          int
		cellLabels bool
		minW, minH int // pixels
	}{
		{"10 labels with values", 10, true, 600, 600},
		{"171 labels", 171, false, 1500, 1500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			labels := syntheticLabels(tc.n)
			vecs, _, _ := syntheticVectors(tc.n, 32, 1)
			fig, err := Heatmap(labels, cosineMatrix(vecs), HeatmapOptions{Title: "cosine", CellLabels: tc.cellLabels})
			if err != nil {
				t.Fatal(err)
			}
			decodePNG(t, fig.PNG, tc.minW, tc.minH)
			checkPage(t, fig.HTML, `"type":"heatmap"`, `"`+labels[0]+`"`, `"`+labels[tc.n-1]+`"`)
			if fig.Height < 300 {
				t.Errorf("Height = %d, want the page's height (>= 300)", fig.Height)
			}
		})
	}
}

// TestHeatmapOrder checks that Order permutes rows and columns of both renderings.
func TestHeatmapOrder(t *testing.T) {
	labels := []string{"a", "b", "c", "d", "e"}
	order := []int{4, 2, 0, 1, 3}
	// Row 4 ("e") is all +1 (darkest red), every other cell -1 (darkest blue).
	m := make([][]float64, 5)
	for i := range m {
		m[i] = make([]float64, 5)
		for j := range m[i] {
			m[i][j] = -1
			if i == 4 {
				m[i][j] = 1
			}
		}
	}
	fig, err := Heatmap(labels, m, HeatmapOptions{Order: order})
	if err != nil {
		t.Fatal(err)
	}
	// HTML: both axes list the labels in display order; the first data cells are row "e".
	if got := strings.Count(string(fig.HTML), `"data":["e","c","a","b","d"]`); got != 2 {
		t.Errorf(`HTML: axis data in display order ["e","c","a","b","d"] found %d times, want 2 (x and y)`, got)
	}
	if !strings.Contains(string(fig.HTML), `"data":[[0,0,1],[1,0,1],[2,0,1],[3,0,1],[4,0,1],[0,1,-1]`) {
		t.Errorf("HTML: the first displayed row should be row e (all 1), then row c (-1)")
	}
	// PNG: the red row is the top row of cells: the topmost red pixel lies above the topmost blue one.
	img := decodePNG(t, fig.PNG, 200, 200)
	topRed, topBlue := -1, -1
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && (topRed < 0 || topBlue < 0); y++ {
		for x := b.Min.X; x < b.Max.X*3/4; x++ { // left of the colour bar
			r, g, bl, _ := img.At(x, y).RGBA()
			switch {
			case topRed < 0 && r > 0x5000 && g < 0x1000 && bl < 0x3000:
				topRed = y
			case topBlue < 0 && bl > 0x5000 && r < 0x1000 && g < 0x3500:
				topBlue = y
			}
		}
	}
	if topRed < 0 || topBlue < 0 || topRed >= topBlue {
		t.Errorf("PNG: topmost red pixel at y=%d, topmost blue at y=%d: want the red row (e) above the blue rows",
			topRed, topBlue)
	}
}

func TestHeatmapRectangular(t *testing.T) {
	rows := []string{"first steps", "eviction", "dog died"}
	cols := []string{"happy", "desperate", "sad", "calm"}
	m := [][]float64{{0.9, 0.1, 0, 0.2}, {0, 0.8, 0.3, -0.1}, {0, 0.2, 0.7, 0}}
	fig, err := Heatmap(rows, m, HeatmapOptions{ColLabels: cols, ColOrder: []int{3, 2, 1, 0}, Min: -1, Max: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkPage(t, fig.HTML, `"data":["calm","sad","desperate","happy"]`, `"data":["first steps","eviction","dog died"]`)
	decodePNG(t, fig.PNG, 200, 150)
}

func TestHeatmapErrors(t *testing.T) {
	sq := [][]float64{{1, 0}, {0, 1}}
	for _, tc := range []struct {
		name   string
		labels []string
		m      [][]float64
		opts   HeatmapOptions
		want   string
	}{
		{"no labels", nil, nil, HeatmapOptions{}, "no labels"},
		{"rows", []string{"a", "b", "c"}, sq, HeatmapOptions{}, "3 labels but the matrix has 2 rows"},
		{"ragged", []string{"a", "b"}, [][]float64{{1, 0}, {0}}, HeatmapOptions{}, `row 1 ("b") has 1 values, want 2`},
		{"order length", []string{"a", "b"}, sq, HeatmapOptions{Order: []int{0}}, "Order has 1 entries, want 2"},
		{"order range", []string{"a", "b"}, sq, HeatmapOptions{Order: []int{0, 2}}, "Order[1] = 2 is out of range"},
		{"order repeat", []string{"a", "b"}, sq, HeatmapOptions{Order: []int{1, 1}}, "repeats an index"},
		{"range", []string{"a", "b"}, sq, HeatmapOptions{Min: 1, Max: -1}, "need finite Min < Max"},
		{"col order", []string{"a", "b"}, sq, HeatmapOptions{ColOrder: []int{1, 0}}, "ColOrder is set without ColLabels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Heatmap(tc.labels, tc.m, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestHostileLabels checks that labels cannot break out of the chart's script or inject code.
func TestHostileLabels(t *testing.T) {
	labels := []string{"</script><script>alert(1)</script>", `"quote'`, "<!--", "__f__alert(2)__f__"}
	m := [][]float64{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, math.NaN()}}
	fig, err := Heatmap(labels, m, HeatmapOptions{Title: "<b>title</b>"})
	if err != nil {
		t.Fatal(err)
	}
	checkPage(t, fig.HTML, `\u003c/script>\u003cscript>alert(1)\u003c/script>`, `\u003c!--`, "&lt;b&gt;title&lt;/b&gt;")
	if strings.Contains(string(fig.HTML), "alert(2)__") || strings.Contains(string(fig.HTML), ",alert(2)") {
		t.Errorf("a __f__ label became code")
	}
	decodePNG(t, fig.PNG, 100, 100)

	sc, err := Scatter([][2]float64{{0, 0}, {1, 1}}, []string{"</script>", "b"}, nil, ScatterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkPage(t, sc.HTML, `\u003c/script>`)
}

func TestScatter(t *testing.T) {
	_, coords, groups := syntheticVectors(60, 8, 2)
	labels := syntheticLabels(60)
	for _, tc := range []struct {
		name   string
		labels []string
		groups []int
		want   []string
	}{
		{"labels and groups", labels, groups, []string{`"cluster 0"`, `"cluster 7"`, tab10[0], `"` + labels[5] + `"`}},
		{"no groups", labels, nil, []string{`"points"`, `"` + labels[59] + `"`}},
		{"no labels", nil, groups, []string{`"cluster 3"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fig, err := Scatter(coords, tc.labels, tc.groups, ScatterOptions{Title: "t", XLabel: "PC1", YLabel: "PC2", ZeroLines: true})
			if err != nil {
				t.Fatal(err)
			}
			decodePNG(t, fig.PNG, 800, 600)
			checkPage(t, fig.HTML, append(tc.want, `"PC1"`, `"type":"scatter"`)...)
		})
	}
	t.Run("group names", func(t *testing.T) {
		fig, err := Scatter(coords[:4], nil, []int{5, 9, 5, 9}, ScatterOptions{GroupNames: map[int]string{9: "negative"}})
		if err != nil {
			t.Fatal(err)
		}
		checkPage(t, fig.HTML, `"negative"`, `"cluster 5"`)
	})
}

func TestScatterErrors(t *testing.T) {
	pts := [][2]float64{{0, 0}, {1, 1}}
	for _, tc := range []struct {
		name   string
		pts    [][2]float64
		labels []string
		groups []int
		want   string
	}{
		{"empty", nil, nil, nil, "no points"},
		{"labels", pts, []string{"a"}, nil, "1 labels for 2 points"},
		{"groups", pts, nil, []int{1, 2, 3}, "3 groups for 2 points"},
		{"nan", [][2]float64{{0, math.NaN()}}, nil, nil, "point 0 is (0, NaN)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Scatter(tc.pts, tc.labels, tc.groups, ScatterOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLineAndBar(t *testing.T) {
	x := []float64{0, 0.25, 0.5, 1, 2}
	series := []Series{{"afraid", []float64{0.1, 0.2, math.NaN(), 0.4, 0.5}}, {"calm", []float64{0.5, 0.4, 0.3, 0.2, 0.1}}}
	line, err := Line(x, series, PlotOptions{Title: "sweep", XLabel: "strength", YLabel: "log p",
		References: []Reference{{0.3, "baseline"}}})
	if err != nil {
		t.Fatal(err)
	}
	decodePNG(t, line.PNG, 800, 500)
	// The NaN becomes echarts' "-" (a gap); x stays numeric.
	checkPage(t, line.HTML, `"afraid"`, `"calm"`, `[0.5,"-"]`, `[0.25,0.2]`, `"baseline"`, `"type":"line"`)

	bar, err := Bar([]string{"0", "1", "2", "3", "4"}, series, PlotOptions{Title: "acc", YMin: 0, YMax: 1})
	if err != nil {
		t.Fatal(err)
	}
	decodePNG(t, bar.PNG, 800, 500)
	checkPage(t, bar.HTML, `"type":"bar"`, `"data":["0","1","2","3","4"]`, `"max":1`, `"min":0`)

	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"no series", second(Line(x, nil, PlotOptions{})), "no series"},
		{"short series", second(Line(x, []Series{{"s", []float64{1}}}, PlotOptions{})), `series 0 ("s") has 1 values, want 5`},
		{"x nan", second(Line([]float64{math.NaN()}, []Series{{"s", []float64{1}}}, PlotOptions{})), "x[0] = NaN"},
		{"bar range", second(Bar([]string{"a"}, []Series{{"s", []float64{1}}}, PlotOptions{YMin: 1, YMax: 0})), "need YMin < YMax"},
		{"no categories", second(Bar(nil, series, PlotOptions{})), "no x values or categories"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
}

func second(_ Figure, err error) error { return err }

func TestIFrame(t *testing.T) {
	page := []byte(`<!DOCTYPE html><p class="x">a & b</p><script>let s = "it's";</script>`)
	got := IFrame(page, 300)
	m := regexp.MustCompile(`^<iframe srcdoc="([^"]*)" style="width:100%;height:300px;border:0" sandbox="allow-scripts"></iframe>$`).
		FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("IFrame = %q: not an iframe with a double-quoted srcdoc", got)
	}
	if back := html.UnescapeString(m[1]); back != string(page) {
		t.Errorf("srcdoc unescapes to %q, want the page %q", back, page)
	}
	if !strings.Contains(IFrame(page, 0), "height:520px") {
		t.Errorf("IFrame(page, 0) should use the default height 520px")
	}
}

func TestPNGDataURI(t *testing.T) {
	b := []byte{0x89, 'P', 'N', 'G', 0, 1, 2}
	uri := PNGDataURI(b)
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(uri, prefix) {
		t.Fatalf("PNGDataURI = %q, want prefix %q", uri, prefix)
	}
	back, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(uri, prefix))
	if err != nil || !bytes.Equal(back, b) {
		t.Errorf("data URI decodes to %v (%v), want %v", back, err, b)
	}
	if tag := ImgTag(b, `a "quoted" alt`); !strings.Contains(tag, `alt="a &#34;quoted&#34; alt"`) || !strings.Contains(tag, uri) {
		t.Errorf("ImgTag = %q", tag)
	}
}

func TestImgTagWidth(t *testing.T) {
	fig, err := Bar([]string{"a"}, []Series{{"s", []float64{1}}}, PlotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, fig.PNG, 100, 100)
	want := fmt.Sprintf(` width="%d"`, (img.Bounds().Dx()+1)/2)
	if tag := fig.ImgTag("bar"); !strings.Contains(tag, want) {
		t.Errorf("ImgTag lacks %q (half the PNG's %d pixels)", want, img.Bounds().Dx())
	}
}

func TestVisibleToken(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{" the", "␣the"},
		{"the", "the"},
		{"\n\n", "↵↵"},
		{"\tx\r", "⇥x␍"},
		{"", "∅"},
		{"  ", "␣␣"},
		{"\xe2\x80", "⟨0xE2⟩⟨0x80⟩"}, // the first two bytes of a 3-byte character
		{"a\u200bb", "a⟨U+200B⟩b"},
		{"\u00a0x", "⟨U+00A0⟩x"},
		{"<b>", "<b>"}, // VisibleToken does not escape HTML; the table renderers do
		{"émotion", "émotion"},
	} {
		if got := VisibleToken(tc.in); got != tc.want {
			t.Errorf("VisibleToken(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLogitLensTable(t *testing.T) {
	out := LogitLensTable([]LogitLensRow{{
		Emotion: "sad",
		Top:     []TokenScore{{" grief", 3.25}, {"\n", 2}, {"<script>", 1.5}},
		Bottom:  []TokenScore{{" joy", -2.5}, {"", -1}},
	}, {Emotion: "at ease & calm"}})
	for _, want := range []string{
		`<b>sad</b>`, `<b>at ease &amp; calm</b>`,
		`<span class="ws">␣</span>grief`, `<span class="ws">↵</span>`, `&lt;script&gt;`,
		`<span class="sc">3.25</span>`, `<span class="sc">-2.50</span>`, `<span class="ws">∅</span>`,
		`title="&#34; grief&#34;"`, `class="tok neg"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("LogitLensTable lacks %q", want)
		}
	}
	if strings.Contains(out, "<script>") {
		t.Errorf("LogitLensTable leaks a raw <script> token")
	}
	if got := strings.Count(out, "<tr>"); got != 3 {
		t.Errorf("LogitLensTable has %d rows, want 3 (header + 2)", got)
	}
}

func TestHTMLTable(t *testing.T) {
	out := HTMLTable([]string{"emotion", "r"}, [][]string{{"<happy>", "0.81"}, {"sad"}})
	for _, want := range []string{`<th>emotion</th>`, `<td>&lt;happy&gt;</td>`, `<td class="num">0.81</td>`, "<td>sad</td><td></td>"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTMLTable lacks %q in %s", want, out)
		}
	}
}

func TestDivergingMap(t *testing.T) {
	for _, tc := range []struct {
		min, max, v float64
		want        string
	}{
		{-1, 1, 0, "#f7f7f7"}, // white at zero
		{-1, 1, -1, "#053061"},
		{-1, 1, 1, "#67001f"},
		{-1, 1, 5, "#67001f"},   // clamped
		{-0.2, 1, 0, "#f7f7f7"}, // lopsided range keeps white at zero
		{-0.2, 1, -0.2, "#053061"},
		{0, 1, 0, "#f7f7f7"}, // non-negative range: white to red
		{0, 1, 1, "#67001f"},
		{-1, 1, 0.2, "#fddbc7"}, // exactly on a ColorBrewer stop
	} {
		if got := toHex(newDivergingMap(tc.min, tc.max).color(tc.v)); got != tc.want {
			t.Errorf("colour of %g in [%g, %g] = %s, want %s", tc.v, tc.min, tc.max, got, tc.want)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	labels := func(lo, hi float64) string {
		var out []string
		for _, tk := range (niceTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 1, "0.0 0.2 0.4 0.6 0.8 1.0"},
		{-1, 1, "-1.00 -0.75 -0.50 -0.25 0.00 0.25 0.50 0.75 1.00"},
		{0, 8000, "0 1000 2000 3000 4000 5000 6000 7000 8000"},
		{-0.13, 0.31, "-0.1 0.0 0.1 0.2 0.3"},
		{0.5, 30.5, "5 10 15 20 25 30"},
	} {
		if got := labels(tc.lo, tc.hi); got != tc.want {
			t.Errorf("ticks on [%g, %g] = %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	f := Figure{PNG: []byte("png"), HTML: []byte("html")}
	if err := f.WriteFiles(dir, "cos"); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteFiles(dir, "../escape"); err == nil {
		t.Errorf("WriteFiles accepted a base name with a path separator")
	}
}

func ExampleVisibleToken() {
	for _, tok := range []string{" grief", "\n", "tears", ""} {
		fmt.Printf("%q -> %s\n", tok, VisibleToken(tok))
	}
	// Output:
	// " grief" -> ␣grief
	// "\n" -> ↵
	// "tears" -> tears
	// "" -> ∅
}

func ExampleIFrame() {
	fmt.Println(IFrame([]byte(`<p class="x">a & b</p>`), 120))
	// Output:
	// <iframe srcdoc="&lt;p class=&#34;x&#34;&gt;a &amp; b&lt;/p&gt;" style="width:100%;height:120px;border:0" sandbox="allow-scripts"></iframe>
}

// TestDegenerate checks that tiny inputs (one cell, one point, one x value, constant data) still render.
func TestDegenerate(t *testing.T) {
	for _, tc := range []struct {
		name string
		fig  func() (Figure, error)
	}{
		{"1x1 heatmap", func() (Figure, error) { return Heatmap([]string{"a"}, [][]float64{{1}}, HeatmapOptions{}) }},
		{"1 point", func() (Figure, error) {
			return Scatter([][2]float64{{2, 3}}, []string{"a"}, []int{4}, ScatterOptions{})
		}},
		{"1 x value", func() (Figure, error) { return Line([]float64{5}, []Series{{"s", []float64{1}}}, PlotOptions{}) }},
		{"constant line", func() (Figure, error) {
			return Line([]float64{1, 2, 3}, []Series{{"s", []float64{0, 0, 0}}}, PlotOptions{})
		}},
		{"all-NaN series", func() (Figure, error) {
			return Line([]float64{1, 2}, []Series{{"s", []float64{math.NaN(), math.NaN()}}}, PlotOptions{})
		}},
		{"1 bar", func() (Figure, error) { return Bar([]string{"x"}, []Series{{"s", []float64{0.5}}}, PlotOptions{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fig, err := tc.fig()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := png.Decode(bytes.NewReader(fig.PNG)); err != nil {
				t.Errorf("PNG does not decode: %v", err)
			}
			checkPage(t, fig.HTML)
		})
	}
}
