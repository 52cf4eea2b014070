package stories

import (
	"regexp"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
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
			for _, w := range generate.Inflections(term) {
				b.words[w] = true
			}
			// "self-confident" is also written "self confident"; both forms are caught by the phrase rule.
			if !strings.Contains(term, "-") {
				continue
			}
			parts = strings.Split(term, "-")
		}
		// A phrase: the last word may be inflected ("worn out" has none that matter; "self-confidently").
		last := generate.Inflections(parts[len(parts)-1])
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
