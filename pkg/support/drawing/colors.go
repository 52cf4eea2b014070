package drawing

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/palette"
)

// rdBu is ColorBrewer's 11-class RdBu ramp reversed: dark blue (negative) through near-white to dark red
// (positive). Source: colorbrewer2.org, "RdBu", 11 classes (Cynthia Brewer, Apache-2.0 style licence).
var rdBu = []color.NRGBA{
	{0x05, 0x30, 0x61, 0xff}, {0x21, 0x66, 0xac, 0xff}, {0x43, 0x93, 0xc3, 0xff}, {0x92, 0xc5, 0xde, 0xff},
	{0xd1, 0xe5, 0xf0, 0xff}, {0xf7, 0xf7, 0xf7, 0xff}, {0xfd, 0xdb, 0xc7, 0xff}, {0xf4, 0xa5, 0x82, 0xff},
	{0xd6, 0x60, 0x4d, 0xff}, {0xb2, 0x18, 0x2b, 0xff}, {0x67, 0x00, 0x1f, 0xff},
}

// tab10 and tab20 are Matplotlib's qualitative palettes (from Tableau), the usual colours for clusters.
var tab10 = []string{
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
}

var tab20 = []string{
	"#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd", "#c5b0d5",
	"#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5",
}

// qualitative returns k colours as hex strings: tab10 up to 10, tab20 up to 20, then tab20 again (colours
// repeat beyond 20 groups; the legend still tells them apart by name).
func qualitative(k int) []string {
	src := tab10
	if k > len(tab10) {
		src = tab20
	}
	out := make([]string, k)
	for i := range out {
		out[i] = src[i%len(src)]
	}
	return out
}

// hexColor parses "#rrggbb".
func hexColor(s string) color.NRGBA {
	var r, g, b uint8
	_, _ = fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b)
	return color.NRGBA{r, g, b, 0xff}
}

func toHex(c color.Color) string {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return fmt.Sprintf("#%02x%02x%02x", n.R, n.G, n.B)
}

// ramp samples the rdBu ramp at t in [0, 1] (0 = darkest blue, 0.5 = white, 1 = darkest red), linearly
// between the 11 stops.
func ramp(t float64) color.NRGBA {
	t = math.Max(0, math.Min(1, t))
	pos := t * float64(len(rdBu)-1)
	i := int(pos)
	if i >= len(rdBu)-1 {
		return rdBu[len(rdBu)-1]
	}
	f := pos - float64(i)
	a, b := rdBu[i], rdBu[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
	return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// divergingMap maps values to the rdBu ramp so that 0 is always white when the range contains 0, even if
// the range is lopsided (-0.2..1 keeps white at 0 and uses the full red half for the positives). A range
// that does not contain 0 uses only the half on its side: 0..1 is white to red, -1..0 blue to white.
// It implements gonum's palette.ColorMap, so plotter.ColorBar can draw it.
type divergingMap struct {
	min, max, alpha float64
}

var _ palette.ColorMap = (*divergingMap)(nil)

func newDivergingMap(min, max float64) *divergingMap {
	return &divergingMap{min: min, max: max, alpha: 1}
}

// t returns the ramp position of v.
func (m *divergingMap) t(v float64) float64 {
	switch {
	case m.min < 0 && m.max > 0:
		if v < 0 {
			return 0.5 * (v - m.min) / (0 - m.min)
		}
		return 0.5 + 0.5*v/m.max
	case m.min >= 0:
		return 0.5 + 0.5*(v-m.min)/(m.max-m.min)
	default: // max <= 0
		return 0.5 * (v - m.min) / (m.max - m.min)
	}
}

// color returns the colour of v, clamping values outside [min, max] to the end colours.
func (m *divergingMap) color(v float64) color.NRGBA {
	c := ramp(m.t(math.Max(m.min, math.Min(m.max, v))))
	c.A = uint8(math.Round(255 * m.alpha))
	return c
}

// At implements palette.ColorMap.
func (m *divergingMap) At(v float64) (color.Color, error) {
	if math.IsNaN(v) {
		return nil, fmt.Errorf("figures: colour of NaN")
	}
	if v < m.min {
		return nil, palette.ErrUnderflow
	}
	if v > m.max {
		return nil, palette.ErrOverflow
	}
	return m.color(v), nil
}

func (m *divergingMap) Max() float64       { return m.max }
func (m *divergingMap) SetMax(v float64)   { m.max = v }
func (m *divergingMap) Min() float64       { return m.min }
func (m *divergingMap) SetMin(v float64)   { m.min = v }
func (m *divergingMap) Alpha() float64     { return m.alpha }
func (m *divergingMap) SetAlpha(a float64) { m.alpha = a }
func (m *divergingMap) Palette(n int) palette.Palette {
	cs := make([]color.Color, n)
	for i := range cs {
		v := m.min
		if n > 1 {
			v = m.min + (m.max-m.min)*float64(i)/float64(n-1)
		}
		cs[i] = m.color(v)
	}
	return colorList(cs)
}

// hexStops returns n colours evenly spaced over [min, max], for echarts' visualMap.inRange.color (which
// spaces its stops evenly too, so the page shows the same mapping as the PNG).
func (m *divergingMap) hexStops(n int) []string {
	p := m.Palette(n).Colors()
	out := make([]string, len(p))
	for i, c := range p {
		out[i] = toHex(c)
	}
	return out
}

type colorList []color.Color

func (c colorList) Colors() []color.Color { return c }

// luminance is the relative luminance (0 dark .. 1 light) used to pick black or white text over a colour.
func luminance(c color.NRGBA) float64 {
	lin := func(u uint8) float64 {
		x := float64(u) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}
