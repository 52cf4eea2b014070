package drawing

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one named line (Line) or set of bars (Bar): Y[i] belongs to x[i] or to category i. NaN
// leaves a gap (no point, no bar).
type Series struct {
	Name string
	Y    []float64
}

// Reference is a horizontal dashed line with a label, such as chance accuracy (1/15) or the paper's
// value.
type Reference struct {
	Value float64
	Label string
}

// PlotOptions configures Line and Bar.
type PlotOptions struct {
	// Title, XLabel and YLabel name the chart and its axes.
	Title, XLabel, YLabel string
	// YMin and YMax fix the y range (for example 0..1 for accuracies). Both zero means automatic.
	YMin, YMax float64
	// References are drawn as horizontal dashed lines.
	References []Reference
}

// Line draws one line per series over shared x values, with a marker at each point: sweeps such as a
// probe's activation against a dose ("I just took {X} mg") or log-probability against steering strength.
//
// Shapes: x [k]; every series' Y [k]. x need not be evenly spaced; the axis is numeric.
func Line(x []float64, series []Series, opts PlotOptions) (Figure, error) {
	if err := checkSeries("Line", opts.Title, len(x), series); err != nil {
		return Figure{}, err
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Figure{}, fmt.Errorf("figures: Line %q: x[%d] = %g: x values must be finite", opts.Title, i, v)
		}
	}
	if err := checkRange("Line", opts); err != nil {
		return Figure{}, err
	}
	png, err := linePNG(x, series, opts)
	if err != nil {
		return Figure{}, fmt.Errorf("figures: Line %q: %w", opts.Title, err)
	}
	data := make([]map[string]any, len(series))
	colors := qualitative(len(series))
	for s, ser := range series {
		pts := make([][2]any, len(x))
		for i := range x {
			pts[i] = [2]any{roundSig(x[i], 6), jsonNumber(ser.Y[i])}
		}
		data[s] = map[string]any{
			"name": clean(ser.Name), "type": "line", "data": pts, "symbolSize": 7, "connectNulls": false,
			"itemStyle": map[string]any{"color": colors[s]}, "lineStyle": map[string]any{"width": 2},
		}
	}
	xAxis := map[string]any{"type": "value", "scale": true}
	page, height, err := xyPage(opts, xAxis, data)
	if err != nil {
		return Figure{}, fmt.Errorf("figures: Line %q: %w", opts.Title, err)
	}
	return Figure{PNG: png, HTML: page, Height: height}, nil
}

// Bar draws grouped bars: one bar per series in each category, such as probe accuracy per layer
// (categories "0".."29", series "train" and "held out").
//
// Shapes: categories [k]; every series' Y [k].
func Bar(categories []string, series []Series, opts PlotOptions) (Figure, error) {
	if err := checkSeries("Bar", opts.Title, len(categories), series); err != nil {
		return Figure{}, err
	}
	if err := checkRange("Bar", opts); err != nil {
		return Figure{}, err
	}
	png, err := barPNG(categories, series, opts)
	if err != nil {
		return Figure{}, fmt.Errorf("figures: Bar %q: %w", opts.Title, err)
	}
	colors := qualitative(len(series))
	data := make([]map[string]any, len(series))
	for s, ser := range series {
		vals := make([]any, len(ser.Y))
		for i, v := range ser.Y {
			vals[i] = jsonNumber(v)
		}
		data[s] = map[string]any{
			"name": clean(ser.Name), "type": "bar", "data": vals, "itemStyle": map[string]any{"color": colors[s]},
		}
	}
	cats := make([]string, len(categories))
	for i, c := range categories {
		cats[i] = clean(c)
	}
	xAxis := map[string]any{"type": "category", "data": cats, "axisLabel": map[string]any{"hideOverlap": true}}
	page, height, err := xyPage(opts, xAxis, data)
	if err != nil {
		return Figure{}, fmt.Errorf("figures: Bar %q: %w", opts.Title, err)
	}
	return Figure{PNG: png, HTML: page, Height: height}, nil
}

func checkSeries(kind, title string, k int, series []Series) error {
	if k == 0 {
		return fmt.Errorf("figures: %s %q: no x values or categories", kind, title)
	}
	if len(series) == 0 {
		return fmt.Errorf("figures: %s %q: no series: pass at least one Series{Name, Y}", kind, title)
	}
	for s, ser := range series {
		if len(ser.Y) != k {
			return fmt.Errorf("figures: %s %q: series %d (%q) has %d values, want %d (one per x value or category)",
				kind, title, s, ser.Name, len(ser.Y), k)
		}
	}
	return nil
}

func checkRange(kind string, o PlotOptions) error {
	if (o.YMin != 0 || o.YMax != 0) && !(o.YMin < o.YMax) {
		return fmt.Errorf("figures: %s %q: YMin=%g, YMax=%g: need YMin < YMax, or both zero for automatic",
			kind, o.Title, o.YMin, o.YMax)
	}
	return nil
}

// plotW and plotH are the PNG size of line and bar charts, in points (before the legend column).
var plotW, plotH = vg.Points(560), vg.Points(360)

func linePNG(x []float64, series []Series, o PlotOptions) ([]byte, error) {
	p := newPlot(o.Title, o.XLabel, o.YLabel, vg.Points(9))
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = lightGrid, lightGrid
	p.Add(grid)
	colors := qualitative(len(series))
	legend := newSideLegend()
	for s, ser := range series {
		c := hexColor(colors[s])
		var thumb plot.Thumbnailer
		// Split at NaN so a missing value leaves a gap instead of a line to zero.
		var seg plotter.XYs
		flush := func() error {
			if len(seg) == 0 {
				return nil
			}
			l, pts, err := plotter.NewLinePoints(seg)
			if err != nil {
				return fmt.Errorf("series %q: %w", ser.Name, err)
			}
			l.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1.6)}
			pts.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(2.6), Shape: draw.CircleGlyph{}}
			p.Add(l, pts)
			if thumb == nil {
				thumb = lineThumb{l, pts}
			}
			seg = nil
			return nil
		}
		for i := range x {
			if math.IsNaN(ser.Y[i]) || math.IsInf(ser.Y[i], 0) {
				if err := flush(); err != nil {
					return nil, err
				}
				continue
			}
			seg = append(seg, plotter.XY{X: x[i], Y: ser.Y[i]})
		}
		if err := flush(); err != nil {
			return nil, err
		}
		if thumb != nil {
			legend.add(ser.Name, thumb)
		}
	}
	addReferences(p, o.References)
	if o.YMin != 0 || o.YMax != 0 {
		p.Y.Min, p.Y.Max = o.YMin, o.YMax
	}
	return legend.render(p, len(series) > 1)
}

type lineThumb struct {
	l   *plotter.Line
	pts *plotter.Scatter
}

func (t lineThumb) Thumbnail(c *draw.Canvas) { t.l.Thumbnail(c); t.pts.Thumbnail(c) }

func barPNG(categories []string, series []Series, o PlotOptions) ([]byte, error) {
	p := newPlot(o.Title, o.XLabel, o.YLabel, vg.Points(9))
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	grid.Horizontal.Color = lightGrid
	p.Add(grid)
	k := len(categories)
	// Bars of one category share 80% of the space between category centres.
	w := plotW
	if k > 30 {
		w = vg.Points(float64(k) * 18)
	}
	slot := (w - vg.Points(80)) / vg.Length(k)
	barW := slot * 0.8 / vg.Length(len(series))
	colors := qualitative(len(series))
	legend := newSideLegend()
	for s, ser := range series {
		vals := make(plotter.Values, k)
		for i, v := range ser.Y {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				vals[i] = v // A missing value draws no bar (height 0).
			}
		}
		b, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return nil, fmt.Errorf("series %q: %w", ser.Name, err)
		}
		b.Color = hexColor(colors[s])
		b.LineStyle.Width = 0
		b.Offset = barW * vg.Length(2*s-len(series)+1) / 2
		p.Add(b)
		legend.add(ser.Name, b)
	}
	p.NominalX(categories...)
	p.X.Tick.Label.Font = sans(vg.Points(9))
	if k > 12 && maxWidth(p.X.Tick.Label, categories) > slot {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	addReferences(p, o.References)
	if o.YMin != 0 || o.YMax != 0 {
		p.Y.Min, p.Y.Max = o.YMin, o.YMax
	}
	legend.width = w
	return legend.render(p, len(series) > 1)
}

// addReferences draws each reference as a dashed grey line across the plot, labelled at its right end.
func addReferences(p *plot.Plot, refs []Reference) {
	for _, r := range refs {
		p.Add(referenceLine(r))
		p.Y.Min, p.Y.Max = math.Min(p.Y.Min, r.Value), math.Max(p.Y.Max, r.Value)
	}
}

type referenceLine Reference

func (r referenceLine) Plot(dc draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&dc)
	y := trY(r.Value)
	sty := draw.LineStyle{Color: color.NRGBA{0x77, 0x77, 0x77, 0xff}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
	dc.StrokeLine2(sty, dc.Min.X, y, dc.Max.X, y)
	if r.Label != "" {
		// Right-aligned above the line, on a white box so bars or lines beneath do not hide it.
		ts := textStyle(vg.Points(8), color.NRGBA{0x44, 0x44, 0x44, 0xff}, draw.XLeft, draw.YBottom)
		w, h := ts.Width(r.Label), ts.Height(r.Label)
		at := vg.Point{X: dc.Max.X - w - vg.Points(4), Y: y + vg.Points(2)}
		box := vg.Rectangle{Min: at.Sub(vg.Point{X: 2, Y: 1}), Max: at.Add(vg.Point{X: w + 2, Y: h + 1})}
		dc.SetColor(color.NRGBA{0xff, 0xff, 0xff, 0xdd})
		dc.Fill(box.Path())
		dc.FillText(ts, at, r.Label)
	}
}

// sideLegend is a legend drawn right of the plot, outside the data, so it never hides a line or a bar.
type sideLegend struct {
	l     plot.Legend
	names []string
	width vg.Length
}

func newSideLegend() *sideLegend {
	l := plot.NewLegend()
	l.TextStyle.Font = sans(vg.Points(9))
	l.Top, l.Left = true, true
	return &sideLegend{l: l, width: plotW}
}

func (s *sideLegend) add(name string, t plot.Thumbnailer) {
	s.l.Add(name, t)
	s.names = append(s.names, name)
}

// render draws p, with the legend at its right when show is set, and encodes the PNG.
func (s *sideLegend) render(p *plot.Plot, show bool) ([]byte, error) {
	var legendW vg.Length
	if show {
		for _, n := range s.names {
			legendW = max(legendW, s.l.TextStyle.Width(n))
		}
		legendW += s.l.ThumbnailWidth + vg.Points(24)
	}
	return renderPNG(s.width+legendW, plotH, func(dc draw.Canvas) {
		main := draw.Crop(dc, vg.Points(6), -legendW-vg.Points(10), vg.Points(6), -vg.Points(6))
		p.Draw(main)
		if show {
			data := p.DataCanvas(main)
			s.l.Draw(draw.Canvas{Canvas: dc, Rectangle: vg.Rectangle{
				Min: vg.Point{X: data.Max.X + vg.Points(14), Y: data.Min.Y},
				Max: vg.Point{X: dc.Max.X, Y: data.Max.Y},
			}})
		}
	})
}

// xyPage renders a line or bar chart page: shared axes, legend, tooltip, reference lines.
func xyPage(o PlotOptions, xAxis map[string]any, series []map[string]any) ([]byte, int, error) {
	const height = 440
	xAxis["name"], xAxis["nameLocation"], xAxis["nameGap"] = clean(o.XLabel), "middle", 30
	yAxis := map[string]any{"type": "value", "name": clean(o.YLabel), "nameLocation": "middle", "nameGap": 45,
		"scale": true}
	if o.YMin != 0 || o.YMax != 0 {
		yAxis["min"], yAxis["max"] = o.YMin, o.YMax
	}
	if len(o.References) > 0 {
		refs := make([]map[string]any, len(o.References))
		for i, r := range o.References {
			refs[i] = map[string]any{"yAxis": r.Value, "name": clean(r.Label)}
		}
		series[0]["markLine"] = map[string]any{
			"silent": true, "symbol": "none", "data": refs,
			"lineStyle": map[string]any{"color": "#777", "type": "dashed"},
			"label": map[string]any{"formatter": "{b}", "position": "insideEndTop", "color": "#444",
				"backgroundColor": "rgba(255,255,255,0.85)", "padding": 2},
		}
	}
	option := map[string]any{
		"title":     map[string]any{"text": clean(o.Title), "left": "center"},
		"tooltip":   map[string]any{"trigger": "axis"},
		"animation": false,
		"legend":    map[string]any{"type": "scroll", "top": 30},
		"grid":      map[string]any{"left": 70, "right": 40, "top": 70, "bottom": 55},
		"xAxis":     xAxis,
		"yAxis":     yAxis,
		"toolbox": map[string]any{"right": 20, "feature": map[string]any{
			"dataView": map[string]any{"title": "data", "readOnly": true}, "saveAsImage": map[string]any{"title": "save PNG"},
		}},
		"series": series,
	}
	page, err := echartsPage(o.Title, "100%", height, option)
	return page, height + pageMargin, err
}
