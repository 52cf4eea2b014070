package stories

import (
	"regexp"
	"strings"
)

// Parsing a completion into stories. A completion holds one story (the default) or several separated by a
// delimiter line; either way it may open with chatter, a title or a label, and, when the model ran out of
// tokens, end mid-sentence. The functions here find the candidate stories; Checker judges them.

// delimiterRE matches a line that only separates stories: "###", "***", "---", "===" (3 or more), or a bare
// label such as "Story 2", "**Story 3:**", "2.", "# Story 4".
var delimiterRE = regexp.MustCompile(`(?i)^\s*(?:[#*=_~-]{3,}|[#*\s]*(?:story|tale)\s*#?\s*\d+\s*[:.)]?[*\s]*|\d+[.)])\s*$`)

// Piece is one candidate story cut out of a completion.
type Piece struct {
	Text string
	// Cut is true when the completion hit max_new_tokens inside this piece and Text was cut back to its last
	// complete sentence.
	Cut bool
	// Truncated is true when the piece ran out of tokens and held no complete sentence at all.
	Truncated bool
}

// Split cuts a completion into candidate stories: the text between delimiter lines, trimmed, empty ones
// dropped. stopped says the model ended the completion itself; when it did not, the last piece was cut by the
// token budget and is trimmed back to its last complete sentence (Piece.Cut).
func Split(completion string, stopped bool) []Piece {
	var pieces []Piece
	var cur []string
	flush := func() {
		if t := strings.TrimSpace(strings.Join(cur, "\n")); t != "" {
			pieces = append(pieces, Piece{Text: t})
		}
		cur = cur[:0]
	}
	for _, line := range strings.Split(strings.ReplaceAll(completion, "\r\n", "\n"), "\n") {
		if delimiterRE.MatchString(line) {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	if !stopped && len(pieces) > 0 {
		last := &pieces[len(pieces)-1]
		whole := last.Text
		if cut := CutToSentence(whole); cut == "" {
			last.Truncated = true
		} else {
			last.Text, last.Cut = cut, cut != whole
		}
	}
	return pieces
}

// sentenceEndRE matches the end of a sentence: '.', '!' or '?' (or '…'), then any closing quotes or brackets,
// then white space or the end of the text.
var sentenceEndRE = regexp.MustCompile(`[.!?…]+["'”’)\]]*(?:\s|$)`)

// CutToSentence returns text up to and including its last complete sentence, or "" if it has none.
func CutToSentence(text string) string {
	locs := sentenceEndRE.FindAllStringIndex(text, -1)
	if len(locs) == 0 {
		return ""
	}
	return strings.TrimSpace(text[:locs[len(locs)-1][1]])
}

// titleRE matches a first line that labels the story: "Title: ...", "Story 1: ...", "# Heading", "**Heading**".
var titleRE = regexp.MustCompile(`(?i)^\s*(?:title\s*:|(?:story|tale)\s*#?\s*\d*\s*[:.\-–—]|#+\s|\*\*[^*]+\*\*\s*$)`)

// StripTitle removes a leading title or label line ("Title: The Letter", "**The Letter**", "Story 1:") and
// returns the rest. A short first line without closing punctuation that is followed by more text also counts
// as a title. Text without such a line is returned unchanged.
func StripTitle(text string) string {
	first, rest, ok := strings.Cut(text, "\n")
	if !ok {
		// One line: "Story 1: Once ..." keeps what follows the label.
		if loc := labelPrefixRE.FindStringIndex(text); loc != nil {
			return strings.TrimSpace(text[loc[1]:])
		}
		return text
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return text
	}
	if titleRE.MatchString(first) {
		return rest
	}
	f := strings.TrimSpace(first)
	if n := len(strings.Fields(f)); n > 0 && n <= 10 && !endsSentence(f) {
		return rest
	}
	return text
}

// labelPrefixRE matches "Story 1:" or "Title:" at the start of a one-line story.
var labelPrefixRE = regexp.MustCompile(`(?i)^\s*(?:\*\*)?(?:title|(?:story|tale)\s*#?\s*\d+)\s*:(?:\*\*)?\s*`)

func endsSentence(s string) bool {
	s = strings.TrimRightFunc(s, func(r rune) bool { return strings.ContainsRune(`"'”’)]*`, r) })
	return strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "…")
}

// metaRE matches talk about the story or the task inside the text: the small models comment on their own
// writing ("The story is written in the first person", "This story shows ...").
var metaRE = regexp.MustCompile(`(?i)\b(?:this story|the story (?:is|was|shows|ends|explores|captures|highlights)|in (?:this|the) story|` +
	`the (?:main )?character(?:'s)?\b|the narrator|(?:first|third|second)[ -]person|the emotion|the prompt|word count|` +
	`\bnote\s*:|i hope you|feel free|let me know|the reader|this paragraph)`)
