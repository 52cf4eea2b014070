package stories

import (
	"regexp"
	"sort"
	"strings"
)

// Banned finds the words a story about one emotion must not contain: the emotion word, its direct synonyms
// (config/synonyms.yaml) and the regular inflections of both. Matching is on whole words, case-insensitive,
// so "sad" bans "sadly" and "sadness" but not "Sadie".
type Banned struct {
	words   map[string]bool  // single words, lower case
	phrases []*regexp.Regexp // multi-word terms ("at ease", "worn out"), spaces or hyphens between words
}

// NewBanned builds the matcher for emotion and its synonyms. Inflections come from suffix rules (see
// Inflections); irregular forms ("anger" for "angry", "fear" for "afraid") must be listed as synonyms.
func NewBanned(emotion string, synonyms []string) *Banned {
	b := &Banned{words: map[string]bool{}}
	for _, term := range append([]string{emotion}, synonyms...) {
		term = strings.ToLower(strings.TrimSpace(term))
		if term == "" {
			continue
		}
		parts := strings.Fields(term)
		if len(parts) == 1 {
			for _, w := range Inflections(term) {
				b.words[w] = true
			}
			// "self-confident" is also written "self confident"; both forms are caught by the phrase rule.
			if !strings.Contains(term, "-") {
				continue
			}
			parts = strings.Split(term, "-")
		}
		// A phrase: the last word may be inflected ("worn out" has none that matter; "self-confidently").
		last := Inflections(parts[len(parts)-1])
		for i := range last {
			last[i] = regexp.QuoteMeta(last[i])
		}
		head := make([]string, len(parts)-1)
		for i, p := range parts[:len(parts)-1] {
			head[i] = regexp.QuoteMeta(p)
		}
		expr := `(?i)\b` + strings.Join(head, `[\s-]+`) + `[\s-]+(?:` + strings.Join(last, "|") + `)\b`
		b.phrases = append(b.phrases, regexp.MustCompile(expr))
	}
	return b
}

// Find returns the first banned word or phrase in text, as written there, or "" if there is none.
func (b *Banned) Find(text string) string {
	for _, re := range b.phrases {
		if m := re.FindString(text); m != "" {
			return m
		}
	}
	for _, w := range words(text) {
		if b.words[strings.ToLower(w)] {
			return w
		}
	}
	return ""
}

// words splits text into runs of letters, digits and apostrophes ("don't" is one word; "self-aware" two).
func words(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return !(r == '\'' || r == '’' || isWordRune(r))
	})
}

func isWordRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r > 127 && r != '’' && r != '“' && r != '”' && r != '—' && r != '–' && r != '…'
}

// Suffix rules. A word's stems are the word itself and the word with one ending undone: a final "e" dropped
// (excite -> excit-ing), a final "y" turned to "i" (angry -> angri-ly) or dropped (guilty -> guilt), or a
// derivational ending removed (excited -> excite, hopeful -> hope, sadness -> sad). Each stem is combined with
// the endings below. Stems that drop a final "e" take only endings that start with a vowel (hop-ing, not
// hop-s). Forms that are not English words are harmless: they never match.
var (
	suffixes      = []string{"s", "es", "ed", "d", "ing", "ly", "ness", "y", "ful", "fully", "ment", "ments", "ity", "er", "est", "ion", "ation", "ally"}
	vowelSuffixes = []string{"ed", "ing", "er", "est", "ion", "ation", "ity", "y"}
	iSuffixes     = []string{"ly", "ness", "ed", "es", "er", "est", "ful"}
	// strippable are the endings removed to find a stem, with what replaces them.
	strippable = []struct{ end, repl string }{
		{"ied", "y"}, {"ed", ""}, {"ed", "e"}, {"ing", ""}, {"ing", "e"}, {"ly", ""}, {"ness", ""}, {"ful", ""},
		{"ment", ""}, {"ity", ""}, {"s", ""}, {"y", ""},
	}
)

// Inflections returns word (lower case) and its regular inflections, sorted:
// Inflections("angry") holds "angry", "angrily", "angrier", "angriness", ...; Inflections("hopeful") holds
// "hope", "hoped", "hoping", "hopefully", "hopefulness", ...
//
// A stem must keep at least 4 letters (3 for a dropped final "e"), so short words do not spawn unrelated ones.
func Inflections(word string) []string {
	word = strings.ToLower(word)
	set := map[string]bool{word: true}
	add := func(stem string, ends []string) {
		for _, e := range ends {
			set[stem+e] = true
		}
	}
	addStem := func(stem string) {
		add(stem, suffixes)
		if strings.HasSuffix(stem, "e") && len(stem) >= 4 {
			add(stem[:len(stem)-1], vowelSuffixes)
		}
		if strings.HasSuffix(stem, "y") && len(stem) >= 4 {
			add(stem[:len(stem)-1]+"i", iSuffixes)
		}
		if strings.HasSuffix(stem, "ic") {
			add(stem, []string{"ally"})
		}
	}
	addStem(word)
	for _, s := range strippable {
		if !strings.HasSuffix(word, s.end) {
			continue
		}
		stem := word[:len(word)-len(s.end)] + s.repl
		if len(stem) < 4 || stem == word {
			continue
		}
		set[stem] = true
		addStem(stem)
	}
	out := make([]string, 0, len(set))
	for w := range set {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}
