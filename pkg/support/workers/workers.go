// Package workers runs one command as several local processes, one per shard of the work, and gathers
// their output: `run-all --workers N` (and `--gpus N`, one GPU each) starts N copies of the CLI, each with
// its own --shard i/N, so a machine's cores or GPUs share a run the way the machines of a cluster would.
//
// Each worker's lines are written whole, prefixed with "[worker i/n] ", so the lines of several workers
// interleave without mixing; a worker that fails is named in the error, with what to run to redo it.
package workers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
)

// Options controls Run.
type Options struct {
	// Args returns worker i's arguments (its --shard among them).
	Args func(i int) []string
	// Env returns the variables added to worker i's environment ("CUDA_VISIBLE_DEVICES=i"); nil adds none.
	Env func(i int) []string
	// Redo says how to rerun worker i alone, for the error of a failed worker; nil says nothing.
	Redo func(i int) string
	// Output receives every worker's lines, prefixed (default os.Stderr).
	Output io.Writer
}

// Run runs n workers of the program bin and waits for all of them; the error joins those of the workers
// that failed.
func Run(ctx context.Context, bin string, n int, opts Options) error {
	out := opts.Output
	if out == nil {
		out = os.Stderr
	}
	var mu sync.Mutex // one line at a time, whichever worker writes it
	errs := make(chan error, n)
	for i := range n {
		cmd := exec.CommandContext(ctx, bin, opts.Args(i)...)
		cmd.Env = os.Environ()
		if opts.Env != nil {
			cmd.Env = append(cmd.Env, opts.Env(i)...)
		}
		prefix := fmt.Sprintf("[worker %d/%d] ", i, n)
		w := &prefixWriter{mu: &mu, w: out, prefix: prefix}
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("worker %d/%d: %w", i, n, err)
		}
		mu.Lock()
		fmt.Fprintf(out, "%sstarted (pid %d)\n", prefix, cmd.Process.Pid)
		mu.Unlock()
		go func() {
			err := cmd.Wait()
			w.flush()
			if err != nil {
				msg := fmt.Sprintf("worker %d/%d failed (%v)", i, n, err)
				if opts.Redo != nil {
					msg += ": " + opts.Redo(i)
				}
				errs <- errors.New(msg)
				return
			}
			errs <- nil
		}()
	}
	var failed []error
	for range n {
		if err := <-errs; err != nil {
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}

// prefixWriter writes each line with a prefix. A progress bar's carriage returns end a line too, so a
// redrawn bar shows as a new line instead of overwriting another worker's.
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexAny(p.buf, "\n\r")
		if i < 0 {
			return len(b), nil
		}
		if i > 0 {
			fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i])
		}
		p.buf = p.buf[i+1:]
	}
}

// flush writes a last line that had no newline.
func (p *prefixWriter) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf)
		p.buf = nil
	}
}
