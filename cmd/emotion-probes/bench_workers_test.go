package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/support/bench"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

func TestWithOutputDir(t *testing.T) {
	dir := t.TempDir()
	copyPath, err := withOutputDir("../../config/bench-workers.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(copyPath)
	orig, err := config.Load("../../config/bench-workers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OutputDir() != dir {
		t.Errorf("output dir %q, want %q", cfg.OutputDir(), dir)
	}
	if strings.Join(cfg.Data.Emotions, ",") != strings.Join(orig.Data.Emotions, ",") || cfg.Generation != orig.Generation {
		t.Errorf("the copy changed more than output.dir: %+v vs %+v", cfg.Generation, orig.Generation)
	}
}

func TestWorkersSection(t *testing.T) {
	cfg, err := config.Load("../../config/bench-workers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := bench.WorkersSection(cfg, "config/bench-workers.yaml", []bench.WorkersRun{
		{Workers: 1, Wall: 120 * time.Second, Kept: 8, Attempts: 12},
		{Workers: 2, Wall: 80 * time.Second, Kept: 8, Attempts: 12},
	})
	// 8 stories in 2 min = 4/min; in 80 s = 6/min: 1.5x. Full run: 205200 / 6 per min = 570 h.
	for _, want := range []string{"| 1 | 120 s | 8 | 12 | 4.00 | 1.00x |", "| 2 | 80 s | 8 | 12 | 6.00 | 1.50x |", "about 570 hours"} {
		if !strings.Contains(s, want) {
			t.Errorf("section lacks %q:\n%s", want, s)
		}
	}
}
