package generate

import (
	"context"
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// The top-up loop shared by the generation stages (package stories and package neutral).
//
// Each unit of work (one emotion and topic, or one topic) wants n texts. A round collects the next requests
// of the unfinished units, in unit order, until one batch is full, and sends them through one Generate
// call; every completion goes back to its unit, which checks it and decides whether it needs more. A unit
// asks, in each round, for at most the completions that could still be enough (n minus the texts kept,
// divided by the texts per completion), so it stops at the first attempt index where it has its n, and its
// attempts are 0, 1, 2, ... whatever the batch composition: a unit's result depends on its seeds only.
// Between rounds the loop checks the context, so a cancelled run stops after the batch in flight.

// Job is one unit of a top-up loop.
type Job interface {
	// Pending is how many more completions the job can use now; 0 means it is finished (it has its n texts
	// or has spent its attempts).
	Pending() int
	// Request returns the prompt and the seed of the job's next attempt and counts the attempt as made.
	Request() (prompt []int, seed uint64, err error)
	// Take hands back the completion of a request, in the order the requests were made.
	Take(c lm.Completion) error
}

// DriveOptions controls Drive.
type DriveOptions struct {
	Generate lm.GenerateOptions // sampling, MaxNewTokens and StopTokens; Seeds is filled per round
	// RoundSize is the number of completions per Generate call (the generation batch size).
	RoundSize int
	// Finished is called once per job, in job order within a round, as soon as the job is finished.
	Finished func(j Job) error
	// AfterRound, if set, is called after each round with the number of completions it generated.
	AfterRound func(completions int)
}

// Drive runs jobs to completion, round by round (see the comment at the top of driver.go). It returns
// ctx.Err() if the context is cancelled between rounds; jobs finished until then have been handed to
// opts.Finished.
func Drive(ctx context.Context, eng Engine, jobs []Job, opts DriveOptions) error {
	size := max(opts.RoundSize, 1)
	active := make([]Job, 0, len(jobs))
	for _, j := range jobs {
		if j.Pending() > 0 {
			active = append(active, j)
		} else if err := opts.Finished(j); err != nil {
			return err
		}
	}
	for len(active) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		var (
			prompts [][]int
			seeds   []uint64
			owners  []Job
		)
		for _, j := range active {
			k := min(j.Pending(), size-len(prompts))
			for range k {
				p, s, err := j.Request()
				if err != nil {
					return err
				}
				prompts, seeds, owners = append(prompts, p), append(seeds, s), append(owners, j)
			}
			if len(prompts) == size {
				break
			}
		}
		gen := opts.Generate
		gen.Seeds = seeds
		gen.BatchSize = size
		out, err := eng.Generate(prompts, gen)
		if err != nil {
			return fmt.Errorf("generating %d completions: %w", len(prompts), err)
		}
		if len(out) != len(prompts) {
			return fmt.Errorf("generating: the engine returned %d completions for %d prompts", len(out), len(prompts))
		}
		for i, c := range out {
			if err := owners[i].Take(c); err != nil {
				return err
			}
		}
		next := active[:0]
		for _, j := range active {
			if j.Pending() > 0 {
				next = append(next, j)
			} else if err := opts.Finished(j); err != nil {
				return err
			}
		}
		active = next
		if opts.AfterRound != nil {
			opts.AfterRound(len(prompts))
		}
	}
	return nil
}

// DriveSettings is the part of DriveOptions a config fixes: sampling, completion length, the model's stop
// tokens and the batch size. The caller adds Finished.
func DriveSettings(g config.Generation, eng Engine) DriveOptions {
	return DriveOptions{
		Generate: lm.GenerateOptions{
			Sampling:     lm.Sampling{Temperature: g.Temperature, TopK: g.TopK, TopP: g.TopP},
			MaxNewTokens: g.MaxNewTokens,
			StopTokens:   eng.StopTokens(),
		},
		RoundSize: g.BatchSize,
	}
}
