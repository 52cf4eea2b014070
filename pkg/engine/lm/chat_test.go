package lm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
)

// smolTemplate is SmolLM2-135M-Instruct's own chat template (its GGUF's tokenizer.chat_template).
const smolTemplate = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"

// The default model renders with its own template, from the GGUF file, exactly as transformers'
// apply_chat_template does (pkg/engine/chat's golden tests); the prompt is the one the hand-written
// ChatML renderer used to build, default system message included.
func TestDefaultModelChatPrompt(t *testing.T) {
	m := smollm2(t)
	if w := m.ChatWarning(); w != "" {
		t.Errorf("ChatWarning() = %q, want none: the GGUF has its own template", w)
	}
	if !strings.Contains(m.Chat.Name(), "tokenizer.chat_template") {
		t.Errorf("Chat.Name() = %q should say the template came from the GGUF's tokenizer.chat_template", m.Chat.Name())
	}
	ids, err := m.ChatPrompt([]chat.Message{{Role: "user", Content: "Write a short story about a lighthouse keeper."}})
	if err != nil {
		t.Fatal(err)
	}
	const want = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n" +
		"<|im_start|>user\nWrite a short story about a lighthouse keeper.<|im_end|>\n<|im_start|>assistant\n"
	if got := m.Tokenizer.Decode(ids, false); got != want {
		t.Errorf("ChatPrompt decodes to\n%q\nwant %q", got, want)
	}
	if stops := m.StopTokens(); len(stops) != 1 || m.Tokenizer.TokenString(stops[0]) != "<|im_end|>" {
		t.Errorf("StopTokens() = %v, want only <|im_end|>", stops)
	}
}

// A Hugging Face folder's template is found where transformers looks: chat_template.jinja first, then
// tokenizer_config.json's chat_template, a string or a list with a "default" entry.
func TestHFChatTemplateSources(t *testing.T) {
	const other = "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}"
	cases := []struct {
		name   string
		files  map[string]string
		text   string // want this template
		origin string // from this file
		err    string // or this error
	}{
		{"none", nil, "", "", ""},
		{"config without a template", map[string]string{"tokenizer_config.json": `{"bos_token": "<s>"}`}, "", "", ""},
		{"config string", map[string]string{"tokenizer_config.json": `{"chat_template": ` + quote(smolTemplate) + `}`},
			smolTemplate, "tokenizer_config.json (chat_template)", ""},
		{"config list", map[string]string{"tokenizer_config.json": `{"chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": ` + quote(smolTemplate) + `}]}`},
			smolTemplate, `tokenizer_config.json (chat_template "default")`, ""},
		{"jinja file first", map[string]string{"tokenizer_config.json": `{"chat_template": ` + quote(other) + `}`, "chat_template.jinja": smolTemplate + "\n"},
			smolTemplate + "\n", "chat_template.jinja", ""},
		{"list without default", map[string]string{"tokenizer_config.json": `{"chat_template": [{"name": "tool_use", "template": "x"}, {"name": "rag", "template": "y"}]}`},
			"", "", `chat_template lists templates "tool_use", "rag" but none named "default"`},
		{"wrong type", map[string]string{"tokenizer_config.json": `{"chat_template": 3}`}, "", "", "chat_template is neither a string nor a list"},
		{"broken JSON", map[string]string{"tokenizer_config.json": `{"chat_template": `}, "", "", "tokenizer_config.json is not valid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range c.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			src := hfChatTemplate(dir)
			switch {
			case c.err != "":
				if src.err == nil || !strings.Contains(src.err.Error(), c.err) || !strings.Contains(src.err.Error(), "tokenizer_config.json") {
					t.Errorf("error %v, want one naming tokenizer_config.json and containing %q", src.err, c.err)
				}
			case src.err != nil:
				t.Errorf("unexpected error %v", src.err)
			case src.text != c.text:
				t.Errorf("template %q, want %q", src.text, c.text)
			case c.origin != "" && !strings.HasSuffix(src.origin, c.origin):
				t.Errorf("origin %q, want it to end with %q", src.origin, c.origin)
			}
		})
	}
}

// A model without a template (the tiny test model's folder has none) loads with the built-in ChatML
// template and says so; one whose template is in tokenizer_config.json renders with it.
func TestLoadChatTemplateOrFallback(t *testing.T) {
	msgs := []chat.Message{{Role: "user", Content: "Hi"}}

	m, err := Load(filepath.Join("testdata", "tiny-llama"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if w := m.ChatWarning(); w != "no chat_template in the model; using the built-in ChatML template" {
		t.Errorf("ChatWarning() = %q", w)
	}
	ids, err := m.ChatPrompt(msgs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Tokenizer.Decode(ids, false), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"; got != want {
		t.Errorf("built-in ChatML prompt %q, want %q", got, want)
	}

	dir := copyDir(t, filepath.Join("testdata", "tiny-llama"))
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"chat_template": `+quote(smolTemplate)+`}`), 0o644); err != nil {
		t.Fatal(err)
	}
	own, err := Load(dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if w := own.ChatWarning(); w != "" {
		t.Errorf("ChatWarning() = %q, want none", w)
	}
	ids, err = own.ChatPrompt(msgs)
	if err != nil {
		t.Fatal(err)
	}
	want := "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
	if got := own.Tokenizer.Decode(ids, false); got != want {
		t.Errorf("own template prompt %q, want %q", got, want)
	}

	if err := os.WriteFile(filepath.Join(dir, "chat_template.jinja"), []byte("{% for m in messages %}"), 0o644); err != nil {
		t.Fatal(err)
	}
	broken, err := Load(dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer broken.Close()
	if _, err := broken.ChatPrompt(msgs); err == nil || !strings.Contains(err.Error(), "chat_template.jinja") {
		t.Errorf("a template that does not parse: ChatPrompt error %v, want one naming chat_template.jinja", err)
	}
	if w := broken.ChatWarning(); !strings.Contains(w, "cannot format chats") {
		t.Errorf("ChatWarning() = %q, want it to say chats cannot be formatted", w)
	}
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
