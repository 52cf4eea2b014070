package validate

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestTraitsOfOneStory(t *testing.T) {
	text := `"Stop," she said. Her heart raced, and I held my breath.`
	// 11 words: stop she said her heart raced and i held my breath.
	words := letterWords(text)
	if len(words) != 11 {
		t.Fatalf("letterWords = %q, want 11 words", words)
	}
	want := map[string]float64{"body words": 2.0 / 11, "first person": 2.0 / 11, "speech": 1.0 / 11, "length": 11}
	for _, tr := range Traits {
		if got := tr.Of(words, text); math.Abs(got-want[tr.Name]) > 1e-12 {
			t.Errorf("%s = %v, want %v", tr.Name, got, want[tr.Name])
		}
	}
	if got := speechShare(nil, "He wrote “no” and “never” twice."); math.Abs(got-2.0/6) > 1e-12 {
		t.Errorf("speech with curly quotes = %v, want 2/6", got)
	}
}

// styleFixture has eight emotions whose vectors' largest axis is how many body words their stories use, and
// whose second axis is valence; the two are uncorrelated by construction (each pleasant emotion has an
// unpleasant twin with the same body words and the mirrored rating).
func styleFixture(t *testing.T) (*Stories, *mat.Dense, []string, *Ratings) {
	t.Helper()
	emotions := []string{"happy", "joyful", "calm", "proud", "sad", "afraid", "angry", "lonely"}
	valence := []float64{8, 7, 7.5, 8.5, 2, 3, 2.5, 1.5}
	bodyCounts := [][2]int{{1, 3}, {5, 7}, {0, 2}, {6, 8}, {1, 3}, {5, 7}, {0, 2}, {6, 8}} // of 10 words, per story
	st := &Stories{Layer: 3, Emotions: emotions, X: mat.NewDense(16, 4, nil)}
	v := mat.NewDense(8, 4, nil)
	var texts []string
	var ratings strings.Builder
	ratings.WriteString("emotion\tvalence\tarousal\n")
	for e := range emotions {
		for j, k := range bodyCounts[e] {
			words := append(strings.Fields(strings.Repeat("heart ", k)), strings.Fields(strings.Repeat("the ", 10-k))...)
			texts = append(texts, strings.Join(words, " "))
			row := 2*e + j
			st.Label = append(st.Label, e)
			st.Topic = append(st.Topic, "t")
			st.X.Set(row, 0, 100*float64(k)/10)
			st.X.Set(row, 1, valence[e])
		}
		v.Set(e, 0, 100*float64(bodyCounts[e][0]+bodyCounts[e][1])/20)
		v.Set(e, 1, valence[e])
		ratings.WriteString(emotions[e] + "\t" + strconv.FormatFloat(valence[e], 'g', -1, 64) + "\t" + strconv.Itoa(3+e%3) + "\n")
	}
	rt, err := ParseRatings(strings.NewReader(ratings.String()), "ratings.tsv")
	if err != nil {
		t.Fatal(err)
	}
	return st, v, texts, rt
}

func TestCompareStyleFindsTheWritingAxis(t *testing.T) {
	st, v, texts, rt := styleFixture(t)
	before, err := CompareRatings(st.Emotions, v, st.Layer, rt, 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r := before.Valence.Pearson.Estimate; math.Abs(r) > 1e-9 {
		t.Fatalf("fixture: PC1 vs valence = %v before partialling, want 0 (PC1 is the body words)", r)
	}
	res, err := CompareStyle(st, v, texts, rt, 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Strongest != "body words" {
		t.Fatalf("Strongest = %q, want body words", res.Strongest)
	}
	body := res.Trait("body words")
	if r := float64(body.PC[0]); math.Abs(math.Abs(r)-1) > 1e-9 {
		t.Errorf("body words vs PC1: r = %v, want +-1 (PC1 is the body axis)", r)
	}
	if w := float64(body.Within); math.Abs(w-float64(body.PC[0])) > 1e-9 {
		t.Errorf("body words within emotions: r = %v, want %v (each story sits along PC1 by its body words)", w, body.PC[0])
	}
	if r := float64(body.Valence); math.Abs(r) > 1e-9 {
		t.Errorf("body words vs valence: r = %v, want 0 (uncorrelated by construction)", r)
	}
	for _, name := range []string{"first person", "speech", "length"} { // constant in the fixture
		if r := res.Trait(name).PC[0]; !math.IsNaN(float64(r)) {
			t.Errorf("%s (constant) vs PC1: r = %v, want NaN", name, r)
		}
	}
	if res.Partialled == nil {
		t.Fatal("no partialled comparison")
	}
	// With the body axis gone, what is left of the vectors is the valence axis: PC1 is valence, r = 1.
	if r := res.Partialled.Valence.Pearson.Estimate; math.Abs(r-1) > 1e-9 {
		t.Errorf("PC1 vs valence with body words partialled out = %v, want 1", r)
	}
	if !strings.Contains(res.Markdown(), "PC1 follows *body words* most closely (r = ") {
		t.Errorf("Markdown does not name the trait PC1 follows:\n%s", res.Markdown())
	}
}

func TestCompareStyleWithoutRatings(t *testing.T) {
	st, v, texts, _ := styleFixture(t)
	res, err := CompareStyle(st, v, texts, nil, 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Partialled != nil || !math.IsNaN(float64(res.Trait("body words").Valence)) {
		t.Errorf("without ratings: partialled %v, valence r %v; want none", res.Partialled, res.Trait("body words").Valence)
	}
	if _, err := CompareStyle(st, v, texts[1:], nil, 200, 1); err == nil || !strings.Contains(err.Error(), "15 texts for 16 stories") {
		t.Errorf("one text short: err = %v, want it to say 15 texts for 16 stories", err)
	}
}

func TestPartialOutLeavesNothingCorrelated(t *testing.T) {
	v := mat.NewDense(4, 2, []float64{1, 5, 2, 3, 4, 4, 7, 0})
	cov := []float64{1, 2, 3, 5}
	p := partialOut(v, cov)
	// mean of cov 2.75; centred -1.75 -0.75 0.25 2.25; sum of squares 8.75.
	// column 0: sum c*v = -1.75 - 1.5 + 1 + 15.75 = 13.5; slope 13.5/8.75.
	wantRow0 := 1 - (-1.75)*13.5/8.75
	if got := p.At(0, 0); math.Abs(got-wantRow0) > 1e-12 {
		t.Errorf("row 0, column 0 = %v, want %v", got, wantRow0)
	}
	for j := range 2 {
		s := 0.0
		for i, c := range []float64{-1.75, -0.75, 0.25, 2.25} {
			s += c * p.At(i, j)
		}
		if math.Abs(s) > 1e-12 {
			t.Errorf("column %d still covaries with the covariate: %v", j, s)
		}
	}
}
