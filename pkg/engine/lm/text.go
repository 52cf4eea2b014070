package lm

import (
	"fmt"
	"slices"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
)

// Text helpers: the model's tokenizer and chat template, as the pipeline uses them.

// ChatPrompt formats messages with the model's own chat template (or, for a model without one, the
// built-in template ChatWarning names), ending with the assistant's header (the generation prompt), and
// tokenizes the result with its special tokens.
func (m *Model) ChatPrompt(msgs []chat.Message) ([]int, error) {
	if m.Chat == nil {
		return nil, fmt.Errorf("lm: %s: cannot format a chat: %w", m.Path, m.chatErr)
	}
	text, err := m.Chat.Render(msgs, true)
	if err != nil {
		return nil, fmt.Errorf("lm: %w", err)
	}
	return m.Tokenizer.Encode(text, false), nil
}

// ChatWarning is what a user should know about how chats are formatted, or "" when the model's own
// template does it: that a built-in template stands in for a missing one, or why chats cannot be
// formatted at all. Print it where the model is described.
func (m *Model) ChatWarning() string {
	if m.Chat == nil {
		return "cannot format chats: " + m.chatErr.Error()
	}
	return m.Chat.Warning()
}

// StopTokens are the ids that end a completion: EOS and the chat template's end-of-turn markers.
func (m *Model) StopTokens() []int {
	var ids []int
	if id := m.Tokenizer.EOS(); id >= 0 {
		ids = append(ids, id)
	}
	if m.Chat != nil {
		for _, s := range m.Chat.EndOfTurn() {
			if id, ok := m.Tokenizer.ID(s); ok && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// Text decodes generated ids to text, without special tokens.
func (m *Model) Text(ids []int) string { return m.Tokenizer.Decode(ids, true) }

// ReadingTokens tokenizes a text to be read back for its activations (METHOD step 3): the raw
// text, no chat template, starting with the model's BOS token when it has one (SmolLM2's
// tokenizer adds none by itself; its BOS is <|im_start|>). Position 0 is then the BOS.
func (m *Model) ReadingTokens(text string) []int {
	ids := m.Tokenizer.Encode(text, true)
	if bos := m.Tokenizer.BOS(); bos >= 0 && (len(ids) == 0 || ids[0] != bos) {
		ids = append([]int{bos}, ids...)
	}
	return ids
}
