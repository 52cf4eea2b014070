package generate

// Reason says why a candidate text was not kept. The values are stable: they are written to the stages'
// files and counted in the Summary. The reasons below apply to every generated text; each stage adds its
// own (package stories: the emotion word, a preamble, talk about the task; package neutral: feeling words,
// pleasantries, a broken dialogue structure).
type Reason string

const (
	// Repetitive: the text loops (a sentence three times, or a quarter of its sentences repeated).
	Repetitive Reason = "repetitive"
	// TooShort: fewer reading tokens than token_offset + MinExtraTokens, so too few positions to average.
	TooShort Reason = "too-short"
	// Truncated: the completion hit max_new_tokens and what is left after cutting it back to its last complete
	// sentence is too short (or there is no complete sentence).
	Truncated Reason = "truncated"
	// Duplicate: the same text (Normalize) as one already kept for the same unit.
	Duplicate Reason = "duplicate"
	// Empty: the completion held no text at all.
	Empty Reason = "empty"
)

// MinExtraTokens is how many reading tokens a text needs beyond token_offset: the activation mean of a text
// starts at token_offset, so a shorter text would give a mean over too few positions (or none).
const MinExtraTokens = 30
