package drawing

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// HeatmapOptions configures Heatmap. The zero value is a -1..1 diverging heatmap in the given order.
type HeatmapOptions struct {
	// Title is drawn above the map and used as the HTML page title.
	Title string
	// Order lists row indices in display order (for example the leaf order of a hierarchical clustering,
	// computed by the caller); it must be a permutation of 0..n-1. For a square matrix without ColLabels it
	// orders the columns too. nil keeps the given order.
	Order []int
	// ColLabels, when set, labels the columns of a rectangular matrix m [len(labels)][len(ColLabels)]
	// (for example scenarios x emotion probes). nil means m is square and columns are labels.
	ColLabels []string
	// ColOrder orders the columns when ColLabels is set, like Order does the rows. nil keeps the order.
	ColOrder []int
	// Min and Max bound the colour scale; values outside take the end colours. Both zero means -1..1, the
	// range of a cosine similarity. White always sits at 0 when the range contains 0.
	Min, Max float64
	// CellLabels writes each value (2 decimals) in its cell. The PNG skips them when cells are too small
	// to hold text (more than about 40 rows or columns); the HTML shows them at any size.
	CellLabels bool
	// ValueName names the value in tooltips and above the colour bar ("cosine"). Empty means "value".
	ValueName string
}

// Heatmap draws the matrix m with row labels labels: a PNG with a colour bar, and an interactive page
// (hover for the pair and value, wheel or drag to zoom). Row 0 of the display order is at the top.
//
// Shapes: labels [n]; m [n][n], or [n][len(opts.ColLabels)] when ColLabels is set. NaN cells are drawn
// grey in the PNG and left empty in the HTML. It reads 10 labels and 171 labels alike: cell size and font
// shrink with n, and column labels are rotated.
func Heatmap(labels []string, m [][]float64, opts HeatmapOptions) (Figure, error) {
	rows, cols, err := orderedMatrix(labels, m, opts)
	if err != nil {
		return Figure{}, err
	}
	lo, hi := opts.Min, opts.Max
	if lo == 0 && hi == 0 {
		lo, hi = -1, 1
	}
	if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return Figure{}, fmt.Errorf("figures: Heatmap %q: colour range Min=%g, Max=%g: need finite Min < Max "+
			"(or both zero for -1..1)", opts.Title, opts.Min, opts.Max)
	}
	if opts.ValueName == "" {
		opts.ValueName = "value"
	}
	cmap := newDivergingMap(lo, hi)
	h := heat{rowLabels: rows.labels, colLabels: cols.labels, z: permute(m, rows.order, cols.order), cmap: cmap, opts: opts}

	png, err := h.png()
	if err != nil {
		return Figure{}, fmt.Errorf("figures: Heatmap %q: %w", opts.Title, err)
	}
	page, height, err := h.html()
	if err != nil {
		return Figure{}, fmt.Errorf("figures: Heatmap %q: %w", opts.Title, err)
	}
	return Figure{PNG: png, HTML: page, Height: height}, nil
}

// axisOrder is one axis of the heatmap in display order.
type axisOrder struct {
	labels []string // display order
	order  []int    // order[i] = index in the input of the i-th displayed row/column
}

// orderedMatrix validates the inputs and returns the rows and columns in display order.
func orderedMatrix(labels []string, m [][]float64, o HeatmapOptions) (rows, cols axisOrder, err error) {
	n := len(labels)
	if n == 0 {
		return rows, cols, fmt.Errorf("figures: Heatmap %q: no labels: pass one label per row of the matrix", o.Title)
	}
	if len(m) != n {
		return rows, cols, fmt.Errorf("figures: Heatmap %q: %d labels but the matrix has %d rows: pass one label per row",
			o.Title, n, len(m))
	}
	colLabels, colOrder := labels, o.Order
	if o.ColLabels != nil {
		colLabels, colOrder = o.ColLabels, o.ColOrder
	} else if o.ColOrder != nil {
		return rows, cols, fmt.Errorf("figures: Heatmap %q: ColOrder is set without ColLabels: for a square matrix, "+
			"Order orders both rows and columns", o.Title)
	}
	k := len(colLabels)
	if k == 0 {
		return rows, cols, fmt.Errorf("figures: Heatmap %q: ColLabels is empty: pass one label per column or nil", o.Title)
	}
	for i, row := range m {
		if len(row) != k {
			return rows, cols, fmt.Errorf("figures: Heatmap %q: row %d (%q) has %d values, want %d (one per column label)",
				o.Title, i, labels[i], len(row), k)
		}
	}
	if rows.order, err = checkOrder(o.Order, n, "Order"); err != nil {
		return rows, cols, fmt.Errorf("figures: Heatmap %q: %w", o.Title, err)
	}
	if cols.order, err = checkOrder(colOrder, k, "ColOrder"); err != nil {
		return rows, cols, fmt.Errorf("figures: Heatmap %q: %w", o.Title, err)
	}
	rows.labels = pick(labels, rows.order)
	cols.labels = pick(colLabels, cols.order)
	return rows, cols, nil
}

// checkOrder returns order, or the identity when order is nil, after checking it is a permutation of 0..n-1.
func checkOrder(order []int, n int, name string) ([]int, error) {
	if order == nil {
		id := make([]int, n)
		for i := range id {
			id[i] = i
		}
		return id, nil
	}
	if len(order) != n {
		return nil, fmt.Errorf("%s has %d entries, want %d (a permutation of 0..%d)", name, len(order), n, n-1)
	}
	seen := make([]bool, n)
	for i, j := range order {
		if j < 0 || j >= n {
			return nil, fmt.Errorf("%s[%d] = %d is out of range 0..%d", name, i, j, n-1)
		}
		if seen[j] {
			return nil, fmt.Errorf("%s[%d] = %d repeats an index: Order must be a permutation", name, i, j)
		}
		seen[j] = true
	}
	return order, nil
}

func pick(labels []string, order []int) []string {
	out := make([]string, len(order))
	for i, j := range order {
		out[i] = labels[j]
	}
	return out
}

// permute returns z[i][j] = m[rowOrder[i]][colOrder[j]].
func permute(m [][]float64, rowOrder, colOrder []int) [][]float64 {
	z := make([][]float64, len(rowOrder))
	for i, r := range rowOrder {
		z[i] = make([]float64, len(colOrder))
		for j, c := range colOrder {
			z[i][j] = m[r][c]
		}
	}
	return z
}

// heat is a validated heatmap in display order: z [len(rowLabels)][len(colLabels)].
type heat struct {
	rowLabels, colLabels []string
	z                    [][]float64
	cmap                 *divergingMap
	opts                 HeatmapOptions
}

// cells is a gonum plotter that fills one square per value: z[i][j] is centred at (x=j, y=n-1-i), so display
// row 0 is at the top (gonum's y axis points up).
//
// Why not plotter.HeatMap: its vectorised form leaves hairline seams between cells (each edge is
// anti-aliased on its own) and its rasterised form is blurred when scaled. Here each cell overlaps its
// neighbours by a fraction of a point, which hides the seams and keeps edges sharp.
type cells struct {
	z    [][]float64
	cmap *divergingMap
}

var nanColor = color.NRGBA{0xbb, 0xbb, 0xbb, 0xff}

func (c cells) Plot(dc draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&dc)
	n := len(c.z)
	const overlap = 0.35 // points
	for i, row := range c.z {
		y := float64(n - 1 - i)
		for j, v := range row {
			x := float64(j)
			col := nanColor
			if !math.IsNaN(v) {
				col = c.cmap.color(v)
			}
			r := vg.Rectangle{
				Min: vg.Point{X: trX(x-0.5) - overlap, Y: trY(y-0.5) - overlap},
				Max: vg.Point{X: trX(x+0.5) + overlap, Y: trY(y+0.5) + overlap},
			}
			dc.SetColor(col)
			dc.Fill(r.Path())
		}
	}
}

// DataRange implements plot.DataRanger: one unit per cell, centred on integers.
func (c cells) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(len(c.z[0])) - 0.5, -0.5, float64(len(c.z)) - 0.5
}

// Layout of the PNG, in points.
const (
	heatTarget   = 520.0 // the longer side of the cell area, when cells are neither too big nor too small
	heatMinCell  = 5.0   // 171 labels: 855 pt, about 1700 px at 144 dpi
	heatMaxCell  = 40.0
	colorBarArea = 78.0 // colour bar, its tick labels and its title, right of the map
)

func (h heat) png() ([]byte, error) {
	n, k := len(h.rowLabels), len(h.colLabels)
	cell := math.Max(heatMinCell, math.Min(heatMaxCell, heatTarget/float64(max(n, k))))
	tick := vg.Points(math.Max(4.5, math.Min(10, cell*0.85)))

	p := newPlot(h.opts.Title, "", "", tick)
	p.Add(cells{z: h.z, cmap: h.cmap})

	// Category ticks: one per row/column, no tick marks, no axis lines (the map's edge is the frame).
	xt := make([]plot.Tick, k)
	for j, l := range h.colLabels {
		xt[j] = plot.Tick{Value: float64(j), Label: l}
	}
	yt := make([]plot.Tick, n)
	for i, l := range h.rowLabels {
		yt[i] = plot.Tick{Value: float64(n - 1 - i), Label: l}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
	p.X.Tick.Length, p.Y.Tick.Length = 0, 0
	p.X.LineStyle.Width, p.Y.LineStyle.Width = 0, 0
	p.X.Padding, p.Y.Padding = vg.Points(3), vg.Points(3)
	rotate := k > 6 || maxWidth(p.X.Tick.Label, h.colLabels) > vg.Points(cell)
	if rotate {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	p.X.Min, p.X.Max = -0.5, float64(k)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5

	if h.opts.CellLabels && cell >= 14 {
		labels, err := h.cellLabels(cell)
		if err != nil {
			return nil, err
		}
		p.Add(labels)
	}

	// Canvas size: the cells plus the room gonum will take for labels, title and colour bar.
	yLabelW := maxWidth(p.Y.Tick.Label, h.rowLabels)
	xLabelH := p.X.Tick.Label.Height("Xg")
	if rotate {
		xLabelH = maxWidth(p.X.Tick.Label, h.colLabels)
	}
	w := vg.Points(float64(k)*cell) + yLabelW + vg.Points(colorBarArea+24)
	ht := vg.Points(float64(n)*cell) + xLabelH + vg.Points(30)
	if h.opts.Title != "" {
		ht += p.Title.TextStyle.Height(h.opts.Title) + p.Title.Padding
	}
	w = max(w, p.Title.TextStyle.Width(h.opts.Title)+vg.Points(colorBarArea+40))

	return renderPNG(w, ht, func(dc draw.Canvas) {
		main := draw.Crop(dc, vg.Points(6), -vg.Points(colorBarArea), vg.Points(10), -vg.Points(6))
		p.Draw(main)
		data := p.DataCanvas(main)
		h.drawColorBar(dc, data.Max.X+vg.Points(14), data.Min.Y, data.Max.Y)
	})
}

// cellLabels writes each value in its cell, black on light colours and white on dark ones.
func (h heat) cellLabels(cell float64) (*plotter.Labels, error) {
	n, k := len(h.rowLabels), len(h.colLabels)
	size := vg.Points(math.Min(9, cell*0.3))
	var xys plotter.XYs
	var strs []string
	var styles []text.Style
	for i := range n {
		for j := range k {
			v := h.z[i][j]
			if math.IsNaN(v) {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(j), Y: float64(n - 1 - i)})
			strs = append(strs, strconv.FormatFloat(v, 'f', 2, 64))
			fg := color.Color(color.Black)
			if luminance(h.cmap.color(v)) < 0.3 {
				fg = color.White
			}
			styles = append(styles, textStyle(size, fg, draw.XCenter, draw.YCenter))
		}
	}
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: strs})
	if err != nil {
		return nil, fmt.Errorf("cell labels: %w", err)
	}
	labels.TextStyle = styles
	return labels, nil
}

// drawColorBar draws a vertical colour bar from y0 to y1 at x, with tick labels on its right and the
// value name above it.
func (h heat) drawColorBar(dc draw.Canvas, x, y0, y1 vg.Length) {
	const strips = 256
	barW := vg.Points(12)
	lo, hi := h.cmap.min, h.cmap.max
	step := (y1 - y0) / strips
	for s := 0; s < strips; s++ {
		v := lo + (hi-lo)*(float64(s)+0.5)/strips
		r := vg.Rectangle{Min: vg.Point{X: x, Y: y0 + vg.Length(s)*step}, Max: vg.Point{X: x + barW, Y: y0 + vg.Length(s+1)*step + 0.3}}
		dc.SetColor(h.cmap.color(v))
		dc.Fill(r.Path())
	}
	dc.SetLineStyle(draw.LineStyle{Color: color.Gray{0x66}, Width: vg.Points(0.5)})
	dc.Stroke(vg.Rectangle{Min: vg.Point{X: x, Y: y0}, Max: vg.Point{X: x + barW, Y: y1}}.Path())

	sty := textStyle(vg.Points(8), color.Black, draw.XLeft, draw.YCenter)
	for _, t := range (niceTicks{}).Ticks(lo, hi) {
		if t.IsMinor() || t.Value < lo || t.Value > hi {
			continue
		}
		y := y0 + (y1-y0)*vg.Length((t.Value-lo)/(hi-lo))
		dc.StrokeLine2(draw.LineStyle{Color: color.Gray{0x66}, Width: vg.Points(0.5)}, x+barW, y, x+barW+vg.Points(3), y)
		dc.FillText(sty, vg.Point{X: x + barW + vg.Points(5), Y: y}, t.Label)
	}
	title := sty
	title.XAlign, title.YAlign = draw.XLeft, draw.YBottom
	dc.FillText(title, vg.Point{X: x, Y: y1 + vg.Points(5)}, h.opts.ValueName)
}

// maxWidth is the width of the widest label in style sty.
func maxWidth(sty text.Style, labels []string) vg.Length {
	var w vg.Length
	for _, l := range labels {
		w = max(w, sty.Width(l))
	}
	return w
}

// html renders the interactive heatmap; it returns the page and the height it needs.
func (h heat) html() ([]byte, int, error) {
	n, k := len(h.rowLabels), len(h.colLabels)
	cellPx := math.Max(6, math.Min(44, 680/float64(max(n, k))))
	fontPx := math.Max(6, math.Min(12, cellPx-1))
	approxLabelPx := func(ls []string) float64 { // The browser measures text, we cannot: ~0.6 em per character.
		w := 0
		for _, l := range ls {
			w = max(w, len([]rune(l)))
		}
		return float64(w)*fontPx*0.6 + 12
	}
	rotate := 0
	bottom := fontPx + 16
	if k > 6 || approxLabelPx(h.colLabels) > cellPx {
		rotate = 90
		bottom = approxLabelPx(h.colLabels) + 10
	}
	left := approxLabelPx(h.rowLabels) + 10
	top, right := 50.0, 110.0
	width := int(left + right + float64(k)*cellPx)
	width = max(width, 480)
	height := int(top + bottom + float64(n)*cellPx)

	data := make([][3]any, 0, n*k)
	for i := range n {
		for j := range k {
			if v := h.z[i][j]; !math.IsNaN(v) && !math.IsInf(v, 0) {
				data = append(data, [3]any{j, i, roundSig(v, 4)})
			}
		}
	}
	cleanAll := func(ls []string) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = clean(l)
		}
		return out
	}
	axisLabel := func(rot int) map[string]any {
		return map[string]any{"interval": 0, "fontSize": fontPx, "rotate": rot}
	}
	// Tooltip: "row × column: value", labels taken from the option itself (global option_figure) so the
	// data stays [x, y, v] triples; encodeHTML because tooltips are HTML.
	tooltip := jsFunc(`function (p) {
		var e = echarts.format.encodeHTML, o = option_` + chartID + `;
		return e(o.yAxis.data[p.value[1]]) + ' × ' + e(o.xAxis.data[p.value[0]]) + '  ' +
			e(o.visualMap.text[0]) + ' ' + p.value[2].toFixed(3);
	}`)
	option := map[string]any{
		"title":     map[string]any{"text": clean(h.opts.Title), "left": "center"},
		"tooltip":   map[string]any{"formatter": tooltip},
		"animation": false,
		"grid": map[string]any{
			"left": left, "right": right, "top": top, "bottom": bottom,
		},
		"xAxis": map[string]any{
			"type": "category", "data": cleanAll(h.colLabels), "position": "bottom",
			"axisLabel": axisLabel(rotate), "axisTick": map[string]any{"show": false},
			"splitArea": map[string]any{"show": false},
		},
		"yAxis": map[string]any{
			"type": "category", "data": cleanAll(h.rowLabels), "inverse": true,
			"axisLabel": axisLabel(0), "axisTick": map[string]any{"show": false},
		},
		"visualMap": map[string]any{
			"type": "continuous", "min": h.cmap.min, "max": h.cmap.max, "calculable": true,
			"orient": "vertical", "right": 10, "top": top + 10, "itemHeight": math.Min(300, float64(n)*cellPx*0.8),
			"text": []string{clean(h.opts.ValueName), ""}, "precision": 2,
			"inRange": map[string]any{"color": h.cmap.hexStops(21)},
		},
		"dataZoom": []map[string]any{
			{"type": "inside", "xAxisIndex": 0}, {"type": "inside", "yAxisIndex": 0},
		},
		"toolbox": map[string]any{"right": 20, "feature": map[string]any{
			"saveAsImage": map[string]any{"title": "save PNG"}, "restore": map[string]any{"title": "reset zoom"},
		}},
		"series": []map[string]any{{
			"name": clean(h.opts.ValueName), "type": "heatmap", "data": data,
			"label": map[string]any{
				"show": h.opts.CellLabels, "fontSize": math.Max(6, math.Min(11, cellPx*0.3)),
				"formatter": jsFunc(`function (p) { return p.value[2].toFixed(2); }`),
			},
			"emphasis":    map[string]any{"itemStyle": map[string]any{"borderColor": "#333", "borderWidth": 1}},
			"progressive": 0, // Draw all cells in one frame: a partly drawn 171 x 171 map looks broken.
		}},
	}
	page, err := echartsPage(h.opts.Title, fmt.Sprintf("%dpx", width), height, option)
	return page, height + pageMargin, err
}
