package nb

import (
	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
	"github.com/emotion-probes/emotion-probes/pkg/support/drawing"
)

// Messages shows a conversation (a prompt as the stages send it) as a table of roles and contents.
func Messages(msgs []chat.Message) { HTML(MessagesHTML(msgs)) }

// MessagesHTML is the table that Messages shows.
func MessagesHTML(msgs []chat.Message) string {
	rows := make([][]string, len(msgs))
	for i, m := range msgs {
		rows[i] = []string{m.Role, m.Content}
	}
	// pre-wrap keeps the prompt's line breaks, which the model sees.
	return `<style>.nb-pre td{white-space:pre-wrap}</style><div class="nb-pre">` +
		drawing.HTMLTable([]string{"role", "content"}, rows) + `</div>`
}
