package neutral_test

import (
	"context"
	"io"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/method/neutral"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/env"
	"github.com/emotion-probes/emotion-probes/pkg/support/testkit"
)

// TestRealModelWritesDialogues runs the real model named by EMOTION_PROBES_MODEL_GGUF (skipped when unset).
func TestRealModelWritesDialogues(t *testing.T) {
	path := env.Get(env.ModelGGUF)
	if path == "" {
		testkit.Skipf(t, "set %s to a .gguf file to run the real model", env.ModelGGUF)
	}
	m, err := lm.Load(path, lm.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cfg := config.Default()
	cfg.Emotions = []string{"afraid"}
	cfg.Topics = []string{"A train is delayed"}
	cfg.Output.Dir = t.TempDir()
	cfg.Generation.NeutralPerTopic = 2
	cfg.Generation.MaxNewTokens = 250
	cfg.Generation.BatchSize = 4
	cfg.Generation.MaxAttempts = 3
	opts := generate.Options{ModelID: "test"}
	opts.Progress.Writer = io.Discard
	sum, err := neutral.Run(context.Background(), m, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(sum)
	units, err := neutral.Load(cfg.OutputDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range units[0].Kept {
		t.Logf("kept (attempt %d, %s, %d exchanges, %d tokens):\n%s", d.Attempt, d.Kind, d.Exchanges, d.Tokens, d.Text)
	}
	for _, r := range units[0].Rejected {
		t.Logf("rejected (attempt %d, %s: %s):\n%s", r.Attempt, r.Reason, r.Detail, r.Text)
	}
	if units[0].Attempts == 0 {
		t.Error("no completion drawn")
	}
}
