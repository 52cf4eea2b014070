package validate

import (
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"gonum.org/v1/gonum/mat"
)

func TestParseRatings(t *testing.T) {
	good := []struct {
		name, text string
		want       []Rating
	}{
		{"tsv with comments", "# source: a study\n\nemotion\tvalence\tarousal\nhappy\t8.5\t6\n# a note\nat ease\t7\t2.5\n",
			[]Rating{{"happy", 8.5, 6, 4}, {"at ease", 7, 2.5, 6}}},
		{"csv, other order, extra column, word header", "Word,Arousal,SD,Valence\r\nSad,3.5,1,2.1\r\n",
			[]Rating{{"sad", 2.1, 3.5, 2}}},
		{"quoted", "\"emotion\",\"valence\",\"arousal\"\n\"grief-stricken\",\"1.5\",\"4\"\n",
			[]Rating{{"grief-stricken", 1.5, 4, 2}}},
	}
	for _, c := range good {
		r, err := ParseRatings(strings.NewReader(c.text), "r.tsv")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !slices.Equal(r.Rows, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, r.Rows, c.want)
		}
	}
	bad := []struct {
		name, text string
		want       []string
	}{
		{"no arousal column", "# x\nemotion\tvalence\nhappy\t8\n", []string{"r.tsv:2:", `no "arousal" column`}},
		{"not a number", "emotion,valence,arousal\nhappy,8,6\nsad,low,3\n", []string{"r.tsv:3:", `valence of "sad" is "low"`}},
		{"short row", "emotion\tvalence\tarousal\nhappy\t8\n", []string{"r.tsv:2:", "2 field(s)", `"arousal"`}},
		{"twice", "emotion,valence,arousal\nhappy,8,6\nHappy,7,5\n", []string{"r.tsv:3:", "rated twice (first at line 2)"}},
		{"empty word", "emotion,valence,arousal\n,8,6\n", []string{"r.tsv:2:", "empty emotion word"}},
		{"no rows", "emotion,valence,arousal\n", []string{"r.tsv", "no rows"}},
		{"empty", "# only comments\n", []string{"r.tsv", "no header"}},
		{"duplicate column", "emotion,valence,valence,arousal\n", []string{"r.tsv:1:", `"valence" appears twice`}},
		{"NaN", "emotion,valence,arousal\nhappy,NaN,6\n", []string{"r.tsv:2:", "want a number"}},
		{"huge line", "emotion,valence,arousal\nhappy,8,6\n" + strings.Repeat("x", 1<<20), []string{"r.tsv:3:", "over 1 MiB"}},
	}
	for _, c := range bad {
		_, err := ParseRatings(strings.NewReader(c.text), "r.tsv")
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
	}
}

// The shipped table parses, rates every emotion of config/small-generate.yaml, and has the circumplex's obvious
// orderings (a check that the columns are not swapped or reversed).
func TestShippedRatings(t *testing.T) {
	r, err := ReadRatings(filepath.Join("..", "..", "..", "config", "data", "ratings_warriner2013.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join("..", "..", "..", "config", "small-generate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Rating{}
	for _, row := range r.Rows {
		by[row.Emotion] = row
	}
	if len(r.Rows) != 126 {
		t.Errorf("%d rows, want 126", len(r.Rows))
	}
	for _, e := range cfg.Emotions {
		if _, ok := by[e]; !ok {
			t.Errorf("%q of config/small-generate.yaml is not rated", e)
		}
	}
	if !(by["happy"].Valence > by["sad"].Valence && by["excited"].Arousal > by["calm"].Arousal) {
		t.Errorf("happy %+v, sad %+v, excited %+v, calm %+v: valence or arousal reversed", by["happy"], by["sad"], by["excited"], by["calm"])
	}
}

// Vectors whose first principal axis is exactly human valence (and second exactly arousal) correlate
// perfectly, whatever sign the PCA gave; an unrated emotion is listed as missing.
func TestCompareRatingsPerfect(t *testing.T) {
	emotions := []string{"happy", "sad", "calm", "afraid", "angry", "content", "unrated"}
	val := []float64{8, 2, 7, 2.5, 2.4, 6.8, 5}
	aro := []float64{6, 3.5, 1.7, 5.1, 6.2, 3.2, 4}
	orthogonalize(val, aro, len(emotions))
	d := 6
	v := mat.NewDense(len(emotions), d, nil)
	for i := range emotions {
		v.Set(i, 0, -10*(val[i]-5)) // valence on the largest axis, sign reversed
		v.Set(i, 3, 2*(aro[i]-4))
	}
	var text strings.Builder
	text.WriteString("emotion,valence,arousal\n")
	for i, e := range emotions[:6] {
		text.WriteString(e + "," + ftoa(val[i]) + "," + ftoa(aro[i]) + "\n")
	}
	rt, err := ParseRatings(strings.NewReader(text.String()), "r.csv")
	if err != nil {
		t.Fatal(err)
	}
	r, err := CompareRatings(emotions, v, 3, rt, 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Missing, []string{"unrated"}) || len(r.Emotions) != 6 {
		t.Errorf("missing %v, shared %v", r.Missing, r.Emotions)
	}
	for _, c := range []Correlation{r.Valence, r.Arousal} {
		if !c.Oriented || math.Abs(c.Pearson.Estimate-1) > 1e-9 || math.Abs(c.Spearman.Estimate-1) > 1e-9 {
			t.Errorf("%s vs %s: oriented %v, r %v, rho %v; want oriented, 1, 1", c.Component, c.Rating, c.Oriented, c.Pearson.Estimate, c.Spearman.Estimate)
		}
	}
	// Per component: PC1 is valence and not arousal (made uncorrelated over all seven, so nearly so over the
	// six rated), PC2 the reverse.
	if len(r.Components) < 2 || r.Components[0].Component != "PC1" || r.Components[1].Component != "PC2" {
		t.Fatalf("components %+v", r.Components)
	}
	for _, c := range []struct {
		got  Float
		want float64
	}{{r.Components[0].Valence, 1}, {r.Components[0].Arousal, 0}, {r.Components[1].Valence, 0}, {r.Components[1].Arousal, 1}} {
		if math.Abs(math.Abs(float64(c.got))-c.want) > 0.01 {
			t.Errorf("components %+v: want |r| 1 on the diagonal, 0 off it", r.Components)
			break
		}
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// orthogonalize makes y uncorrelated with x over the first n entries (keeping y's mean), so that the two are
// separate principal axes.
func orthogonalize(x, y []float64, n int) {
	mx, my := 0.0, 0.0
	for i := 0; i < n; i++ {
		mx += x[i] / float64(n)
		my += y[i] / float64(n)
	}
	var xy, xx float64
	for i := 0; i < n; i++ {
		xy += (x[i] - mx) * (y[i] - my)
		xx += (x[i] - mx) * (x[i] - mx)
	}
	for i := range y {
		y[i] -= xy / xx * (x[i] - mx)
	}
}

// A rating that is linear in the vectors but not their main axis: PC1 misses it, the read-out finds it
// (leave-one-out r = 1, since every held-out emotion lies on the same plane as the others).
func TestReadoutFindsWhatPC1Misses(t *testing.T) {
	emotions := []string{"happy", "sad", "calm", "afraid", "angry", "content", "proud", "lonely", "excited", "bored"}
	val := []float64{8, 2, 7, 2.5, 2.4, 6.8, 7.5, 2.2, 7.9, 3}
	aro := []float64{6, 3.5, 1.7, 5.1, 6.2, 3.2, 5, 3, 7, 2}
	big := []float64{9, -4, 1, 7, -8, 3, -2, 6, -7, 0} // the largest axis, unrelated to either rating
	v := mat.NewDense(len(emotions), 5, nil)
	var text strings.Builder
	text.WriteString("emotion,valence,arousal\n")
	for i, e := range emotions {
		v.Set(i, 0, 10*big[i])
		v.Set(i, 1, val[i]+0.5*aro[i])
		v.Set(i, 2, aro[i]-0.3*val[i])
		text.WriteString(e + "," + ftoa(val[i]) + "," + ftoa(aro[i]) + "\n")
	}
	rt, err := ParseRatings(strings.NewReader(text.String()), "r.csv")
	if err != nil {
		t.Fatal(err)
	}
	r, err := CompareRatings(emotions, v, 3, rt, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Readouts) != 2 || r.Readouts[0].Rating != "valence" || r.Readouts[0].Components != 3 {
		t.Fatalf("read-outs %+v", r.Readouts)
	}
	for _, ro := range r.Readouts {
		if math.Abs(float64(ro.R)-1) > 1e-9 {
			t.Errorf("%s read-out r = %v, want 1", ro.Rating, ro.R)
		}
	}
	if math.Abs(r.Valence.Pearson.Estimate) > 0.9 {
		t.Errorf("PC1 vs valence r = %v: the test wants PC1 to miss valence", r.Valence.Pearson.Estimate)
	}
	// The table of components shows where valence went: the plane of PC2 and PC3 holds it, PC1 none of it.
	if len(r.Components) < 3 || math.Abs(float64(r.Components[0].Valence)) > 0.9 ||
		math.Hypot(float64(r.Components[1].Valence), float64(r.Components[2].Valence)) < 0.99 {
		t.Errorf("components %+v: want valence off PC1 and in the plane of PC2 and PC3", r.Components)
	}
}
