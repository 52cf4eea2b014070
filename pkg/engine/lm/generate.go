package lm

import (
	"context"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// GenerateOptions controls Generate and Stream.
type GenerateOptions struct {
	Sampling
	MaxNewTokens int
	Seeds        []uint64 // Generate: one per prompt; a prompt's completion depends only on it and its seed
	StopTokens   []int    // end of sequence / end of turn; not included in the output
	BatchSize    int      // the most sequences decoded together, the slots of the KV cache; 0: AutoSlots
	Steer        *Steering
	// Progress, if set, is called after each finished sequence with the number done so far
	// and the tokens generated so far.
	Progress func(done, newTokens int)
	// Stats, if set, is added to as Stream runs: where its time went (see StreamStats).
	Stats *StreamStats
}

// StreamStats says where a stream's time went: reading prompts into slots, and decoding steps,
// each of which computes every row of the cache whether a sequence is in it or not. Busy rows over
// rows computed is the share of the decoding that made tokens; the rest is slots left idle (the
// tail of the work, or a cache larger than the sequences in flight).
type StreamStats struct {
	Prefills, Steps int           // passes over new prompts; decoding steps
	Rows, BusyRows  int           // rows computed over all steps; those with a sequence in them
	Positions       int           // cache positions over all steps (the cache length, once per step)
	Prefill, Decode time.Duration // wall time of the prefills and of the steps, sampling and done included
}

// String sums the stats up in one line.
func (st StreamStats) String() string {
	if st.Steps == 0 {
		return fmt.Sprintf("%d prefills in %.1fs, no decoding step", st.Prefills, st.Prefill.Seconds())
	}
	return fmt.Sprintf("%d decoding steps in %.1fs (%d of %d rows busy, %.0f%%; cache %.0f positions on average), "+
		"%d prefills in %.1fs", st.Steps, st.Decode.Seconds(), st.BusyRows, st.Rows, 100*float64(st.BusyRows)/float64(st.Rows),
		float64(st.Positions)/float64(st.Steps), st.Prefills, st.Prefill.Seconds())
}

// Completion is one prompt's generated continuation.
type Completion struct {
	Tokens  []int
	Stopped bool // ended on a stop token (false: hit MaxNewTokens)
}

// Request is one prompt for Stream to continue, with the seed its tokens are drawn with. ID is
// the caller's own, handed back with the completion.
type Request struct {
	ID     int
	Prompt []int
	Seed   uint64
}

// Streamer continues requests as they come (see Model.Stream). *Model is one; tests use
// scripted stand-ins.
type Streamer interface {
	Stream(ctx context.Context, next func() (Request, bool), done func(Request, Completion) error, opts GenerateOptions) error
}

// Generate continues each prompt (token ids) with sampled tokens; opts.Seeds holds one seed per
// prompt. See Stream.
func (m *Model) Generate(prompts [][]int, opts GenerateOptions) ([]Completion, error) {
	return GenerateWith(m, prompts, opts)
}

// GenerateWith continues each prompt through s and returns the completions in prompt order.
// Prompts of similar length are sent together: they are read into the cache in one pass with
// little padding. The results do not depend on the order.
func GenerateWith(s Streamer, prompts [][]int, opts GenerateOptions) ([]Completion, error) {
	if len(opts.Seeds) != len(prompts) {
		return nil, fmt.Errorf("lm: Generate: %d prompts but %d seeds: give one seed per prompt", len(prompts), len(opts.Seeds))
	}
	order := make([]int, len(prompts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(prompts[a]) - len(prompts[b]) })
	out := make([]Completion, len(prompts))
	next := func() (Request, bool) {
		if len(order) == 0 {
			return Request{}, false
		}
		i := order[0]
		order = order[1:]
		return Request{ID: i, Prompt: prompts[i], Seed: opts.Seeds[i]}, true
	}
	err := s.Stream(context.Background(), next, func(r Request, c Completion) error {
		out[r.ID] = c
		return nil
	}, opts)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Stream continues requests as they come, with continuous batching. The KV cache has up to
// opts.BatchSize slots, decoded together one token per step; as soon as a sequence ends (a stop
// token or MaxNewTokens) its completion goes to done and its slot is free. Free slots are
// refilled with the next requests, whose prompts are read (prefilled) into their slots of the
// cache in one pass, between two steps of the others. So no slot waits for the longest
// sequence of a batch, as it would with fixed batches.
//
// A step costs about the same for every slot, busy or not, so the cache holds no more slots than
// the requests need: it starts at the first requests' number (rounded up to a power of two),
// grows as more come, and once no request waits and half the slots or more are free, the busy
// ones move to the front of a cache half the size or less. So the stream's tail, a few long
// sequences, runs at their own cost, not at the full batch's.
//
// next returns the next request, or false when there is none for now. Stream asks again
// whenever slots are free, so done may make new requests (the next turn of a dialogue); it
// returns when next has none and no sequence is in flight, when done returns an error, or when
// ctx is cancelled (ctx.Err(); the sequences in flight are dropped). Each sequence is sampled
// from its own seed and reads only its own slot, so a completion depends only on its prompt and
// seed: not on the batch size, its slot, or what ran beside it.
func (m *Model) Stream(ctx context.Context, next func() (Request, bool), done func(Request, Completion) error, opts GenerateOptions) error {
	if opts.MaxNewTokens <= 0 {
		return fmt.Errorf("lm: Generate: MaxNewTokens must be positive, got %d", opts.MaxNewTokens)
	}
	if err := opts.Steer.check(m.Config); err != nil {
		return err
	}
	maxRows := opts.BatchSize
	if maxRows <= 0 {
		maxRows = m.autoSlots(opts.MaxNewTokens)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &stream{m: m, opts: opts, done: done, maxRows: maxRows}
	defer s.release()
	// Refilling costs a pass over the new prompts; a few slots at a time make that pass worth it
	// while the free slots idle only briefly.
	refillAt := max(1, s.maxRows/8)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		admitted := 0
		if free := s.maxRows - s.busy; free > 0 && (free >= refillAt || s.busy == 0) {
			var reqs []Request
			for len(reqs) < free {
				r, ok := next()
				if !ok {
					break
				}
				reqs = append(reqs, r)
			}
			start := time.Now()
			if err := s.admit(reqs); err != nil {
				return err
			}
			if st := opts.Stats; st != nil && len(reqs) > 0 {
				st.Prefills++
				st.Prefill += time.Since(start)
			}
			admitted = len(reqs)
			if admitted < free { // none waits
				if err := s.shrink(); err != nil {
					return err
				}
			}
		}
		if s.busy == 0 {
			if admitted == 0 {
				return nil
			}
			continue // every admitted sequence ended at its first token
		}
		start, rows, busy, positions := time.Now(), len(s.slots), s.busy, s.cacheLen
		if err := s.step(); err != nil {
			return err
		}
		if st := opts.Stats; st != nil {
			st.Steps++
			st.Rows += rows
			st.BusyRows += busy
			st.Positions += positions
			st.Decode += time.Since(start)
		}
	}
}

// slot is one row of the KV cache and the sequence decoding in it.
type slot struct {
	busy    bool
	req     Request
	sampler *sampler
	out     Completion
}

// stream is the state of one Stream call: the slots, the cache and the token each busy slot
// feeds next at its position.
type stream struct {
	m         *Model
	opts      GenerateOptions
	done      func(Request, Completion) error
	maxRows   int    // opts.BatchSize: the most slots the cache may hold
	slots     []slot // one per row of the cache
	busy      int
	caches    []*tensors.Tensor // 2 per layer, [rows, K, S, hd]; nil until the first prompts are read
	cacheLen  int               // S
	tokens    []int32           // next token per slot
	positions []int32           // where it goes
	draws     []int
	finished  int // sequences handed to done, for Progress
	newTokens int
}

func (s *stream) release() {
	for _, c := range s.caches {
		c.FinalizeAll()
	}
	s.caches = nil
}

// steerLayer is where opts.Steer adds its vector; -1 for none.
func (s *stream) steerLayer() int {
	if s.opts.Steer == nil {
		return -1
	}
	return s.opts.Steer.Layer
}

// admit reads reqs' prompts into free slots and draws each one's first token.
func (s *stream) admit(reqs []Request) error {
	if len(reqs) == 0 {
		return nil
	}
	m, maxNew := s.m, s.opts.MaxNewTokens
	longest := 0
	for _, r := range reqs {
		if len(r.Prompt) == 0 {
			return fmt.Errorf("lm: Generate: prompt %d is empty", r.ID)
		}
		if m.Config.MaxPositions > 0 && len(r.Prompt)+maxNew > m.Config.MaxPositions {
			return fmt.Errorf("lm: Generate: prompt %d of %d tokens + %d new tokens exceeds the model's context of %d",
				r.ID, len(r.Prompt), maxNew, m.Config.MaxPositions)
		}
		longest = max(longest, len(r.Prompt))
	}
	rows := len(s.slots)
	if s.busy+len(reqs) > rows {
		rows = min(s.maxRows, 1<<bits.Len(uint(s.busy+len(reqs)-1)))
	}
	if need := bucket(longest+maxNew, 64); need > s.cacheLen || rows > len(s.slots) {
		if err := s.resize(rows, max(need, s.cacheLen)); err != nil {
			return err
		}
		s.setRows(rows)
	}

	// One pass over the new prompts, in a batch of a power of two rows (few programs to compile;
	// the filler rows are one token long).
	prompts := make([][]int, len(reqs))
	for i, r := range reqs {
		prompts[i] = r.Prompt
	}
	batch := NewBatch(prompts, 32, min(1<<bits.Len(uint(len(reqs)-1)), len(s.slots)))
	onlyNew := s.opts.Steer != nil && s.opts.Steer.OnlyNew
	prefill, err := m.exec(fmt.Sprintf("prefill/S=%d/steer=%d", s.cacheLen, s.steerLayer()),
		func() func(*graph.Graph, []*graph.Node) []*graph.Node {
			return prefillGraph(m.Config, s.cacheLen, s.steerLayer())
		})
	if err != nil {
		return err
	}
	steerVec, steerScale := m.steerInputs(s.opts.Steer, batch.B, batch.T, func(b, t int) bool { return !onlyNew })
	outs, err := m.call(prefill,
		tensors.FromFlatDataAndDimensions(batch.Tokens, batch.B, batch.T),
		tensors.FromFlatDataAndDimensions(batch.Lengths, batch.B), steerVec, steerScale)
	if err != nil {
		return fmt.Errorf("lm: prefill: %w", err)
	}
	logits, fresh := outs[0], outs[1:]

	// Into the cache: the first time the pass's rows become the cache's first rows; later each
	// request's row goes to a free slot.
	at := make([]int32, batch.B) // slot of each row of the pass
	k := 0
	for i := range reqs {
		for s.slots[k].busy {
			k++
		}
		at[i] = int32(k)
		s.slots[k] = slot{busy: true, req: reqs[i], sampler: newSampler(s.opts.Sampling, reqs[i].Seed)}
		s.busy++
		k++
	}
	if s.caches == nil {
		s.caches = fresh
		err = s.resize(len(s.slots), s.cacheLen) // adds the rows beyond the pass's
	} else {
		err = s.insert(fresh, at[:len(reqs)])
	}
	if err != nil {
		logits.FinalizeAll()
		return err
	}
	if err := s.sample(logits, func(i int) int { return i }, len(reqs), func(i int) int { return int(at[i]) }); err != nil {
		return err
	}
	for i, r := range reqs {
		s.positions[at[i]] = int32(len(r.Prompt))
	}
	return nil
}

// step advances every busy slot by one token.
func (s *stream) step() error {
	m, rows := s.m, len(s.slots)
	decode, err := m.exec(fmt.Sprintf("decode/steer=%d", s.steerLayer()),
		func() func(*graph.Graph, []*graph.Node) []*graph.Node { return decodeGraph(m.Config, s.steerLayer()) })
	if err != nil {
		return err
	}
	steerVec, steerScale := m.steerInputs(s.opts.Steer, rows, 1, func(b, t int) bool { return true })
	args := []any{tensors.FromFlatDataAndDimensions(slices.Clone(s.tokens), rows),
		tensors.FromFlatDataAndDimensions(slices.Clone(s.positions), rows), steerVec, steerScale}
	// Donated: on XLA the step writes the new keys and values into the cache where it lies
	// (decodeGraph declares the aliasing); elsewhere the old cache is freed as soon as the step
	// no longer needs it.
	for _, c := range s.caches {
		d, err := graph.DonateTensorBuffer(c, m.backend, 0)
		if err != nil {
			return fmt.Errorf("lm: donating the KV cache: %w", err)
		}
		args = append(args, d)
	}
	s.caches = nil
	outs, err := m.call(decode, args...)
	if err != nil {
		return fmt.Errorf("lm: decode step: %w", err)
	}
	logits := outs[0]
	s.caches = outs[1:]
	busy := make([]int, 0, s.busy)
	for i := range s.slots {
		if s.slots[i].busy {
			busy = append(busy, i)
		}
	}
	for _, i := range busy {
		s.positions[i]++
	}
	return s.sample(logits, func(j int) int { return busy[j] }, len(busy), func(j int) int { return busy[j] })
}

// sample draws the next token of n sequences from logits [rows, V]: sequence j reads row
// row(j) and lives in slot slotOf(j). A sequence that stops or reaches MaxNewTokens is handed to
// done and its slot freed; the others feed their token at the next step.
func (s *stream) sample(logits *tensors.Tensor, row func(j int) int, n int, slotOf func(j int) int) error {
	// Each sequence draws from its own sampler, so they draw in parallel, straight from the
	// logits' host copy.
	flat, err := tensors.CopyFlatData[float32](logits)
	v := len(flat) / logits.Shape().Dimensions[0]
	logits.FinalizeAll()
	if err != nil {
		return fmt.Errorf("lm: reading the logits: %w", err)
	}
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for j := w; j < n; j += workers {
				r := row(j)
				s.draws[slotOf(j)] = s.slots[slotOf(j)].sampler.next(flat[r*v : (r+1)*v])
			}
		})
	}
	wg.Wait()
	for j := range n {
		i := slotOf(j)
		sl := &s.slots[i]
		tok := s.draws[i]
		switch {
		case slices.Contains(s.opts.StopTokens, tok):
			sl.out.Stopped = true
		default:
			sl.out.Tokens = append(sl.out.Tokens, tok)
			if len(sl.out.Tokens) < s.opts.MaxNewTokens {
				s.tokens[i] = int32(tok)
				continue
			}
		}
		if err := s.finish(i); err != nil {
			return err
		}
	}
	return nil
}

// finish hands slot i's completion to done and frees the slot. A free slot keeps decoding a
// filler token at position 0 of its own row until it is refilled, which rewrites the whole row.
func (s *stream) finish(i int) error {
	sl := &s.slots[i]
	req, out := sl.req, sl.out
	*sl = slot{}
	s.busy--
	s.tokens[i], s.positions[i] = 0, 0
	s.finished++
	s.newTokens += len(out.Tokens)
	if s.opts.Progress != nil {
		s.opts.Progress(s.finished, s.newTokens)
	}
	return s.done(req, out)
}

// setRows gives the slots and their per-slot state n rows, keeping the first ones.
func (s *stream) setRows(n int) {
	s.slots, s.tokens, s.positions = resized(s.slots, n), resized(s.tokens, n), resized(s.positions, n)
	s.draws = make([]int, n)
}

// resized returns the first n elements of xs, followed by zero values if xs is shorter.
func resized[T any](xs []T, n int) []T {
	return append(xs[:min(n, len(xs))], make([]T, max(0, n-len(xs)))...)
}

// shrink moves the busy slots to the front of a cache of the fewest rows, a power of two, that
// holds them, when that is half the rows or less. Stream calls it when no request waits.
func (s *stream) shrink() error {
	if s.caches == nil || s.busy == 0 {
		return nil
	}
	rows := 1 << bits.Len(uint(s.busy-1))
	if 2*rows > len(s.slots) {
		return nil
	}
	// keep: the old row of each new one. The rows past the busy ones are free; they copy row 0,
	// as a refill rewrites a whole row.
	keep := make([]int32, rows)
	j := 0
	for i := range s.slots {
		if s.slots[i].busy {
			keep[j] = int32(i)
			s.slots[j], s.tokens[j], s.positions[j] = s.slots[i], s.tokens[i], s.positions[i]
			j++
		}
	}
	for k := j; k < len(s.slots); k++ {
		s.slots[k], s.tokens[k], s.positions[k] = slot{}, 0, 0
	}
	e, err := s.m.exec("keep-rows", func() func(*graph.Graph, []*graph.Node) []*graph.Node {
		return keepRowsGraph(len(s.caches))
	})
	if err != nil {
		return err
	}
	args := make([]any, 0, len(s.caches)+1)
	for _, c := range s.caches {
		args = append(args, c)
	}
	outs, err := e.Call(append(args, tensors.FromFlatDataAndDimensions(keep, rows))...)
	if err != nil {
		return fmt.Errorf("lm: shrinking the KV cache: %w", err)
	}
	for _, c := range s.caches {
		c.FinalizeAll()
	}
	s.caches = outs
	s.setRows(rows)
	return nil
}

// resize pads the cache with zeros to rows slots of cacheLen positions.
func (s *stream) resize(rows, cacheLen int) error {
	if s.caches == nil {
		s.cacheLen = cacheLen
		return nil
	}
	if d := s.caches[0].Shape().Dimensions; len(d) == 4 && d[0] == rows && d[2] == cacheLen {
		return nil
	}
	m := s.m
	e, err := m.exec(fmt.Sprintf("resize/rows=%d/S=%d", rows, cacheLen),
		func() func(*graph.Graph, []*graph.Node) []*graph.Node { return resizeGraph(rows, cacheLen) })
	if err != nil {
		return err
	}
	args := make([]any, len(s.caches))
	for i, c := range s.caches {
		args[i] = c
	}
	outs, err := e.Call(args...)
	if err != nil {
		return fmt.Errorf("lm: growing the KV cache: %w", err)
	}
	for _, c := range s.caches {
		c.FinalizeAll()
	}
	s.caches, s.cacheLen = outs, cacheLen
	return nil
}

// insert writes the first rows of a prefill's cache into their slots of the cache (at, one per
// row).
func (s *stream) insert(fresh []*tensors.Tensor, at []int32) error {
	m := s.m
	e, err := m.exec("insert", func() func(*graph.Graph, []*graph.Node) []*graph.Node { return insertGraph(len(fresh)) })
	if err != nil {
		return err
	}
	args := make([]any, 0, 2*len(fresh)+2)
	for _, c := range s.caches {
		d, err := graph.DonateTensorBuffer(c, m.backend, 0)
		if err != nil {
			return fmt.Errorf("lm: donating the KV cache: %w", err)
		}
		args = append(args, d)
	}
	s.caches = nil
	for _, c := range fresh {
		args = append(args, c)
	}
	from := make([]int32, len(s.slots))
	refill := make([]bool, len(s.slots))
	for r, i := range at {
		from[i], refill[i] = int32(r), true
	}
	args = append(args, tensors.FromFlatDataAndDimensions(from, len(from)), tensors.FromFlatDataAndDimensions(refill, len(refill)))
	outs, err := e.Call(args...)
	for _, c := range fresh {
		c.FinalizeAll()
	}
	if err != nil {
		return fmt.Errorf("lm: writing prompts into the KV cache: %w", err)
	}
	s.caches = outs
	return nil
}
