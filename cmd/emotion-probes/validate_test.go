package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/use/validate"
)

// `emotion-probes validate` on a copy of the reference run of the tiny model (the copy, so that the other
// tests' byte-for-byte comparisons of the reference folder are not disturbed). --layers 0,1,2 asks for the
// embeddings, which the run did not extract: the command reads them into validation/sweep. The scenarios
// are the shipped file's (its happy, sad and afraid ones have vectors here).
func TestValidateTiny(t *testing.T) {
	ref := referenceRun(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if err := os.CopyFS(out, os.DirFS(ref)); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, out)
	abs := func(p string) string {
		a, err := filepath.Abs(filepath.Join("..", "..", p))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	p := mustRun(t, "validate", "--config", cfg, "--quiet", "--layers", "0,1,2",
		"--ratings", abs("config/data/ratings_warriner2013.tsv"), "--scenarios", abs("config/data/scenarios.yaml"))
	log := p.out.String()
	for _, want := range []string{"layer sweep: reading the stories at layers [0]", "-fold by topics", "bag of words", "recommended layer",
		"human ratings (3 emotions)", "report.md"} {
		if !strings.Contains(log, want) {
			t.Errorf("output lacks %q:\n%s", want, log)
		}
	}
	var rep validate.Report
	data, err := os.ReadFile(filepath.Join(out, validate.Folder, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	// One held-out split (the run's layer); a cross-validation by topic and by story at each layer.
	if !slices.Equal(rep.Layers.Sweep, []int{0, 1, 2}) || !slices.Equal(rep.Layers.Missing, []int{0}) || len(rep.HeldOut) != 1 ||
		len(rep.CrossVal) != 6 {
		t.Errorf("layers %+v, %d held-out checks, %d cross-validations", rep.Layers, len(rep.HeldOut), len(rep.CrossVal))
	}
	var names []string
	for _, s := range rep.Sections {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"scenarios", "scenarios_message", "numeric_sweep"}) {
		t.Errorf("sections %v, want scenarios, scenarios_message and numeric_sweep", names)
	}
	// The scenarios section sets both reads, each under both centrings, side by side.
	for _, row := range []string{"| header | story mean |", "| header | set mean |", "| message | story mean |", "| message | set mean |", "| chance ("} {
		if len(rep.Sections) == 0 || !strings.Contains(rep.Sections[0].Markdown, row) {
			t.Errorf("the scenarios section lacks the row %q", row)
		}
	}
	for _, f := range []string{"report.md", "figures/confusion_cosine.png", "figures/layer_sweep_accuracy.png",
		"figures/pc1_vs_valence.png", "figures/scenarios.png", "figures/scenarios_message.png", "figures/numeric_sweep.html", "sweep/activations/emotions/complete.json"} {
		if _, err := os.Stat(filepath.Join(out, validate.Folder, f)); err != nil {
			t.Errorf("missing: %v", err)
		}
	}
	// A rerun reads nothing again, and needs no model without the scenarios.
	p = mustRun(t, "validate", "--config", cfg, "--quiet", "--layers", "0,1,2",
		"--ratings", abs("config/data/ratings_warriner2013.tsv"), "--scenarios", "-")
	if s := p.out.String(); strings.Contains(s, "reading the stories") || strings.Contains(s, "model:") {
		t.Errorf("rerun: the model was loaded or the sweep's activations read again:\n%s", s)
	}
}
