package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the config parser and to the synonyms parser (both read YAML that a
// person wrote): nothing may panic; every problem names the file and says where, by line or by key; a
// config that parses validates without panicking, and its Dump parses back without problems. Seeds: the
// shipped configs and synonyms file, and a few broken ones. Run longer with:
// go test ./pkg/support/config -run '^$' -fuzz FuzzParse -fuzztime 60s -fuzzminimizetime 1s
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("..", "..", "..", "config", "*.yaml"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed configs in config/*.yaml (%v)", err)
	}
	for _, name := range seeds {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "model:\n  name: [1, 2\n", "generation:\n\ttop_p: 0.9\n", "a: &x [*x]\n",
		"extraction:\n  layers: [1, b]\n", "happy: [joy, {a: b}]\nhappy: []\n"} {
		f.Add([]byte(s))
	}
	// testdata/fuzz/FuzzParse/unknown-anchor: yaml.v3 gives no line for an alias to an unknown anchor.
	const file = "fuzz.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, file)
		checkProblems(t, "Parse", err)
		if err == nil {
			checkProblems(t, "Validate", c.Validate())
			if out, err := c.Dump(); err == nil {
				if _, err := Parse(out, file); err != nil {
					t.Fatalf("the Dump of a parsed config does not parse back: %v\n%s", err, out)
				}
			}
		}
		_, err = parseSynonyms(data, file)
		checkProblems(t, "parseSynonyms", err)
	})
}

// checkProblems fails unless err is nil or a non-empty Problems list whose every problem names the file
// and locates itself by line or key.
func checkProblems(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ps Problems
	if !errors.As(err, &ps) || len(ps) == 0 {
		t.Fatalf("%s: error %v (%T) is not a list of problems", what, err, err)
	}
	for _, p := range ps {
		if p.File != "fuzz.yaml" || strings.TrimSpace(p.Msg) == "" {
			t.Fatalf("%s: problem %q does not name the file or says nothing", what, p.Error())
		}
		if p.Line <= 0 && p.Key == "" {
			t.Fatalf("%s: problem %q has neither a line nor a key", what, p.Error())
		}
	}
}
