package neutral

import (
	"reflect"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
)

func TestParseTurns(t *testing.T) {
	pre, turns := ParseTurns("Here is a dialogue:\n\n**Human:** How do I list files?\nIn Go.\nAI: Use os.ReadDir.\n\nUser: And sizes?\nassistant : Call Info().")
	if pre != "Here is a dialogue:" {
		t.Errorf("pre %q", pre)
	}
	want := []Turn{
		{Human, "How do I list files?\nIn Go."},
		{Assistant, "Use os.ReadDir."},
		{Human, "And sizes?"},
		{Assistant, "Call Info()."},
	}
	if !reflect.DeepEqual(turns, want) {
		t.Errorf("turns %q, want %q", turns, want)
	}
	if got := Format("Answer briefly.", want[:2]); got != "Answer briefly.\n\nHuman: How do I list files?\nIn Go.\n\nAssistant: Use os.ReadDir." {
		t.Errorf("Format: %q", got)
	}
}

func TestCleanTurn(t *testing.T) {
	for _, tc := range []struct{ speaker, in, want string }{
		{Human, "How do I count lines in a file?", "How do I count lines in a file?"},
		{Human, "The subject: A letter in an old book.\nQuestion: Can you date a letter by its paper?", "Can you date a letter by its paper?"},
		{Human, "A user could ask, \"Can you list three renovation permits?\"", "Can you list three renovation permits?"},
		{Human, "A train is late. You can ask a question like: \"When is the next train?\"", "When is the next train?"},
		{Human, "How do I check a train's delay?\n\nIn this context, the question is about...", "How do I check a train's delay?"},
		{Human, "Sure! Here is the message:\n\nHow do I count lines?", "How do I count lines?"},
		{Human, "Here's a message: \"List the planets in order.\"", "List the planets in order."},
		{Human, "Human: What is a mutex?\nAssistant: A lock.", "What is a mutex?"},
		{Human, "What is a mutex?\nAssistant: A lock.", "What is a mutex?"},
		{Assistant, "Sure! A mutex is a lock.", "A mutex is a lock."},
		{Assistant, "Certainly, here is the code:\n```go\nx++\n```", "here is the code:\n```go\nx++\n```"},
		{Human, "\"Convert 5 km to miles.\"", "Convert 5 km to miles."},
	} {
		if got := CleanTurn(tc.in, tc.speaker); got != tc.want {
			t.Errorf("CleanTurn(%q, %s) = %q, want %q", tc.in, tc.speaker, got, tc.want)
		}
	}
}

func TestCheckerTurn(t *testing.T) {
	c := &Checker{Feelings: NewFeelings([]string{"frustrated", "content"})}
	for _, tc := range []struct {
		turn   Turn
		reason generate.Reason
		detail string
	}{
		{Turn{Human, "Write a Go function that counts lines."}, "", ""},
		{Turn{Assistant, "Here is the code: read the content of the file and count newlines."}, "", ""},
		{Turn{Assistant, "Make sure the file exists."}, "", ""},
		{Turn{Human, ""}, EmptyTurn, "Human"},
		{Turn{Human, "Here is a message for you."}, EmptyTurn, "Human"},
		{Turn{Human, "Hello! What is 2+2?"}, Pleasantry, "Hello"},
		{Turn{Assistant, "4. Hope this helps."}, Pleasantry, "Hope this helps"},
		{Turn{Human, "Thanks. Now list the planets."}, Pleasantry, "Thanks"},
		{Turn{Assistant, "I love this question. It is 4."}, Emotional, "love"},
		{Turn{Human, "I am frustrated with my code."}, Emotional, "frustrated"},
		{Turn{Assistant, "Run it. Run it. Run it."}, generate.Repetitive, ""},
		{Turn{Assistant, "Use:\n```\nx++\nx++\nx++\n```"}, "", ""},
	} {
		r, d := c.Turn(tc.turn)
		if r != tc.reason || (tc.detail != "" && d != tc.detail) {
			t.Errorf("Turn(%+v) = %q, %q; want %q, %q", tc.turn, r, d, tc.reason, tc.detail)
		}
	}
	c.MinTokens, c.Tokens = 5, func(s string) []int { return make([]int, len(strings.Fields(s))+1) }
	if n, r, _ := c.Length("Human: a b\n\nAssistant: c", false); n != 6 || r != "" {
		t.Errorf("Length: %d tokens, %q", n, r)
	}
	if _, r, d := c.Length("Human: a", true); r != generate.Truncated || d != "3 tokens < 5" {
		t.Errorf("Length of a cut dialogue: %q %q", r, d)
	}
	if _, r, _ := c.Length("Human: a", false); r != generate.TooShort {
		t.Errorf("Length of a short dialogue: %q", r)
	}
}

func TestFeelings(t *testing.T) {
	f := NewFeelings([]string{"content", "on edge", "worried"})
	for _, tc := range []struct{ text, want string }{
		{"Read the content of the file with a greedy, lazy parser; focus on edge cases.", ""},
		{"Please list the steps. Make sure the stress test passes.", ""},
		{"He was WORRIED.", "WORRIED"},
		{"She spoke angrily.", "angrily"},
		{"I am sorry.", "sorry"},
		{"They felt at ease.", "at ease"}, // phrases are looked for first
		{"We were at  ease.", "at  ease"},
		{"the grief-stricken family", "grief-stricken"},
	} {
		if got := f.Find(tc.text); got != tc.want {
			t.Errorf("Find(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	for _, line := range systemLines {
		if w := f.Find(line); w != "" || pleasantryRE.MatchString(line) {
			t.Errorf("system line %q holds %q", line, w)
		}
	}
}

func TestPlanFor(t *testing.T) {
	kinds, lengths, system := map[string]bool{}, map[int]bool{}, 0
	for a := range 60 {
		p := PlanFor(a)
		kinds[p.Kind.Name] = true
		lengths[p.Exchanges] = true
		if p.SystemLine != "" {
			system++
		}
	}
	if len(kinds) != len(Kinds) || len(lengths) != MaxExchanges || system != 15 {
		t.Errorf("60 attempts: %d kinds, %d lengths, %d system lines", len(kinds), len(lengths), system)
	}
	msgs := HumanPrompt("A train is late", PlanFor(1), nil)
	if u := msgs[0].Content; !strings.Contains(u, "A train is late") || !strings.Contains(u, "for a fact") {
		t.Errorf("first Human prompt: %s", u)
	}
	turns := []Turn{{Human, "When is the next train?"}, {Assistant, "At 9:40."}}
	if u := HumanPrompt("A train is late", PlanFor(1), turns)[0].Content; !strings.Contains(u, "\n\nAt 9:40.\n\n") {
		t.Errorf("follow-up prompt: %s", u)
	}
	want := []chat.Message{{Role: "system", Content: PlanFor(3).SystemLine}, {Role: "user", Content: "When is the next train?"}, {Role: "assistant", Content: "At 9:40."}}
	if got := AssistantPrompt(PlanFor(3), turns); !reflect.DeepEqual(got, want) {
		t.Errorf("AssistantPrompt = %+v", got)
	}
}

func TestWholeSentences(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"To list files, run ls. It prints one name per line and the", "To list files, run ls. It prints one name per line and the"[:len("To list files, run ls.")]},
		{"Steps:\n1. Open the file\n2. Save it as", "Steps:\n1. Open the file"},
		{"Use this:\n```go\nfunc main() {\n\tfmt.Println(", "Use this:"},
		{"A version number like 3.12 is not an end", ""},
		{"Done. ", "Done."},
		{"", ""},
	} {
		if got := WholeSentences(c.in); got != c.want {
			t.Errorf("WholeSentences(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
