package drawing

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/support/env"
	"github.com/emotion-probes/emotion-probes/pkg/support/testkit"
)

// Synthetic data that looks like the project's: emotion-like vectors built from a valence and an arousal
// axis plus noise, so cosine matrices have blocks and PCA/UMAP-like scatters have structure.

// syntheticVectors returns n unit vectors of dimension d, with a valence and an arousal coordinate per
// vector, and a cluster id (quadrant plus a finer split) per vector.
func syntheticVectors(n, d int, seed uint64) (vecs [][]float64, coords [][2]float64, groups []int) {
	r := rand.New(rand.NewPCG(seed, seed+1))
	axisA, axisB := make([]float64, d), make([]float64, d)
	for i := range d {
		axisA[i], axisB[i] = r.NormFloat64(), r.NormFloat64()
	}
	for i := range n {
		val := math.Cos(2 * math.Pi * float64(i) / float64(n) * 3.1)
		aro := math.Sin(2 * math.Pi * float64(i) / float64(n) * 1.7)
		v := make([]float64, d)
		var norm float64
		for j := range d {
			v[j] = 1.5*val*axisA[j] + aro*axisB[j] + 0.6*r.NormFloat64()
			norm += v[j] * v[j]
		}
		for j := range v {
			v[j] /= math.Sqrt(norm)
		}
		vecs = append(vecs, v)
		coords = append(coords, [2]float64{3*val + 0.3*r.NormFloat64(), 2*aro + 0.3*r.NormFloat64()})
		g := 0
		if val > 0 {
			g++
		}
		if aro > 0 {
			g += 2
		}
		if i%3 == 0 {
			g += 4
		}
		groups = append(groups, g)
	}
	return vecs, coords, groups
}

func cosineMatrix(vecs [][]float64) [][]float64 {
	m := make([][]float64, len(vecs))
	for i := range vecs {
		m[i] = make([]float64, len(vecs))
		for j := range vecs {
			var s float64
			for k := range vecs[i] {
				s += vecs[i][k] * vecs[j][k]
			}
			m[i][j] = s
		}
	}
	return m
}

// orderByFirstCoord is a stand-in for a clustered order: sort by the first coordinate.
func orderByFirstCoord(coords [][2]float64) []int {
	order := make([]int, len(coords))
	for i := range order {
		order[i] = i
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && coords[order[j]][0] < coords[order[j-1]][0]; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	return order
}

func syntheticLabels(n int) []string {
	base := []string{"afraid", "angry", "anxious", "calm", "content", "desperate", "disgusted", "excited",
		"grateful", "guilty", "happy", "hopeful", "jealous", "lonely", "loving", "nostalgic", "proud", "sad",
		"surprised", "triumphant", "at ease", "grief-stricken", "worn out", "self-conscious"}
	out := make([]string, n)
	for i := range out {
		out[i] = base[i%len(base)]
		if i >= len(base) {
			out[i] += "-" + string(rune('a'+i/len(base)-1))
		}
	}
	return out
}

// readEmotions reads the project's emotion list if the checkout has it (for the visual check only).
func readEmotions(t *testing.T, name string) []string {
	f, err := os.Open(filepath.Join("..", "..", "..", "config", "data", name))
	if err != nil {
		t.Logf("using synthetic labels: %v", err)
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// TestRenderSamples writes sample figures for a human to look at. It runs only when
// FIGURES_CHECK_DIR names a directory: go test ./pkg/support/drawing -run Samples with FIGURES_CHECK_DIR=/tmp/x.
func TestRenderSamples(t *testing.T) {
	dir := env.Get(env.FiguresCheckDir)
	if dir == "" {
		testkit.Skipf(t, "set %s to write sample figures", env.FiguresCheckDir)
	}
	labels171 := readEmotions(t, "emotions_171.txt")
	if len(labels171) != 171 {
		labels171 = syntheticLabels(171)
	}
	labels10 := []string{"happy", "excited", "proud", "calm", "content", "sad", "lonely", "afraid", "angry", "at ease"}

	for _, tc := range []struct {
		name   string
		labels []string
		cells  bool
	}{{"heatmap10", labels10, true}, {"heatmap171", labels171, false}} {
		vecs, coords, _ := syntheticVectors(len(tc.labels), 64, 7)
		fig, err := Heatmap(tc.labels, cosineMatrix(vecs), HeatmapOptions{
			Title: "Cosine similarity of emotion vectors", Order: orderByFirstCoord(coords), CellLabels: tc.cells,
			ValueName: "cosine",
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := fig.WriteFiles(dir, tc.name); err != nil {
			t.Fatal(err)
		}
	}

	labels20 := readEmotions(t, "emotions_20.txt")
	if len(labels20) != 20 {
		labels20 = syntheticLabels(20)
	}
	_, coords20, _ := syntheticVectors(20, 16, 3)
	pca, err := Scatter(coords20, labels20, nil, ScatterOptions{
		Title: "PCA of emotion vectors", XLabel: "PC1 (26%): valence", YLabel: "PC2 (15%): arousal", ZeroLines: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := pca.WriteFiles(dir, "pca20"); err != nil {
		t.Fatal(err)
	}
	_, coords171, groups171 := syntheticVectors(171, 16, 5)
	for i := range groups171 {
		groups171[i] = (groups171[i] + i%3) % 10
	}
	umap, err := Scatter(coords171, labels171, groups171, ScatterOptions{
		Title: "UMAP of 171 emotion vectors, k-means k=10", XLabel: "UMAP 1", YLabel: "UMAP 2",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := umap.WriteFiles(dir, "umap171"); err != nil {
		t.Fatal(err)
	}

	doses := []float64{0, 100, 250, 500, 1000, 2000, 4000, 8000}
	var afraid, calm []float64
	for _, d := range doses {
		afraid = append(afraid, 0.1*math.Log1p(d/200)-0.05)
		calm = append(calm, 0.12-0.08*math.Log1p(d/300))
	}
	calm[3] = math.NaN()
	line, err := Line(doses, []Series{{"afraid", afraid}, {"calm", calm}}, PlotOptions{
		Title: "Probe activation vs. Tylenol dose", XLabel: "dose (mg)", YLabel: "cosine with probe",
		References: []Reference{{0, ""}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := line.WriteFiles(dir, "line"); err != nil {
		t.Fatal(err)
	}
	var layers []string
	var train, held []float64
	for l := range 30 {
		layers = append(layers, strconv.Itoa(l))
		train = append(train, 0.3+0.6*(1-math.Exp(-float64(l)/6)))
		held = append(held, 0.2+0.5*(1-math.Exp(-float64(l)/7))-0.003*float64(l))
	}
	bar, err := Bar(layers, []Series{{"train", train}, {"held out", held}}, PlotOptions{
		Title: "15-way probe accuracy per layer", XLabel: "layer", YLabel: "accuracy", YMin: 0, YMax: 1,
		References: []Reference{{1.0 / 15, "chance (1/15)"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := bar.WriteFiles(dir, "bar"); err != nil {
		t.Fatal(err)
	}

	// A notebook-like page: the heatmap as an iframe, the line chart as an <img>, a logit-lens table.
	var nb strings.Builder
	nb.WriteString("<!DOCTYPE html><html><body style='font-family:sans-serif'><h3>notebook-like page</h3>\n")
	fig10, err := Heatmap(labels10, cosineMatrix(func() [][]float64 { v, _, _ := syntheticVectors(10, 64, 7); return v }()),
		HeatmapOptions{Title: "in an iframe", CellLabels: true})
	if err != nil {
		t.Fatal(err)
	}
	nb.WriteString(fig10.IFrame())
	nb.WriteString(LogitLensTable([]LogitLensRow{
		{Emotion: "sad", Top: []TokenScore{{" grief", 3.2}, {" tears", 3.1}, {"\n", 2.0}, {" lonely", 1.9}},
			Bottom: []TokenScore{{" joy", -2.5}, {"<b>", -2.0}, {"\xe2\x80", -1.5}}},
		{Emotion: "desperate", Top: []TokenScore{{" desperate", 4.1}, {" urgent", 3.3}, {"bankrupt", 2.9}},
			Bottom: []TokenScore{{" calm", -3.0}, {"\t", -1.0}}},
	}))
	nb.WriteString(line.ImgTag("line chart"))
	nb.WriteString("</body></html>")
	if err := os.WriteFile(filepath.Join(dir, "notebook.html"), []byte(nb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
