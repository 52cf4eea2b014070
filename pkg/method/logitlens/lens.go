package logitlens

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unembedder maps residual-stream vectors [N][D] to logits [N][V]: the model's final norm, then its
// unembedding (lm_head). *lm.Model implements it.
type Unembedder interface {
	Unembed(vectors [][]float32) ([][]float32, error)
}

// Vocabulary names token ids. *tokenizer.Tokenizer (lm.Model.Tokenizer) implements it.
type Vocabulary interface {
	TokenText(id int) string // the bytes the token stands for (" grief"); may be invalid UTF-8
	IsSpecial(id int) bool   // control tokens: <|endoftext|>, <|im_start|> ...
	VocabSize() int          // ids 0..VocabSize()-1 have text; a model's logits may have more (padding rows)
}

// Filter says which tokens may appear in a ranking. The zero value filters both kinds, as the paper's tables
// do implicitly: they show words.
type Filter struct {
	// KeepSpecial keeps special tokens (<|im_start|>, ...), dropped by default.
	KeepSpecial bool
	// KeepUnreadable keeps tokens that are not readable text, dropped by default: see Readable.
	KeepUnreadable bool
}

// Token is one token of a ranking.
type Token struct {
	ID int `json:"id"`
	// Text is the token's text (TokenText: " grief", not "Ġgrief"). Only with KeepUnreadable can it be invalid
	// UTF-8 (part of a multi-byte character); JSON then stores those bytes as U+FFFD, and ID stays exact.
	Text  string  `json:"text"`
	Logit float64 `json:"logit"`
}

// Entry is one emotion's logit lens: the tokens its vector promotes most and suppresses most.
type Entry struct {
	Emotion string  `json:"emotion"`
	Top     []Token `json:"top"`    // [k] highest logits first
	Bottom  []Token `json:"bottom"` // [k] lowest logits first; disjoint from Top
	// Mean and Std of the logits over the eligible tokens: a logit reads as large only against these.
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// Readable reports whether a token's text is worth showing as a word: valid UTF-8, not empty or whitespace
// only, and not made only of punctuation and spaces, or of math, currency or modifier symbols ("=", "$", "^")
// and spaces. Other symbols (emoji, "♥") and anything with a letter or digit are readable.
func Readable(text string) bool {
	if !utf8.ValidString(text) || strings.TrimSpace(text) == "" {
		return false
	}
	for _, r := range text {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.In(r, unicode.Sm, unicode.Sc, unicode.Sk) {
			continue
		}
		return true
	}
	return false
}

// Eligible lists the token ids 0..min(nLogits, vocab.VocabSize())-1 that pass the filter, in increasing order.
// Ids beyond the vocabulary (padding rows of the unembedding) have no text and are never eligible.
func Eligible(vocab Vocabulary, nLogits int, f Filter) []int {
	n := min(nLogits, vocab.VocabSize())
	out := make([]int, 0, n)
	for id := range n {
		if !f.KeepSpecial && vocab.IsSpecial(id) {
			continue
		}
		if !f.KeepUnreadable && !Readable(vocab.TokenText(id)) {
			continue
		}
		out = append(out, id)
	}
	return out
}

// Rank returns the k highest and the k lowest logits among the eligible ids, each list in rank order (ties
// broken by smaller id first), the bottom list never repeating a token of the top list: with fewer than 2k
// eligible tokens it gets what is left. It runs in O(len(eligible) k), not a full sort.
func Rank(emotion string, logits []float32, eligible []int, k int, vocab Vocabulary) (Entry, error) {
	e := Entry{Emotion: emotion, Top: []Token{}, Bottom: []Token{}}
	var sum, sq float64
	for _, id := range eligible {
		if id < 0 || id >= len(logits) {
			return e, fmt.Errorf("logitlens: %s: eligible id %d outside the %d logits", emotion, id, len(logits))
		}
		v := float64(logits[id])
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return e, fmt.Errorf("logitlens: %s: logit of token %d is %v: the vector or the model is broken", emotion, id, v)
		}
		sum += v
		sq += v * v
	}
	if n := float64(len(eligible)); n > 0 {
		e.Mean = sum / n
		e.Std = math.Sqrt(max(0, sq/n-e.Mean*e.Mean))
	}
	higher := func(a, b int) bool { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b) }
	lower := func(a, b int) bool { return logits[a] < logits[b] || (logits[a] == logits[b] && a < b) }
	top := selectK(eligible, k, higher, nil)
	taken := make(map[int]bool, len(top))
	for _, id := range top {
		taken[id] = true
	}
	bottom := selectK(eligible, k, lower, taken)
	tok := func(id int) Token {
		text := vocab.TokenText(id)
		return Token{ID: id, Text: text, Logit: float64(logits[id])}
	}
	for _, id := range top {
		e.Top = append(e.Top, tok(id))
	}
	for _, id := range bottom {
		e.Bottom = append(e.Bottom, tok(id))
	}
	return e, nil
}

// selectK returns the k best ids by before (a total order), best first, skipping ids in skip: a sorted buffer
// of k with insertion.
func selectK(ids []int, k int, before func(a, b int) bool, skip map[int]bool) []int {
	buf := make([]int, 0, k+1)
	for _, id := range ids {
		if skip[id] || k <= 0 {
			continue
		}
		if len(buf) == k && !before(id, buf[k-1]) {
			continue
		}
		i := len(buf)
		for i > 0 && before(id, buf[i-1]) {
			i--
		}
		buf = append(buf, 0)
		copy(buf[i+1:], buf[i:])
		buf[i] = id
		if len(buf) > k {
			buf = buf[:k]
		}
	}
	return buf
}

// Lens passes each vector through the model's final norm and unembedding and ranks the tokens: the logit lens
// of the emotion vectors (names [N], vectors [N][D]). The vectors themselves, not their difference from a
// mean, as in the paper.
func Lens(u Unembedder, vocab Vocabulary, names []string, vectors [][]float32, k int, f Filter) ([]Entry, error) {
	out, _, err := lens(u, vocab, names, vectors, k, f)
	return out, err
}

// lens is Lens, also returning how many tokens were eligible.
func lens(u Unembedder, vocab Vocabulary, names []string, vectors [][]float32, k int, f Filter) ([]Entry, int, error) {
	if len(names) != len(vectors) {
		return nil, 0, fmt.Errorf("logitlens: %d names for %d vectors", len(names), len(vectors))
	}
	if k < 1 {
		return nil, 0, fmt.Errorf("logitlens: top k %d must be >= 1 (analysis.logit_lens_top_k)", k)
	}
	if len(vectors) == 0 {
		return []Entry{}, 0, nil
	}
	logits, err := u.Unembed(vectors)
	if err != nil {
		return nil, 0, fmt.Errorf("logitlens: %w", err)
	}
	if len(logits) != len(vectors) {
		return nil, 0, fmt.Errorf("logitlens: the model gave %d rows of logits for %d vectors", len(logits), len(vectors))
	}
	eligible := Eligible(vocab, len(logits[0]), f)
	out := make([]Entry, len(names))
	for i, name := range names {
		if len(logits[i]) != len(logits[0]) {
			return nil, 0, fmt.Errorf("logitlens: logits row %d has %d values, row 0 has %d", i, len(logits[i]), len(logits[0]))
		}
		if out[i], err = Rank(name, logits[i], eligible, k, vocab); err != nil {
			return nil, 0, err
		}
	}
	return out, len(eligible), nil
}
