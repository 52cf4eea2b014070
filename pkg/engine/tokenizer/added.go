package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// AddedToken is a token matched whole in the input text before any normalization or pre-tokenization
// (Hugging Face's added_tokens): special tokens such as "<|im_end|>" and plain added ones such as
// "<think>". Flags follow tokenizers' AddedToken.
type AddedToken struct {
	ID      int
	Content string
	Special bool // skipped by Decode(ids, skipSpecial=true)
	// SingleWord: match only when not inside a word (no word character right before or after).
	SingleWord bool
	// LStrip, RStrip: the match swallows the white space on its left / right.
	LStrip, RStrip bool
	// Normalized: matched against the normalized text rather than the raw text.
	Normalized bool
}

// trie finds added tokens in a string, leftmost first and longest at that position (the
// LeftmostLongest Aho-Corasick match kind tokenizers uses).
type trie struct {
	next  map[byte]*trie
	token int       // index into the added tokens; -1: none ends here
	first [256]bool // at the root: bytes some token starts with (most text bytes are skipped with this)
}

func newTrie() *trie { return &trie{next: map[byte]*trie{}, token: -1} }

func (t *trie) insert(s string, token int) {
	t.first[s[0]] = true
	for i := 0; i < len(s); i++ {
		c, ok := t.next[s[i]]
		if !ok {
			c = newTrie()
			t.next[s[i]] = c
		}
		t = c
	}
	t.token = token
}

// longest returns the token index and end of the longest token starting at byte i, or -1.
func (t *trie) longest(s string, i int) (int, int) {
	best, end := -1, i
	for j := i; j < len(s); j++ {
		c, ok := t.next[s[j]]
		if !ok {
			break
		}
		t = c
		if t.token >= 0 {
			best, end = t.token, j+1
		}
	}
	return best, end
}

// segment is a stretch of the input: either an added token (token >= 0) or text to tokenize.
type segment struct {
	text  string
	token int
}

// splitAdded cuts s at the added tokens the trie finds, honouring single_word, lstrip and rstrip as
// tokenizers' AddedVocabulary::find_matches does, and appends the segments to out.
func splitAdded(s string, t *trie, tokens []AddedToken, out []segment) []segment {
	if len(t.next) == 0 || s == "" {
		return append(out, segment{s, -1})
	}
	startOffset := 0
	for i := 0; i < len(s); {
		if !t.first[s[i]] {
			i++
			continue
		}
		k, stop := t.longest(s, i)
		if k < 0 {
			i++
			continue
		}
		start := i
		tok := &tokens[k]
		if tok.SingleWord {
			if (start > 0 && endsWithWordChar(s[:start])) || (stop < len(s) && startsWithWordChar(s[stop:])) {
				i = stop // tokenizers drops this match and searches on after its end
				continue
			}
		}
		next := stop
		if tok.LStrip {
			ns := start
			for ns > 0 {
				r, size := utf8.DecodeLastRuneInString(s[:ns])
				if !unicode.IsSpace(r) {
					break
				}
				ns -= size
			}
			start = max(ns, startOffset)
		}
		if tok.RStrip {
			for stop < len(s) {
				r, size := utf8.DecodeRuneInString(s[stop:])
				if !unicode.IsSpace(r) {
					break
				}
				stop += size
			}
		}
		if startOffset < start {
			out = append(out, segment{s[startOffset:start], -1})
		}
		out = append(out, segment{s[start:stop], k})
		startOffset = stop
		i = max(next, stop)
	}
	if startOffset < len(s) {
		out = append(out, segment{s[startOffset:], -1})
	}
	return out
}

// isWordChar is the regex \w class tokenizers uses for single_word: letters, marks, decimal digits,
// connector punctuation (such as '_') and the joiners U+200C, U+200D.
func isWordChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) ||
		unicode.Is(unicode.Pc, r) || r == 0x200C || r == 0x200D
}

func endsWithWordChar(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return isWordChar(r)
}

func startsWithWordChar(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isWordChar(r)
}
