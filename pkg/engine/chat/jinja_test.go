package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The expected renderings come from transformers 5.24.0's apply_chat_template (Jinja 3.1.6) on the models'
// own templates in testdata/templates (README.md there says where each came from), made by
// tools/reference/make_chat_fixtures.py.
type jinjaFixtures struct {
	MadeBy        string                   `json:"made_by"`
	Clock         string                   `json:"clock"`
	Conversations [][]Message              `json:"conversations"`
	Templates     map[string]jinjaTemplate `json:"templates"`
	Probes        []jinjaProbe             `json:"probes"`
}

type jinjaTemplate struct {
	File    string `json:"file"`
	Special struct {
		BOS *string `json:"bos_token"`
		EOS *string `json:"eos_token"`
	} `json:"special"`
	Cases []jinjaCase `json:"cases"`
}

type jinjaCase struct {
	Conversation int                        `json:"conversation"`
	Gen          bool                       `json:"add_generation_prompt"`
	Vars         map[string]json.RawMessage `json:"vars"`
	Rendered     *string                    `json:"rendered"`
	Error        string                     `json:"error"`
	Deviation    string                     `json:"deviation"`
}

type jinjaProbe struct {
	Name      string    `json:"name"`
	Template  string    `json:"template"`
	Messages  []Message `json:"messages"`
	Rendered  *string   `json:"rendered"`
	Error     string    `json:"error"`
	Deviation string    `json:"deviation"`
}

func loadJinjaFixtures(t *testing.T) *jinjaFixtures {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "jinja_fixtures.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f jinjaFixtures
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// fixtureClock is the instant the reference's strftime_now read.
func fixtureClock(t *testing.T, f *jinjaFixtures) func() time.Time {
	at, err := time.Parse("2006-01-02T15:04:05", f.Clock)
	if err != nil {
		t.Fatal(err)
	}
	return func() time.Time { return at }
}

func compileFixture(t *testing.T, f *jinjaFixtures, name string) *Template {
	t.Helper()
	ft := f.Templates[name]
	src, err := os.ReadFile(filepath.Join("testdata", ft.File))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := Compile(string(src), ft.File, SpecialTokens{BOS: deref(ft.Special.BOS), EOS: deref(ft.Special.EOS)})
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SetClock(fixtureClock(t, f))
	return tmpl
}

// check compares a rendering with the reference's; a case marked as a known deviation must still differ
// (when it no longer does, the engine improved: drop the mark in the fixture script).
func check(t *testing.T, what string, got string, err error, want *string, wantErr, deviation string) {
	t.Helper()
	switch {
	case deviation != "":
		if err == nil && want != nil && got == *want {
			t.Errorf("%s: now matches transformers, yet is marked as a known deviation (%s): remove the mark", what, deviation)
		}
	case wantErr != "":
		var te *TemplateError
		if !errors.As(err, &te) || te.Message != wantErr {
			t.Errorf("%s: got %q, %v; want the template's refusal %q", what, got, err, wantErr)
		}
	case err != nil:
		t.Errorf("%s: %v", what, err)
	case got != *want:
		t.Errorf("%s:\n got %q\nwant %q", what, got, *want)
	}
}

func TestOwnTemplatesMatchTransformers(t *testing.T) {
	f := loadJinjaFixtures(t)
	want := []string{"gemma2", "gemma3", "gemma4", "llama3.1", "llama3.2", "mistral-v0.3", "qwen2", "qwen2.5", "qwen3", "smollm2"}
	var names []string
	for name := range f.Templates {
		names = append(names, name)
	}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Errorf("fixture templates %v, want %v", names, want)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			tmpl := compileFixture(t, f, name)
			for i, c := range f.Templates[name].Cases {
				vars := map[string]any{}
				for k, v := range c.Vars {
					vars[k] = v // json.RawMessage: tools keep their key order
				}
				got, err := tmpl.RenderWith(f.Conversations[c.Conversation], c.Gen, vars)
				check(t, fmt.Sprintf("%s case %d (conversation %d)", name, i, c.Conversation), got, err, c.Rendered, c.Error, c.Deviation)
			}
		})
	}
}

// TestJinjaDialect runs the probes: small templates that pin down what transformers adds to Jinja and how
// Jinja reads a template's text.
func TestJinjaDialect(t *testing.T) {
	f := loadJinjaFixtures(t)
	for _, p := range f.Probes {
		tmpl, err := Compile(p.Template, "probe", SpecialTokens{BOS: "<s>"})
		if err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		tmpl.SetClock(fixtureClock(t, f))
		got, err := tmpl.Render(p.Messages, true)
		check(t, p.Name, got, err, p.Rendered, p.Error, p.Deviation)
		if p.Deviation != "" {
			t.Logf("known deviation, %s: %s", p.Name, p.Deviation)
		}
	}
}

func TestOwnEndOfTurn(t *testing.T) {
	f := loadJinjaFixtures(t)
	for name, want := range map[string]string{
		"smollm2": "<|im_end|>", "qwen2": "<|im_end|>", "qwen3": "<|im_end|>", "llama3.1": "<|eot_id|>",
		"gemma2": "<end_of_turn> <eos>", "gemma3": "<end_of_turn> <eos>", "gemma4": "<turn|> <eos>", "mistral-v0.3": "</s>",
	} {
		if got := strings.Join(compileFixture(t, f, name).EndOfTurn(), " "); got != want {
			t.Errorf("%s: EndOfTurn() = %q, want %q", name, got, want)
		}
	}
}

// TestSmolLM2OwnTemplateAsBefore: the default model's prompts do not change with the move from the
// hand-written ChatML renderer to its own template; both insert SmolLM2's default system message.
func TestSmolLM2OwnTemplateAsBefore(t *testing.T) {
	f := loadJinjaFixtures(t)
	own := compileFixture(t, f, "smollm2")
	src, _ := os.ReadFile(filepath.Join("testdata", "templates", "smollm2.jinja"))
	old, err := detect(string(src), SpecialTokens{})
	if err != nil {
		t.Fatal(err)
	}
	msgs := []Message{{Role: "user", Content: "Write a short story about a lighthouse keeper."}}
	got, err := own.Render(msgs, true)
	if err != nil {
		t.Fatal(err)
	}
	const want = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n" +
		"<|im_start|>user\nWrite a short story about a lighthouse keeper.<|im_end|>\n<|im_start|>assistant\n"
	if got != want {
		t.Errorf("own template:\n got %q\nwant %q", got, want)
	}
	for _, conv := range f.Conversations {
		a, errA := own.Render(conv, true)
		b, errB := old.render(conv, true)
		if a != b || (errA == nil) != (errB == nil) {
			t.Errorf("%v: own template %q (%v), hand-written %q (%v)", conv, a, errA, b, errB)
		}
	}
	if own.Warning() != "" || !strings.Contains(own.Name(), "smollm2.jinja") {
		t.Errorf("Name() %q, Warning() %q: want the file named and no warning", own.Name(), own.Warning())
	}
}

func TestDateString(t *testing.T) {
	f := loadJinjaFixtures(t)
	tmpl := compileFixture(t, f, "llama3.2")
	msgs := []Message{{Role: "user", Content: "Hi"}}
	got, _ := tmpl.Render(msgs, true)
	if !strings.Contains(got, "Today Date: 09 Mar 2025\n") {
		t.Errorf("with the clock at %s: %q should say Today Date: 09 Mar 2025", f.Clock, got)
	}
	tmpl.SetDate("26 Jul 2024")
	if got, _ = tmpl.Render(msgs, true); !strings.Contains(got, "Today Date: 26 Jul 2024\n") {
		t.Errorf("SetDate(26 Jul 2024): %q", got)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{" \n", "x.jinja: the chat template is empty"},
		{"{% for m in messages %}{{ m.content }}", "x.jinja: the chat template does not parse"},
	} {
		if _, err := Compile(c.src, "x.jinja", SpecialTokens{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Compile(%q): %v, want an error containing %q", c.src, err, c.want)
		}
	}
	tmpl, err := Compile("{{ messages }}", "x.jinja", SpecialTokens{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.RenderWith(nil, true, map[string]any{"messages": "x"}); err == nil {
		t.Error("RenderWith with a messages variable should be an error")
	}
	if _, err := tmpl.RenderWith(nil, true, map[string]any{"tools": struct{}{}}); err == nil || !strings.Contains(err.Error(), `"tools"`) {
		t.Errorf("RenderWith with a struct variable: %v, want an error naming the variable", err)
	}
}

func TestFallback(t *testing.T) {
	vocab := func(tokens ...string) func(string) bool {
		return func(s string) bool { return slices.Contains(tokens, s) }
	}
	msgs := []Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}}
	for _, c := range []struct {
		vocab   []string
		warning string
		want    string
	}{
		{[]string{"<|im_start|>", "<|im_end|>"}, "no chat_template in the model; using the built-in ChatML template",
			"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"},
		{nil, "using the built-in ChatML template (the vocabulary has no <|im_start|> token",
			"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"},
		{[]string{"<|start_header_id|>", "<|eot_id|>"}, "using the built-in Llama 3 template",
			"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{[]string{"<start_of_turn>"}, "using the built-in Gemma template",
			"<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n"},
	} {
		tmpl := Fallback(vocab(c.vocab...), SpecialTokens{})
		if !strings.Contains(tmpl.Warning(), c.warning) {
			t.Errorf("vocabulary %v: Warning() = %q, want it to contain %q", c.vocab, tmpl.Warning(), c.warning)
		}
		if got, err := tmpl.Render(msgs, true); err != nil || got != c.want {
			t.Errorf("vocabulary %v: Render = %q, %v; want %q", c.vocab, got, err, c.want)
		}
	}
	if _, err := Builtin("alpaca", SpecialTokens{}); err == nil || !strings.Contains(err.Error(), "chatml, llama3, mistral, gemma") {
		t.Errorf("Builtin(alpaca): %v, want an error listing the families", err)
	}
}

func TestStrftime(t *testing.T) {
	at := time.Date(2024, 1, 5, 0, 7, 9, 0, time.UTC)
	for format, want := range map[string]string{
		"%d %b %Y":    "05 Jan 2024",
		"%-d %B, %A":  "5 January, Friday",
		"%I:%M %p %j": "12:07 AM 005",
		"%e|%y|%%|%Q": " 5|24|%|%Q",
	} {
		if got := strftime(format, at); got != want {
			t.Errorf("strftime(%q) = %q, want %q", format, got, want)
		}
	}
}
