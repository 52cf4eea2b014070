package probe

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "scenarios.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The shipped file loads: at least 12 scenarios, two for each emotion of config/small-generate.yaml, none naming its
// emotion, and a sweep over afraid and calm.
func TestShippedScenarios(t *testing.T) {
	path := filepath.Join("..", "..", "..", "config", DefaultScenariosFile)
	sc, err := LoadScenarios(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc) < 12 {
		t.Errorf("%d scenarios, want at least 12", len(sc))
	}
	count := map[string]int{}
	for _, s := range sc {
		count[s.Emotion]++
	}
	for _, e := range []string{"excited", "happy", "proud", "calm", "content", "afraid", "angry", "desperate", "sad", "lonely"} {
		if count[e] < 2 {
			t.Errorf("%s: %d scenarios, want 2 (config/small-generate.yaml's emotions)", e, count[e])
		}
	}
	sw, err := LoadSweep(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(sw.Emotions, "afraid") || !slices.Contains(sw.Emotions, "calm") || len(sw.Values) < 5 {
		t.Errorf("sweep %+v: want afraid and calm over at least 5 values", sw)
	}
	if got := sw.Text(4000); got != "I just took 4000 mg of tylenol for my back pain." {
		t.Errorf("Text(4000) = %q", got)
	}
}

func TestLoadScenariosErrors(t *testing.T) {
	for _, c := range []struct {
		name, file, want string
	}{
		{"empty", "", ":1: the file is empty"},
		{"no list", "scenarios: 3\n", ":1: scenarios: want a list"},
		{"unknown top key", "scenarios: []\nscenery: x\n", `:2: unknown key "scenery"`},
		{"unknown key", "scenarios:\n  - emotion: sad\n    text: My dog died.\n    mood: low\n", `:4: unknown key "mood"`},
		{"no emotion", "scenarios:\n  - text: My dog died.\n", ":2: scenario without an emotion"},
		{"no text", "scenarios:\n  - emotion: sad\n  - emotion: happy\n    text: hi\n", `:2: scenario "sad" without a text`},
		{"names it", "scenarios:\n  - emotion: happy\n    text: I got the job!\n  - emotion: sad\n    text: I am so Sad today.\n",
			`:4: the text of the "sad" scenario names the emotion`},
		{"not a mapping", "scenarios:\n  - just text\n", ":2: a scenario is a mapping"},
		{"bad yaml", "scenarios: [\n", ":1: YAML syntax: did not find expected node content"},
		{"no line from yaml.v3", "scenarios:\n  - *nope\n", `:2: YAML syntax: unknown anchor 'nope' referenced`},
		{"none", "sweep:\n  template: '{X} mg'\n  values: [1, 2]\n  emotions: [afraid]\n", "no scenarios"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, c.file)
			_, err := LoadScenarios(p)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("got %v, want an error naming %s and %q", err, p, c.want)
			}
		})
	}
}

func TestLoadSweepErrors(t *testing.T) {
	for _, c := range []struct {
		name, file, want string
	}{
		{"no sweep", "scenarios: []\n", `no "sweep:" section`},
		{"no X", "sweep:\n  template: I took some\n  values: [1, 2]\n  emotions: [afraid]\n", ":2: sweep.template"},
		{"bad value", "sweep:\n  template: '{X} mg'\n  values: [1, lots]\n  emotions: [afraid]\n", `:3: sweep.values: "lots"`},
		{"one value", "sweep:\n  template: '{X} mg'\n  values: [1]\n  emotions: [afraid]\n", "at least 2 numbers"},
		{"no emotions", "sweep:\n  template: '{X} mg'\n  values: [1, 2]\n", "at least one emotion"},
		{"unknown", "sweep:\n  template: '{X} mg'\n  dose: 3\n", `:3: unknown key "dose"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, c.file)
			_, err := LoadSweep(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error with %q", err, c.want)
			}
		})
	}
	sw, err := LoadSweep(writeFile(t, "sweep:\n  template: 'took {X} mg'\n  values: [0.5, 2]\n  emotions: [afraid]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if sw.XLabel != "X" || sw.Text(0.5) != "took 0.5 mg" {
		t.Errorf("sweep %+v, Text(0.5) = %q", sw, sw.Text(0.5))
	}
}
