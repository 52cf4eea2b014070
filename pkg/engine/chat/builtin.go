package chat

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Message is one turn of a conversation. Role is "system", "user" or "assistant" (Qwen 3 also knows
// "tool").
type Message struct {
	Role    string
	Content string
}

// SpecialTokens are the strings a template refers to as bos_token and eos_token (tokenizer_config.json
// or the GGUF's BOS/EOS tokens). Empty fields fall back to the family's usual token: "<|begin_of_text|>"
// for Llama 3, "<bos>" for Gemma, "<s>" and "</s>" for Mistral.
type SpecialTokens struct {
	BOS, EOS string
}

// Template renders conversations the way one model's chat template does. Build it with Detect.
type Template struct {
	family  string // chatml, llama3, mistral, gemma
	variant string // free text for Name
	bos     string
	eos     string

	defaultSystem    string // chatml: system message inserted when the conversation has none
	hasDefaultSystem bool
	qwen3            bool // chatml: Qwen 3's <think> handling of assistant turns

	alwaysAssistantHeader bool   // llama3: the original template ends with the assistant header regardless
	dated                 bool   // llama3: 3.1+ templates open with a system header holding dates
	date                  string // llama3.1+: the "Today Date" written in that header

	assistantSuffix string // mistral: after each assistant reply (eos, or eos + " ")

	systemFolded bool // gemma: Gemma 3 prefixes the first user turn with the system message
}

// Families lists the supported template families.
var Families = []string{"chatml", "llama3", "mistral", "gemma"}

// defaultSystemRE finds a ChatML system turn whose text is a literal in the template: the default system
// message. The text may not contain quotes or Jinja syntax, so "... + messages[0]['content'] + ..."
// (a system message taken from the conversation) does not match.
var defaultSystemRE = regexp.MustCompile(`<\|im_start\|>system(?:\n|\\n)([^'"{}+]*?)<\|im_end\|>`)

// dateFallbackRE finds the date a Llama 3.1+ template writes when it is not given one.
var dateFallbackRE = regexp.MustCompile(`set date_string = "([^"]+)"`)

// Detect recognises the family of a chat template from its text. tokens gives the bos_token and
// eos_token the template may refer to. An empty or unrecognised template is an error that says which
// families are supported and what to do instead.
func Detect(template string, tokens SpecialTokens) (*Template, error) {
	if strings.TrimSpace(template) == "" {
		return nil, fmt.Errorf("chat: the chat template is empty (no tokenizer.chat_template in the model file?): " +
			"give the template from the model's tokenizer_config.json, or use raw text prompts without a template")
	}
	t := &Template{bos: tokens.BOS, eos: tokens.EOS}
	switch {
	case strings.Contains(template, "<|im_start|>"):
		t.family = "chatml"
		if strings.Contains(template, "reasoning_content") && strings.Contains(template, "<think>") {
			t.qwen3 = true
			t.variant = "Qwen 3, with <think> blocks"
		} else if m := defaultSystemRE.FindStringSubmatch(template); m != nil {
			t.hasDefaultSystem = true
			t.defaultSystem = unescapeJinja(m[1])
			t.variant = fmt.Sprintf("default system message %q", t.defaultSystem)
		}
	case strings.Contains(template, "<|start_header_id|>"):
		t.family = "llama3"
		if strings.Contains(template, "Cutting Knowledge Date") {
			t.dated = true
			t.date = "26 Jul 2024"
			if m := dateFallbackRE.FindStringSubmatch(template); m != nil {
				t.date = m[1]
			}
			t.variant = fmt.Sprintf("Llama 3.1+, dated system header, date %q", t.date)
		}
		t.alwaysAssistantHeader = !strings.Contains(template, "add_generation_prompt")
		if t.bos == "" {
			t.bos = "<|begin_of_text|>"
		}
		if t.alwaysAssistantHeader {
			t.variant = "original Llama 3, assistant header always added"
		}
	case strings.Contains(template, "[INST]"):
		t.family = "mistral"
		if strings.Contains(template, "system") && !strings.Contains(template, "Only user and assistant roles are supported") ||
			strings.Contains(template, "[AVAILABLE_TOOLS]") || strings.Contains(template, "[SYSTEM_PROMPT]") {
			return nil, fmt.Errorf("chat: this [INST] template handles system messages or tools (Llama 2, Mistral v0.2+), which is not supported: " +
				"only Mistral 7B Instruct v0.1's template is; use raw text prompts or add the variant to pkg/engine/chat")
		}
		if t.bos == "" {
			t.bos = "<s>"
		}
		if t.eos == "" {
			t.eos = "</s>"
		}
		t.assistantSuffix = t.eos
		if strings.Contains(template, "eos_token + ' '") {
			t.assistantSuffix = t.eos + " "
		}
	case strings.Contains(template, "<start_of_turn>"):
		t.family = "gemma"
		t.systemFolded = strings.Contains(template, "first_user_prefix")
		if t.bos == "" {
			t.bos = "<bos>"
		}
		if t.systemFolded {
			t.variant = "Gemma 3, system message folded into the first user turn"
		} else {
			t.variant = "Gemma 2, no system message"
		}
	default:
		start := template
		if len(start) > 80 {
			start = start[:80] + "..."
		}
		return nil, fmt.Errorf("chat: unrecognised chat template (starts %q): supported families are %s "+
			"(ChatML <|im_start|>, Llama 3 <|start_header_id|>, Mistral [INST], Gemma <start_of_turn>); "+
			"use raw text prompts for this model, or add its family to pkg/engine/chat", start, strings.Join(Families, ", "))
	}
	return t, nil
}

// Name says which family and variant the template was recognised as, e.g.
// `chatml (default system message "You are ...")`.
func (t *Template) Name() string {
	if t.variant == "" {
		return t.family
	}
	return t.family + " (" + t.variant + ")"
}

// SetDate sets the "Today Date" a Llama 3.1+ template writes into its system header. The default is
// the template's own fallback ("26 Jul 2024"), so prompts do not change with the calendar; transformers
// writes today's date instead (strftime_now) unless date_string is passed. Other templates ignore it.
func (t *Template) SetDate(date string) { t.date = date }

// EndOfTurn returns the strings that end a reply (e.g. "<|im_end|>"): stop generating at any of them.
func (t *Template) EndOfTurn() []string {
	var out []string
	switch t.family {
	case "chatml":
		out = []string{"<|im_end|>"}
	case "llama3":
		out = []string{"<|eot_id|>"}
	case "mistral":
		out = []string{t.eos}
	case "gemma":
		out = []string{"<end_of_turn>"}
	}
	if t.eos != "" && t.eos != out[0] {
		out = append(out, t.eos)
	}
	return out
}

// Render returns the prompt text for msgs. With addGenerationPrompt it ends with the header of an
// assistant turn, so that the model's continuation is the reply. It fails where the template would
// raise an error (roles that do not alternate for Mistral and Gemma, a system message for Gemma 2).
func (t *Template) Render(msgs []Message, addGenerationPrompt bool) (string, error) {
	var b strings.Builder
	var err error
	switch t.family {
	case "chatml":
		if t.qwen3 {
			t.renderQwen3(&b, msgs, addGenerationPrompt)
		} else {
			t.renderChatML(&b, msgs, addGenerationPrompt)
		}
	case "llama3":
		t.renderLlama3(&b, msgs, addGenerationPrompt)
	case "mistral":
		err = t.renderMistral(&b, msgs)
	case "gemma":
		err = t.renderGemma(&b, msgs, addGenerationPrompt)
	}
	if err != nil {
		return "", fmt.Errorf("chat: %s template: %w", t.family, err)
	}
	return b.String(), nil
}

// unescapeJinja undoes the escapes of a Jinja string literal (\n, \t, \', \", \\).
func unescapeJinja(s string) string {
	r := strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\'`, "'", `\"`, `"`, `\\`, `\`)
	return r.Replace(s)
}

// pyStrip is Python's str.strip() (Jinja's trim filter): Unicode white space plus the separators
// U+001C..U+001F, which Go's unicode.IsSpace leaves out.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f })
}
