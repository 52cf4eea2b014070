package drawing

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ScatterOptions configures Scatter.
type ScatterOptions struct {
	// Title, XLabel and YLabel name the chart and its axes ("PC1 (26%): valence").
	Title, XLabel, YLabel string
	// GroupNames names groups in the legend; a group without a name is shown as "cluster <id>".
	GroupNames map[int]string
	// ZeroLines draws dashed lines at x = 0 and y = 0: useful for PCA scores, whose sign is meaningful;
	// meaningless for UMAP.
	ZeroLines bool
}

// Scatter draws labelled points, coloured by group: PCA scores (PC1 x PC2, read as valence x arousal) or
// a UMAP embedding coloured by k-means cluster.
//
// Shapes: points [n][2] (x, y); labels [n] or nil (no text); groups [n] or nil (one colour). Groups are
// arbitrary ints (cluster ids); colours follow Matplotlib's tab10 (tab20 beyond 10 groups), in increasing
// order of group id. In the PNG, text labels are placed beside their points where they overlap no other
// label (right, left, above, below); a label with no free place is left out rather than drawn over
// another, so crowded plots stay legible. The HTML page shows every name on hover and on zoom.
func Scatter(points [][2]float64, labels []string, groups []int, opts ScatterOptions) (Figure, error) {
	n := len(points)
	if n == 0 {
		return Figure{}, fmt.Errorf("figures: Scatter %q: no points", opts.Title)
	}
	if labels != nil && len(labels) != n {
		return Figure{}, fmt.Errorf("figures: Scatter %q: %d labels for %d points: pass one label per point, or nil",
			opts.Title, len(labels), n)
	}
	if groups != nil && len(groups) != n {
		return Figure{}, fmt.Errorf("figures: Scatter %q: %d groups for %d points: pass one group per point, or nil",
			opts.Title, len(groups), n)
	}
	for i, pt := range points {
		for _, v := range pt {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return Figure{}, fmt.Errorf("figures: Scatter %q: point %d is (%g, %g): coordinates must be finite",
					opts.Title, i, pt[0], pt[1])
			}
		}
	}
	s := newScatterData(points, labels, groups, opts)
	png, err := s.png()
	if err != nil {
		return Figure{}, fmt.Errorf("figures: Scatter %q: %w", opts.Title, err)
	}
	page, height, err := s.html()
	if err != nil {
		return Figure{}, fmt.Errorf("figures: Scatter %q: %w", opts.Title, err)
	}
	return Figure{PNG: png, HTML: page, Height: height}, nil
}

// scatterData is a validated scatter, split by group.
type scatterData struct {
	points [][2]float64
	labels []string
	ids    []int   // distinct group ids, increasing
	member [][]int // member[g] = indices of the points in group ids[g]
	colors []string
	opts   ScatterOptions
}

func newScatterData(points [][2]float64, labels []string, groups []int, opts ScatterOptions) scatterData {
	s := scatterData{points: points, labels: labels, opts: opts}
	if groups == nil {
		s.ids = []int{0}
		all := make([]int, len(points))
		for i := range all {
			all[i] = i
		}
		s.member = [][]int{all}
		s.colors = []string{tab10[0]}
		return s
	}
	s.ids = slices.Clone(groups)
	slices.Sort(s.ids)
	s.ids = slices.Compact(s.ids)
	s.member = make([][]int, len(s.ids))
	for i, g := range groups {
		k, _ := slices.BinarySearch(s.ids, g)
		s.member[k] = append(s.member[k], i)
	}
	s.colors = qualitative(len(s.ids))
	return s
}

// grouped reports whether the caller passed groups (and so wants a legend).
func (s scatterData) grouped() bool { return len(s.ids) > 1 || s.opts.GroupNames != nil }

func (s scatterData) groupName(g int) string {
	if name, ok := s.opts.GroupNames[s.ids[g]]; ok {
		return name
	}
	return fmt.Sprintf("cluster %d", s.ids[g])
}

func (s scatterData) label(i int) string {
	if s.labels == nil {
		return ""
	}
	return s.labels[i]
}

// crowded is the point count above which the PNG uses a bigger canvas and smaller text.
const crowded = 40

func (s scatterData) png() ([]byte, error) {
	n := len(s.points)
	w, h := vg.Points(620), vg.Points(500)
	radius, fontSize := vg.Points(4), vg.Points(8.5)
	if n > crowded {
		w, h = vg.Points(860), vg.Points(700)
		radius, fontSize = vg.Points(3), vg.Points(6)
	}
	p := newPlot(s.opts.Title, s.opts.XLabel, s.opts.YLabel, vg.Points(9))
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = lightGrid, lightGrid
	p.Add(grid)

	xmin, xmax, ymin, ymax := bounds(s.points)
	if s.opts.ZeroLines {
		p.Add(zeroLines{})
	}
	legend := plot.NewLegend()
	legend.TextStyle.Font = sans(vg.Points(9))
	legend.Top, legend.Left = true, true
	for g, members := range s.member {
		xys := make(plotter.XYs, len(members))
		for k, i := range members {
			xys[k] = plotter.XY{X: s.points[i][0], Y: s.points[i][1]}
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("group %d: %w", s.ids[g], err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: hexColor(s.colors[g]), Radius: radius, Shape: draw.CircleGlyph{}}
		p.Add(sc)
		legend.Add(s.groupName(g), sc)
	}
	if s.labels != nil {
		p.Add(&pointLabels{points: s.points, labels: s.labels, radius: radius,
			style: textStyle(fontSize, color.NRGBA{0x33, 0x33, 0x33, 0xff}, draw.XLeft, draw.YCenter)})
	}
	// Leave room right of the rightmost points for their labels, and a margin elsewhere.
	dx, dy := xmax-xmin, ymax-ymin
	if dx == 0 {
		dx = 1
	}
	if dy == 0 {
		dy = 1
	}
	p.X.Min, p.X.Max = xmin-0.04*dx, xmax+0.04*dx
	if s.labels != nil {
		p.X.Max = xmax + 0.14*dx
	}
	p.Y.Min, p.Y.Max = ymin-0.05*dy, ymax+0.05*dy

	legendW := vg.Length(0)
	if s.grouped() {
		for g := range s.ids {
			legendW = max(legendW, legend.TextStyle.Width(s.groupName(g)))
		}
		legendW += legend.ThumbnailWidth + vg.Points(24)
	}
	return renderPNG(w+legendW, h, func(dc draw.Canvas) {
		main := draw.Crop(dc, vg.Points(6), -legendW-vg.Points(10), vg.Points(6), -vg.Points(6))
		p.Draw(main)
		if s.grouped() {
			data := p.DataCanvas(main)
			area := draw.Canvas{Canvas: dc, Rectangle: vg.Rectangle{
				Min: vg.Point{X: data.Max.X + vg.Points(14), Y: data.Min.Y},
				Max: vg.Point{X: dc.Max.X, Y: data.Max.Y},
			}}
			legend.Draw(area)
		}
	})
}

func bounds(points [][2]float64) (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, pt := range points {
		xmin, xmax = math.Min(xmin, pt[0]), math.Max(xmax, pt[0])
		ymin, ymax = math.Min(ymin, pt[1]), math.Max(ymax, pt[1])
	}
	return xmin, xmax, ymin, ymax
}

// zeroLines is a plotter drawing dashed lines at x = 0 and y = 0 when they fall inside the plot.
type zeroLines struct{}

func (zeroLines) Plot(dc draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&dc)
	sty := draw.LineStyle{Color: color.NRGBA{0x99, 0x99, 0x99, 0xff}, Width: vg.Points(0.7), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	if p.X.Min < 0 && p.X.Max > 0 {
		x := trX(0)
		dc.StrokeLine2(sty, x, dc.Min.Y, x, dc.Max.Y)
	}
	if p.Y.Min < 0 && p.Y.Max > 0 {
		y := trY(0)
		dc.StrokeLine2(sty, dc.Min.X, y, dc.Max.X, y)
	}
}

// pointLabels places each label beside its point, trying right, left, above and below in turn, and
// skips a label when every place overlaps a label already drawn or another point's marker. Points are
// labelled in input order, so put the most important first if the plot is crowded.
type pointLabels struct {
	points [][2]float64
	labels []string
	radius vg.Length
	style  text.Style
}

func (l *pointLabels) Plot(dc draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&dc)
	var taken []vg.Rectangle
	for _, pt := range l.points { // Markers are obstacles too.
		c := vg.Point{X: trX(pt[0]), Y: trY(pt[1])}
		taken = append(taken, vg.Rectangle{Min: c.Sub(vg.Point{X: l.radius, Y: l.radius}), Max: c.Add(vg.Point{X: l.radius, Y: l.radius})})
	}
	gap := l.radius + vg.Points(1.5)
	for i, pt := range l.points {
		if l.labels[i] == "" {
			continue
		}
		c := vg.Point{X: trX(pt[0]), Y: trY(pt[1])}
		w, h := l.style.Width(l.labels[i]), l.style.Height(l.labels[i])
		// Candidate lower-left corners: right, left, above, below.
		for _, ll := range []vg.Point{
			{X: c.X + gap, Y: c.Y - h/2},
			{X: c.X - gap - w, Y: c.Y - h/2},
			{X: c.X - w/2, Y: c.Y + gap},
			{X: c.X - w/2, Y: c.Y - gap - h},
		} {
			r := vg.Rectangle{Min: ll, Max: ll.Add(vg.Point{X: w, Y: h})}
			if !inside(r, dc.Rectangle) || overlapsAny(r, taken, i) {
				continue
			}
			taken = append(taken, r)
			sty := l.style
			sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
			dc.FillText(sty, ll, l.labels[i])
			break
		}
	}
}

func inside(r, box vg.Rectangle) bool {
	return r.Min.X >= box.Min.X && r.Min.Y >= box.Min.Y && r.Max.X <= box.Max.X && r.Max.Y <= box.Max.Y
}

// overlapsAny reports whether r overlaps a taken rectangle other than the marker of point self (the
// first len(points) rectangles are the markers, in point order).
func overlapsAny(r vg.Rectangle, taken []vg.Rectangle, self int) bool {
	for k, t := range taken {
		if k == self {
			continue
		}
		if r.Min.X < t.Max.X && t.Min.X < r.Max.X && r.Min.Y < t.Max.Y && t.Min.Y < r.Max.Y {
			return true
		}
	}
	return false
}

func (s scatterData) html() ([]byte, int, error) {
	n := len(s.points)
	height := 560
	if n > crowded {
		height = 760
	}
	fontPx := 11
	if n > crowded {
		fontPx = 9
	}
	tooltip := jsFunc(`function (p) {
		var e = echarts.format.encodeHTML;
		return (p.name ? e(p.name) + ' · ' : '') + e(p.seriesName) + ' (' +
			p.value[0].toFixed(3) + ', ' + p.value[1].toFixed(3) + ')';
	}`)
	series := make([]map[string]any, len(s.member))
	for g, members := range s.member {
		data := make([]map[string]any, len(members))
		for k, i := range members {
			data[k] = map[string]any{"name": clean(s.label(i)), "value": []float64{roundSig(s.points[i][0], 5), roundSig(s.points[i][1], 5)}}
		}
		name := s.groupName(g)
		if !s.grouped() {
			name = "points"
		}
		series[g] = map[string]any{
			"name": clean(name), "type": "scatter", "data": data, "symbolSize": 9,
			"itemStyle": map[string]any{"color": s.colors[g], "opacity": 0.9},
			"label": map[string]any{
				"show": s.labels != nil, "formatter": "{b}", "position": "right",
				"fontSize": fontPx, "color": "#333",
			},
			"labelLayout": map[string]any{"hideOverlap": true},
			"emphasis":    map[string]any{"focus": "series", "label": map[string]any{"show": true, "fontWeight": "bold"}},
		}
	}
	if s.opts.ZeroLines {
		series[0]["markLine"] = map[string]any{
			"silent": true, "symbol": "none", "label": map[string]any{"show": false},
			"lineStyle": map[string]any{"color": "#999", "type": "dashed", "width": 1},
			"data":      []map[string]any{{"xAxis": 0}, {"yAxis": 0}},
		}
	}
	axis := func(name string) map[string]any {
		return map[string]any{
			"type": "value", "name": clean(name), "nameLocation": "middle", "nameGap": 30, "scale": true,
			"axisLine": map[string]any{"onZero": false}, "splitLine": map[string]any{"lineStyle": map[string]any{"color": "#eee"}},
		}
	}
	top := 50
	option := map[string]any{
		"title":     map[string]any{"text": clean(s.opts.Title), "left": "center"},
		"tooltip":   map[string]any{"trigger": "item", "formatter": tooltip},
		"animation": false,
		"xAxis":     axis(s.opts.XLabel),
		"yAxis":     axis(s.opts.YLabel),
		"dataZoom": []map[string]any{
			{"type": "inside", "xAxisIndex": 0, "filterMode": "none"},
			{"type": "inside", "yAxisIndex": 0, "filterMode": "none"},
		},
		"toolbox": map[string]any{"right": 20, "feature": map[string]any{
			"dataZoom": map[string]any{"title": map[string]any{"zoom": "zoom", "back": "undo zoom"}},
			"restore":  map[string]any{"title": "reset"}, "saveAsImage": map[string]any{"title": "save PNG"},
		}},
		"series": series,
	}
	right := 40
	if s.grouped() {
		option["legend"] = map[string]any{"type": "scroll", "orient": "vertical", "right": 10, "top": top + 10}
		right = 150
	}
	option["grid"] = map[string]any{"left": 60, "right": right, "top": top, "bottom": 50}
	page, err := echartsPage(s.opts.Title, "100%", height, option)
	return page, height + pageMargin, err
}
