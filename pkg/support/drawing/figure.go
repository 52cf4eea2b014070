package drawing

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
)

// Figure is one chart rendered twice.
type Figure struct {
	// PNG is the static image (gonum/plot), encoded as PNG.
	PNG []byte
	// HTML is a complete, self-contained page (go-echarts with echarts.min.js inline): no network needed.
	HTML []byte
	// Height is the height in CSS pixels the HTML page needs to show the chart without scrolling;
	// IFrame uses it.
	Height int
}

// IFrame returns the figure's HTML page inside an iframe sized for it; see the package function IFrame.
func (f Figure) IFrame() string { return IFrame(f.HTML, f.Height) }

// ImgTag returns the figure's PNG as an <img> tag with the image inline; see the package function ImgTag.
func (f Figure) ImgTag(alt string) string { return ImgTag(f.PNG, alt) }

// WriteFiles writes dir/base.png and dir/base.html, creating dir if needed. base must be a plain file name
// (no path separators): callers naming files after emotions should slug them first ("at ease" -> "at_ease").
func (f Figure) WriteFiles(dir, base string) error {
	if base == "" || strings.ContainsAny(base, `/\`) || base == "." || base == ".." {
		return fmt.Errorf("figures: WriteFiles: base name %q must be a plain file name without path separators", base)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("figures: WriteFiles: creating directory %q: %w", dir, err)
	}
	for _, out := range []struct {
		ext  string
		data []byte
	}{{".png", f.PNG}, {".html", f.HTML}} {
		if len(out.data) == 0 {
			continue // A caller may have built a Figure with only one rendering.
		}
		path := filepath.Join(dir, base+out.ext)
		if err := os.WriteFile(path, out.data, 0o644); err != nil {
			return fmt.Errorf("figures: WriteFiles: %w", err)
		}
	}
	return nil
}

// IFrame returns `<iframe srcdoc="..." ...>` holding the whole page htmlPage, height pixels tall and as wide
// as its container.
//
// Why an iframe: a full chart page inside srcdoc renders the same in JupyterLab, in nbconvert's HTML and in
// headless Chromium, and its script cannot clash with the notebook's own (RequireJS, other charts' ids).
// sandbox="allow-scripts" lets the chart run while keeping it away from the notebook's origin.
// Note that JupyterLab shows iframes of an executed notebook only once the notebook is trusted.
//
// height <= 0 picks 520 px.
func IFrame(htmlPage []byte, height int) string {
	if height <= 0 {
		height = 520
	}
	// html.EscapeString escapes & < > " ': enough for a double-quoted attribute value; the browser
	// unescapes it back to the page before parsing it as a document.
	return fmt.Sprintf(`<iframe srcdoc="%s" style="width:100%%;height:%dpx;border:0" sandbox="allow-scripts"></iframe>`,
		html.EscapeString(string(htmlPage)), height)
}

// PNGDataURI returns "data:image/png;base64,..." for use in an <img src> or a Markdown image.
func PNGDataURI(png []byte) string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
}

// ImgTag returns an <img> tag that shows png inline, scaled down to fit its container's width.
//
// The figures' PNGs have 2 pixels per CSS pixel (144 dpi, for sharp text on high-density screens), so the
// tag asks for half the pixel width: the figure then appears at its intended size, not twice as large.
func ImgTag(png []byte, alt string) string {
	width := ""
	if w := pngWidth(png); w > 0 {
		width = fmt.Sprintf(` width="%d"`, (w+1)/2)
	}
	return fmt.Sprintf(`<img src="%s" alt="%s"%s style="max-width:100%%;height:auto">`,
		PNGDataURI(png), html.EscapeString(alt), width)
}

// pngWidth reads the width from a PNG's IHDR chunk (bytes 16..19 after the 8-byte signature and the
// chunk's length and type); 0 if b is not a PNG.
func pngWidth(b []byte) int {
	if len(b) < 24 || string(b[:8]) != "\x89PNG\r\n\x1a\n" || string(b[12:16]) != "IHDR" {
		return 0
	}
	return int(binary.BigEndian.Uint32(b[16:20]))
}
