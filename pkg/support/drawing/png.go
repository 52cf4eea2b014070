package drawing

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// pngDPI is the resolution of every PNG: sizes below are in points (1/72 inch), so an image is
// pngDPI/72 = 2 pixels per point, sharp on high-density screens and when scaled down in a notebook.
const pngDPI = 144

// renderPNG draws onto a white w x h canvas with drawFn and encodes it as PNG.
func renderPNG(w, h vg.Length, drawFn func(dc draw.Canvas)) (out []byte, err error) {
	defer func() {
		// gonum/plot panics on some degenerate inputs (for example a zero-height axis); report, don't crash.
		if r := recover(); r != nil {
			err = fmt.Errorf("figures: drawing the PNG: %v", r)
		}
	}()
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI), vgimg.UseBackgroundColor(color.White))
	drawFn(draw.New(img))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("figures: encoding the PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// newPlot returns a plot with the project's look: a bold title, light grey grid-free axes, the given font
// size for tick labels.
func newPlot(title, xLabel, yLabel string, tickSize vg.Length) *plot.Plot {
	p := plot.New()
	for _, sty := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		sty.Font = sans(sty.Font.Size)
	}
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.TextStyle.Font.Weight = stdfont.WeightBold
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.X.Tick.Label.Font.Size = tickSize
	p.Y.Tick.Label.Font.Size = tickSize
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
	return p
}

// sans returns Liberation Sans (embedded in gonum/plot) at the given size: gonum's default is a serif face,
// which reads poorly in small tick labels.
func sans(size vg.Length) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

// textStyle is a style in sans at the given size, anchored at (xAlign, yAlign).
func textStyle(size vg.Length, c color.Color, xAlign draw.XAlignment, yAlign draw.YAlignment) text.Style {
	return text.Style{Color: c, Font: sans(size), XAlign: xAlign, YAlign: yAlign, Handler: plot.DefaultTextHandler}
}

// lightGrid is the colour of grid lines: visible but quieter than the data.
var lightGrid = color.NRGBA{0xea, 0xea, 0xea, 0xff}

// niceTicks labels 4 to 9 evenly spaced values at a round step (1, 2, 2.5 or 5 times a power of ten),
// with minor ticks between them. gonum's DefaultTicks labels only 2 or 3 values on short ranges.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	span := hi - lo
	step := 0.0
	mag := math.Pow(10, math.Floor(math.Log10(span)))
	for _, scale := range []float64{0.1, 1} {
		for _, m := range []float64{1, 2, 2.5, 5} {
			if s := m * mag * scale; step == 0 && span/s <= 8 {
				step = s
			}
		}
	}
	if step == 0 {
		step = 10 * mag
	}
	// Decimals enough to tell neighbours apart: 0.25 needs 2, 0.5 needs 1, 5 needs 0.
	decimals := 0
	for d := 0; d < 10; d++ {
		if r := step * math.Pow(10, float64(d)); math.Abs(r-math.Round(r)) < 1e-9 {
			decimals = d
			break
		}
	}
	var ticks []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for v := first; v <= hi+step*1e-9; v += step {
		x := math.Round(v/step) * step // no 0.30000000000000004
		if math.Abs(x) < step*1e-9 {
			x = 0 // no "-0"
		}
		ticks = append(ticks, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'f', decimals, 64)})
		if mid := x + step/2; mid < hi {
			ticks = append(ticks, plot.Tick{Value: mid})
		}
	}
	if first-step/2 > lo {
		ticks = append(ticks, plot.Tick{Value: first - step/2})
	}
	return ticks
}
