package chat

import (
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/ardanlabs/jinja"
)

// A model's template is a program from a downloaded file, and ardanlabs/jinja v1.8.0 runs it without
// limits: range(10**12) builds a list of 10^12 numbers, and loops nested in loops can run for hours.
// transformers renders in Jinja's sandbox, which refuses a range of more than 100,000 numbers; Render does
// the same, caps the numbers that all the ranges of one render make together (nested loops), and gives up
// on a render that outlives renderTimeout.

const (
	maxRange      = 100_000   // numbers in one range: jinja2.sandbox.MAX_RANGE, which transformers renders under
	maxRangeTotal = 1_000_000 // numbers made by all the ranges of one render: Gemma 4's makes n²/2 for n messages
)

// renderTimeout is how long Render waits for the engine; real templates render in milliseconds.
// Go cannot stop the render's goroutine: it runs on until its next call of range, or until the process
// ends. Tests lower it.
var renderTimeout = 10 * time.Second

// costError is a render refused for what it would cost.
type costError struct{ why string }

func (e *costError) Error() string { return e.why }

// budget is what one render has spent.
type budget struct {
	made    int64       // numbers made by range (only the render's goroutine touches it)
	stopped atomic.Bool // Render gave up waiting: the next range call ends the render
}

// rangeFn is Python's range as Jinja's sandbox bounds it, shadowing the engine's unbounded one.
func (b *budget) rangeFn(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	if b.stopped.Load() {
		return jinja.Undefined(), &costError{"stopped after the deadline"}
	}
	if len(args) < 1 || len(args) > 3 {
		return jinja.Undefined(), fmt.Errorf("range: expected 1-3 arguments, got %d", len(args))
	}
	v := make([]int64, len(args))
	for i, a := range args {
		var err error
		if v[i], err = rangeArg(a); err != nil {
			return jinja.Undefined(), err
		}
	}
	start, stop, step := int64(0), v[0], int64(1)
	if len(v) > 1 {
		start, stop = v[0], v[1]
	}
	if len(v) == 3 {
		step = v[2]
	}
	if step == 0 {
		return jinja.Undefined(), fmt.Errorf("range: step must not be zero")
	}
	count := rangeLen(start, stop, step)
	if count > maxRange {
		return jinja.Undefined(), &costError{fmt.Sprintf("range(%d, %d, %d) would make %d numbers, over the limit of %d "+
			"that transformers' sandbox also sets", start, stop, step, count, maxRange)}
	}
	if b.made += int64(count); b.made > maxRangeTotal {
		return jinja.Undefined(), &costError{fmt.Sprintf("its ranges would make over %d numbers in one render (loops in loops)", maxRangeTotal)}
	}
	items := make([]jinja.Value, count)
	for i := range items {
		items[i] = jinja.NewInt(start + int64(i)*step) // may wrap midway, but the true value fits: exact
	}
	return jinja.NewList(items), nil
}

// rangeArg reads an argument of range: an integer, or a float as the engine's ** makes (range(2**3)).
func rangeArg(v jinja.Value) (int64, error) {
	switch {
	case v.IsInt():
		return v.AsInt(), nil
	case v.IsBool():
		if v.AsBool() {
			return 1, nil
		}
		return 0, nil
	case v.IsFloat() && !math.IsNaN(v.AsFloat()):
		return int64(max(min(v.AsFloat(), 1<<62), -(1 << 62))), nil // clamped: int64(1e30) is undefined
	}
	return 0, fmt.Errorf("range: want integers, got %s", v.String())
}

// rangeLen is how many numbers range(start, stop, step) makes, computed without overflow.
func rangeLen(start, stop, step int64) uint64 {
	switch {
	case step > 0 && start < stop:
		return (uint64(stop)-uint64(start)-1)/uint64(step) + 1
	case step < 0 && start > stop:
		return (uint64(start)-uint64(stop)-1)/-uint64(step) + 1
	}
	return 0
}

// renderBounded renders data in a goroutine of its own, so that Render can give up after renderTimeout,
// and so that a panic of the engine (it panics on "x" * -1) is an error rather than the end of the program.
func (t *Template) renderBounded(data map[string]jinja.Value, b *budget) (string, error) {
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1) // buffered: a render given up on still finishes without a reader
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("the Jinja engine failed (%v)", r)}
			}
		}()
		out, err := t.compiled.RenderValues(data)
		done <- result{out, err}
	}()
	timer := time.NewTimer(t.timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.out, r.err
	case <-timer.C:
		b.stopped.Store(true)
		return "", &costError{fmt.Sprintf("no prompt after %v (a loop that does not end?)", t.timeout)}
	}
}
