package jupyter

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRoundTripMatchesNbformat parses a notebook written by nbformat.write (every output type,
// HTML characters, non-ASCII text, a never-run cell, a raw cell) and checks Marshal gives back
// the same bytes: the layout Jupyter itself writes.
func TestRoundTripMatchesNbformat(t *testing.T) {
	want, err := os.ReadFile("testdata/nbformat_golden.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	nb, err := Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := nb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("line %d differs:\n got: %s\nwant: %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("lengths differ: got %d lines, want %d", len(gl), len(wl))
	}
}

// TestParseFields checks that the golden notebook's content is read into the right fields.
func TestParseFields(t *testing.T) {
	nb, err := Read("testdata/nbformat_golden.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if len(nb.Cells) != 6 {
		t.Fatalf("got %d cells, want 6", len(nb.Cells))
	}
	md, c1, c2, c3, c4 := nb.Cells[0], nb.Cells[1], nb.Cells[2], nb.Cells[3], nb.Cells[4]
	checks := []struct {
		name      string
		got, want any
	}{
		{"markdown source", md.Source, "# Title\n\nSome *text* with `code`.\n\n- one\n- two"},
		{"code id", c1.ID, "code-1"},
		{"execution_count", *c1.ExecutionCount, 1},
		{"stream text joined", c1.Outputs[0].Text, "a <b> & c\nsecond line\n"},
		{"stderr name", c1.Outputs[1].Name, "stderr"},
		{"html joined", c2.Outputs[0].Data["text/html"], "<iframe srcdoc=\"&lt;p&gt;chart&lt;/p&gt;\"></iframe>\n<p>two lines</p>"},
		{"json kept as JSON", c2.Outputs[0].Data["application/json"].(map[string]any)["b"], "x"},
		{"execute_result count", *c2.Outputs[1].ExecutionCount, 2},
		{"error ename", c3.Outputs[0].EName, "ERROR"},
		{"error traceback", len(c3.Outputs[0].Traceback), 2},
		{"never run", c4.ExecutionCount == nil && len(c4.Outputs) == 0, true},
		{"raw cell", nb.Cells[5].Type, RawCell},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

// TestMarshalUpgradesTo45 checks that a 4.4 notebook without cell ids is written as valid 4.5:
// unique ids of the allowed form, and duplicate or invalid ids replaced.
func TestMarshalUpgradesTo45(t *testing.T) {
	src := `{"cells": [
	 {"cell_type": "markdown", "metadata": {}, "source": "a"},
	 {"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": ["x\n", "y"], "id": "dup"},
	 {"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": "", "id": "dup"},
	 {"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": "", "id": "bad id!"}
	], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}`
	nb, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if nb.Cells[1].Source != "x\ny" {
		t.Errorf("list source joined to %q, want %q", nb.Cells[1].Source, "x\ny")
	}
	b, err := nb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Cells []struct {
			ID     string          `json:"id"`
			Source json.RawMessage `json:"source"`
		} `json:"cells"`
		Minor int `json:"nbformat_minor"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Minor != 5 {
		t.Errorf("nbformat_minor = %d, want 5", raw.Minor)
	}
	seen := map[string]bool{}
	for i, c := range raw.Cells {
		if !validCellID.MatchString(c.ID) || seen[c.ID] {
			t.Errorf("cell %d id %q is invalid or repeated", i, c.ID)
		}
		seen[c.ID] = true
	}
	if raw.Cells[1].ID != "dup" {
		t.Errorf("first of the duplicate ids changed to %q; it should stay", raw.Cells[1].ID)
	}
	var lines []string
	if err := json.Unmarshal(raw.Cells[1].Source, &lines); err != nil || len(lines) != 2 || lines[0] != "x\n" || lines[1] != "y" {
		t.Errorf("source written as %s, want the list of lines [\"x\\n\", \"y\"]", raw.Cells[1].Source)
	}
}

// TestParseRejects checks the error messages for files that are not v4 notebooks.
func TestParseRejects(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"not JSON", "# just markdown", "not a JSON notebook"},
		{"nbformat 3", `{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}`, "nbformat 3 is not supported"},
		{"bad output", `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "outputs": [{"output_type": "stream", "text": 7}], "source": ""}]}`, "want a string or a list"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

// TestWriteAtomic checks Write replaces the file and leaves no temporary files behind.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.ipynb")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	nb := &Notebook{Cells: []*Cell{{Type: MarkdownCell, Source: "# hi"}}}
	if err := nb.Write(path); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Cells[0].Source != "# hi" {
		t.Errorf("read back %q", back.Cells[0].Source)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after Write, want only out.ipynb", len(entries))
	}
	if err := nb.Write(filepath.Join(dir, "missing", "x.ipynb")); err == nil || !strings.Contains(err.Error(), "x.ipynb") {
		t.Errorf("Write into a missing directory: err = %v, want one naming the file", err)
	}
}
