// Package storiestest provides a scripted stand-in for a language model, for testing the generation stages
// (packages stories and neutral) without one.
package storiestest

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
)

// Engine satisfies generate.Engine. A "token" of its prompts and completions is an index into tables it
// keeps; ReadingTokens counts one token per word, plus one for BOS.
type Engine struct {
	// Script returns the completion of a prompt (the chat messages, rendered "role: content" one per line)
	// drawn with seed, and whether the model stopped by itself (false: it hit max_new_tokens).
	Script func(prompt string, seed uint64) (text string, stopped bool)
	// BeforeGenerate, if set, is called each time Stream takes requests, with the call's index (0, 1, ...)
	// and the number of requests taken; returning an error fails the stream.
	BeforeGenerate func(call, prompts int) error

	mu      sync.Mutex
	prompts []string
	texts   []string
	// Calls records the number of requests Stream took each time it took some.
	Calls []int
}

// ChatPrompt renders msgs as "role: content" lines.
func (e *Engine) ChatPrompt(msgs []chat.Message) ([]int, error) {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "%s: %s\n", m.Role, m.Content)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.prompts = append(e.prompts, b.String())
	return []int{len(e.prompts) - 1}, nil
}

// Stream runs Script on each request with its seed. Like a model's continuous batching it keeps up to
// opts.BatchSize requests in flight (default 8), takes new ones whenever a slot is free, and finishes them
// in an order of its own (by seed, not by request; Script is called in request order), so callers are tested against completions that come
// back out of order. Each time it takes requests counts as one call (Calls, BeforeGenerate).
func (e *Engine) Stream(ctx context.Context, next func() (lm.Request, bool), done func(lm.Request, lm.Completion) error,
	opts lm.GenerateOptions) error {
	slots := opts.BatchSize
	if slots <= 0 {
		slots = 8
	}
	type running struct {
		req lm.Request
		out lm.Completion
	}
	var flight []running
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var taken []lm.Request
		for len(flight)+len(taken) < slots {
			r, ok := next()
			if !ok {
				break
			}
			taken = append(taken, r)
		}
		if len(taken) > 0 {
			e.mu.Lock()
			call := len(e.Calls)
			e.Calls = append(e.Calls, len(taken))
			e.mu.Unlock()
			if e.BeforeGenerate != nil {
				if err := e.BeforeGenerate(call, len(taken)); err != nil {
					return err
				}
			}
			for _, r := range taken { // scripted in request order, handed back in another
				e.mu.Lock()
				prompt := e.prompts[r.Prompt[0]]
				e.mu.Unlock()
				text, stopped := e.Script(prompt, r.Seed)
				e.mu.Lock()
				e.texts = append(e.texts, text)
				flight = append(flight, running{r, lm.Completion{Tokens: []int{len(e.texts) - 1}, Stopped: stopped}})
				e.mu.Unlock()
			}
		}
		if len(flight) == 0 {
			return nil
		}
		first := 0
		for i, f := range flight {
			if f.req.Seed%7 < flight[first].req.Seed%7 {
				first = i
			}
		}
		r, c := flight[first].req, flight[first].out
		flight = append(flight[:first], flight[first+1:]...)
		if err := done(r, c); err != nil {
			return err
		}
	}
}

// StopTokens returns a fixed id.
func (e *Engine) StopTokens() []int { return []int{-1} }

// Text returns the completion text that ids stand for.
func (e *Engine) Text(ids []int) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(e.texts[id])
	}
	return b.String()
}

// ReadingTokens gives one token per word of text, after a BOS token (0).
func (e *Engine) ReadingTokens(text string) []int {
	ids := []int{0}
	for range strings.Fields(text) {
		ids = append(ids, 1)
	}
	return ids
}
