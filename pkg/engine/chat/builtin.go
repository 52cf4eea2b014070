package chat

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// builtin is a hand-written renderer of one template family. It is the fallback for a model that has no
// chat template of its own (Builtin); detect recognises a real template's family, which the tests use to
// check each hand-written renderer against transformers on that family's real templates.
type builtin struct {
	family  string // chatml, llama3, mistral, gemma
	variant string // free text for name
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

// Families lists the built-in template families (Builtin).
var Families = []string{"chatml", "llama3", "mistral", "gemma"}

// newBuiltin sets up the hand-written renderer of a family in its plainest form: ChatML without a default
// system message, the original Llama 3 layout (no dated system header), Gemma 3's (a system message folded
// into the first user turn), Mistral 7B Instruct v0.1's. Missing special tokens take the family's usual ones.
func newBuiltin(family string, tokens SpecialTokens) (*builtin, error) {
	t := &builtin{family: family, bos: tokens.BOS, eos: tokens.EOS}
	switch family {
	case "chatml":
	case "llama3":
		t.bos = cmp.Or(t.bos, "<|begin_of_text|>")
	case "gemma":
		t.bos = cmp.Or(t.bos, "<bos>")
		t.systemFolded = true
	case "mistral":
		t.bos, t.eos = cmp.Or(t.bos, "<s>"), cmp.Or(t.eos, "</s>")
		t.assistantSuffix = t.eos
	default:
		return nil, fmt.Errorf("chat: no built-in template %q: the built-in families are %s", family, strings.Join(Families, ", "))
	}
	return t, nil
}

// defaultSystemRE finds a ChatML system turn whose text is a literal in the template: the default system
// message. The text may not contain quotes or Jinja syntax, so "... + messages[0]['content'] + ..."
// (a system message taken from the conversation) does not match.
var defaultSystemRE = regexp.MustCompile(`<\|im_start\|>system(?:\n|\\n)([^'"{}+]*?)<\|im_end\|>`)

// dateFallbackRE finds the date a Llama 3.1+ template writes when it is not given one.
var dateFallbackRE = regexp.MustCompile(`set date_string = "([^"]+)"`)

// detect recognises the family of a chat template from its text and sets up the hand-written renderer
// that reproduces it. tokens gives the bos_token and eos_token the template may refer to.
func detect(template string, tokens SpecialTokens) (*builtin, error) {
	if strings.TrimSpace(template) == "" {
		return nil, fmt.Errorf("chat: detect: the template is empty")
	}
	t := &builtin{bos: tokens.BOS, eos: tokens.EOS}
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
			return nil, fmt.Errorf("chat: detect: this [INST] template handles system messages or tools (Llama 2, Mistral v0.2+): " +
				"the built-in mistral renderer reproduces only Mistral 7B Instruct v0.1's template")
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
		return nil, fmt.Errorf("chat: detect: unrecognised chat template (starts %q): the built-in families are %s "+
			"(ChatML <|im_start|>, Llama 3 <|start_header_id|>, Mistral [INST], Gemma <start_of_turn>)", start, strings.Join(Families, ", "))
	}
	return t, nil
}

// name says which family and variant the renderer reproduces, e.g.
// `chatml (default system message "You are ...")`.
func (t *builtin) name() string {
	if t.variant == "" {
		return t.family
	}
	return t.family + " (" + t.variant + ")"
}

// endOfTurn returns the strings that end a reply (e.g. "<|im_end|>").
func (t *builtin) endOfTurn() []string {
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

// render returns the prompt text for msgs. It fails where the real template would raise an error (roles
// that do not alternate for Mistral and Gemma, a system message for Gemma 2).
func (t *builtin) render(msgs []Message, addGenerationPrompt bool) (string, error) {
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
