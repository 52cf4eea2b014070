package generate

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// The text helpers both generation stages use on what the model writes.

// chatterRE matches an opening that addresses the user instead of telling a story. It reads the text as
// it starts (not after an opening quote), so a story that opens with speech ("Sure," she said) passes.
var chatterRE = regexp.MustCompile(`(?i)^[\s*#_]*(?:(?:sure|certainly|of course|absolutely|okay|ok|alright)\s*[,!.:]|` +
	`here(?:'s| is| are)\b|i(?:'d| would| will|'ll|'m| am) (?:be )?(?:happy|glad|delighted) to\b|as an ai\b|` +
	`i'm sorry,? but\b|(?:below|the following) is\b|this is (?:a|my|the) (?:short )?story\b)`)

// IsChatter reports whether text opens by talking to the user ("Sure!", "Here is a story", "I'd be happy
// to") instead of telling a story.
func IsChatter(text string) bool { return chatterRE.MatchString(text) }

// Normalize lowers text and keeps only its letters and digits, one space between words: the form in which
// two stories count as duplicates.
func Normalize(text string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(text) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		} else {
			space = true
		}
	}
	return b.String()
}

// sentenceSplitRE splits text into sentences and lines.
var sentenceSplitRE = regexp.MustCompile(`[.!?…]+|\n+`)

// Loops reports a text that loops, as a small model does when sampling goes wrong: one sentence three
// times or more, or a quarter or more of its sentences repeats of earlier ones.
func Loops(text string) bool {
	seen := map[string]int{}
	total, repeats := 0, 0
	for _, s := range sentenceSplitRE.Split(text, -1) {
		s = Normalize(s)
		if s == "" {
			continue
		}
		total++
		seen[s]++
		if seen[s] > 1 {
			repeats++
		}
		if seen[s] >= 3 {
			return true
		}
	}
	return total >= 4 && repeats*4 >= total
}

// Dedupe keeps the first of texts with the same Normalize form, in order.
func Dedupe(texts []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range texts {
		if k := Normalize(t); !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	return out
}

// Shard returns the items of list that belong to shard i of n: those at positions k with k % n == i.
func Shard[T any](list []T, i, n int) []T {
	if n <= 1 {
		return list
	}
	var out []T
	for k := i; k < len(list); k += n {
		out = append(out, list[k])
	}
	return out
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
