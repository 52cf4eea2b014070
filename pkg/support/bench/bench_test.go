package bench

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

func TestReplaceSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	// A new file gets the heading and the section.
	if err := ReplaceSection(path, "engine", "## Engine\nfirst\n"); err != nil {
		t.Fatal(err)
	}
	// A second section is appended; rewriting the first leaves the second alone.
	if err := ReplaceSection(path, "workers", "## Workers\nw\n"); err != nil {
		t.Fatal(err)
	}
	if err := ReplaceSection(path, "engine", "## Engine\nsecond\n"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"# Benchmarks", "<!-- engine:begin -->\n## Engine\nsecond\n<!-- engine:end -->",
		"<!-- workers:begin -->\n## Workers\nw\n<!-- workers:end -->"} {
		if !strings.Contains(text, want) {
			t.Errorf("file lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "first") || strings.Count(text, "engine:begin") != 1 {
		t.Errorf("the engine section was not replaced in place:\n%s", text)
	}
	if strings.Index(text, "engine:begin") > strings.Index(text, "workers:begin") {
		t.Errorf("the engine section moved after the workers section:\n%s", text)
	}
}

func TestMedian(t *testing.T) {
	sleeps := []time.Duration{time.Millisecond, 30 * time.Millisecond, 2 * time.Millisecond}
	calls := 0
	m, err := Median(3, func() error { time.Sleep(sleeps[calls]); calls++; return nil })
	// The median is the second shortest run, which slept at least 2 ms.
	if err != nil || calls != 3 || m < 0.002 {
		t.Errorf("Median = %v s, %v after %d calls; want >= 0.002 s after 3 calls", m, err, calls)
	}
	calls = 0
	boom := errors.New("boom")
	if _, err := Median(5, func() error { calls++; return boom }); !errors.Is(err, boom) || calls != 1 {
		t.Errorf("a failing run: err %v after %d calls; want boom after 1", err, calls)
	}
}

func TestWorkersSectionProjectsTheFullRun(t *testing.T) {
	// 60 stories a minute with 2 workers is the best rate: the paper's 205,200 stories take 3,420 min = 57 h.
	runs := []WorkersRun{{Workers: 1, Wall: 2 * time.Minute, Kept: 80}, {Workers: 2, Wall: time.Minute, Kept: 60}}
	s := WorkersSection(testConfig(t), "config/x.yaml", runs)
	for _, want := range []string{"| 1 | 120 s | 80 |", "| 2 | 60 s | 60 |", "1.50x", "2 worker(s), 60.00", "about 57 hours"} {
		if !strings.Contains(s, want) {
			t.Errorf("section lacks %q:\n%s", want, s)
		}
	}
}

func testConfig(t *testing.T) *config.Config {
	t.Helper()
	return config.Default()
}
