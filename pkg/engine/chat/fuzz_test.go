package chat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzTemplate feeds arbitrary template text to Compile and renders two conversations with it: nothing may
// panic (the engine's own panics must come back as errors), nothing may hang (renders are bounded, see
// bound.go), a template that does not compile gives an error naming its origin, and a render that fails
// names the template. Seeds: the real templates of testdata and two costly ones. Run longer with:
// go test ./pkg/engine/chat -run '^$' -fuzz FuzzTemplate -fuzztime 60s -fuzzminimizetime 1s
func FuzzTemplate(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "templates", "*.jinja"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed templates in testdata/templates (%v)", err)
	}
	for _, name := range append(seeds, filepath.Join("testdata", "llama3.2_chat_template.jinja")) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("{% for i in range(10**12) %}x{% endfor %}")
	f.Add("{{ 'x' * -1 }}{{ messages[0].content | indent(-2) }}")
	orig := renderTimeout
	renderTimeout = time.Second // a fuzzed loop may run for hours: give up sooner
	f.Cleanup(func() { renderTimeout = orig })
	convs := [][]Message{
		{{Role: "user", Content: "Hi"}},
		{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi {{ x }}"}, {Role: "assistant", Content: "Hello."}},
	}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Compile(src, "fuzz.jinja", SpecialTokens{BOS: "<s>", EOS: "</s>"})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "chat: fuzz.jinja: ") {
				t.Fatalf("Compile error %q does not name the template's origin", err)
			}
			return
		}
		for i, msgs := range convs {
			if _, err := tmpl.Render(msgs, i == 0); err != nil && !strings.HasPrefix(err.Error(), "chat: own chat template (fuzz.jinja): ") {
				t.Fatalf("Render error %q does not name the template", err)
			}
		}
	})
}
