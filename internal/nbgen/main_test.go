package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/support/jupyter"
)

func TestConvert(t *testing.T) {
	type cell struct{ typ, src string }
	tests := []struct {
		name string
		src  string
		want []cell
	}{
		{"markdown only", "# Title\n\nText.\n", []cell{{"markdown", "# Title\n\nText."}}},
		{"code splits markdown", "# T\n\n```go\n%%\nfmt.Println(1)\n```\n\nNote.\n",
			[]cell{{"markdown", "# T"}, {"code", "%%\nfmt.Println(1)"}, {"markdown", "Note."}}},
		{"other fences stay in markdown", "A\n```yaml\nx: 1\n```\nB\n", []cell{{"markdown", "A\n```yaml\nx: 1\n```\nB"}}},
		{"go fence inside another fence is text", "```text\n```go\n```\n", []cell{{"markdown", "```text\n```go\n```"}}},
		{"cell break", "A\n<!-- cell -->\nB\n", []cell{{"markdown", "A"}, {"markdown", "B"}}},
		{"adjacent code cells, no empty markdown", "```go\na\n```\n```go\nb\n```\n", []cell{{"code", "a"}, {"code", "b"}}},
		{"list items joined", "- one\n  two\n- three\n\nText\n  indented\n", []cell{{"markdown", "- one two\n- three\n\nText\n  indented"}}},
		{"numbered items joined", "1. **A.** x\n   y\n2. B\n", []cell{{"markdown", "1. **A.** x y\n2. B"}}},
		{"indentation in code kept", "```go\nfor {\n\tx()\n}\n```\n", []cell{{"code", "for {\n\tx()\n}"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nb, err := Convert("07-x", tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if len(nb.Cells) != len(tc.want) {
				t.Fatalf("got %d cells, want %d: %+v", len(nb.Cells), len(tc.want), nb.Cells)
			}
			for i, c := range nb.Cells {
				if c.Type != tc.want[i].typ || c.Source != tc.want[i].src {
					t.Errorf("cell %d = %s %q, want %s %q", i, c.Type, c.Source, tc.want[i].typ, tc.want[i].src)
				}
				if !strings.HasPrefix(c.ID, "07-c") {
					t.Errorf("cell %d id %q, want the 07-cNN form", i, c.ID)
				}
			}
		})
	}
}

func TestConvertNeeds(t *testing.T) {
	for _, tc := range []struct {
		src   string
		needs []string // nil: not declared
	}{
		{"# T\n<!-- needs: 03 04 -->\nText.\n", []string{"03", "04"}},
		{"<!-- needs: -->\n# T\n", []string{}},
		{"# T\n", nil},
		{"```text\n<!-- needs: 01 -->\n```\n", nil}, // inside a fence it is text
	} {
		nb, err := Convert("05-x", tc.src)
		if err != nil {
			t.Fatal(err)
		}
		needs, declared := nb.Needs()
		if declared != (tc.needs != nil) || len(needs) != len(tc.needs) || strings.Join(needs, " ") != strings.Join(tc.needs, " ") {
			t.Errorf("Convert(%q): needs %q (declared %v), want %q", tc.src, needs, declared, tc.needs)
		}
		for _, c := range nb.Cells {
			if strings.Contains(c.Source, "needs:") && tc.needs != nil {
				t.Errorf("Convert(%q): the needs line stayed in cell %q", tc.src, c.Source)
			}
		}
	}
	if _, err := Convert("05-x", "<!-- needs: 01 -->\n<!-- needs: 02 -->\n"); err == nil {
		t.Errorf("two needs lines gave no error")
	}
}

func TestConvertUnclosed(t *testing.T) {
	for _, src := range []string{"```go\nx\n", "```text\nx\n"} {
		if _, err := Convert("00-x", src); err == nil {
			t.Errorf("Convert(%q) gave no error for an unclosed fence", src)
		}
	}
}

// TestRoundTrip writes a notebook and reads it back with package jupyter: valid nbformat 4.5, the GoNB
// kernelspec, no outputs, and -check passing on the result.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "01-a.md"), []byte("# A\n```go\n%%\nx := 1\n```\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(src, dir, true); err == nil {
		t.Fatal("-check passed before the notebook was written")
	}
	if err := run(src, dir, false); err != nil {
		t.Fatal(err)
	}
	if err := run(src, dir, true); err != nil {
		t.Fatalf("-check after writing: %v", err)
	}
	nb, err := jupyter.Read(filepath.Join(dir, "01-a.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if nb.NBFormat != 4 || nb.NBFormatMinor != 5 {
		t.Errorf("nbformat %d.%d, want 4.5", nb.NBFormat, nb.NBFormatMinor)
	}
	ks, _ := nb.Metadata["kernelspec"].(map[string]any)
	if ks["name"] != "gonb" || ks["language"] != "go" {
		t.Errorf("kernelspec %v, want name gonb, language go", ks)
	}
	for _, c := range nb.Cells {
		if len(c.Outputs) != 0 || c.ExecutionCount != nil {
			t.Errorf("cell %s has outputs or an execution count", c.ID)
		}
	}
}

// TestNotebooksInSync fails when a committed notebook differs from its source in notebooks/src.
func TestNotebooksInSync(t *testing.T) {
	if err := run("../../notebooks/src", "../../notebooks", true); err != nil {
		t.Error(err)
	}
}

// TestNeedsMatchInputs keeps each notebook's needs line and its **Inputs:** paragraph in step: a
// notebook whose outputs it reads, written "(`folder/`, notebook NN)" there, must be among its needs,
// and each need must be named so. A missing need would let the headless runner start the notebook
// before its inputs exist.
func TestNeedsMatchInputs(t *testing.T) {
	paths, err := filepath.Glob("../../notebooks/src/[0-9][0-9]-*.md")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no notebook sources (%v)", err)
	}
	readsRe := regexp.MustCompile("\\(`[^`]+/`, notebook (\\d\\d)\\)")
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		nb, err := Convert(strings.TrimSuffix(filepath.Base(p), ".md"), string(src))
		if err != nil {
			t.Fatal(err)
		}
		needs, declared := nb.Needs()
		if !declared {
			t.Errorf("%s: no <!-- needs: --> line", p)
			continue
		}
		_, inputs, _ := strings.Cut(string(src), "**Inputs:**")
		inputs, _, _ = strings.Cut(inputs, "\n\n")
		var reads []string
		for _, m := range readsRe.FindAllStringSubmatch(inputs, -1) {
			reads = append(reads, m[1])
		}
		slices.Sort(reads)
		reads = slices.Compact(reads)
		if got := slices.Sorted(slices.Values(needs)); !slices.Equal(got, reads) {
			t.Errorf("%s: needs %v, but its Inputs read the outputs of notebooks %v", p, got, reads)
		}
	}
}
