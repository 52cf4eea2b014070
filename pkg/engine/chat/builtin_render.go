package chat

import (
	"fmt"
	"strings"
)

// renderChatML: SmolLM2's template (and Qwen 2.5's without tools):
//
//	{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}
//	{{ '<|im_start|>system\n<default><|im_end|>\n' }}{% endif %}
//	{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}
//	{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}
func (t *builtin) renderChatML(b *strings.Builder, msgs []Message, gen bool) {
	if t.hasDefaultSystem && len(msgs) > 0 && msgs[0].Role != "system" {
		b.WriteString("<|im_start|>system\n" + t.defaultSystem + "<|im_end|>\n")
	}
	for _, m := range msgs {
		b.WriteString("<|im_start|>" + m.Role + "\n" + m.Content + "<|im_end|>\n")
	}
	if gen {
		b.WriteString("<|im_start|>assistant\n")
	}
}

// renderQwen3 follows Qwen 3's template without tools: assistant turns after the last user query carry a
// <think> block (empty unless the content has one), and tool results are wrapped as user turns.
func (t *builtin) renderQwen3(b *strings.Builder, msgs []Message, gen bool) {
	if len(msgs) > 0 && msgs[0].Role == "system" {
		b.WriteString("<|im_start|>system\n" + msgs[0].Content + "<|im_end|>\n")
	}
	lastQuery := len(msgs) - 1
	for i := len(msgs) - 1; i >= 0; i-- {
		c := msgs[i].Content
		if msgs[i].Role == "user" && !(strings.HasPrefix(c, "<tool_response>") && strings.HasSuffix(c, "</tool_response>")) {
			lastQuery = i
			break
		}
	}
	for i, m := range msgs {
		switch {
		case m.Role == "user" || (m.Role == "system" && i > 0):
			b.WriteString("<|im_start|>" + m.Role + "\n" + m.Content + "<|im_end|>\n")
		case m.Role == "assistant":
			content, reasoning := m.Content, ""
			if strings.Contains(content, "</think>") {
				parts := strings.Split(content, "</think>")
				content = strings.TrimLeft(parts[len(parts)-1], "\n")
				inner := strings.Split(strings.TrimRight(parts[0], "\n"), "<think>")
				reasoning = strings.TrimLeft(inner[len(inner)-1], "\n")
			}
			if i > lastQuery && (i == len(msgs)-1 || reasoning != "") {
				b.WriteString("<|im_start|>assistant\n<think>\n" + strings.Trim(reasoning, "\n") + "\n</think>\n\n" + strings.TrimLeft(content, "\n"))
			} else {
				b.WriteString("<|im_start|>assistant\n" + content)
			}
			b.WriteString("<|im_end|>\n")
		case m.Role == "tool":
			if i == 0 || msgs[i-1].Role != "tool" {
				b.WriteString("<|im_start|>user")
			}
			b.WriteString("\n<tool_response>\n" + m.Content + "\n</tool_response>")
			if i == len(msgs)-1 || msgs[i+1].Role != "tool" {
				b.WriteString("<|im_end|>\n")
			}
		}
	}
	if gen {
		b.WriteString("<|im_start|>assistant\n")
	}
}

// renderLlama3: the original Llama 3 template; BOS opens the first turn, content is trimmed.
// Llama 3.1+ templates always open with BOS and a system header holding the knowledge cut-off and a date,
// followed by the conversation's system message (trimmed), if any; tool results go in "ipython" turns.
func (t *builtin) renderLlama3(b *strings.Builder, msgs []Message, gen bool) {
	if t.dated {
		system := ""
		if len(msgs) > 0 && msgs[0].Role == "system" {
			system = pyStrip(msgs[0].Content)
			msgs = msgs[1:]
		}
		b.WriteString(t.bos + "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n" +
			"Today Date: " + t.date + "\n\n" + system + "<|eot_id|>")
		for _, m := range msgs {
			if m.Role == "tool" || m.Role == "ipython" {
				// The template tests "content is iterable", which a string is, so it writes it as JSON.
				b.WriteString("<|start_header_id|>ipython<|end_header_id|>\n\n" + pyJSONString(m.Content) + "<|eot_id|>")
				continue
			}
			b.WriteString("<|start_header_id|>" + m.Role + "<|end_header_id|>\n\n" + pyStrip(m.Content) + "<|eot_id|>")
		}
		if gen {
			b.WriteString("<|start_header_id|>assistant<|end_header_id|>\n\n")
		}
		return
	}
	for i, m := range msgs {
		if i == 0 {
			b.WriteString(t.bos)
		}
		b.WriteString("<|start_header_id|>" + m.Role + "<|end_header_id|>\n\n" + pyStrip(m.Content) + "<|eot_id|>")
	}
	if gen || t.alwaysAssistantHeader {
		b.WriteString("<|start_header_id|>assistant<|end_header_id|>\n\n")
	}
}

// renderMistral: Mistral 7B Instruct v0.1; user and assistant must alternate, starting with user.
// The template has no generation prompt: "[/INST]" already hands the turn to the model.
func (t *builtin) renderMistral(b *strings.Builder, msgs []Message) error {
	b.WriteString(t.bos)
	for i, m := range msgs {
		if (m.Role == "user") != (i%2 == 0) {
			return fmt.Errorf("message %d (%s): conversation roles must alternate user/assistant/user/assistant/...", i, m.Role)
		}
		switch m.Role {
		case "user":
			b.WriteString("[INST] " + m.Content + " [/INST]")
		case "assistant":
			b.WriteString(m.Content + t.assistantSuffix)
		default:
			return fmt.Errorf("message %d: role %q: only user and assistant roles are supported", i, m.Role)
		}
	}
	return nil
}

// renderGemma: Gemma 2 and 3; "assistant" is called "model", content is trimmed, roles alternate.
func (t *builtin) renderGemma(b *strings.Builder, msgs []Message, gen bool) error {
	b.WriteString(t.bos)
	prefix := ""
	if len(msgs) > 0 && msgs[0].Role == "system" {
		if !t.systemFolded {
			return fmt.Errorf("system role not supported by this (Gemma 2) template: put the instruction in the first user message")
		}
		prefix = msgs[0].Content + "\n\n"
		msgs = msgs[1:]
	}
	for i, m := range msgs {
		if (m.Role == "user") != (i%2 == 0) {
			return fmt.Errorf("message %d (%s): conversation roles must alternate user/assistant/user/assistant/...", i, m.Role)
		}
		role := m.Role
		if role == "assistant" {
			role = "model"
		}
		b.WriteString("<start_of_turn>" + role + "\n")
		if i == 0 {
			b.WriteString(prefix)
		}
		b.WriteString(pyStrip(m.Content) + "<end_of_turn>\n")
	}
	if gen {
		b.WriteString("<start_of_turn>model\n")
	}
	return nil
}

// pyJSONString is transformers' tojson filter on a string: Python's json.dumps with ensure_ascii=False,
// which escapes only quotes, backslashes and control characters.
func pyJSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
