package validate

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/emotion-probes/emotion-probes/pkg/support/numeric"
	"gonum.org/v1/gonum/mat"
)

// What the vectors' first principal component follows, when it is not valence.
//
// An emotion vector is the mean of its emotion's stories, so whatever those stories share besides the
// emotion moves it too, and how the stories are told is shared: one emotion's stories may dwell on the
// body, another's on what people say. CompareStyle measures such traits of each emotion's stories (Traits),
// correlates them with the first principal components and with the human ratings, and compares the ratings
// again after the trait that PC1 follows most closely is partialled out of the vectors. The trait is chosen
// by its correlation with PC1, never with the ratings, so the second comparison is not tuned to them.
//
// A trait that tracks PC1 but not valence says that the vectors' largest axis is about the writing, and
// the partialled comparison says whether valence comes first once that axis is held constant.

// Trait is one measurable property of a story's text: Of gives its value for one story, from the story's
// words (lower-cased runs of letters: "I'm" is "i" and "m") and its text.
type Trait struct {
	Name  string
	About string // what the value is, for the report
	Of    func(words []string, text string) float64
}

// Traits are the traits CompareStyle measures.
var Traits = []Trait{
	{Name: "body words", About: "share of the words that name a part or a sign of the body (validate.BodyWords)", Of: bodyShare},
	{Name: "first person", About: "share of the words that are I, me, my, mine or myself", Of: firstPersonShare},
	{Name: "speech", About: "share of the words inside quotation marks", Of: speechShare},
	{Name: "length", About: "words in the story", Of: func(words []string, _ string) float64 { return float64(len(words)) }},
}

// BodyWords are the words the "body words" trait counts: parts of the body and its plain signs (breath,
// pulse, sweat, tears, shaking), with their common inflections. Words whose other senses are frequent in
// prose (back, head) are left out.
var BodyWords = []string{
	"arm", "arms", "belly", "blood", "body", "breath", "breathe", "breathed", "breathing", "breaths", "cheek",
	"cheeks", "chest", "eye", "eyes", "face", "feet", "finger", "fingers", "fist", "fists", "foot", "gut",
	"hand", "hands", "heart", "heartbeat", "hearts", "jaw", "knee", "knees", "leg", "legs", "lip", "lips",
	"lungs", "mouth", "muscles", "neck", "palm", "palms", "pulse", "ribs", "shaking", "shiver", "shivered",
	"shook", "shoulder", "shoulders", "skin", "spine", "stomach", "sweat", "sweating", "tears", "teeth",
	"throat", "toes", "trembled", "trembling", "wrists",
}

var bodySet = setOf(BodyWords)

var firstPerson = setOf([]string{"i", "me", "my", "mine", "myself"})

func setOf(words []string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// letterWords splits text into lower-cased runs of letters.
func letterWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) })
}

func share(words []string, in map[string]bool) float64 {
	if len(words) == 0 {
		return 0
	}
	n := 0
	for _, w := range words {
		if in[w] {
			n++
		}
	}
	return float64(n) / float64(len(words))
}

func bodyShare(words []string, _ string) float64        { return share(words, bodySet) }
func firstPersonShare(words []string, _ string) float64 { return share(words, firstPerson) }

// speechShare is the share of the text's words that stand between quotation marks: straight double quotes
// open and close in turn, curly ones (“ ”) by their shape.
func speechShare(_ []string, text string) float64 {
	inside, inWord := false, false
	total, quoted := 0, 0
	for _, r := range text {
		switch {
		case r == '"':
			inside = !inside
		case r == '“':
			inside = true
		case r == '”':
			inside = false
		}
		if unicode.IsLetter(r) {
			if !inWord {
				total++
				if inside {
					quoted++
				}
			}
			inWord = true
		} else {
			inWord = false
		}
	}
	if total == 0 {
		return 0
	}
	return float64(quoted) / float64(total)
}

// StyleComponents is how many principal components each trait is correlated with.
const StyleComponents = 3

// TraitResult is one trait over the run's emotions.
type TraitResult struct {
	Name  string `json:"name"`
	About string `json:"about"`
	// Values: the trait's mean over each emotion's stories, in the order of StyleResult.Emotions.
	Values []float64 `json:"values"`
	// PC: Pearson r of Values with the scores of PC1, PC2, ... over all the emotions (PC1 and PC2 oriented
	// as in RatingsResult; past PC2 a component's sign, and so its r's, is arbitrary).
	PC []Float `json:"pc_r"`
	// Valence and Arousal: Pearson r of Values with the human ratings over the rated emotions (NaN, null in
	// JSON, without ratings).
	Valence Float `json:"valence_r"`
	Arousal Float `json:"arousal_r"`
	// Within: Pearson r, over the stories, of the trait with the story's activation along PC1, both taken
	// about their emotion's mean: whether the stories of one emotion that show more of the trait also sit
	// further along PC1 (NaN without the stories' activations).
	Within Float `json:"within_r"`
}

// StyleResult is what CompareStyle found at one layer.
type StyleResult struct {
	Layer    int           `json:"layer"`
	Emotions []string      `json:"emotions"`
	Traits   []TraitResult `json:"traits"`
	// PC1 holds each emotion's score on the (oriented) first principal component, in Emotions order.
	PC1 []float64 `json:"pc1"`
	// Strongest is the trait whose r with PC1 is largest in size.
	Strongest string `json:"strongest"`
	// Partialled compares the human ratings with the PCA of the vectors after Strongest is partialled out:
	// each vector minus its least-squares fit on the trait across the emotions (v_e - (t_e - mean t) b, with
	// b the slope of the vectors on the trait). Nil without ratings, or when it could not be made (Notes).
	Partialled *RatingsResult `json:"partialled,omitempty"`
	Notes      []string       `json:"notes,omitempty"`
}

// CompareStyle measures Traits on every story (texts[i] is the text of st's story i), averages them per
// emotion, and correlates them with the first principal components of the vectors v [E, D] (one row per
// emotion of st) and, when rt is given, with the human ratings; then it compares the ratings (CompareRatings,
// nBoot bootstrap resamples, seeded) with the vectors after the trait PC1 follows most closely is
// partialled out. Every emotion needs at least one story.
func CompareStyle(st *Stories, v *mat.Dense, texts []string, rt *Ratings, nBoot int, seed uint64) (*StyleResult, error) {
	if st == nil || v == nil {
		return nil, errors.New("validate: CompareStyle: nil stories or vectors")
	}
	emotions, labels := st.Emotions, st.Label
	nE, _ := v.Dims()
	if nE != len(emotions) {
		return nil, fmt.Errorf("validate: CompareStyle: %d names for %d vectors", len(emotions), nE)
	}
	if len(texts) != len(labels) {
		return nil, fmt.Errorf("validate: CompareStyle: %d texts for %d stories", len(texts), len(labels))
	}
	if st.X != nil {
		if n, _ := st.X.Dims(); n != len(labels) {
			return nil, fmt.Errorf("validate: CompareStyle: %d activation rows for %d stories", n, len(labels))
		}
	}
	perStory := make([][]float64, len(Traits)) // [trait][story]
	for t := range Traits {
		perStory[t] = make([]float64, len(texts))
	}
	count := make([]int, nE)
	for i, text := range texts {
		if labels[i] < 0 || labels[i] >= nE {
			return nil, fmt.Errorf("validate: CompareStyle: story %d has label %d of %d emotions", i, labels[i], nE)
		}
		words := letterWords(text)
		for t, tr := range Traits {
			perStory[t][i] = tr.Of(words, text)
		}
		count[labels[i]]++
	}
	for e, n := range count {
		if n == 0 {
			return nil, fmt.Errorf("validate: CompareStyle: no story text for %q", emotions[e])
		}
	}
	pca, _, err := orientedPCA(emotions, v, st.Layer)
	if err != nil {
		return nil, err
	}
	var storyPC1 []float64 // each story's activation along PC1
	if st.X != nil {
		var s mat.VecDense
		s.MulVec(st.X, pca.Components.RowView(0))
		storyPC1 = withinEmotion(s.RawVector().Data, labels, nE)
	}
	var rated []int
	var valence, arousal []float64
	if rt != nil {
		var rows []Rating
		rated, rows, _ = rt.match(emotions)
		for _, row := range rows {
			valence, arousal = append(valence, row.Valence), append(arousal, row.Arousal)
		}
	}
	res := &StyleResult{Layer: st.Layer, Emotions: emotions, PC1: mat.Col(nil, 0, pca.Scores)}
	_, nc := pca.Scores.Dims()
	best := -1.0
	for t, tr := range Traits {
		values := make([]float64, nE)
		for i, x := range perStory[t] {
			values[labels[i]] += x / float64(count[labels[i]])
		}
		out := TraitResult{Name: tr.Name, About: tr.About, Values: values,
			Valence: Float(math.NaN()), Arousal: Float(math.NaN()), Within: Float(math.NaN())}
		for c := range min(nc, StyleComponents) {
			out.PC = append(out.PC, pearsonOrNaN(mat.Col(nil, c, pca.Scores), values))
		}
		if len(rated) >= 3 {
			at := make([]float64, len(rated))
			for i, e := range rated {
				at[i] = values[e]
			}
			out.Valence, out.Arousal = pearsonOrNaN(at, valence), pearsonOrNaN(at, arousal)
		}
		if storyPC1 != nil {
			out.Within = pearsonOrNaN(storyPC1, withinEmotion(perStory[t], labels, nE))
		}
		if r := math.Abs(float64(out.PC[0])); r > best { // NaN (a constant trait) is never the strongest
			best, res.Strongest = r, tr.Name
		}
		res.Traits = append(res.Traits, out)
	}
	if rt == nil || res.Strongest == "" {
		return res, nil
	}
	// With few emotions, taking one axis away can leave too little to correlate: that is a note, not a failure.
	if res.Partialled, err = CompareRatings(emotions, partialOut(v, res.Trait(res.Strongest).Values), st.Layer, rt, nBoot, seed); err != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("the ratings with %s partialled out were not compared: %v", res.Strongest, err))
	}
	return res, nil
}

// withinEmotion returns x (one value per story) minus the mean of its emotion's stories.
func withinEmotion(x []float64, labels []int, nE int) []float64 {
	sum := make([]float64, nE)
	n := make([]float64, nE)
	for i, v := range x {
		sum[labels[i]] += v
		n[labels[i]]++
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v - sum[labels[i]]/n[labels[i]]
	}
	return out
}

// pearsonOrNaN is Pearson's r, or NaN where it is undefined (a constant series).
func pearsonOrNaN(x, y []float64) Float {
	r, err := numeric.Pearson(x, y)
	if err != nil {
		return Float(math.NaN())
	}
	return Float(r)
}

// partialOut returns the rows of v [E, D] minus their least-squares fit on the covariate t (one value per
// row, centred here): v_e - (t_e - mean t) b, b = sum_e (t_e - mean t) v_e / sum_e (t_e - mean t)^2. What
// is left is uncorrelated with t along every dimension.
func partialOut(v *mat.Dense, t []float64) *mat.Dense {
	n, _ := v.Dims()
	c := make([]float64, n)
	mean, ss := 0.0, 0.0
	for _, x := range t {
		mean += x / float64(n)
	}
	for i, x := range t {
		c[i] = x - mean
		ss += c[i] * c[i]
	}
	out := mat.DenseCopyOf(v)
	if ss == 0 {
		return out
	}
	cv := mat.NewVecDense(n, c)
	var b mat.VecDense
	b.MulVec(v.T(), cv) // [D]
	b.ScaleVec(1/ss, &b)
	var fit mat.Dense
	fit.Outer(1, cv, &b)
	out.Sub(out, &fit)
	return out
}

// Trait returns the named trait's result, or nil.
func (s *StyleResult) Trait(name string) *TraitResult {
	for i := range s.Traits {
		if s.Traits[i].Name == name {
			return &s.Traits[i]
		}
	}
	return nil
}

// Markdown is the report's section on what PC1 follows.
func (s *StyleResult) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("## What PC1 follows (layer %d)\n\n", s.Layer)
	p("Traits of how each emotion's stories are written (the mean over its stories), against the vectors' first "+
		"principal components (Pearson r over all %d emotions) and the human ratings (over the rated ones):\n\n", len(s.Emotions))
	p("| trait | what it is |")
	for c := range s.Traits[0].PC {
		p(" PC%d |", c+1)
	}
	p(" PC1, within emotions | valence | arousal |\n|---|---|%s---|---|---|\n", strings.Repeat("---|", len(s.Traits[0].PC)))
	for _, t := range s.Traits {
		p("| %s | %s |", t.Name, t.About)
		for _, r := range t.PC {
			p(" %s |", num(r))
		}
		p(" %s | %s | %s |\n", num(t.Within), num(t.Valence), num(t.Arousal))
	}
	p("\n*PC1, within emotions*: r over the stories between the trait and the story's activation along PC1, both " +
		"about their emotion's mean: do the stories of one emotion that show more of the trait sit further along PC1?\n")
	st := s.Trait(s.Strongest)
	if st == nil {
		return b.String()
	}
	p("\nPC1 follows *%s* most closely (r = %s over the emotions, %s within them).", st.Name, num(st.PC[0]), num(st.Within))
	if pr := s.Partialled; pr != nil {
		p(" With it partialled out of the vectors (each vector minus its linear fit on the trait across the "+
			"emotions; the trait is chosen by its r with PC1, not with the ratings), PC1 explains %.0f%% of the "+
			"variance, and:\n\n| | Pearson r | Spearman rho |\n|---|---|---|\n", 100*pr.ExplainedVarianceRatio[0])
		for _, c := range []Correlation{pr.Valence, pr.Arousal} {
			p("| %s vs %s, %s partialled out | %s | %s |\n", c.Component, c.Rating, st.Name, interval(c.Pearson), interval(c.Spearman))
		}
	}
	p("\n")
	for _, n := range s.Notes {
		p("- %s\n", n)
	}
	return b.String()
}
