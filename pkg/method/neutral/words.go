package neutral

import (
	_ "embed"
	"regexp"
	"strings"
)

// feelingsList is the list of banned words, with its reasons: see feelings.txt.
//
//go:embed feelings.txt
var feelingsList string

// neutralSenses are emotion words with a common neutral sense in code, facts or how-to answers ("greedy
// algorithm", "lazy evaluation", "the content of a file"): not banned even when the run's emotion list holds
// them. feelings.txt leaves them out for the same reason.
var neutralSenses = map[string]bool{
	"alert": true, "bitter": true, "content": true, "dependent": true, "docile": true, "eager": true,
	"energized": true, "fulfilled": true, "greedy": true, "hurt": true, "inspired": true, "kind": true,
	"lazy": true, "nervous": true, "optimistic": true, "patient": true, "reflective": true, "refreshed": true,
	"relaxed": true, "resigned": true, "safe": true, "satisfied": true, "sensitive": true, "stimulated": true,
	"stuck": true, "tense": true, "trapped": true, "vibrant": true, "vulnerable": true, "on edge": true,
}

// Feelings finds words that name or show a feeling: the words of feelings.txt and the run's emotion words
// (except neutralSenses), each with its plain forms (+s, +ly, +ness; -y to -ily, -iness). Matching is on
// whole words, case-insensitive.
type Feelings struct {
	words   map[string]bool
	phrases []*regexp.Regexp
}

// NewFeelings builds the matcher from feelings.txt plus extra words (the run's emotions).
func NewFeelings(extra []string) *Feelings {
	f := &Feelings{words: map[string]bool{}}
	var list []string
	for _, line := range strings.Split(feelingsList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			list = append(list, line)
		}
	}
	for _, e := range extra {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" && !neutralSenses[e] {
			list = append(list, e)
		}
	}
	for _, w := range list {
		w = strings.ToLower(w)
		if strings.ContainsAny(w, " -") {
			parts := strings.FieldsFunc(w, func(r rune) bool { return r == ' ' || r == '-' })
			for i := range parts {
				parts[i] = regexp.QuoteMeta(parts[i])
			}
			f.phrases = append(f.phrases, regexp.MustCompile(`(?i)\b`+strings.Join(parts, `[\s-]+`)+`\b`))
			continue
		}
		for _, form := range plainForms(w) {
			f.words[form] = true
		}
	}
	return f
}

// plainForms returns w, w+"s", w+"ly", w+"ness", and for a final "y" the -ily and -iness forms. Unlike the
// story checks (generate.Inflections), no stem is cut off: "pleased" must not ban "please", nor "stressed"
// "stress test".
func plainForms(w string) []string {
	out := []string{w, w + "s", w + "ly", w + "ness"}
	if strings.HasSuffix(w, "y") {
		stem := w[:len(w)-1]
		out = append(out, stem+"ily", stem+"iness", stem+"ies")
	}
	return out
}

// Find returns the first feeling word in text, as written there, or "".
func (f *Feelings) Find(text string) string {
	for _, re := range f.phrases {
		if m := re.FindString(text); m != "" {
			return m
		}
	}
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !(r == '\'' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if f.words[strings.ToLower(w)] {
			return w
		}
	}
	return ""
}

// pleasantryRE finds greetings, thanks, apologies and the like: the dialogues must be strictly businesslike.
// A turn that opens with "Sure!", "Certainly," or "Great," counts too; "make sure" does not.
var pleasantryRE = regexp.MustCompile(`(?i)\b(?:hello|hi|hey|greetings|thanks|thank you|thank|you'?re welcome|you are welcome|` +
	`my pleasure|no problem|good (?:morning|afternoon|evening)|have a (?:nice|great|good) (?:day|one|time)|` +
	`hope (?:this|that|it) helps|happy to help|glad to help|great question|good question|cheers|goodbye|bye)\b|` +
	`(?im)^(?:human|assistant):\s*(?:sure|certainly|absolutely|of course|okay|ok|great|alright|perfect)\b`)
