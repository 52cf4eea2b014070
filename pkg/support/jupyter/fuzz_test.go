package jupyter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the notebook reader, as the runner reads a notebook a person edited:
// nothing may panic; an error says where (the line and byte of bad JSON, or the cell); an accepted notebook
// renders to HTML, and what Marshal writes parses back with the same cells. Seeds: the project's
// notebooks and the runner's test notebooks. Run longer with:
// go test ./pkg/support/jupyter -run '^$' -fuzz FuzzParse -fuzztime 60s -fuzzminimizetime 1s
func FuzzParse(f *testing.F) {
	var seeds []string
	for _, glob := range []string{"../../../notebooks/*.ipynb", "testdata/*.ipynb"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, m...)
	}
	if len(seeds) < 2 {
		f.Fatalf("seed notebooks not found (got %v)", seeds)
	}
	for _, name := range seeds {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// testdata/fuzz/FuzzParse holds the inputs that crashed the runner: null cells and outputs.
	for _, s := range []string{`{"nbformat": 4, "cells": [{"source": 7}]}`, "{\n\"nbformat\": 4,\n\"cells\": [\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nb, err := Parse(data)
		if err != nil {
			msg := err.Error()
			switch {
			case strings.HasPrefix(msg, "not a JSON notebook"):
				if !strings.Contains(msg, " at line ") {
					t.Fatalf("JSON error %q does not say where", msg)
				}
			case strings.HasPrefix(msg, "nbformat "), strings.HasPrefix(msg, "cells["):
			default:
				t.Fatalf("error %q does not say where the fault is", msg)
			}
			return
		}
		RenderHTML(nb, "fuzz")
		out, err := nb.Marshal()
		if err != nil {
			return // an output type nbformat does not know cannot be written back; that is said, not a crash
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Marshal wrote a notebook Parse refuses: %v\n%s", err, out)
		}
		if len(again.Cells) != len(nb.Cells) {
			t.Fatalf("%d cells written, %d read back", len(nb.Cells), len(again.Cells))
		}
	})
}

// TestReadErrorsSayWhere: Read names the file, and the cell or the line of the fault.
func TestReadErrorsSayWhere(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, text, want string }{
		{"syntax", "{\n \"nbformat\": 4,\n \"cells\": [,]\n}", "at line 3, byte"},
		{"null cell", `{"nbformat": 4, "cells": [{"cell_type": "markdown", "source": ""}, null]}`, "cells[1] is null"},
		{"null output", `{"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "outputs": [null]}]}`, "cells[0]: outputs[0] is null"},
		{"bad source", `{"nbformat": 4, "cells": [{"cell_type": "code", "source": 7}]}`, "cells[0]: cell: want a string or a list of strings"},
		{"bad output", `{"nbformat": 4, "cells": [{"cell_type": "code", "outputs": [{"output_type": 3}]}]}`, "cells[0]: outputs[0]: output:"},
	} {
		path := filepath.Join(dir, c.name+".ipynb")
		if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Read(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %s and containing %q", c.name, err, path, c.want)
		}
	}
}
