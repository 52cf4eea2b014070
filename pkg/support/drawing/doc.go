// Package drawing draws the project's figures twice: as a PNG (gonum/plot) for papers, READMEs and
// notebooks opened without JavaScript, and as a self-contained interactive HTML page (go-echarts) for
// exploring: hover for values, wheel to zoom, legend to toggle clusters.
//
// It sits at the end of the pipeline. The analysis packages compute plain numbers (a cosine-similarity
// matrix, PCA or UMAP coordinates, cluster ids, per-layer accuracies, logit-lens tokens); this package
// only turns plain Go values into pictures and HTML. It imports no other package of the project.
//
// # What goes in, what comes out
//
//	Heatmap(labels [n], m [n][n], HeatmapOptions)           -> Figure  (cosine similarity, clustered order)
//	Scatter(points [n][2], labels [n], groups [n], ...)     -> Figure  (PCA PC1 x PC2, UMAP by cluster)
//	Line(x [k], series []Series{Name, Y [k]}, ...)          -> Figure  (sweeps: dose, steering strength)
//	Bar(categories [k], series []Series{Name, Y [k]}, ...)  -> Figure  (per-layer probe accuracy)
//	LogitLensTable(rows), HTMLTable(header, rows)           -> HTML fragment (string)
//	IFrame(page, height), ImgTag(png, alt), PNGDataURI(png) -> HTML fragment for a notebook cell
//	VisibleToken(" grief\n")                                -> "␣grief↵"
//
// A Figure holds both renderings:
//
//	fig, err := drawing.Heatmap(names, cos, drawing.HeatmapOptions{Title: "Cosine similarity", Order: order})
//	os.WriteFile("cos.png", fig.PNG, 0o644)   // static image
//	os.WriteFile("cos.html", fig.HTML, 0o644) // interactive page, works offline
//	gonbui.DisplayHTML(fig.IFrame())          // in a GoNB notebook
//
// # Offline pages
//
// go-echarts loads echarts.min.js from a CDN by default. These machines, CI and many users' notebooks are
// offline, so every page carries Apache ECharts 5.4.3 inline (about 1 MB; assets/README.md says where the
// file comes from). A page therefore has no remote script and can be embedded whole in an
// <iframe srcdoc="...">, the form that renders in JupyterLab, nbconvert HTML and headless Chromium alike
// (a bare chart snippet goes blank where RequireJS is on the page). Each page weighs about 1.2 MB once
// escaped into srcdoc, so a notebook that shows many charts should prefer PNGs (Figure.ImgTag) and keep
// a few interactive pages. JupyterLab also hides iframes and scripts of a notebook executed headless until
// it is trusted; PNGs and plain HTML tables always show.
//
// # Colours
//
// Heatmaps use a diverging blue-white-red ramp (ColorBrewer RdBu, reversed), white at zero, -1..1 by
// default, so a cosine of 0 reads as "unrelated" at a glance. Scatter groups use Matplotlib's qualitative
// tab10 palette (tab20 beyond 10 groups). The PNG and the HTML share the same colours.
//
// # Errors
//
// Every exported function returns an error that names the argument and value at fault and says what to
// do; nothing panics on bad input.
package drawing
