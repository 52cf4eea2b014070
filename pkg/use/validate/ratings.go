package validate

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/support/numeric"
	"gonum.org/v1/gonum/mat"
)

// Rating is one emotion word's human ratings.
type Rating struct {
	Emotion string
	Valence float64 // pleasantness: high = pleasant
	Arousal float64 // activation: high = excited, low = calm
	Line    int     // line in the file, for messages
}

// Ratings is a table of human ratings, as ReadRatings reads it.
type Ratings struct {
	File string
	Rows []Rating
}

// ReadRatings reads a ratings table: a CSV or TSV file (the delimiter is a tab if the header line holds one,
// else a comma) whose header names the columns "emotion" (or "word"), "valence" and "arousal", in any order,
// case-insensitive; other columns are ignored. Lines starting with '#' and blank lines are skipped: put the
// source, licence and scales there. Any scale works (correlations do not depend on it), but high must mean
// pleasant for valence and excited for arousal. Emotion words are matched to the run's after trimming and
// lower-casing. Errors name the file and line.
//
// The project ships config/data/ratings_warriner2013.tsv (Warriner, Kuperman and Brysbaert 2013: 1-9
// scales, 126 of the 171 emotion words).
func ReadRatings(path string) (*Ratings, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("validate: ratings: %w (validation.ratings_file; \"\" skips the comparison)", err)
	}
	defer f.Close()
	return ParseRatings(f, path)
}

// ParseRatings reads a ratings table (see ReadRatings) from r; name labels messages.
func ParseRatings(r io.Reader, name string) (*Ratings, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	out := &Ratings{File: name}
	cols := map[string]int{}
	delim := ""
	seen := map[string]int{}
	line := 0
	bad := func(format string, args ...any) error {
		return fmt.Errorf("validate: ratings %s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" || strings.HasPrefix(strings.TrimSpace(text), "#") {
			continue
		}
		if delim == "" { // the header
			delim = ","
			if strings.Contains(text, "\t") {
				delim = "\t"
			}
			for i, h := range strings.Split(text, delim) {
				h = strings.ToLower(strings.Trim(strings.TrimSpace(h), `"`))
				if h == "word" {
					h = "emotion"
				}
				if _, dup := cols[h]; dup && h != "" {
					return nil, bad("column %q appears twice in the header", h)
				}
				cols[h] = i
			}
			for _, want := range []string{"emotion", "valence", "arousal"} {
				if _, ok := cols[want]; !ok {
					return nil, bad("the header %q has no %q column: want a header line naming emotion (or word), "+
						"valence and arousal, separated by tabs or commas", text, want)
				}
			}
			continue
		}
		fields := strings.Split(text, delim)
		get := func(col string) (string, error) {
			i := cols[col]
			if i >= len(fields) {
				return "", bad("%d field(s), but column %q is field %d of the header", len(fields), col, i+1)
			}
			return strings.Trim(strings.TrimSpace(fields[i]), `"`), nil
		}
		word, err := get("emotion")
		if err != nil {
			return nil, err
		}
		if word == "" {
			return nil, bad("empty emotion word")
		}
		key := strings.ToLower(word)
		if first, dup := seen[key]; dup {
			return nil, bad("%q rated twice (first at line %d); keep one row per emotion", word, first)
		}
		seen[key] = line
		row := Rating{Emotion: key, Line: line}
		for _, c := range []struct {
			col string
			dst *float64
		}{{"valence", &row.Valence}, {"arousal", &row.Arousal}} {
			s, err := get(c.col)
			if err != nil {
				return nil, err
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, bad("%s of %q is %q: want a number", c.col, word, s)
			}
			*c.dst = v
		}
		out.Rows = append(out.Rows, row)
	}
	if err := sc.Err(); err != nil {
		line++ // the line the scanner could not read
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, bad("the line is over 1 MiB: is this a ratings table?")
		}
		return nil, bad("%v", err)
	}
	if delim == "" {
		return nil, fmt.Errorf("validate: ratings %s: no header line: want a line naming emotion, valence and arousal", name)
	}
	if len(out.Rows) == 0 {
		return nil, fmt.Errorf("validate: ratings %s: a header but no rows", name)
	}
	return out, nil
}

// match pairs a run's emotions with their rows, matching as ReadRatings promises (trimmed, lower-cased):
// rated holds the indices into emotions of those rated, in run order, rows their ratings, and missing
// the emotions without one.
func (rt *Ratings) match(emotions []string) (rated []int, rows []Rating, missing []string) {
	byWord := make(map[string]Rating, len(rt.Rows))
	for _, row := range rt.Rows {
		byWord[row.Emotion] = row
	}
	for i, e := range emotions {
		row, ok := byWord[strings.ToLower(strings.TrimSpace(e))]
		if !ok {
			missing = append(missing, e)
			continue
		}
		rated, rows = append(rated, i), append(rows, row)
	}
	return rated, rows, missing
}

// Correlation compares one principal component's scores with one human rating over the emotions both have.
type Correlation struct {
	Component string           `json:"component"` // "PC1"
	Rating    string           `json:"rating"`    // "valence"
	Pearson   numeric.Interval `json:"pearson"`   // Estimate with a percentile bootstrap interval
	Spearman  numeric.Interval `json:"spearman"`
	// Scores and Ratings are the points of the scatter plot, in the order of RatingsResult.Emotions.
	Scores  []float64 `json:"scores"`
	Ratings []float64 `json:"ratings"`
	// Oriented: the component's sign was decided from the data (pleasant +, or high arousal +) with the
	// lists of package numeric, independently of the ratings; otherwise its sign, and so that of r, is
	// arbitrary.
	Oriented bool `json:"oriented"`
}

// RatingsResult compares the PCA of one layer's emotion vectors with human ratings.
type RatingsResult struct {
	Layer    int      `json:"layer"`
	File     string   `json:"file"`
	Emotions []string `json:"emotions"` // in both the run and the ratings, run order
	Missing  []string `json:"missing"`  // the run's emotions without a rating
	// ExplainedVarianceRatio of PC1 and PC2 over all the run's emotions.
	ExplainedVarianceRatio []float64   `json:"explained_variance_ratio"`
	Valence                Correlation `json:"valence"`
	Arousal                Correlation `json:"arousal"`
	// Readouts: valence, then arousal, read from the first principal components together (see Readout).
	Readouts []Readout `json:"readouts"`
	// Components: each of the first principal components (up to ComponentsShown) against both ratings, to
	// show which axis carries valence when PC1 does not.
	Components []ComponentRatings `json:"components"`
	Level      float64            `json:"level"`
	NBoot      int                `json:"n_boot"`
	Notes      []string           `json:"notes,omitempty"`
}

// CompareRatings runs a PCA of the vectors [E, D] of all the run's emotions (numeric.PCA), orients PC1 by
// valence and PC2 by arousal from the lists of package numeric (as package geometry does), and correlates
// PC1's scores with the ratings' valence and PC2's with their arousal over the emotions both have: Pearson
// and Spearman, each with a 95% percentile bootstrap interval (numeric.BootstrapCI, nBoot resamples of the
// emotions, seeded). At least 3 shared emotions are needed.
//
// The paper reports r = 0.81 (PC1, valence) and 0.66 (PC2, arousal) over 45 emotions.
func CompareRatings(emotions []string, v *mat.Dense, layer int, rt *Ratings, nBoot int, seed uint64) (*RatingsResult, error) {
	if rt == nil || v == nil {
		return nil, errors.New("validate: CompareRatings: nil ratings or vectors")
	}
	if n, _ := v.Dims(); n != len(emotions) {
		return nil, fmt.Errorf("validate: CompareRatings: %d names for %d vectors", len(emotions), n)
	}
	pca, notOriented, err := orientedPCA(emotions, v, layer)
	if err != nil {
		return nil, err
	}
	r := &RatingsResult{Layer: layer, File: rt.File, ExplainedVarianceRatio: pca.ExplainedVarianceRatio[:2], Level: 0.95, NBoot: nBoot}
	r.Valence = Correlation{Component: "PC1", Rating: "valence", Oriented: notOriented[0] == nil}
	r.Arousal = Correlation{Component: "PC2", Rating: "arousal", Oriented: notOriented[1] == nil}
	for i, err := range notOriented {
		if err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("PC%d not oriented (its sign, and that of its r, is arbitrary): %v", i+1, err))
		}
	}
	rated, rows, missing := rt.match(emotions) // rated: rows of the vectors whose emotion is rated
	r.Missing = missing
	for k, i := range rated {
		row := rows[k]
		r.Emotions = append(r.Emotions, emotions[i])
		r.Valence.Scores = append(r.Valence.Scores, pca.Scores.At(i, 0))
		r.Valence.Ratings = append(r.Valence.Ratings, row.Valence)
		r.Arousal.Scores = append(r.Arousal.Scores, pca.Scores.At(i, 1))
		r.Arousal.Ratings = append(r.Arousal.Ratings, row.Arousal)
	}
	if len(r.Emotions) < 3 {
		return nil, fmt.Errorf("validate: ratings %s: only %d of the run's %d emotions are rated (%v): a correlation needs 3 or more",
			rt.File, len(r.Emotions), len(emotions), r.Emotions)
	}
	_, nc := pca.Scores.Dims()
	for c := range min(nc, ComponentsShown) {
		cr := ComponentRatings{Component: fmt.Sprintf("PC%d", c+1), ExplainedVariance: pca.ExplainedVarianceRatio[c]}
		var x []float64
		for _, i := range rated {
			x = append(x, pca.Scores.At(i, c))
		}
		for _, m := range []struct {
			dst *Float
			y   []float64
		}{{&cr.Valence, r.Valence.Ratings}, {&cr.Arousal, r.Arousal.Ratings}} {
			*m.dst = pearsonOrNaN(x, m.y) // NaN: a component with no variance over the rated emotions
		}
		r.Components = append(r.Components, cr)
	}
	if len(r.Emotions) > 5 {
		k := 0 // components that carry variance: a least-squares fit on a numerically empty one is ill-posed
		for _, ev := range pca.ExplainedVarianceRatio {
			if ev > 1e-9 {
				k++
			}
		}
		k = min(k, ReadoutComponents, len(r.Emotions)-4)
		for _, c := range []*Correlation{&r.Valence, &r.Arousal} {
			r.Readouts = append(r.Readouts, readout(pca.Scores, rated, k, c.Ratings, c.Rating))
		}
	}
	for _, c := range []*Correlation{&r.Valence, &r.Arousal} {
		for _, m := range []struct {
			dst  *numeric.Interval
			stat func(x, y []float64) (float64, error)
		}{{&c.Pearson, numeric.Pearson}, {&c.Spearman, numeric.Spearman}} {
			iv, err := numeric.BootstrapCI(c.Scores, c.Ratings, m.stat, nBoot, r.Level, seed)
			if err != nil {
				return nil, fmt.Errorf("validate: %s against %s over %d emotions: %w", c.Component, c.Rating, len(r.Emotions), err)
			}
			*m.dst = iv
		}
	}
	return r, nil
}

// orientedPCA is the PCA of the vectors [E, D] (numeric.PCA) with PC1 oriented by valence and PC2 by arousal
// from the lists of package numeric, as package geometry does; notOriented holds why a component could not
// be oriented (nil when it was).
func orientedPCA(emotions []string, v *mat.Dense, layer int) (pca *numeric.PCAResult, notOriented [2]error, err error) {
	if pca, err = numeric.PCA(v, 0); err != nil {
		return nil, notOriented, fmt.Errorf("validate: layer %d: %w", layer, err)
	}
	if _, k := pca.Scores.Dims(); k < 2 {
		return nil, notOriented, fmt.Errorf("validate: layer %d: the PCA has %d component(s): PC2 needs 3 or more emotions", layer, k)
	}
	_, notOriented[0] = numeric.OrientByValence(pca, emotions, nil, nil)
	_, notOriented[1] = numeric.OrientByArousal(pca, emotions, nil, nil)
	return pca, notOriented, nil
}

// ReadoutComponents is how many principal components a Readout reads from.
const ReadoutComponents = 10

// ComponentsShown is how many principal components RatingsResult.Components correlates with the ratings.
const ComponentsShown = 5

// ComponentRatings is one principal component against both ratings, over the rated emotions: Pearson r.
// Only PC1 and PC2 are oriented (RatingsResult.Valence, Arousal); a later component's sign, and so its r's,
// is arbitrary.
type ComponentRatings struct {
	Component         string  `json:"component"` // "PC3"
	ExplainedVariance float64 `json:"explained_variance_ratio"`
	Valence           Float   `json:"valence_r"`
	Arousal           Float   `json:"arousal_r"`
}

// Readout asks whether a rating is in the vectors at all, where PC1 against valence asks whether it is their
// main axis: ordinary least squares of the rating on the scores of the first Components principal
// components (with an intercept), each emotion predicted by the fit to all the others (leave-one-out); R is
// the Pearson correlation of those predictions with the ratings. No emotion's own rating enters its
// prediction, so R is an honest estimate of how well the rating can be read from the vectors.
type Readout struct {
	Rating     string `json:"rating"`
	Components int    `json:"components"`
	R          Float  `json:"r"` // NaN (null) when the fit fails
}

// readout fits the leave-one-out read-out of y (one value per row of rows) from scores[rows, :k].
func readout(scores *mat.Dense, rows []int, k int, y []float64, rating string) Readout {
	n := len(rows)
	pred := make([]float64, n)
	for i := range rows {
		x := mat.NewDense(n-1, k+1, nil)
		t := mat.NewVecDense(n-1, nil)
		at := 0
		for j, row := range rows {
			if j == i {
				continue
			}
			for c := 0; c < k; c++ {
				x.Set(at, c, scores.At(row, c))
			}
			x.Set(at, k, 1)
			t.SetVec(at, y[j])
			at++
		}
		var w mat.VecDense
		if err := w.SolveVec(x, t); err != nil {
			return Readout{Rating: rating, Components: k, R: Float(math.NaN())}
		}
		p := w.AtVec(k)
		for c := 0; c < k; c++ {
			p += w.AtVec(c) * scores.At(rows[i], c)
		}
		pred[i] = p
	}
	return Readout{Rating: rating, Components: k, R: pearsonOrNaN(pred, y)}
}
