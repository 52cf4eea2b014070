package jupyter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/support/env"
	"github.com/emotion-probes/emotion-probes/pkg/support/testkit"
)

// kernelSpecForTest finds the GoNB kernel spec: $EMOTION_PROBES_KERNEL (a kernel.json or its
// directory), else <repo>/.jupyter/kernels/gonb as kernel-setup/setup.sh registers it. It skips
// the test, saying how to enable it, when neither holds a usable kernel.
func kernelSpecForTest(t *testing.T) string {
	t.Helper()
	testkit.SkipShort(t, "integration test")
	path := env.Get(env.Kernel)
	if path == "" {
		root, err := filepath.Abs("../../..")
		if err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(root, ".jupyter", "kernels", "gonb")
	}
	spec, err := LoadKernelSpec(path)
	if err != nil {
		testkit.Skipf(t, "no GoNB kernel spec (%v): run kernel-setup/setup.sh or set EMOTION_PROBES_KERNEL to a kernel.json directory", err)
	}
	if _, err := os.Stat(spec.Argv[0]); err != nil {
		testkit.Skipf(t, "kernel spec %s names a missing binary: %v (re-run kernel-setup/setup.sh)", path, err)
	}
	return path
}

// readOutput reads the executed notebook Run wrote and checks it is nbformat 4.5 JSON.
func readOutput(t *testing.T, path string) *Notebook {
	t.Helper()
	nb, err := Read(path)
	if err != nil {
		t.Fatalf("executed notebook: %v", err)
	}
	if nb.NBFormat != 4 || nb.NBFormatMinor != 5 {
		t.Errorf("executed notebook is nbformat %d.%d, want 4.5", nb.NBFormat, nb.NBFormatMinor)
	}
	return nb
}

// TestRunPasses runs testdata/pass.ipynb: stdout, an HTML display, and a display updated in
// place three times, of which only the last state is kept. It also checks the HTML rendering.
func TestRunPasses(t *testing.T) {
	spec := kernelSpecForTest(t)
	out := t.TempDir()
	var progress bytes.Buffer
	err := Run(context.Background(), Options{
		Notebooks: []string{"testdata/pass.ipynb"}, KernelSpec: spec, OutputDir: out,
		CellTimeout: 5 * time.Minute, HTML: true, Progress: &progress,
	})
	t.Logf("progress:\n%s", progress.String())
	if err != nil {
		t.Fatal(err)
	}
	nb := readOutput(t, filepath.Join(out, "pass.ipynb"))
	var code []*Cell
	for _, c := range nb.Cells {
		if c.Type == CodeCell {
			code = append(code, c)
			if c.ExecutionCount == nil {
				t.Errorf("code cell %q has no execution_count", c.ID)
			}
		}
	}
	if len(code) != 4 {
		t.Fatalf("got %d code cells, want 4", len(code))
	}
	if o := code[1].Outputs; len(o) != 1 || o[0].Type != StreamOutput || o[0].Text != "hello from gonb\nsecond line\n" {
		t.Errorf("print cell outputs = %+v, want one stdout stream", o)
	}
	if o := code[2].Outputs; len(o) != 1 || o[0].Type != DisplayDataOutput || o[0].Data["text/html"] != "<b>bold output</b>" {
		t.Errorf("HTML cell outputs = %+v, want one display_data with <b>bold output</b>", o)
	}
	if o := code[3].Outputs; len(o) != 1 || o[0].Data["text/html"] != "<span>progress 3/3</span>" {
		t.Errorf("progress cell outputs = %+v, want one display showing the last update", o)
	}
	for _, want := range []string{"[pass] starting kernel ... ok", "[pass] cell 2/4 ... ok (", "[pass] done: 4 code cells"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q", want)
		}
	}
	html, err := os.ReadFile(filepath.Join(out, "pass.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h1>A notebook that passes</h1>", "<b>bold output</b>", "<span>progress 3/3</span>", "hello from gonb"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("pass.html lacks %q", want)
		}
	}
}

// TestRunFailures runs notebooks that fail in different ways and checks the *CellError names
// the notebook, the cell and (where GoNB says) the line, and that the executed notebook holds
// the failing cell's outputs while later cells stay unexecuted.
func TestRunFailures(t *testing.T) {
	spec := kernelSpecForTest(t)
	tests := []struct {
		notebook    string
		cell, index int
		line        int
		message     []string // substrings of CellError.Message
		timeout     time.Duration
		timedOut    bool
	}{
		// GoNB: traceback "Cell[2]: Line 4 ... undefined: undefinedVariable".
		{"compile_error", 2, 2, 4, []string{"undefined: undefinedVariable"}, 5 * time.Minute, false},
		// GoNB: stderr "panic: load failed: file missing" ... "[[ Cell [2] Line 12 ]]", error "exit status 2".
		{"panic", 2, 2, 12, []string{"panic: load failed: file missing", "exit status 2"}, 5 * time.Minute, false},
		// GoNB: stderr "2026/.. opening input: open /does/not/exist: no such file or directory", "exit status 1".
		{"fatal", 1, 1, 0, []string{"opening input: open /does/not/exist: no such file or directory", "exit status 1"}, 5 * time.Minute, false},
		// The first cell compile can take a while on a cold cache, hence a timeout of 20s
		// for a cell that sleeps 10 minutes.
		{"timeout", 1, 1, 0, []string{"cell timed out after 20s"}, 20 * time.Second, true},
	}
	for _, tc := range tests {
		t.Run(tc.notebook, func(t *testing.T) {
			out := t.TempDir()
			path := filepath.Join("testdata", tc.notebook+".ipynb")
			var progress bytes.Buffer
			start := time.Now()
			err := Run(context.Background(), Options{
				Notebooks: []string{path}, KernelSpec: spec, OutputDir: out,
				CellTimeout: tc.timeout, Progress: &progress,
			})
			t.Logf("progress:\n%s", progress.String())
			var ce *CellError
			if !errors.As(err, &ce) {
				t.Fatalf("Run error = %v, want a *CellError", err)
			}
			t.Logf("CellError: %v", ce)
			if ce.Notebook != path || ce.Cell != tc.cell || ce.Index != tc.index || ce.Line != tc.line {
				t.Errorf("CellError at %s cell %d (index %d) line %d, want %s cell %d (index %d) line %d",
					ce.Notebook, ce.Cell, ce.Index, ce.Line, path, tc.cell, tc.index, tc.line)
			}
			for _, want := range tc.message {
				if !strings.Contains(ce.Message, want) {
					t.Errorf("CellError.Message = %q, want it to contain %q", ce.Message, want)
				}
			}
			if ce.TimedOut != tc.timedOut || errors.Is(err, ErrCellTimeout) != tc.timedOut {
				t.Errorf("TimedOut = %v, errors.Is(ErrCellTimeout) = %v, want %v", ce.TimedOut, errors.Is(err, ErrCellTimeout), tc.timedOut)
			}
			if tc.timedOut && time.Since(start) > tc.timeout+3*interruptGrace {
				t.Errorf("Run took %v: the interrupt did not end the cell", time.Since(start))
			}
			if ce.Output != filepath.Join(out, tc.notebook+".ipynb") {
				t.Errorf("CellError.Output = %q", ce.Output)
			}
			nb := readOutput(t, ce.Output)
			failing := nb.Cells[tc.index]
			if b, err := json.MarshalIndent(failing.Outputs, "", " "); err == nil {
				t.Logf("failing cell outputs, as GoNB sent them:\n%s", b)
			}
			hasError := false
			for _, o := range failing.Outputs {
				hasError = hasError || o.Type == ErrorOutput
			}
			if !hasError || failing.ExecutionCount == nil {
				t.Errorf("failing cell in the written notebook: execution_count %v, outputs %+v; want an error output", failing.ExecutionCount, failing.Outputs)
			}
			for _, c := range nb.Cells[tc.index+1:] {
				if c.Type == CodeCell && (c.ExecutionCount != nil || len(c.Outputs) > 0) {
					t.Errorf("cell %q after the failure was executed", c.ID)
				}
			}
		})
	}
}
