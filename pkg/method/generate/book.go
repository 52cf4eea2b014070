package generate

import (
	"context"
	"errors"
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/progress"
)

// Options controls a generation stage's Run (stories.Run, neutral.Run).
type Options struct {
	// Force discards the stage's earlier outputs (even those made with the same settings) and starts over.
	Force bool
	// ModelID is the SHA-256 (hex) of the model file: part of the fingerprint, so texts of another model
	// are never mixed in.
	ModelID string
	// Shard and NumShards split the work across machines: unit i of the stage's sorted unit list belongs to
	// shard i % NumShards. NumShards 0 or 1 means one shard holding everything.
	Shard, NumShards int
	// Progress styles the progress bar (Quiet for none).
	Progress progress.Options
}

// Unit is what a generation stage writes per unit of work: one JSON file (package stories' Unit, package
// neutral's Unit).
type Unit interface {
	// Tally is what the unit adds to a Summary.
	Tally() Tally
}

// Tally is one finished unit's count.
type Tally struct {
	Name                      string // how the summary names the unit ("afraid / A train is late")
	Requested, Kept, Attempts int
	Rejected                  []Reason
}

// Book keeps the unit files of one run of a generation stage, generated or read from a corpus. It reads
// back the units an earlier run finished (Resume), writes each new unit as soon as it is done (Write),
// counts both in Summary, keeps a progress bar's total at the texts still possible, and marks the stage
// complete once the units of every shard are on disk (Complete). Because a unit is one atomic file, a run
// killed at any point loses only the units in flight.
type Book struct {
	Summary *Summary

	stage       *checkpoint.Stage
	bar         *progress.Bar
	wanted      int // texts the run's units want, for the bar
	shortfall   int // texts finished units will never have
	resumedKept int
	fresh       bool // a new unit has been written
}

// newBook starts the book of a run on an opened stage (Open). The summary names its texts what ("stories").
func newBook(st *checkpoint.Stage, what string, order []Reason) *Book {
	return &Book{stage: st, Summary: &Summary{What: what, Order: order}}
}

// Resume reads the unit at path into u if an earlier run finished it, and counts it; false means it is
// still to do.
func (b *Book) Resume(path string, u Unit) (bool, error) {
	if !b.stage.Done(path) {
		return false, nil
	}
	if err := b.stage.ReadJSON(path, u); err != nil {
		return false, fmt.Errorf("%s: %w", b.stage.Name(), err)
	}
	t := b.count(u)
	b.Summary.Resumed++
	b.resumedKept += t.Kept
	return true, nil
}

// Track shows the run on bar, which counts kept texts: wanted over the run's units, those of resumed units
// already done. Call it after the Resume calls.
func (b *Book) Track(bar *progress.Bar, wanted int) {
	b.bar, b.wanted = bar, wanted
	bar.SetTotal(wanted - b.shortfall)
	bar.Resume(b.resumedKept)
}

// Write writes a finished unit to path and counts it. The first new unit of a run removes the stage's
// complete.json: it no longer speaks for the whole stage.
func (b *Book) Write(path string, u Unit) error {
	if !b.fresh {
		b.fresh = true
		if err := b.stage.Unmark(); err != nil {
			return err
		}
	}
	if err := b.stage.WriteJSON(path, u); err != nil {
		return fmt.Errorf("%s: %w", b.stage.Name(), err)
	}
	before := b.shortfall
	b.count(u)
	if b.bar != nil && b.shortfall != before {
		b.bar.SetTotal(b.wanted - b.shortfall)
	}
	return nil
}

func (b *Book) count(u Unit) Tally {
	t := u.Tally()
	b.Summary.Add(t)
	b.shortfall += max(t.Requested-t.Kept, 0)
	return t
}

// Complete writes the stage's complete.json, with the summary over every unit, once the units at all paths
// (every shard's) exist; until then it does nothing. blank returns an empty unit to read a file into.
func (b *Book) Complete(paths []string, blank func() Unit) error {
	total := &Summary{What: b.Summary.What, Order: b.Summary.Order}
	for _, p := range paths {
		if !b.stage.Done(p) {
			return nil // other shards are still to run
		}
		u := blank()
		if err := b.stage.ReadJSON(p, u); err != nil {
			return fmt.Errorf("%s: %w", b.stage.Name(), err)
		}
		total.Add(u.Tally())
	}
	if err := b.stage.MarkComplete(total); err != nil {
		return fmt.Errorf("%s: %w", b.stage.Name(), err)
	}
	return nil
}

// CorpusVersion names the checks applied to corpus rows; it is part of the stage's fingerprint.
const CorpusVersion = "corpus-v1"

// Stopped wraps the error that ended a run early; a cancelled or timed-out context says how far the run got
// (of total units, named units: "pairs", "topics") and that a rerun resumes.
func (b *Book) Stopped(err error, total int, units string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: stopped after %d of %d %s (rerun to resume): %w", b.stage.Name(), b.Summary.Units, total, units, err)
	}
	return fmt.Errorf("%s: %w", b.stage.Name(), err)
}

// Open checks opts' shard, opens the stage folder of a run (checkpoint.OpenStage: resumes when fp matches
// what is on disk, refuses or, with opts.Force, starts over when it does not) and starts the run's Book.
// what names the texts ("stories") and order the stage's reasons, for the Summary.
func Open(outputDir, stage string, fp checkpoint.Fingerprint, opts Options, what string, order []Reason) (*Book, error) {
	n := max(opts.NumShards, 1)
	if opts.Shard < 0 || opts.Shard >= n {
		return nil, fmt.Errorf("%s: shard %d is outside [0, %d): give a shard index below the number of shards", stage, opts.Shard, n)
	}
	st, err := checkpoint.OpenStage(outputDir, stage, fp, opts.Force)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	return newBook(st, what, order), nil
}

// Bar starts the run's progress bar over total texts, counted in the Summary's word ("stories") unless o
// names another unit.
func (b *Book) Bar(label string, total int, o progress.Options) *progress.Bar {
	if o.Unit == "" {
		o.Unit = b.Summary.What
	}
	return progress.New(label, total, o)
}
