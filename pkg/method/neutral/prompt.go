package neutral

import (
	"fmt"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
)

// PromptVersion names the prompts, the system lines and the checks of this package. It is part of the
// stage's fingerprint: change it whenever one of them changes.
const PromptVersion = "neutral-v2"

// Kind is a neutral task the Human asks for.
type Kind struct {
	Name string // short name, stored with each dialogue
	Ask  string // the prompt's words: "Write a question that asks an AI assistant for <Ask>."
}

// Kinds are cycled by attempt index (docs/method.md: code, factual questions, work tasks, how-to, neutral lists).
var Kinds = []Kind{
	{"code", "a short piece of code"},
	{"fact", "a fact"},
	{"work", "help with a work task, such as a schedule, a summary or a short report"},
	{"how-to", "the steps to do something"},
	{"list", "a plain list"},
}

// systemLines open some dialogues, as the untagged system instruction the paper's neutral dialogues may
// begin with; the Assistant's turns of such a dialogue are generated under that instruction. Each is as
// flat as the dialogue it opens.
var systemLines = []string{
	"The assistant answers questions accurately and briefly.",
	"Answer in plain text. Keep answers short.",
	"You are a technical assistant. Give exact answers.",
	"Respond with facts only. Use numbered steps for procedures.",
}

// answerSystem is the system prompt of the Assistant's turns in dialogues without a system line. It is not
// part of the dialogue's text.
const answerSystem = "Answer directly and factually, without greetings or comments about yourself."

// MaxExchanges is the most Human/Assistant exchanges a dialogue has (docs/method.md: 1 to 6).
const MaxExchanges = 6

// Plan is what attempt i of a topic asks for; every field is a function of i alone, so the dialogues of a
// topic cycle through kinds, lengths and system lines.
type Plan struct {
	Kind       Kind
	Exchanges  int    // 1 .. MaxExchanges
	SystemLine string // "" or one of systemLines: opens the dialogue, and instructs its Assistant
}

// PlanFor returns the plan of attempt i.
func PlanFor(attempt int) Plan {
	p := Plan{Kind: Kinds[attempt%len(Kinds)], Exchanges: 1 + attempt%MaxExchanges}
	if attempt%4 == 3 {
		p.SystemLine = systemLines[(attempt/4)%len(systemLines)]
	}
	return p
}

// The dialogue is written one turn per completion, since a small model cannot write a whole transcript
// (SmolLM2-135M, asked for one, talks to the user instead): the Human's turns come from a prompt that asks
// for the person's next message, and the Assistant's turns are the model's own chat answers to the
// dialogue so far, which is what an instruction-tuned model does best.

// HumanPrompt returns the messages that ask for the Human's next turn: the opening question when turns is
// empty, else a follow-up to the last answer. The follow-up prompt shows only that answer (its first
// followUpWords words): a long history loses a small model.
func HumanPrompt(topic string, plan Plan, turns []Turn) []chat.Message {
	var text string
	if len(turns) == 0 {
		text = fmt.Sprintf("Write a question that asks an AI assistant for %s. The subject: %s. "+
			"Reply with the question only.", plan.Kind.Ask, topic)
	} else {
		answer := strings.Fields(turns[len(turns)-1].Text)
		if len(answer) > followUpWords {
			answer = append(answer[:followUpWords], "...")
		}
		text = fmt.Sprintf("Here is an answer from an AI assistant:\n\n%s\n\nWrite a short follow-up question "+
			"that asks the assistant for more about it. Reply with the question only.", strings.Join(answer, " "))
	}
	return []chat.Message{{Role: "user", Content: text}}
}

// followUpWords is how much of the last answer a follow-up prompt shows.
const followUpWords = 80

// AssistantPrompt returns the messages that ask for the Assistant's answer to the last Human turn: the
// dialogue so far as a chat, under the plan's system line (or answerSystem).
func AssistantPrompt(plan Plan, turns []Turn) []chat.Message {
	sys := plan.SystemLine
	if sys == "" {
		sys = answerSystem
	}
	msgs := []chat.Message{{Role: "system", Content: sys}}
	for _, t := range turns {
		role := "user"
		if t.Speaker == Assistant {
			role = "assistant"
		}
		msgs = append(msgs, chat.Message{Role: role, Content: t.Text})
	}
	return msgs
}
