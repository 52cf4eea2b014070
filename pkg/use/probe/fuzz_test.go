package probe

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// errLine is how every refusal of the fuzzed file starts: the package, the file and a line.
var errLine = regexp.MustCompile(`^probe: fuzz\.yaml:(\d+): \S`)

// FuzzScenarios feeds arbitrary bytes to the scenarios parser (LoadScenarios, LoadSweep): nothing may
// panic; a refusal names the file and a line inside it; an accepted file holds only scenarios with an
// emotion, a text that does not name it and a line inside the file, and a sweep (if any) whose template
// holds {X} once, with 2 or more finite values and an emotion. Seeds: the shipped config/data/scenarios.yaml
// and a few broken files. Run longer with:
// go test ./pkg/use/probe -run '^$' -fuzz FuzzScenarios -fuzztime 60s -fuzzminimizetime 1s
func FuzzScenarios(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "config", DefaultScenariosFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	lines := bytes.SplitAfter(b, []byte("\n"))
	f.Add(bytes.Join(lines[:len(lines)/3], nil))
	for _, s := range []string{"", "scenarios:\n  - emotion: sad\n    text: [a, b]\n", "sweep:\n  template: '{X}{X}'\n",
		"scenarios: &a\n  - *a\n", "sweep:\n  values: [1, .nan]\n", "scenarios:\n  - {emotion: happy, text: so HAPPY}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := parseScenarioFile("fuzz.yaml", data)
		// YAML ends a line at "\r\n", "\n" or a lone "\r", and so do its line numbers.
		nLines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n")) + 1
		if err != nil {
			m := errLine.FindStringSubmatch(err.Error())
			if m == nil {
				t.Fatalf("error %q does not name the file and a line", err)
			}
			if n, _ := strconv.Atoi(m[1]); n < 1 || n > nLines {
				t.Fatalf("error %q: line %s is outside the file's %d lines", err, m[1], nLines)
			}
			return
		}
		for _, sc := range sf.Scenarios {
			if sc.Emotion == "" || sc.Text == "" || names(sc.Text, sc.Emotion) || sc.Line < 1 || sc.Line > nLines {
				t.Fatalf("accepted a bad scenario %+v (file of %d lines)", sc, nLines)
			}
		}
		if s := sf.Sweep; s != nil {
			if strings.Count(s.Template, "{X}") != 1 || len(s.Values) < 2 || len(s.Emotions) == 0 || s.XLabel == "" {
				t.Fatalf("accepted a bad sweep %+v", s)
			}
			for _, v := range s.Values {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("accepted a sweep value %v", v)
				}
			}
		}
	})
}
