package chat

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ardanlabs/jinja"
)

// Message is one turn of a conversation. Role is "system", "user" or "assistant" ("tool" for templates
// that know it).
type Message struct {
	Role    string
	Content string
}

// SpecialTokens are the strings a template sees as bos_token and eos_token (the tokenizer_config.json
// fields, or the GGUF's BOS and EOS tokens). An empty field is left undefined, as transformers leaves a
// token the model does not define (Qwen has no bos_token): `{{ bos_token }}` then writes nothing.
type SpecialTokens struct {
	BOS, EOS string
}

// Template renders conversations into the prompt text a model was trained on: with the model's own
// Jinja template (Compile), or with a hand-written one when the model has none (Builtin, Fallback).
// Set it up before use (SetClock, SetDate); Render is then safe for concurrent use.
type Template struct {
	name    string
	warning string
	tokens  SpecialTokens

	compiled *jinja.Template // the model's own template
	fixed    *builtin        // or the hand-written fallback

	now     func() time.Time // what strftime_now reads
	timeout time.Duration    // how long Render waits for the engine (renderTimeout)
	date    string           // date_string, when set
	eot     []string
}

// TemplateError is a template's own refusal (raise_exception), e.g. "Conversation roles must alternate
// user/assistant/user/assistant/...": the conversation does not fit the model's format.
type TemplateError struct {
	Message string
}

func (e *TemplateError) Error() string {
	return "the chat template refused the conversation: " + e.Message
}

// Compile prepares a model's own chat template, the Jinja text of tokenizer_config.json's "chat_template",
// a chat_template.jinja file or a GGUF file's tokenizer.chat_template. origin says which (it appears in
// Name and in errors). A template the engine cannot parse is an error that names origin.
func Compile(source, origin string, tokens SpecialTokens) (*Template, error) {
	if strings.TrimSpace(source) == "" {
		return nil, fmt.Errorf("chat: %s: the chat template is empty", origin)
	}
	compiled, err := jinja.Compile(prepareSource(source))
	if err != nil {
		return nil, fmt.Errorf("chat: %s: the chat template does not parse (%w): check the file's template text, or report the "+
			"construct the Jinja engine (github.com/ardanlabs/jinja) lacks", origin, err)
	}
	t := &Template{name: "own chat template (" + origin + ")", tokens: tokens, compiled: compiled, now: time.Now, timeout: renderTimeout}
	t.eot = t.probeEndOfTurn()
	return t, nil
}

// Builtin returns the hand-written template of a family (see Families), for a model that has no chat
// template of its own; Warning says so. Missing special tokens take the family's usual ones.
func Builtin(family string, tokens SpecialTokens) (*Template, error) {
	b, err := newBuiltin(family, tokens)
	if err != nil {
		return nil, err
	}
	return &Template{name: "built-in " + b.name(), tokens: tokens, fixed: b, now: time.Now,
		warning: "no chat_template in the model; using the built-in " + familyNames[family] + " template",
		eot:     b.endOfTurn()}, nil
}

var familyNames = map[string]string{"chatml": "ChatML", "llama3": "Llama 3", "gemma": "Gemma", "mistral": "Mistral v0.1"}

// Fallback picks the built-in template for a model without one from the markers its vocabulary has
// (has reports whether a string is one token): Llama 3's <|start_header_id|>, Gemma's <start_of_turn>,
// Mistral's [INST], else ChatML, which SmolLM2 and Qwen use. Warning names the choice.
func Fallback(has func(token string) bool, tokens SpecialTokens) *Template {
	family := "chatml"
	switch {
	case has("<|start_header_id|>") && has("<|eot_id|>"):
		family = "llama3"
	case has("<start_of_turn>"):
		family = "gemma"
	case has("[INST]"):
		family = "mistral"
	}
	t, _ := Builtin(family, tokens) // a known family: cannot fail
	if family == "chatml" && !has("<|im_start|>") {
		t.warning += " (the vocabulary has no <|im_start|> token: a base model? it was not trained on chats)"
	}
	return t
}

// Name says which template renders: `own chat template (tokenizer_config.json)`, or
// `built-in chatml` for the fallback.
func (t *Template) Name() string { return t.name }

// Warning is empty when the model's own template renders, else it says why not, e.g. "no chat_template in
// the model; using the built-in ChatML template": print it where the model is described.
func (t *Template) Warning() string { return t.warning }

// SetClock sets what strftime_now reads. The default is the wall clock, as in transformers, so a
// template that writes today's date (Llama 3.2: "Today Date: 09 Mar 2025") renders differently each
// day; pin the clock, or the date (SetDate), for prompts that must not change.
func (t *Template) SetClock(now func() time.Time) { t.now = now }

// SetDate passes date_string to the template, as transformers' apply_chat_template(..., date_string=...)
// does; Llama 3.1+ templates write it as "Today Date" instead of asking strftime_now. The built-in llama3
// template has no date; other templates ignore it.
func (t *Template) SetDate(date string) { t.date = date }

// EndOfTurn returns the strings that end a reply, e.g. "<|im_end|>", then the EOS token when it differs:
// stop generating at any of them. For the model's own template it is what the template writes right after
// an assistant message (found by rendering one), so it needs no table of families.
func (t *Template) EndOfTurn() []string { return append([]string(nil), t.eot...) }

// Render returns the prompt text for msgs. With addGenerationPrompt it ends with the header of an
// assistant turn, so that the model's continuation is the reply. A template's refusal (roles that do not
// alternate, a system message where the model takes none) is a *TemplateError. A template too costly to
// render (a range of over 100,000 numbers, as in transformers, loops in loops, a render of over 10 s) is an
// error that says so.
func (t *Template) Render(msgs []Message, addGenerationPrompt bool) (string, error) {
	return t.RenderWith(msgs, addGenerationPrompt, nil)
}

// RenderWith is Render with extra template variables, as transformers passes apply_chat_template's
// keyword arguments: enable_thinking (Qwen 3, Gemma 4), date_string, tools. A value is a Go value (nil,
// bool, int, float64, string, []any, map[string]any, whose keys are then taken in sorted order) or a
// json.RawMessage, whose objects keep their key order as Python's dicts do (tools | tojson writes them in
// that order). The built-in templates ignore vars.
func (t *Template) RenderWith(msgs []Message, addGenerationPrompt bool, vars map[string]any) (string, error) {
	if t.fixed != nil {
		return t.fixed.render(msgs, addGenerationPrompt)
	}
	b := &budget{}
	data, err := t.variables(messagesValue(msgs), addGenerationPrompt, vars, b)
	if err != nil {
		return "", err
	}
	out, err := t.renderBounded(data, b)
	if err != nil {
		if te := (*TemplateError)(nil); errors.As(err, &te) {
			return "", fmt.Errorf("chat: %s: %w", t.name, te)
		}
		if ce := (*costError)(nil); errors.As(err, &ce) {
			return "", fmt.Errorf("chat: %s: the chat template is too costly to render: %w: fix the model's chat_template, "+
				"or remove it so that the built-in template of the model's family is used", t.name, ce)
		}
		return "", fmt.Errorf("chat: %s: rendering failed: %w", t.name, err)
	}
	return out, nil
}

// probeEndOfTurn renders a user turn and an assistant reply and returns what the template writes after
// the reply, up to the first white space (ChatML's "<|im_end|>\n" gives "<|im_end|>"), then EOS. A
// template that refuses the probe (it wants a system turn first, say) ends turns with EOS alone.
func (t *Template) probeEndOfTurn() []string {
	const reply = "END-OF-TURN-PROBE"
	var out []string
	text, err := t.Render([]Message{{Role: "user", Content: "Hello"}, {Role: "assistant", Content: reply}}, false)
	if i := strings.LastIndex(text, reply); err == nil && i >= 0 {
		if f := strings.Fields(text[i+len(reply):]); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	if t.tokens.EOS != "" && (len(out) == 0 || out[0] != t.tokens.EOS) {
		out = append(out, t.tokens.EOS)
	}
	return out
}
