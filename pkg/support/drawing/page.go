package drawing

import (
	"bytes"
	_ "embed"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// echartsJS is Apache ECharts 5.4.3 (the version go-echarts v2.6.7 targets), inlined into every page.
//
//go:embed assets/echarts.min.js
var echartsJS []byte

// inlineHost is a placeholder assets host: go-echarts writes <script src="inlineHost+echarts.min.js">,
// which inlineScripts then replaces by the embedded file. It is relative, so a page where the
// replacement failed would never reach out to the network.
const inlineHost = "figures-inline/"

// pageMargin is the vertical space (CSS px) the go-echarts page adds around the chart: the template's
// 30 px top margin plus the body's default 8 px margins, with some slack against a scroll bar.
const pageMargin = 60

// Echarts' JS functions used in the options below. They must not contain '<': the option text is
// made safe for a <script> element by escaping every '<' as \u003c (see safeOption), which is only
// correct inside JS string literals.
const (
	// jsResize keeps a 100%-wide chart fitted to its iframe or window.
	jsResize = `window.addEventListener('resize', function () { %MY_ECHARTS%.resize(); });`
)

// chartID is the id of the (only) chart on each page. go-echarts declares the globals goecharts_<id>
// (the echarts instance) and option_<id> (the option object); formatters read axis labels from the latter.
const chartID = "figure"

// echartsPage renders an echarts option object as a complete self-contained page.
//
// The option is written as plain maps that mirror echarts' own documentation
// (https://echarts.apache.org/en/option.html) rather than through go-echarts' typed option structs: those
// drop zero values through `omitempty` (a visualMap max of 0 or an axis min of 0 silently vanish) and lag
// behind echarts. go-echarts still renders the page, declares the chart and splices JavaScript functions
// (values made with jsFunc) into the option. width is a CSS length ("100%", "900px"), height is in px.
func echartsPage(title, width string, height int, option map[string]any) ([]byte, error) {
	c := charts.NewScatter() // The chart type is irrelevant: optionSetter replaces the whole option.
	init := initOpts(clean(title), width, height)
	c.SetGlobalOptions(charts.WithInitializationOpts(init))
	c.Accept(optionSetter{option: option})
	c.AddJSFuncStrs(opts.FuncOpts(jsResize))
	return renderPage(c)
}

// optionSetter is a go-echarts ConfigurationVisitor that replaces the option go-echarts built from its
// typed structs by ours.
type optionSetter struct {
	charts.BaseConfigurationVisitor
	option map[string]any
}

func (v optionSetter) Visit(obj map[string]any) {
	for k := range obj {
		delete(obj, k)
	}
	for k, val := range v.option {
		obj[k] = val
	}
}

// jsFunc marks JavaScript source so go-echarts writes it into the option as code, not as a string. The
// source is JSON-encoded first, so it must use single quotes only and no backslashes, and (see safeOption)
// no '<'.
func jsFunc(src string) string {
	return "__f__" + strings.Join(strings.Fields(src), " ") + "__f__"
}

// initOpts is the go-echarts initialisation shared by all charts: the given size, the page title and the
// placeholder asset host. width is a CSS length ("100%", "900px").
func initOpts(title, width string, height int) opts.Initialization {
	if title == "" {
		title = "figure"
	}
	return opts.Initialization{
		PageTitle:  title,
		Width:      width,
		Height:     fmt.Sprintf("%dpx", height),
		AssetsHost: inlineHost,
		ChartID:    chartID,
		Theme:      "white", // The only theme that needs no extra script.
	}
}

// contentRenderer is what every go-echarts chart type implements.
type contentRenderer interface {
	RenderContent() []byte
}

var (
	remoteScriptRe = regexp.MustCompile(`(?i)<script[^>]*\bsrc\s*=`)
	remoteLinkRe   = regexp.MustCompile(`(?i)<link[^>]*\bhref\s*=`)
)

// renderPage renders a go-echarts chart to a complete page with echarts.min.js inline and the chart's
// option text made safe to sit inside <script>. It fails if any external script or stylesheet reference
// survives, so a page that would need the network is never returned.
func renderPage(c contentRenderer) (page []byte, err error) {
	defer func() {
		// go-echarts panics when its template fails to execute; turn that into an error.
		if r := recover(); r != nil {
			err = fmt.Errorf("figures: rendering the HTML page: %v", r)
		}
	}()
	page = c.RenderContent()
	page = safeOption(page)
	tag := []byte(`<script src="` + inlineHost + `echarts.min.js"></script>`)
	if n := bytes.Count(page, tag); n != 1 {
		return nil, fmt.Errorf("figures: rendering the HTML page: found %d echarts script tags %q, want 1 "+
			"(has go-echarts' template changed?)", n, tag)
	}
	var inline bytes.Buffer
	inline.Grow(len(echartsJS) + 64)
	inline.WriteString("<script>/* Apache ECharts 5.4.3, Apache-2.0, see pkg/support/drawing/assets */\n")
	inline.Write(echartsJS)
	inline.WriteString("\n</script>")
	page = bytes.Replace(page, tag, inline.Bytes(), 1)

	if loc := remoteScriptRe.FindIndex(page); loc != nil {
		return nil, fmt.Errorf("figures: rendering the HTML page: an external script remains (%q); "+
			"the page must be self-contained", page[loc[0]:min(len(page), loc[1]+60)])
	}
	if loc := remoteLinkRe.FindIndex(page); loc != nil {
		return nil, fmt.Errorf("figures: rendering the HTML page: an external stylesheet remains (%q); "+
			"the page must be self-contained", page[loc[0]:min(len(page), loc[1]+60)])
	}
	return page, nil
}

// safeOption escapes every '<' in the chart's option object as \u003c.
//
// Why: go-echarts writes the option as raw JSON into a <script> element, without HTML escaping, so a label
// such as "</script>" would end the script early and "<!--" would change how the browser parses it. In
// the JSON text '<' can only occur inside string literals, where \u003c means the same character, so the
// chart is unchanged. The option text runs from "let option_<id> = " to ".setOption(".
func safeOption(page []byte) []byte {
	start := bytes.Index(page, []byte("let option_"))
	if start < 0 {
		return page
	}
	end := bytes.Index(page[start:], []byte(".setOption("))
	if end < 0 {
		return page
	}
	end += start
	region := bytes.ReplaceAll(page[start:end], []byte("<"), []byte(`\u003c`))
	out := make([]byte, 0, len(page)+len(region)-(end-start))
	out = append(out, page[:start]...)
	out = append(out, region...)
	out = append(out, page[end:]...)
	return out
}

// clean prepares a user string (label, title, series name) for go-echarts: it breaks the "__f__" marker
// that go-echarts uses to splice raw JavaScript into the page, so that a label can never become code.
func clean(s string) string {
	return strings.ReplaceAll(s, "__f__", "_\u200b_f__")
}

// jsonNumber returns v rounded to 4 significant decimals, or "-" (echarts' "no value") when v is NaN or
// infinite: Go's JSON encoder fails on those, and go-echarts would silently emit an empty chart.
func jsonNumber(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return roundSig(v, 4)
}

// roundSig rounds v to the given number of significant digits: the HTML only needs what a tooltip shows,
// and shorter numbers keep a 171 x 171 heatmap page small.
func roundSig(v float64, digits int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	scale := math.Pow(10, float64(digits)-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*scale) / scale
}
