package stories

import (
	"fmt"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
)

// PromptVersion names the wording of the prompt below (and the checks in this package). It is part of the
// stage's fingerprint: change it whenever the prompt or a check changes, so old stories are not mixed with
// new ones.
const PromptVersion = "stories-v1"

// Delimiter separates stories when one completion is asked for several (generation.stories_per_completion
// > 1). Split also accepts "***", "---", "Story 2" and similar lines, since small models drift.
const Delimiter = "###"

// systemPrompt keeps the model in the role of a writer who hands over the text and nothing else: without
// it, SmolLM2 introduces, titles and explains its stories.
const systemPrompt = "You are a fiction writer. You answer with the story only: no title, no comments."

// Person is the grammatical person a story is told in. docs/method.md asks for a mix; with one story per
// completion the mix comes from alternating by attempt index.
type Person int

const (
	FirstPerson Person = iota
	ThirdPerson
)

// PersonFor returns the person of attempt i: even attempts first person, odd attempts third person.
func PersonFor(attempt int) Person { return Person(attempt % 2) }

func (p Person) instruction() string {
	if p == FirstPerson {
		return `in the first person, as "I"`
	}
	return `in the third person, about a "he" or "she"`
}

// Prompt returns the chat messages that ask for stories about topic in which a character feels emotion.
// count is the number of stories asked for in one completion; with count 1 the story is told in person p,
// with more the model is asked to mix first and third person and to put a Delimiter line between stories.
//
// The wording is short and concrete on purpose: a 135M-parameter model follows two or three plain
// instructions and loses the rest. The checks (Checker) catch what it still gets wrong.
func Prompt(emotion, topic string, count int, p Person) []chat.Message {
	var b strings.Builder
	if count <= 1 {
		fmt.Fprintf(&b, "Write a one-paragraph story about: %s.\n", topic)
		fmt.Fprintf(&b, "The main character is %s, but never write %q or any other name for a feeling. ", emotion, emotion)
		b.WriteString("Show it only through actions, body sensations, what they say and what they think.\n")
		fmt.Fprintf(&b, "Tell the story %s.", p.instruction())
	} else {
		fmt.Fprintf(&b, "Write %d different one-paragraph stories about: %s.\n", count, topic)
		fmt.Fprintf(&b, "In each, the main character is %s, but never write %q or any other name for a feeling. ", emotion, emotion)
		b.WriteString("Show it only through actions, body sensations, what they say and what they think.\n")
		b.WriteString(`Tell some stories as "I" and some about a "he" or "she". `)
		fmt.Fprintf(&b, "Put a line with %s between stories.", Delimiter)
	}
	return []chat.Message{{Role: "system", Content: systemPrompt}, {Role: "user", Content: b.String()}}
}
