// Package storiestest provides a scripted stand-in for a language model, for testing the generation stages
// (packages stories and neutral) without one.
package storiestest

import (
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
	// BeforeGenerate, if set, is called before each Generate call with the call's index (0, 1, ...) and
	// its number of prompts; returning an error fails that call.
	BeforeGenerate func(call, prompts int) error

	mu      sync.Mutex
	prompts []string
	texts   []string
	// Calls records the number of prompts of each Generate call.
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

// Generate runs Script on each prompt with its seed.
func (e *Engine) Generate(prompts [][]int, opts lm.GenerateOptions) ([]lm.Completion, error) {
	if len(opts.Seeds) != len(prompts) {
		return nil, fmt.Errorf("storiestest: %d prompts, %d seeds", len(prompts), len(opts.Seeds))
	}
	e.mu.Lock()
	call := len(e.Calls)
	e.Calls = append(e.Calls, len(prompts))
	e.mu.Unlock()
	if e.BeforeGenerate != nil {
		if err := e.BeforeGenerate(call, len(prompts)); err != nil {
			return nil, err
		}
	}
	out := make([]lm.Completion, len(prompts))
	for i, p := range prompts {
		e.mu.Lock()
		prompt := e.prompts[p[0]]
		e.mu.Unlock()
		text, stopped := e.Script(prompt, opts.Seeds[i])
		e.mu.Lock()
		e.texts = append(e.texts, text)
		out[i] = lm.Completion{Tokens: []int{len(e.texts) - 1}, Stopped: stopped}
		e.mu.Unlock()
	}
	return out, nil
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
