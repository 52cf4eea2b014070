package jupyter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DefaultCellTimeout is the per-cell timeout when Options.CellTimeout is zero. A first GoNB cell
// that imports gonum/plot or GoMLX compiles for a minute or more on a cold build cache.
const DefaultCellTimeout = 20 * time.Minute

// Options configure Run.
type Options struct {
	// Notebooks are the .ipynb paths to run, in order.
	Notebooks []string
	// KernelSpec is the kernel.json to start, or the directory holding it
	// (for example <repo>/.jupyter/kernels/gonb).
	KernelSpec string
	// OutputDir receives <name>.ipynb (and <name>.html) for each notebook; created if missing.
	OutputDir string
	// CellTimeout bounds each code cell; 0 means DefaultCellTimeout, negative means none.
	CellTimeout time.Duration
	// StartTimeout bounds the kernel start (until it answers kernel_info); 0 means 2 minutes.
	StartTimeout time.Duration
	// Env is extra environment for the kernel (for example EMOTION_PROBES_CONFIG); it wins over
	// the kernel spec's env and the runner's own environment.
	Env map[string]string
	// HTML also writes a self-contained <name>.html rendering beside each executed notebook.
	HTML bool
	// Jobs is how many notebooks run at once, each in its own kernel. 0 or 1 runs them one after
	// another in the order given. Above 1, a notebook starts as soon as the notebooks it needs (its
	// metadata, Notebook.Needs) have finished, and Progress gets whole lines only.
	Jobs int
	// Progress, if set, receives one line per cell: "[01-stories] cell 3/12 ... ok (4.2s)"; with
	// Jobs above 1, a line when a cell starts ("... ") and one when it ends ("ok (4.2s)").
	Progress io.Writer
	// KernelLog, if set, receives the kernels' own stdout and stderr (GoNB's log).
	KernelLog io.Writer
}

// ErrCellTimeout is matched (errors.Is) by a *CellError whose cell ran past its timeout.
var ErrCellTimeout = errors.New("cell timed out")

// CellError reports the first failing cell of a notebook.
type CellError struct {
	// Notebook is the notebook's path as given in Options.Notebooks.
	Notebook string
	// Cell is the 1-based position among the notebook's code cells; Index the 0-based position
	// among all its cells (markdown included), as in the file's "cells" array.
	Cell, Index int
	// Line is the 1-based line within the cell that failed, when the kernel's error says (GoNB
	// names it for compile errors and panics, not for log.Fatal or os.Exit); 0 when unknown.
	Line int
	// Message is the error in one or a few lines: the compiler messages, the panic value, or the
	// last lines the cell wrote to stderr followed by its exit status.
	Message string
	// TimedOut is set when the cell was interrupted by the timeout.
	TimedOut bool
	// Output is the path of the executed notebook that was written, with the failing output.
	Output string
}

// Error returns "notebook NB: code cell C (cell #I)[, line L]: MESSAGE".
func (e *CellError) Error() string {
	where := fmt.Sprintf("code cell %d (cell #%d)", e.Cell, e.Index+1)
	if e.Line > 0 {
		where += fmt.Sprintf(", line %d", e.Line)
	}
	msg := fmt.Sprintf("notebook %s: %s: %s", e.Notebook, where, e.Message)
	if e.Output != "" {
		msg += fmt.Sprintf(" (executed notebook with outputs: %s)", e.Output)
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrCellTimeout) true for a timeout.
func (e *CellError) Unwrap() error {
	if e.TimedOut {
		return ErrCellTimeout
	}
	return nil
}

// Run executes each notebook in order (or, with opts.Jobs above 1, as soon as what it needs has
// run), each in a fresh kernel started from opts.KernelSpec in the notebook's own directory, and
// writes the executed notebook to OutputDir/<name>.ipynb (atomically, also when a cell fails). It
// stops at the first failing cell, starting no other notebook and letting those already running
// finish, and returns a *CellError; other errors (unreadable notebook, kernel that does not start,
// kernel that dies) are returned wrapped.
func Run(ctx context.Context, opts Options) error {
	if len(opts.Notebooks) == 0 {
		return errors.New("notebook: Options.Notebooks is empty: give at least one .ipynb path")
	}
	if opts.OutputDir == "" {
		return errors.New("notebook: Options.OutputDir is empty: say where executed notebooks go")
	}
	if opts.KernelSpec == "" {
		return errors.New("notebook: Options.KernelSpec is empty: give the GoNB kernel.json or its directory")
	}
	spec, err := LoadKernelSpec(opts.KernelSpec)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(opts.OutputDir, 0o755); err != nil {
		return fmt.Errorf("notebook: creating output directory: %w", err)
	}
	nbs := make([]*Notebook, len(opts.Notebooks))
	for i, path := range opts.Notebooks {
		if nbs[i], err = Read(path); err != nil {
			return err
		}
	}
	deps, err := dependencies(opts.Notebooks, nbs)
	if err != nil {
		return err
	}
	jobs := max(opts.Jobs, 1)
	say := &reporter{w: opts.Progress, whole: jobs > 1}
	type result struct {
		i   int
		err error
	}
	results := make(chan result)
	started, done := make([]bool, len(deps)), make([]bool, len(deps))
	ready := func(i int) bool {
		for _, j := range deps[i] {
			if !done[j] {
				return false
			}
		}
		return !started[i]
	}
	var first error
	running := 0
	for {
		// Start what can start, in the order given; after a failure, nothing more.
		for i := 0; first == nil && i < len(deps) && running < jobs; i++ {
			if ready(i) {
				started[i] = true
				running++
				go func() { results <- result{i, runOne(ctx, spec, opts.Notebooks[i], nbs[i], opts, say)} }()
			}
		}
		if running == 0 {
			return first
		}
		r := <-results
		running--
		done[r.i] = r.err == nil
		if r.err != nil && first == nil {
			first = r.err
		}
	}
}

// reporter writes progress lines; several notebooks may write at once.
type reporter struct {
	w     io.Writer
	whole bool // notebooks run side by side: every line is whole, none is finished later
	mu    sync.Mutex
}

// start says that a step of notebook name begins ("cell 3/12"). Alone, the line is finished by end;
// side by side, it is written whole and end repeats the step.
func (r *reporter) start(name, step string) {
	if r.whole {
		r.printf("[%s] %s ...\n", name, step)
	} else {
		r.printf("[%s] %s ... ", name, step)
	}
}

// end says how the step ended ("ok (4.2s)").
func (r *reporter) end(name, step, format string, args ...any) {
	if r.whole {
		r.printf("[%s] %s %s\n", name, step, fmt.Sprintf(format, args...))
	} else {
		r.printf(format+"\n", args...)
	}
}

func (r *reporter) printf(format string, args ...any) {
	if r.w == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, format, args...)
}

// runOne runs notebook nb, read from path, in its own kernel.
func runOne(ctx context.Context, spec *KernelSpec, path string, nb *Notebook, opts Options, say *reporter) (err error) {
	name := NotebookName(path)
	outPath := filepath.Join(opts.OutputDir, name+".ipynb")
	setKernelMetadata(nb, spec)

	// Outputs of a previous run would be mistaken for this run's: clear every code cell first.
	var code []int // indices of the code cells
	for i, c := range nb.Cells {
		if c.Type == CodeCell {
			c.Outputs, c.ExecutionCount = nil, nil
			code = append(code, i)
		}
	}
	// Whatever happens below, the notebook as far as it ran is written.
	defer func() {
		werr := nb.Write(outPath)
		if werr == nil && opts.HTML {
			werr = writeAtomic(strings.TrimSuffix(outPath, ".ipynb")+".html", RenderHTML(nb, name))
		}
		if werr != nil && err == nil {
			err = werr
		}
	}()

	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("notebook: %s: %w", path, err)
	}
	start := time.Now()
	say.start(name, "starting kernel")
	k, err := StartKernel(ctx, spec, KernelOptions{Dir: dir, Env: opts.Env, StartTimeout: opts.StartTimeout, Log: opts.KernelLog})
	if err != nil {
		say.end(name, "starting kernel", "FAILED")
		return fmt.Errorf("notebook: %s: %w", path, err)
	}
	defer k.Close()
	say.end(name, "starting kernel", "ok (%.1fs)", time.Since(start).Seconds())
	// A cell's displays that come after it went idle are applied while later cells run; the last
	// ones are waited for here, before the notebook is written.
	ran := map[*Cell]*Execution{}
	defer func() {
		k.Settle()
		for cell, ex := range ran {
			cell.Outputs = ex.Outputs
		}
	}()

	timeout := opts.CellTimeout
	if timeout == 0 {
		timeout = DefaultCellTimeout
	}
	for n, i := range code {
		cell := nb.Cells[i]
		step := fmt.Sprintf("cell %d/%d", n+1, len(code))
		say.start(name, step)
		if strings.TrimSpace(cell.Source) == "" {
			say.end(name, step, "empty") // Jupyter front ends do not send empty cells either.
			continue
		}
		ex, err := k.Execute(ctx, cell.Source, timeout)
		if ex != nil {
			cell.ExecutionCount = ex.ExecutionCount
			ran[cell] = ex // its outputs go into the cell once they have settled (above)
		}
		if err != nil {
			say.end(name, step, "FAILED")
			return fmt.Errorf("notebook: %s: code cell %d: %w", path, n+1, err)
		}
		if !ex.Failed() {
			say.end(name, step, "ok (%.1fs)", ex.Duration.Seconds())
			continue
		}
		line, msg := describeFailure(ex, cell.Source)
		status := "FAILED"
		if ex.TimedOut {
			status = "TIMEOUT"
		}
		say.end(name, step, "%s (%.1fs): %s", status, ex.Duration.Seconds(), firstLine(msg))
		return &CellError{Notebook: path, Cell: n + 1, Index: i, Line: line, Message: msg,
			TimedOut: ex.TimedOut, Output: outPath}
	}
	say.printf("[%s] done: %d code cells in %.1fs -> %s\n", name, len(code), time.Since(start).Seconds(), outPath)
	return nil
}

// setKernelMetadata records the kernel in the notebook metadata, as Jupyter does, so the
// executed notebook reopens with the same kernel.
func setKernelMetadata(nb *Notebook, spec *KernelSpec) {
	if nb.Metadata == nil {
		nb.Metadata = map[string]any{}
	}
	if _, ok := nb.Metadata["kernelspec"]; !ok {
		nb.Metadata["kernelspec"] = map[string]any{
			"name": spec.Name, "display_name": spec.DisplayName, "language": spec.Language,
		}
	}
	if _, ok := nb.Metadata["language_info"]; !ok && spec.Language == "go" {
		nb.Metadata["language_info"] = map[string]any{"name": "go", "file_extension": ".go", "mimetype": "text/x-go"}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
