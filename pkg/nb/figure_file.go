package nb

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/emotion-probes/emotion-probes/pkg/support/drawing"
)

// chartHeightRe finds the chart's height in a go-echarts page: the style of its container,
// <div class="item" id="..." style="width:480px;height:247px;">. (The inline echarts.min.js holds other
// "height:...px" strings, so the match is anchored on the container.)
var chartHeightRe = regexp.MustCompile(`<div class="item"[^>]*?height:\s*(\d+)px`)

// ReadFigure reads a figure that an earlier stage wrote with drawing.Figure.WriteFiles: dir/base.png and
// dir/base.html (either may be missing, not both). Showing the files the report stage wrote, rather than
// drawing again, keeps the notebook's figures identical to the command-line tool's.
func ReadFigure(dir, base string) (drawing.Figure, error) {
	var f drawing.Figure
	png, errPNG := os.ReadFile(filepath.Join(dir, base+".png"))
	page, errHTML := os.ReadFile(filepath.Join(dir, base+".html"))
	if errPNG != nil && errHTML != nil {
		return f, fmt.Errorf("nb: figure %s: neither .png nor .html could be read (%v): run the report stage first", filepath.Join(dir, base), errPNG)
	}
	f.PNG, f.HTML = png, page
	if m := chartHeightRe.FindSubmatch(page); m != nil {
		h, _ := strconv.Atoi(string(m[1]))
		f.Height = h + 40 // the page body's margins, and room for a horizontal scroll bar
	}
	return f, nil
}
