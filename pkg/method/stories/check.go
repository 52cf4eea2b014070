package stories

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
)

// The reasons only a story can be refused for; the others are package generate's.
const (
	// EmotionWord: the story names the emotion, an inflection of it or a listed synonym (Banned).
	EmotionWord generate.Reason = "emotion-word"
	// Preamble: the text opens by talking to the user ("Sure! Here is a story ...").
	Preamble generate.Reason = "preamble"
	// Meta: the text talks about the story or the task ("This story shows ...", "in the first person").
	Meta generate.Reason = "meta"
)

// Reasons lists every reason a story can be refused for, in the order the summary prints them.
var Reasons = []generate.Reason{EmotionWord, Preamble, Meta, generate.Repetitive, generate.TooShort, generate.Truncated,
	generate.Duplicate, generate.Empty}

// Checker judges the candidate stories of one (emotion, topic) unit, in attempt order: it remembers the
// stories it accepted, to refuse duplicates.
type Checker struct {
	Banned    *Banned
	MinTokens int                     // reading tokens a story needs (token_offset + generate.MinExtraTokens)
	Tokens    func(text string) []int // the reading tokenization (generate.Engine.ReadingTokens)
	kept      map[string]bool
}

// Verdict is the judgement of one candidate.
type Verdict struct {
	Text   string          // the story as kept: title stripped, cut to its last sentence if it was truncated
	Tokens int             // reading tokens of Text (BOS included)
	Reason generate.Reason // "" when kept
	Detail string          // what triggered Reason: the banned word, the token count, ...
}

// Check judges one piece and, when it passes, remembers it for the duplicate check.
func (c *Checker) Check(p Piece) Verdict {
	text := p.Text
	if text == "" {
		return Verdict{Reason: generate.Empty}
	}
	if p.Truncated {
		return Verdict{Text: text, Reason: generate.Truncated, Detail: "no complete sentence"}
	}
	if generate.IsChatter(text) {
		return Verdict{Text: text, Reason: Preamble, Detail: firstLine(text)}
	}
	text = StripTitle(text)
	if m := metaRE.FindString(text); m != "" {
		return Verdict{Text: text, Reason: Meta, Detail: m}
	}
	if generate.Loops(text) {
		return Verdict{Text: text, Reason: generate.Repetitive}
	}
	if w := c.Banned.Find(text); w != "" {
		return Verdict{Text: text, Reason: EmotionWord, Detail: w}
	}
	n := len(c.Tokens(text))
	if n < c.MinTokens {
		r := generate.TooShort
		if p.Cut {
			r = generate.Truncated
		}
		return Verdict{Text: text, Tokens: n, Reason: r, Detail: fmt.Sprintf("%d tokens < %d", n, c.MinTokens)}
	}
	key := generate.Normalize(text)
	if c.kept[key] {
		return Verdict{Text: text, Tokens: n, Reason: generate.Duplicate}
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
