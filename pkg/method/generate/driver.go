package generate

import (
	"context"
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// The loop shared by the generation stages (package stories and package neutral).
//
// Each unit of work (one emotion and topic, or one topic) wants n texts. The units' requests stream through
// the engine's slots (continuous batching, lm.Model.Stream): whenever slots are free, the engine takes the
// next requests of the unfinished units, in unit order, and each completion goes back to its unit, which
// checks it and decides whether it needs more. A unit asks only for the completions that could still be
// enough, counting those in flight as if each were kept (n minus the texts kept, divided by the texts per
// completion, minus the requests in flight), and takes its completions in the order it asked for them,
// whatever order they finish in. So it stops at the first attempt index where it has its n, and its attempts
// are 0, 1, 2, ... whatever the slots, the batch size or the timing: a unit's result depends on its seeds
// only. Cancelling the context stops the engine at its next step; the completions in flight are dropped.

// Job is one unit of a generation loop.
type Job interface {
	// Pending is how many more requests the job can use now, beyond those in flight; 0 with none in flight
	// means it is finished (it has its n texts or has spent its attempts).
	Pending() int
	// Request returns the prompt and the seed of the job's next attempt and counts the attempt as made.
	Request() (prompt []int, seed uint64, err error)
	// Take hands back the completion of a request, in the order the requests were made.
	Take(c lm.Completion) error
}

// Speculator is a Job that can use completions beyond those it is sure to need: when no job needs a
// request and slots are free, Drive asks the first job with Spare() > 0 for one more. The job must take
// its completions in order and ignore those that come after it has its texts, and count as made only the
// attempts it took, so that its result stays that of the attempts 0, 1, 2, ... it needed.
type Speculator interface {
	Job
	// Spare is how many more requests the job may make beyond Pending (at most its attempts left).
	Spare() int
}

// DriveOptions controls Drive.
type DriveOptions struct {
	Generate lm.GenerateOptions // sampling, MaxNewTokens, StopTokens and BatchSize (the engine's slots)
	// Finished is called once per job as soon as the job is finished.
	Finished func(j Job) error
}

// Drive runs jobs to completion (see the comment at the top of driver.go). It returns ctx.Err() if the
// context is cancelled; jobs finished until then have been handed to opts.Finished.
func Drive(ctx context.Context, eng Engine, jobs []Job, opts DriveOptions) error {
	var active []*tracked // unfinished, in job order
	for _, j := range jobs {
		if j.Pending() > 0 {
			active = append(active, &tracked{Job: j})
		} else if err := opts.Finished(j); err != nil {
			return err
		}
	}
	var (
		owners  []*tracked // by request ID
		failure error      // from a job's Request, which next cannot return
	)
	next := func() (lm.Request, bool) {
		t := pick(active, func(t *tracked) bool { return t.Pending() > 0 })
		if t == nil { // no request is needed now: keep the free slots busy with likely ones
			t = spare(active)
		}
		if t != nil {
			p, s, err := t.Request()
			if err != nil {
				failure = err
				return lm.Request{}, false
			}
			id := len(owners)
			owners = append(owners, t)
			t.asked = append(t.asked, id)
			return lm.Request{ID: id, Prompt: p, Seed: s}, true
		}
		return lm.Request{}, false
	}
	done := func(r lm.Request, c lm.Completion) error {
		t := owners[r.ID]
		owners[r.ID] = nil
		if t.back == nil {
			t.back = map[int]lm.Completion{}
		}
		t.back[r.ID] = c
		for len(t.asked) > 0 { // in request order
			c, ok := t.back[t.asked[0]]
			if !ok {
				break
			}
			delete(t.back, t.asked[0])
			t.asked = t.asked[1:]
			if err := t.Take(c); err != nil {
				return err
			}
		}
		if len(t.asked) > 0 || t.Pending() > 0 {
			return nil
		}
		t.finished = true
		kept := active[:0]
		for _, a := range active {
			if !a.finished {
				kept = append(kept, a)
			}
		}
		active = kept
		return opts.Finished(t.Job)
	}
	err := eng.Stream(ctx, next, done, opts.Generate)
	if failure != nil {
		return failure
	}
	if err != nil {
		return fmt.Errorf("generating: %w", err)
	}
	if len(active) > 0 { // an engine that returned with work left
		return fmt.Errorf("generating: the engine stopped with %d units unfinished", len(active))
	}
	return nil
}

// pick returns the first unfinished job that wants, or nil.
func pick(active []*tracked, wants func(*tracked) bool) *tracked {
	for _, t := range active {
		if !t.finished && wants(t) {
			return t
		}
	}
	return nil
}

// spare returns the unfinished Speculator with spare requests and the fewest in flight (the first of
// those), so that likely requests are spread over the units; nil if there is none.
func spare(active []*tracked) *tracked {
	var best *tracked
	for _, t := range active {
		if s, ok := t.Job.(Speculator); ok && !t.finished && s.Spare() > 0 && (best == nil || len(t.asked) < len(best.asked)) {
			best = t
		}
	}
	return best
}

// tracked is a job with its requests in flight: their IDs in request order, and the completions that came
// back before an earlier one.
type tracked struct {
	Job
	asked    []int
	back     map[int]lm.Completion
	finished bool
}

// DriveSettings is the part of DriveOptions a config fixes: sampling, completion length, the model's stop
// tokens and the batch size. The caller adds Finished.
func DriveSettings(g config.Generation, eng Engine) DriveOptions {
	return DriveOptions{
		Generate: lm.GenerateOptions{
			Sampling:     lm.Sampling{Temperature: g.Temperature, TopK: g.TopK, TopP: g.TopP},
			MaxNewTokens: g.MaxNewTokens,
			StopTokens:   eng.StopTokens(),
			BatchSize:    int(g.BatchSize), // AutoSlots is 0, the engine's own choice
		},
	}
}
