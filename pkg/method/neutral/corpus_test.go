package neutral_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/hub"
	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/method/neutral"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/corpus"
)

// The shipped neutral dialogues, as config/small.yaml reads them: every one passes the checks a generated
// dialogue passes (Human and Assistant in turn after at most one system line, no feeling word of the list
// or of the 171 emotions, no pleasantry, no loop, long enough to read), 3 on each of the 100 topics, with
// 1 to 6 exchanges, and some opening with a system line.
func TestShippedNeutralCorpus(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "..", "..", "config", "small.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := corpus.Read(cfg.Path(cfg.Neutral.Corpus), corpus.Dialogues)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.Problems {
		t.Errorf("%v", p)
	}
	perTopic := map[string]int{}
	withSystem := 0
	for _, r := range c.Rows {
		perTopic[r.Topic]++
		system, turns := neutral.ParseTurns(r.Text)
		if system != "" {
			withSystem++
		}
		if n := len(turns) / 2; n < 1 || n > neutral.MaxExchanges {
			t.Errorf("%s: %d exchanges, want 1-%d", r.Where(), n, neutral.MaxExchanges)
		}
		if strings.Contains(r.Text, "!") && !strings.Contains(r.Text, "!=") {
			t.Errorf("%s: an exclamation mark", r.Where())
		}
	}
	if len(c.Rows) != 300 || len(perTopic) != 100 || withSystem < 30 {
		t.Errorf("%d dialogues on %d topics, %d with a system line; want 300 on 100, some 75", len(c.Rows), len(perTopic), withSystem)
	}
	for topic, n := range perTopic {
		if n != 3 {
			t.Errorf("topic %q: %d dialogues, want 3", topic, n)
		}
	}

	r, err := hub.Resolve("default", hub.Options{})
	if err != nil {
		t.Fatalf("the default model is needed for this test (its tokenizer): %v", err)
	}
	m, err := lm.Load(r.Path, lm.LoadOptions{Backend: "go"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cfg.Output.Dir = t.TempDir()
	opts := generate.Options{ModelID: "test"}
	opts.Progress.Writer = io.Discard
	sum, err := neutral.Run(context.Background(), m, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Kept != 300 || sum.Requested != 300 || len(sum.Problems) > 0 {
		t.Errorf("the neutral stage on the corpus: %s", sum)
	}
}
