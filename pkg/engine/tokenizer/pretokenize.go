package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Pre-tokenization cuts a text into pieces ("words") before BPE runs inside each piece; merges never
// cross a piece boundary. Hugging Face describes it with regular expressions such as GPT-2's
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// run by the Oniguruma engine. Go's regexp has no look-ahead ((?!\S)) and its \s is ASCII-only, so each
// supported pattern is written out here as a small hand scanner with the same leftmost-first semantics:
// at each position the alternatives are tried in order and the first that matches wins, with greedy
// repetition and the back-tracking the look-ahead implies. Character classes follow Oniguruma's Unicode
// definitions: \p{L} is unicode.IsLetter, \p{N} is unicode.IsNumber, \s is unicode.IsSpace (the Unicode
// White_Space property, the same set Oniguruma uses).

// preStep splits each piece further; pieces are substrings of the text (no copies).
type preStep func(piece string, out []string) []string

// matcher returns the end (exclusive, in bytes) of the match that starts at byte i of s, or i when no
// alternative matches there.
type matcher func(s string, i int) int

// runeAt decodes the rune at byte i, returning -1 at the end of s.
func runeAt(s string, i int) (rune, int) {
	if i >= len(s) {
		return -1, 0
	}
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

func isL(r rune) bool {
	return r >= 0 && (r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') || r >= utf8.RuneSelf && unicode.IsLetter(r))
}
func isN(r rune) bool {
	return r >= 0 && (r < utf8.RuneSelf && '0' <= r && r <= '9' || r >= utf8.RuneSelf && unicode.IsNumber(r))
}
func isS(r rune) bool { return r >= 0 && unicode.IsSpace(r) }

// isOther is [^\s\p{L}\p{N}]: any rune that is not white space, a letter or a number.
func isOther(r rune) bool { return r >= 0 && !isS(r) && !isL(r) && !isN(r) }

// span consumes runes from i while pred holds, at most max runes (max <= 0: no limit).
func span(s string, i int, pred func(rune) bool, max int) int {
	for n := 0; max <= 0 || n < max; n++ {
		r, size := runeAt(s, i)
		if !pred(r) {
			break
		}
		i += size
	}
	return i
}

// whitespaceTail handles the last two alternatives every pattern here ends with, \s+(?!\S)|\s+, at a
// position that holds white space: the run of white space is taken whole when it ends the text, and
// otherwise all but its last rune (which then goes with the word after it), unless it is a single rune.
func whitespaceTail(s string, i int) int {
	j := i
	last := i
	for {
		r, size := runeAt(s, j)
		if !isS(r) {
			break
		}
		last = j
		j += size
	}
	if j == len(s) || last == i {
		return j
	}
	return last
}

// matchGPT2 is the GPT-2 pattern of ByteLevel(use_regex=true):
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func matchGPT2(s string, i int) int {
	r0, n0 := runeAt(s, i)
	if r0 == '\'' {
		if e := contraction(s, i+1, false); e > 0 {
			return e
		}
	}
	k := i
	if r0 == ' ' {
		k += n0
	}
	r1, _ := runeAt(s, k)
	switch {
	case isL(r1):
		return span(s, k, isL, 0)
	case isN(r1):
		return span(s, k, isN, 0)
	case isOther(r1):
		return span(s, k, isOther, 0)
	}
	if isS(r0) {
		return whitespaceTail(s, i)
	}
	return i
}

// contraction matches s|t|re|ve|m|ll|d at byte i (just after an apostrophe) and returns the end, or 0.
// With fold, letters match case-insensitively as Oniguruma's (?i:...) does, including the long s 'ſ'
// (U+017F), whose case fold is 's'.
func contraction(s string, i int, fold bool) int {
	eq := func(r rune, want rune) bool {
		if r == want {
			return true
		}
		if !fold {
			return false
		}
		return r == unicode.ToUpper(want) || (want == 's' && r == 'ſ')
	}
	r1, n1 := runeAt(s, i)
	switch {
	case eq(r1, 's'), eq(r1, 't'), eq(r1, 'm'), eq(r1, 'd'):
		return i + n1
	}
	r2, n2 := runeAt(s, i+n1)
	switch {
	case eq(r1, 'r') && eq(r2, 'e'), eq(r1, 'v') && eq(r2, 'e'), eq(r1, 'l') && eq(r2, 'l'):
		return i + n1 + n2
	}
	return 0
}

// llama3Matcher is the Llama 3 pattern (maxDigits 3) and the Qwen 2 pattern (maxDigits 1):
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func llama3Matcher(maxDigits int) matcher {
	isNL := func(r rune) bool { return r == '\r' || r == '\n' }
	return func(s string, i int) int {
		r0, n0 := runeAt(s, i)
		if r0 == '\'' {
			if e := contraction(s, i+1, true); e > 0 {
				return e
			}
		}
		// [^\r\n\p{L}\p{N}]?\p{L}+
		if isL(r0) {
			return span(s, i, isL, 0)
		}
		if !isNL(r0) && !isN(r0) {
			if r1, _ := runeAt(s, i+n0); isL(r1) {
				return span(s, i+n0, isL, 0)
			}
		}
		// \p{N}{1,3}
		if isN(r0) {
			return span(s, i, isN, maxDigits)
		}
		// ' ?[^\s\p{L}\p{N}]+[\r\n]*'
		k := i
		if r0 == ' ' {
			k += n0
		}
		if r1, _ := runeAt(s, k); isOther(r1) {
			return span(s, span(s, k, isOther, 0), isNL, 0)
		}
		if !isS(r0) {
			return i
		}
		// \s*[\r\n]+: the white-space run up to and including its last line break.
		end := -1
		for j := i; ; {
			r, size := runeAt(s, j)
			if !isS(r) {
				break
			}
			j += size
			if isNL(r) {
				end = j
			}
		}
		if end > 0 {
			return end
		}
		return whitespaceTail(s, i)
	}
}

// splitIsolated cuts s at the matches of m, keeping both the matches and the text between them as pieces
// (Hugging Face's SplitDelimiterBehavior::Isolated).
func splitIsolated(m matcher) preStep {
	return func(s string, out []string) []string {
		scanMatches(s, m, func(piece string, _ bool) { out = append(out, piece) })
		return out
	}
}

// splitMergedWithPrevious splits at each match and glues the match to the piece before it (Hugging
// Face's MergedWithPrevious): "a-b--c" on "-" gives "a-", "b-", "-", "c". A match right after
// another match, or at the start, stays a piece of its own.
func splitMergedWithPrevious(m matcher) preStep {
	return func(s string, out []string) []string {
		start, prevMatch := len(out), false
		scanMatches(s, m, func(piece string, match bool) {
			if match && !prevMatch && len(out) > start {
				out[len(out)-1] += piece
			} else {
				out = append(out, piece)
			}
			prevMatch = match
		})
		return out
	}
}

// scanMatches walks s from left to right and hands each piece to visit in order: the text
// between matches (match false) and each match of m (match true); together they are s.
func scanMatches(s string, m matcher, visit func(piece string, match bool)) {
	gap := 0
	for i := 0; i < len(s); {
		e := m(s, i)
		if e <= i {
			_, size := runeAt(s, i)
			i += size
			continue
		}
		if gap < i {
			visit(s[gap:i], false)
		}
		visit(s[i:e], true)
		i, gap = e, e
	}
	if gap < len(s) {
		visit(s[gap:], false)
	}
}

// classRun matches a maximal run of runes of one class (or one rune when individual).
func classRun(pred func(rune) bool, individual bool) matcher {
	max := 0
	if individual {
		max = 1
	}
	return func(s string, i int) int { return span(s, i, pred, max) }
}

// asciiTriples matches [0-9][0-9][0-9].
func asciiTriples(s string, i int) int {
	if i+3 <= len(s) && isASCIIDigit(s[i]) && isASCIIDigit(s[i+1]) && isASCIIDigit(s[i+2]) {
		return i + 3
	}
	return i
}

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

// isPunctLlamaDefault is [\p{P}\$\+<=>\^~\|], the first split of llama.cpp's "default" pre-tokenizer.
func isPunctLlamaDefault(r rune) bool {
	switch r {
	case '$', '+', '<', '=', '>', '^', '~', '|':
		return true
	}
	return r >= 0 && unicode.IsPunct(r)
}

// prefixSpace is ByteLevel's add_prefix_space: a piece that does not start with a space gets one.
func prefixSpace(s string, out []string) []string {
	if len(s) > 0 && s[0] == ' ' {
		return append(out, s)
	}
	return append(out, " "+s)
}

// knownRegexes maps the Split patterns found in real tokenizer.json files to their scanners.
var knownRegexes = map[string]matcher{
	`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`:                                          matchGPT2,
	`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`: llama3Matcher(3),
	`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`:      llama3Matcher(1),
	`\p{N}`:      classRun(isN, true),
	`\p{N}{1,3}`: func(s string, i int) int { return span(s, i, isN, 3) },
	`\p{N}+`:     classRun(isN, false),
}

// runPre applies the steps in order to every piece, like Hugging Face's pre_tokenizers.Sequence.
func runPre(steps []preStep, text string, buf []string) []string {
	pieces := append(buf[:0], text)
	var next []string
	for _, st := range steps {
		next = next[:0]
		for _, p := range pieces {
			next = st(p, next)
		}
		pieces, next = next, pieces
	}
	return pieces
}
