package validate

import (
	"math"
	"sort"
	"strings"
	"unicode"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// The bag-of-words baseline: the stories' words alone, as TF-IDF vectors, classified by a logistic probe
// like the activations' (C = WordsC). It needs no model. Where it does as well as the probe on the activations, the
// emotions are told apart by surface words (a story for "sad" says "funeral"); the gap between the two is
// what the model's representation adds.
//
// TF-IDF as scikit-learn's TfidfVectorizer() does it by default: tokens are runs of two or more letters or
// digits, lower-cased; tf is the raw count; idf = ln((1 + n) / (1 + df)) + 1 over the n training texts; each
// row is scaled to unit length. The vocabulary is the training texts' words used in at least MinDF of them
// (scikit-learn's default is 1; 2 keeps the probe's size in bounds and drops words no test can share anyway).

// MinDF is the fewest training texts a word must appear in to join the vocabulary.
const MinDF = 2

// WordsC is the words probe's inverse regularisation strength. Unit-length TF-IDF rows are small numbers:
// at scikit-learn's default C = 1 the probe underfits them (topic folds of the shipped corpus: top-1 0.05
// in scikit-learn 1.9, against 0.12 at C = 10 and 0.13 at C = 100), so the baseline is given the C that
// serves it, not the activations' default: a baseline tuned in its favour makes the comparison harder for
// the model, not easier.
const WordsC = 10.0

// tokens splits text as TfidfVectorizer's default token pattern \b\w\w+\b does, lower-cased.
func tokens(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
	}) {
		if len([]rune(w)) >= 2 {
			out = append(out, w)
		}
	}
	return out
}

// tfidf is a fitted vocabulary with its idf weights.
type tfidf struct {
	vocab map[string]int
	idf   []float64
}

// fitTFIDF learns the vocabulary and idf of docs (tokenized).
func fitTFIDF(docs [][]string) *tfidf {
	df := map[string]int{}
	for _, d := range docs {
		seen := map[string]bool{}
		for _, w := range d {
			if !seen[w] {
				seen[w] = true
				df[w]++
			}
		}
	}
	var words []string
	for w, n := range df {
		if n >= MinDF {
			words = append(words, w)
		}
	}
	sort.Strings(words)
	t := &tfidf{vocab: make(map[string]int, len(words)), idf: make([]float64, len(words))}
	n := float64(len(docs))
	for j, w := range words {
		t.vocab[w] = j
		t.idf[j] = math.Log((1+n)/(1+float64(df[w]))) + 1
	}
	return t
}

// transform gives the unit-length TF-IDF rows of docs over the fitted vocabulary.
func (t *tfidf) transform(docs [][]string) *sparseRows {
	s := &sparseRows{d: len(t.idf), start: []int{0}}
	for _, d := range docs {
		count := map[int]float64{}
		for _, w := range d {
			if j, ok := t.vocab[w]; ok {
				count[j]++
			}
		}
		cols := make([]int, 0, len(count))
		for j := range count {
			cols = append(cols, j)
		}
		sort.Ints(cols)
		norm := 0.0
		for _, j := range cols {
			v := count[j] * t.idf[j]
			s.col, s.val = append(s.col, j), append(s.val, v)
			norm += v * v
		}
		if norm > 0 {
			inv := 1 / math.Sqrt(norm)
			for i := s.start[len(s.start)-1]; i < len(s.val); i++ {
				s.val[i] *= inv
			}
		}
		s.start = append(s.start, len(s.col))
	}
	return s
}

// sparseRows is a matrix stored by rows (compressed sparse rows): row i's entries are col/val[start[i]:start[i+1]].
type sparseRows struct {
	d          int
	start, col []int
	val        []float64
}

func (s *sparseRows) Dims() (int, int) { return len(s.start) - 1, s.d }

// Logits sets dst [n, K] = S W^T. W [K, D] is read transposed (W^T [D, K], copied once per call), so that
// each stored entry (i, j) adds a contiguous row of W^T to row i: rows of a vocabulary-wide W are far apart
// in memory, its columns farther.
func (s *sparseRows) Logits(dst, W *mat.Dense) {
	n, _ := s.Dims()
	k, _ := W.Dims()
	wt := transposed(W) // [D, K]
	for i := 0; i < n; i++ {
		row := dst.RawRowView(i)
		for c := range row {
			row[c] = 0
		}
		for e := s.start[i]; e < s.start[i+1]; e++ {
			floats.AddScaled(row, s.val[e], wt[s.col[e]*k:s.col[e]*k+k]) // gonum's assembly axpy
		}
	}
}

// GradW sets dst [K, D] = G^T S, summed into a [D, K] buffer row by row (contiguous, as in Logits) and
// transposed at the end.
func (s *sparseRows) GradW(dst, G *mat.Dense) {
	n, d := s.Dims()
	k, _ := dst.Dims()
	acc := mat.NewDense(d, k, nil)
	a := acc.RawMatrix().Data
	for i := 0; i < n; i++ {
		g := G.RawRowView(i)
		for e := s.start[i]; e < s.start[i+1]; e++ {
			floats.AddScaled(a[s.col[e]*k:s.col[e]*k+k], s.val[e], g)
		}
	}
	dst.Copy(acc.T())
}

// wordsClassifier scores stories with the logistic probe on their TF-IDF rows, vocabulary and idf fitted
// on the training stories only.
func wordsClassifier(docs [][]string, labels []int, nClasses int) foldClassifier {
	return func(train, test []int) (*mat.Dense, error) {
		remap, p := present(labels, train, nClasses)
		if p < 2 {
			return onlyClass(len(test), remap), nil
		}
		pick := func(idx []int) [][]string {
			out := make([][]string, len(idx))
			for j, i := range idx {
				out[j] = docs[i]
			}
			return out
		}
		t := fitTFIDF(pick(train))
		if len(t.idf) == 0 { // no word in MinDF training texts (a tiny run): nothing to learn, every emotion ties
			return spread(mat.NewDense(len(test), p, nil), remap), nil
		}
		y := make([]int, len(train))
		for j, i := range train {
			y[j] = remap[labels[i]]
		}
		W, b, _, err := fitSoftmax(t.transform(pick(train)), y, p, WordsC, quickFit())
		if err != nil {
			return nil, err
		}
		xt := t.transform(pick(test))
		m, _ := xt.Dims()
		scores := mat.NewDense(m, p, nil)
		xt.Logits(scores, W)
		for i := 0; i < m; i++ {
			row := scores.RawRowView(i)
			for c := range row {
				row[c] += b[c]
			}
		}
		return spread(scores, remap), nil
	}
}
