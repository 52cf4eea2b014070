package neutral

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
)

// Speaker labels, exactly as they appear in the kept dialogues (docs/method.md: "Human:" and "Assistant:").
const (
	Human     = "Human"
	Assistant = "Assistant"
)

// Turn is one speaker's turn.
type Turn struct {
	Speaker string // Human or Assistant
	Text    string
}

// labelRE matches a line that starts a turn. Small models write the labels in many ways ("**Human:**",
// "User:", "AI:"); all are read as the two speakers and written back exactly.
var labelRE = regexp.MustCompile(`(?i)^\s*(?:[*_]{1,2})?\s*(human|user|ai assistant|assistant|ai)\s*(?:[*_]{1,2})?\s*:\s*(?:[*_]{1,2}\s*)?(.*)$`)

// ParseTurns reads a completion as labelled turns. Lines before the first label (the model's "Here is a
// dialogue:") are returned as pre and are not part of any turn; lines without a label continue the turn
// above them.
func ParseTurns(completion string) (pre string, turns []Turn) {
	var preLines []string
	for _, line := range strings.Split(strings.ReplaceAll(completion, "\r\n", "\n"), "\n") {
		if m := labelRE.FindStringSubmatch(line); m != nil {
			sp := Human
			if l := strings.ToLower(m[1]); l != "human" && l != "user" {
				sp = Assistant
			}
			turns = append(turns, Turn{Speaker: sp, Text: m[2]})
			continue
		}
		if len(turns) == 0 {
			preLines = append(preLines, line)
			continue
		}
		t := &turns[len(turns)-1]
		t.Text += "\n" + line
	}
	for i := range turns {
		turns[i].Text = strings.TrimSpace(turns[i].Text)
	}
	return strings.TrimSpace(strings.Join(preLines, "\n")), turns
}

// Format writes a dialogue: the optional system line, then each turn as "Human: ..." or "Assistant: ...",
// separated by blank lines.
func Format(systemLine string, turns []Turn) string {
	var parts []string
	if systemLine != "" {
		parts = append(parts, systemLine)
	}
	for _, t := range turns {
		parts = append(parts, t.Speaker+": "+t.Text)
	}
	return strings.Join(parts, "\n\n")
}

// Reasons a dialogue is not kept, beyond those shared with the stories (generate.TooShort, Truncated,
// Repetitive).
const (
	// EmptyTurn: a turn came out empty (or only chatter).
	EmptyTurn generate.Reason = "empty-turn"
	// Emotional: a word that names or shows a feeling (Feelings).
	Emotional generate.Reason = "emotional"
	// Pleasantry: a greeting, thanks, an apology, "Hello!" and the like.
	Pleasantry generate.Reason = "pleasantry"
)

// Reasons lists the reasons of this package in the order the summary prints them.
var Reasons = []generate.Reason{Structure, EmptyTurn, Emotional, Pleasantry, generate.Repetitive, generate.TooShort, generate.Truncated}

// interjectionRE matches a bare opening interjection of an answer ("Sure!", "Certainly.", "Great
// question!"), which CleanTurn removes: it carries no content, and refusing every answer that starts so would
// refuse most of a small model's answers.
var interjectionRE = regexp.MustCompile(`(?i)^(?:sure|certainly|of course|absolutely|okay|ok|great question|good question)\s*[!.,]\s*`)

// questionLineRE finds a labelled question line, which small models write under a restated subject.
var questionLineRE = regexp.MustCompile(`(?im)^\W*(?:question|request|message)\s*:\s*(.+)$`)

// userSaysRE finds the quoted request in "A user could ask: \"...\"".
var userSaysRE = regexp.MustCompile(`(?i)^(?:a|the) (?:user|person)\b[^"“]*["“]([^"”]+)["”]`)

// quotedQuestionRE finds a quoted question inside a longer text.
var quotedQuestionRE = regexp.MustCompile(`["“]([^"“”]+\?)["”]`)

// quotedRE matches a text wrapped in one pair of quotes.
var quotedRE = regexp.MustCompile(`^["“]([^"“”]*)["”]$`)

// CleanTurn extracts one turn's text from a completion: if the model wrote a transcript ("Human: ...
// Assistant: ..."), only its first message; wrapping quotes and a bare opening interjection ("Sure!") are
// removed. Of a Human turn (the model asked to write someone's question), an opening chatter paragraph
// ("Here is the message:") or a chatter prefix ending in ':' is dropped too, a labelled ("Question: ...") or
// quoted question is taken out of the text around it, and only the first paragraph is kept.
func CleanTurn(completion, speaker string) string {
	pre, turns := ParseTurns(completion)
	text := pre
	if (text == "" || generate.IsChatter(text)) && len(turns) > 0 {
		text = turns[0].Text
	}
	text = strings.TrimSpace(text)
	if speaker == Human {
		if m := questionLineRE.FindStringSubmatch(text); m != nil { // "Question: ..." under a "Subject:" line
			text = strings.TrimSpace(m[1])
		} else if m := userSaysRE.FindStringSubmatch(text); m != nil { // A user could ask: "..."
			text = m[1]
		} else if m := quotedQuestionRE.FindStringSubmatch(text); m != nil { // ... a question like: "...?"
			text = m[1]
		}
		if first, rest, ok := strings.Cut(text, "\n\n"); ok && generate.IsChatter(first) {
			text = strings.TrimSpace(rest)
		} else if generate.IsChatter(text) {
			if _, after, ok := strings.Cut(text, ":"); ok && strings.TrimSpace(after) != "" {
				text = strings.TrimSpace(after)
			}
		}
		// A request is one paragraph; what follows is the model going on by itself.
		text, _, _ = strings.Cut(strings.TrimSpace(text), "\n\n")
	}
	text = interjectionRE.ReplaceAllString(text, "")
	if m := quotedRE.FindStringSubmatch(text); m != nil {
		text = m[1]
	}
	return strings.TrimSpace(text)
}

// codeRE matches a fenced code block.
var codeRE = regexp.MustCompile("(?s)```.*?(```|$)")

// Checker judges dialogues turn by turn and as a whole.
type Checker struct {
	Feelings  *Feelings
	MinTokens int                     // reading tokens a dialogue needs (token_offset + generate.MinExtraTokens)
	Tokens    func(text string) []int // the reading tokenization (Engine.ReadingTokens)
}

// Turn judges one turn's text (after CleanTurn). It returns the reason it is refused, or "".
func (c *Checker) Turn(t Turn) (generate.Reason, string) {
	// A Human turn that is still chatter after CleanTurn holds no request. (An answer may well start
	// "Here is the code:".)
	if t.Text == "" || t.Speaker == Human && generate.IsChatter(t.Text) {
		return EmptyTurn, t.Speaker
	}
	if m := pleasantryRE.FindString(t.Speaker + ": " + t.Text); m != "" {
		return Pleasantry, m
	}
	if w := c.Feelings.Find(t.Text); w != "" {
		return Emotional, w
	}
	if generate.Loops(codeRE.ReplaceAllString(t.Text, "")) { // repeated code lines ("}", "x++") are fine
		return generate.Repetitive, ""
	}
	return "", ""
}

// Length judges a finished dialogue's length: it must have reading tokens enough for the activation mean.
// cut says a turn was lost to max_new_tokens (the reason is then Truncated rather than TooShort).
func (c *Checker) Length(text string, cut bool) (tokens int, reason generate.Reason, detail string) {
	n := len(c.Tokens(text))
	if n >= c.MinTokens {
		return n, "", ""
	}
	reason = generate.TooShort
	if cut {
		reason = generate.Truncated
	}
	return n, reason, fmt.Sprintf("%d tokens < %d", n, c.MinTokens)
}

// WholeSentences returns text up to the end of its last whole sentence or line, or "" when it has none: what
// is left of an answer cut by max_new_tokens. An unclosed code fence is dropped with everything after it.
func WholeSentences(text string) string {
	if strings.Count(text, "```")%2 == 1 {
		text = text[:strings.LastIndex(text, "```")]
	}
	end := 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			end = i
		case '.', '!', '?':
			numbered := text[i] == '.' && i > 0 && text[i-1] >= '0' && text[i-1] <= '9' // "2. Save it" opens an item
			if !numbered && i+1 < len(text) && (text[i+1] == ' ' || text[i+1] == '\n') {
				end = i + 1
			}
		}
	}
	return strings.TrimSpace(text[:end])
}
