package testkit

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/support/env"
)

// fakeTB records what Skip does instead of stopping a real test.
type fakeTB struct {
	testing.TB
	name            string
	skipped, failed string
}

func (f *fakeTB) Name() string              { return f.name }
func (f *fakeTB) Helper()                   {}
func (f *fakeTB) Skip(args ...any)          { f.skipped = fmt.Sprint(args...) }
func (f *fakeTB) Fatalf(s string, a ...any) { f.failed = fmt.Sprintf(s, a...) }

func TestSkip(t *testing.T) {
	cases := []struct {
		noSkip, name string
		wantSkip     bool   // skipped, not failed
		want         string // part of the message
	}{
		{"", "TestAnything", true, "needs a thing"},
		{"0", "TestAnything/sub", true, "needs a thing"},
		{"1", "TestAnything", false, "add TestAnything to the allow-list"},
		{"true", "TestAnything/sub", false, env.NoSkip + " is set"},
		{"1", "TestRenderSamples", true, "allowed to skip in CI: opt-in (FIGURES_CHECK_DIR)"},
		{"1", "TestRenderSamples/sub", true, "allowed to skip in CI"},
	}
	for _, c := range cases {
		t.Setenv(env.NoSkip, c.noSkip)
		f := &fakeTB{name: c.name}
		Skipf(f, "needs a %s", "thing")
		msg := f.skipped + f.failed
		if (f.skipped != "") != c.wantSkip || (f.failed != "") == c.wantSkip || !strings.Contains(msg, c.want) {
			t.Errorf("%s=%q, %s: skipped %q, failed %q; want skip=%v with %q", env.NoSkip, c.noSkip, c.name,
				f.skipped, f.failed, c.wantSkip, c.want)
		}
	}
}

// TestAllowedExist keeps the allow-list honest: each entry names a test function of the repository, and
// only one (the list is keyed by name alone).
func TestAllowedExist(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found at %s: %v", root, err)
	}
	count := map[string]int{}
	decl := regexp.MustCompile(`(?m)^func (Test\w+)\(`)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
			if _, ok := Allowed[m[1]]; ok {
				count[m[1]]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, why := range Allowed {
		if why == "" {
			t.Errorf("%s is allowed to skip without a reason", name)
		}
		if count[name] != 1 {
			t.Errorf("allow-list entry %s names %d test functions in the repository, want exactly 1", name, count[name])
		}
	}
}
