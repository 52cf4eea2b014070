package lm

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Continuous batching: whatever the number of slots, the order the requests come in, and the
// sequences that end and are replaced beside it, a request's completion is the same. The
// prompts' lengths differ and grow past the first cache's length, so slots are refilled and the
// cache grows mid-stream.
func TestStreamIsIndependentOfSlots(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "tiny-llama"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	texts := []string{"The quick", "def add(a, b):", "In", "Once upon a time there was", "x",
		strings.Repeat("a longer prompt, for a larger cache ", 5), "Hello, world", "1 2 3 4"}
	var prompts [][]int
	for _, s := range texts {
		prompts = append(prompts, m.Tokenizer.Encode(s, false))
	}
	opts := GenerateOptions{Sampling: Sampling{Temperature: 1, TopK: 20}, MaxNewTokens: 24}
	for i := range prompts {
		opts.Seeds = append(opts.Seeds, uint64(10+i))
	}
	// The tiny model's vocabulary is small; a few frequent ids as stop tokens end sequences at
	// different steps, so slots free up at different times.
	want, err := m.Generate(prompts, opts)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[int]int{}
	for _, c := range want {
		for _, id := range c.Tokens {
			counts[id]++
		}
	}
	// In id order, not the map's (random) order: the test must pick the same stop tokens every run.
	ids := slices.Sorted(maps.Keys(counts))
	for _, id := range ids {
		if counts[id] >= 3 && len(opts.StopTokens) < 3 {
			opts.StopTokens = append(opts.StopTokens, id)
		}
	}
	if want, err = m.Generate(prompts, opts); err != nil {
		t.Fatal(err)
	}
	stopped := 0
	for _, c := range want {
		if c.Stopped {
			stopped++
		}
	}
	if stopped == 0 || stopped == len(want) {
		t.Fatalf("%d of %d sequences stopped early; the test needs some of each", stopped, len(want))
	}
	// Every decoding step draws one token for each busy slot: a completion of n tokens took n steps
	// after its prefill if a stop token ended it (drawn, not kept), n-1 if MaxNewTokens did.
	busySteps := 0
	for _, c := range want {
		busySteps += len(c.Tokens)
		if !c.Stopped {
			busySteps--
		}
	}
	for _, slots := range []int{1, 2, 3, 16} {
		opts.BatchSize = slots
		stats := &StreamStats{}
		opts.Stats = stats
		// Requests in reverse order, one more only as each finishes beyond the first slots.
		var got [][]int = make([][]int, len(prompts))
		k := len(prompts)
		next := func() (Request, bool) {
			if k == 0 {
				return Request{}, false
			}
			k--
			return Request{ID: k, Prompt: prompts[k], Seed: opts.Seeds[k]}, true
		}
		err := m.Stream(context.Background(), next, func(r Request, c Completion) error {
			got[r.ID] = c.Tokens
			if c.Stopped != want[r.ID].Stopped {
				t.Errorf("%d slots, request %d: stopped %v, want %v", slots, r.ID, c.Stopped, want[r.ID].Stopped)
			}
			return nil
		}, opts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range prompts {
			if !slices.Equal(got[i], want[i].Tokens) {
				t.Errorf("%d slots, request %d: %v, want %v", slots, i, got[i], want[i].Tokens)
			}
		}
		if stats.BusyRows != busySteps || stats.Rows < stats.BusyRows || stats.Steps*slots < stats.Rows ||
			stats.Positions%64 != 0 || stats.Positions < 64*stats.Steps || stats.Decode <= 0 || stats.Prefills == 0 {
			t.Errorf("%d slots: stats %+v, want %d busy rows, at most %d rows a step, cache lengths in steps of 64", slots, *stats, busySteps, slots)
		}
		if slots == 1 && (stats.Rows != stats.BusyRows || stats.Prefills != len(prompts)) {
			t.Errorf("1 slot: %d rows computed and %d prefills, want %d and %d", stats.Rows, stats.Prefills, stats.BusyRows, len(prompts))
		}
	}
}

// A done callback may add requests (the next turn of a dialogue), and cancelling the context
// stops the stream.
func TestStreamTakesRequestsFromDone(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "tiny-llama"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	opts := GenerateOptions{MaxNewTokens: 4, BatchSize: 4}
	var queue []Request
	queue = append(queue, Request{ID: 0, Prompt: m.Tokenizer.Encode("One", false)})
	next := func() (Request, bool) {
		if len(queue) == 0 {
			return Request{}, false
		}
		r := queue[0]
		queue = queue[1:]
		return r, true
	}
	var turns [][]int
	err = m.Stream(context.Background(), next, func(r Request, c Completion) error {
		turns = append(turns, c.Tokens)
		if r.ID < 4 { // the next turn reads the previous one
			queue = append(queue, Request{ID: r.ID + 1, Prompt: append(slices.Clone(r.Prompt), c.Tokens...)})
		}
		return nil
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(turns) != 5 {
		t.Fatalf("%d turns, want 5", len(turns))
	}

	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err = m.Stream(ctx, func() (Request, bool) {
		n++
		return Request{ID: n, Prompt: m.Tokenizer.Encode("Again", false)}, true // endless
	}, func(Request, Completion) error {
		cancel()
		return nil
	}, opts)
	if err != context.Canceled {
		t.Fatalf("cancelled stream returned %v, want context.Canceled", err)
	}
}

// In a stream's tail the busy slots move to a smaller cache, and grow it again when requests come:
// the cache keeps the rows its sequences need, and the moved sequences go on as they would have.
func TestStreamCacheFollowsTheBusySlots(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "tiny-llama"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	opts := GenerateOptions{Sampling: Sampling{Temperature: 1, TopK: 20}, MaxNewTokens: 12, BatchSize: 8}
	var reqs []Request
	for i, text := range []string{"The quick", "def add(a, b):", "In", "Once upon a time", "x", "Hello", "1 2 3", "Why"} {
		reqs = append(reqs, Request{ID: i, Prompt: m.Tokenizer.Encode(text, false), Seed: uint64(7 + i)})
	}
	want := map[int][]int{}
	for _, r := range reqs {
		c, err := m.Generate([][]int{r.Prompt}, GenerateOptions{Sampling: opts.Sampling, MaxNewTokens: opts.MaxNewTokens, Seeds: []uint64{r.Seed}})
		if err != nil {
			t.Fatal(err)
		}
		want[r.ID] = c[0].Tokens
	}
	got := map[int][]int{}
	s := &stream{m: m, opts: opts, maxRows: opts.BatchSize, done: func(r Request, c Completion) error {
		got[r.ID] = c.Tokens
		return nil
	}}
	defer s.release()
	rows := func() int { return s.caches[0].Shape().Dimensions[0] }

	if err := s.admit(reqs[:3]); err != nil { // 3 requests: a cache of 4 rows, not 8
		t.Fatal(err)
	}
	if len(s.slots) != 4 || rows() != 4 {
		t.Fatalf("3 requests: %d slots, cache of %d rows; want 4", len(s.slots), rows())
	}
	if err := s.admit(reqs[3:8]); err != nil { // 8 in all: grown to 8
		t.Fatal(err)
	}
	if len(s.slots) != 8 || rows() != 8 {
		t.Fatalf("8 requests: %d slots, cache of %d rows; want 8", len(s.slots), rows())
	}
	if err := s.step(); err != nil {
		t.Fatal(err)
	}
	// Five sequences are dropped (their completions are not compared); three go on, in slots 1, 4, 6.
	for _, i := range []int{0, 2, 3, 5, 7} {
		if s.slots[i].busy {
			s.slots[i] = slot{}
			s.busy--
		}
	}
	kept := []int{s.slots[1].req.ID, s.slots[4].req.ID, s.slots[6].req.ID}
	if err := s.shrink(); err != nil {
		t.Fatal(err)
	}
	if len(s.slots) != 4 || rows() != 4 {
		t.Fatalf("3 busy of 8: %d slots, cache of %d rows after shrink; want 4", len(s.slots), rows())
	}
	for s.busy > 0 {
		if err := s.step(); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range kept {
		if !slices.Equal(got[id], want[id]) {
			t.Errorf("request %d, moved to a smaller cache: %v, want %v", id, got[id], want[id])
		}
	}
}
