package nb

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
	"github.com/emotion-probes/emotion-probes/pkg/engine/tokenizer"
	"github.com/emotion-probes/emotion-probes/pkg/method/logitlens"
	"github.com/emotion-probes/emotion-probes/pkg/method/neutral"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/support/drawing"
)

func TestConfigPath(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		cwd        string
		want       string
		wantSource string
	}{
		{"absolute env", map[string]string{ConfigEnv: "/x/config/small.yaml"}, "/nb", "/x/config/small.yaml", "$" + ConfigEnv},
		{"relative env joins cwd", map[string]string{ConfigEnv: "../config/small.yaml"}, "/repo/notebooks", "/repo/config/small.yaml", "$" + ConfigEnv},
		{"blank env is unset", map[string]string{ConfigEnv: "  "}, "/repo/notebooks", "/repo/config/tiny.yaml", "default"},
		{"default beside GONB_DIR", map[string]string{"GONB_DIR": "/repo/notebooks"}, "/tmp/elsewhere", "/repo/config/tiny.yaml", "default"},
		{"default beside cwd", nil, "/repo/notebooks", "/repo/config/tiny.yaml", "default"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, source := configPath(func(k string) string { return tc.env[k] }, tc.cwd)
			if got != filepath.FromSlash(tc.want) {
				t.Errorf("path = %q, want %q", got, tc.want)
			}
			if !strings.HasPrefix(source, tc.wantSource) {
				t.Errorf("source = %q, want it to start with %q", source, tc.wantSource)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	// The repository's own tiny config, as the runner passes it.
	abs, err := filepath.Abs("../../config/tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(ConfigEnv, abs)
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "tiny" || len(cfg.Emotions) == 0 || len(cfg.Topics) == 0 {
		t.Errorf("loaded %q with %d emotions, %d topics; want tiny with both lists filled", cfg.Name, len(cfg.Emotions), len(cfg.Topics))
	}
	t.Setenv(ConfigEnv, "/nonexistent/x.yaml")
	if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), "/nonexistent/x.yaml") || !strings.Contains(err.Error(), ConfigEnv) {
		t.Errorf("missing file: err = %v, want one naming the path and $%s", err, ConfigEnv)
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		text string
		n    int
		want string
	}{
		{"short text", 50, "short text"},
		{"  line one\nline two  ", 50, "line one ⏎ line two"},
		{"the quick brown fox jumps over the lazy dog", 20, "the quick brown fox…"},
		{"word, another, more words here", 15, "word, another…"},
		{"ééééé ééééé", 7, "ééééé…"},
		{"anything", 0, "anything"},
	}
	for _, tc := range tests {
		if got := Excerpt(tc.text, tc.n); got != tc.want {
			t.Errorf("Excerpt(%q, %d) = %q, want %q", tc.text, tc.n, got, tc.want)
		}
	}
}

func TestMust(t *testing.T) {
	if got := Must1(42, nil); got != 42 {
		t.Errorf("Must1(42, nil) = %d", got)
	}
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.Contains(s, "boom") {
			t.Errorf("Must panicked with %v, want a message holding the error", r)
		}
	}()
	Must(errString("boom"))
	t.Error("Must did not panic")
}

type errString string

func (e errString) Error() string { return string(e) }

func TestStoriesHTML(t *testing.T) {
	units := []stories.Unit{{
		Emotion: "sad", Topic: "A train is late", Requested: 2, Attempts: 3,
		Kept: []stories.Story{
			{Text: "I stood <alone> on the platform.", Person: "first", Tokens: 90},
			{Text: "second kept", Person: "third", Tokens: 88, Cut: true},
		},
		Rejected: []stories.Reject{{Text: "She was sad.", Reason: stories.EmotionWord, Detail: "sad"}},
	}}
	got := StoriesHTML(units, 1, 1)
	for _, want := range []string{"<td>sad</td>", "A train is late", "I stood &lt;alone&gt; on the platform.",
		"<td>kept</td>", "rejected: emotion-word (sad)"} {
		if !strings.Contains(got, want) {
			t.Errorf("StoriesHTML lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "second kept") {
		t.Error("StoriesHTML(kept=1) shows the second kept story")
	}
	counts := StoryCountsHTML(units)
	for _, want := range []string{"2/2", "emotion-word 1", ">3<"} {
		if !strings.Contains(counts, want) {
			t.Errorf("StoryCountsHTML lacks %q:\n%s", want, counts)
		}
	}
}

func TestDialoguesHTML(t *testing.T) {
	units := []neutral.Unit{{
		Topic:    "Tides",
		Kept:     []neutral.Dialog{{Text: "Human: What causes tides?\nAssistant: The moon.", Kind: "fact", Exchanges: 1, Tokens: 70}},
		Rejected: []neutral.Reject{{Text: "Human: Hi!", Reason: neutral.Pleasantry}},
	}}
	got := DialoguesHTML(units, 2, 2)
	for _, want := range []string{"Tides", "<td>fact</td>", "Human: What causes tides? ⏎ Assistant: The moon.", "rejected: " + string(neutral.Pleasantry)} {
		if !strings.Contains(got, want) {
			t.Errorf("DialoguesHTML lacks %q:\n%s", want, got)
		}
	}
}

func TestMessagesHTML(t *testing.T) {
	got := MessagesHTML([]chat.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "a < b"}})
	for _, want := range []string{"<td>system</td>", "Be brief.", "a &lt; b", "pre-wrap"} {
		if !strings.Contains(got, want) {
			t.Errorf("MessagesHTML lacks %q:\n%s", want, got)
		}
	}
}

func TestTokensHTML(t *testing.T) {
	tok, err := tokenizer.FromJSONFile("../engine/tokenizer/testdata/tiny_llama3.json")
	if err != nil {
		t.Fatalf("the committed tokenizer fixture: %v", err)
	}
	ids := tok.Encode("a b", false)
	got := TokensHTML(tok, ids)
	if n := strings.Count(got, `<span class="t`); n != len(ids) {
		t.Errorf("TokensHTML shows %d chips for %d ids:\n%s", n, len(ids), got)
	}
	if !strings.Contains(got, fmt.Sprintf("%d tokens", len(ids))) {
		t.Errorf("TokensHTML lacks the token count:\n%s", got)
	}
}

func TestReadFigure(t *testing.T) {
	dir := t.TempDir()
	fig := drawing.Figure{PNG: []byte("\x89PNG fake"), HTML: []byte(`<style>.x{height:4px}</style><div class="item" id="figure" style="width:900px;height:640px;"></div>`)}
	if err := fig.WriteFiles(dir, "cos"); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFigure(dir, "cos")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.PNG) != string(fig.PNG) || string(got.HTML) != string(fig.HTML) || got.Height != 680 {
		t.Errorf("ReadFigure = %d PNG bytes, %d HTML bytes, height %d; want the files back and height 680", len(got.PNG), len(got.HTML), got.Height)
	}
	if _, err := ReadFigure(dir, "missing"); err == nil || !strings.Contains(err.Error(), "report stage") {
		t.Errorf("ReadFigure(missing) err = %v, want one that says to run the report stage", err)
	}
}

func TestLogitLensHTML(t *testing.T) {
	r := &logitlens.Result{Emotions: []logitlens.Entry{{
		Emotion: "sad",
		Top:     []logitlens.Token{{ID: 1, Text: " grief", Logit: 7.5}},
		Bottom:  []logitlens.Token{{ID: 2, Text: " party", Logit: -6}},
	}}}
	got := LogitLensHTML(r)
	for _, want := range []string{"sad", "grief", "party"} {
		if !strings.Contains(got, want) {
			t.Errorf("LogitLensHTML lacks %q:\n%s", want, got)
		}
	}
}

func TestMatrixHelpers(t *testing.T) {
	rows := [][]float64{{1, 2}, {3, -4}}
	d := Dense(rows)
	if got := Rows(d); fmt.Sprint(got) != fmt.Sprint(rows) {
		t.Errorf("Rows(Dense(rows)) = %v, want %v", got, rows)
	}
	if lo, hi := Range(rows); lo != -4 || hi != 3 {
		t.Errorf("Range = %v, %v; want -4, 3", lo, hi)
	}
}

func TestDemoteHeadings(t *testing.T) {
	tests := []struct{ in, want string }{
		{"# Title\n\ntext", "### Title\n\ntext"},
		{"## A\n##### B", "#### A\n###### B"},
		{"#hashtag", "#hashtag"},
		{"```\n# comment\n```", "```\n# comment\n```"},
	}
	for _, tc := range tests {
		if got := DemoteHeadings(tc.in, 2); got != tc.want {
			t.Errorf("DemoteHeadings(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
