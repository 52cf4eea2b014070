package stories

import "fmt"

// Reason says why a candidate story was not kept. The values are stable: they are written to the stage's
// files and counted in the Summary.
type Reason string

const (
	// EmotionWord: the story names the emotion, an inflection of it or a listed synonym (Banned).
	EmotionWord Reason = "emotion-word"
	// Preamble: the text opens by talking to the user ("Sure! Here is a story ...").
	Preamble Reason = "preamble"
	// Meta: the text talks about the story or the task ("This story shows ...", "in the first person").
	Meta Reason = "meta"
	// Repetitive: the text loops (a sentence three times, or a quarter of its sentences repeated).
	Repetitive Reason = "repetitive"
	// TooShort: fewer reading tokens than token_offset + MinExtraTokens, so too few positions to average.
	TooShort Reason = "too-short"
	// Truncated: the completion hit max_new_tokens and what is left after cutting it back to its last complete
	// sentence is too short (or there is no complete sentence).
	Truncated Reason = "truncated"
	// Duplicate: the same text (Normalize) as a story already kept for this emotion and topic.
	Duplicate Reason = "duplicate"
	// Empty: the completion held no text at all.
	Empty Reason = "empty"
)

// Reasons lists every Reason in the order the summary prints them.
var Reasons = []Reason{EmotionWord, Preamble, Meta, Repetitive, TooShort, Truncated, Duplicate, Empty}

// MinExtraTokens is how many reading tokens a story needs beyond token_offset: the activation mean of a text
// starts at token_offset, so a shorter story would give a mean over too few positions (or none).
const MinExtraTokens = 30

// Checker judges the candidate stories of one (emotion, topic) unit, in attempt order: it remembers the
// stories it accepted, to refuse duplicates.
type Checker struct {
	Banned    *Banned
	MinTokens int                     // reading tokens a story needs (token_offset + MinExtraTokens)
	Tokens    func(text string) []int // the reading tokenization (Engine.ReadingTokens)
	kept      map[string]bool
}

// Verdict is the judgement of one candidate.
type Verdict struct {
	Text   string // the story as kept: title stripped, cut to its last sentence if it was truncated
	Tokens int    // reading tokens of Text (BOS included)
	Reason Reason // "" when kept
	Detail string // what triggered Reason: the banned word, the token count, ...
}

// Check judges one piece and, when it passes, remembers it for the duplicate check.
func (c *Checker) Check(p Piece) Verdict {
	text := p.Text
	if text == "" {
		return Verdict{Reason: Empty}
	}
	if p.Truncated {
		return Verdict{Text: text, Reason: Truncated, Detail: "no complete sentence"}
	}
	if IsChatter(text) {
		return Verdict{Text: text, Reason: Preamble, Detail: firstLine(text)}
	}
	text = StripTitle(text)
	if m := metaRE.FindString(text); m != "" {
		return Verdict{Text: text, Reason: Meta, Detail: m}
	}
	if Loops(text) {
		return Verdict{Text: text, Reason: Repetitive}
	}
	if w := c.Banned.Find(text); w != "" {
		return Verdict{Text: text, Reason: EmotionWord, Detail: w}
	}
	n := len(c.Tokens(text))
	if n < c.MinTokens {
		r := TooShort
		if p.Cut {
			r = Truncated
		}
		return Verdict{Text: text, Tokens: n, Reason: r, Detail: fmt.Sprintf("%d tokens < %d", n, c.MinTokens)}
	}
	key := Normalize(text)
	if c.kept[key] {
		return Verdict{Text: text, Tokens: n, Reason: Duplicate}
	}
	if c.kept == nil {
		c.kept = map[string]bool{}
	}
	c.kept[key] = true
	return Verdict{Text: text, Tokens: n}
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			s = s[:i]
			break
		}
	}
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "..."
	}
	return s
}
