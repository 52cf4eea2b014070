package main

import (
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// notebookJobs runs two notebooks at once for a small model on a CPU, one on CUDA, what --jobs says when it
// says, and names the config field of a model it cannot find.
func TestNotebookJobs(t *testing.T) {
	load := func() *config.Config {
		cfg, err := config.Load("testdata/e2e.yaml") // the tiny Llama of pkg/engine/lm/testdata, on "go"
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	for _, tc := range []struct {
		backend string
		jobs    int
		want    int
	}{{"go", 0, 2}, {"xla:cpu", 0, 2}, {"xla:cuda", 0, 1}, {"go", 3, 3}, {"xla:cuda", 2, 2}} {
		cfg := load()
		cfg.Model.Backend = tc.backend
		got, err := notebookJobs(cfg, tc.jobs)
		if err != nil || got != tc.want {
			t.Errorf("backend %s, --jobs %d: %d notebooks at once (%v), want %d", tc.backend, tc.jobs, got, err, tc.want)
		}
	}
	cfg := load()
	cfg.Stories.Source, cfg.Stories.Writer = "generate", "no-such-writer-folder"
	if _, err := notebookJobs(cfg, 0); err == nil || !strings.Contains(err.Error(), "stories.writer") ||
		!strings.Contains(err.Error(), "no-such-writer-folder") {
		t.Errorf("a writer that does not exist: error %v, want one naming it and the config field", err)
	}
}
