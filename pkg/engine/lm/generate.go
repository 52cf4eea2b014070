package lm

import (
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// GenerateOptions controls Generate.
type GenerateOptions struct {
	Sampling
	MaxNewTokens int
	Seeds        []uint64 // one per prompt; a prompt's completion depends only on it and its seed
	StopTokens   []int    // end of sequence / end of turn; not included in the output
	BatchSize    int      // sequences decoded together (default 8)
	Steer        *Steering
	// Progress, if set, is called after each finished sequence with the number done so far
	// and the tokens generated so far.
	Progress func(done, newTokens int)
}

// Completion is one prompt's generated continuation.
type Completion struct {
	Tokens  []int
	Stopped bool // ended on a stop token (false: hit MaxNewTokens)
}

// Generate continues each prompt (token ids) with sampled tokens, in batches, with a KV cache.
// Prompts of different lengths share a batch: each is right-padded and decodes at its own
// positions.
func (m *Model) Generate(prompts [][]int, opts GenerateOptions) ([]Completion, error) {
	if opts.MaxNewTokens <= 0 {
		return nil, fmt.Errorf("lm: Generate: MaxNewTokens must be positive, got %d", opts.MaxNewTokens)
	}
	if len(opts.Seeds) != len(prompts) {
		return nil, fmt.Errorf("lm: Generate: %d prompts but %d seeds: give one seed per prompt", len(prompts), len(opts.Seeds))
	}
	if err := opts.Steer.check(m.Config); err != nil {
		return nil, err
	}
	bs := opts.BatchSize
	if bs <= 0 {
		bs = 8
	}
	// Similar lengths together waste less padding; results do not depend on the grouping.
	order := make([]int, len(prompts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(prompts[a]) - len(prompts[b]) })

	out := make([]Completion, len(prompts))
	done, newTokens := 0, 0
	for start := 0; start < len(order); start += bs {
		idx := order[start:min(start+bs, len(order))]
		group := make([][]int, len(idx))
		seeds := make([]uint64, len(idx))
		for i, j := range idx {
			group[i], seeds[i] = prompts[j], opts.Seeds[j]
		}
		res, err := m.generateBatch(group, seeds, bs, opts)
		if err != nil {
			return nil, err
		}
		for i, j := range idx {
			out[j] = res[i]
			done++
			newTokens += len(res[i].Tokens)
		}
		if opts.Progress != nil {
			opts.Progress(done, newTokens)
		}
	}
	return out, nil
}

// generateBatch decodes one batch of up to rows prompts.
func (m *Model) generateBatch(prompts [][]int, seeds []uint64, rows int, opts GenerateOptions) ([]Completion, error) {
	for i, p := range prompts {
		if len(p) == 0 {
			return nil, fmt.Errorf("lm: Generate: prompt %d is empty", i)
		}
	}
	batch := NewBatch(prompts, 32, rows)
	longest := int(slices.Max(batch.Lengths))
	cacheLen := bucket(longest+opts.MaxNewTokens, 64)
	if m.Config.MaxPositions > 0 && longest+opts.MaxNewTokens > m.Config.MaxPositions {
		return nil, fmt.Errorf("lm: Generate: prompt of %d tokens + %d new tokens exceeds the model's context of %d",
			longest, opts.MaxNewTokens, m.Config.MaxPositions)
	}
	steerLayer := -1
	if opts.Steer != nil {
		steerLayer = opts.Steer.Layer
	}
	onlyNew := opts.Steer != nil && opts.Steer.OnlyNew

	m.mu.Lock()
	defer m.mu.Unlock()
	prefill, err := m.exec(fmt.Sprintf("prefill/S=%d/steer=%d", cacheLen, steerLayer),
		func() func(*graph.Graph, []*graph.Node) []*graph.Node {
			return prefillGraph(m.Config, cacheLen, steerLayer)
		})
	if err != nil {
		return nil, err
	}
	decode, err := m.exec(fmt.Sprintf("decode/steer=%d", steerLayer),
		func() func(*graph.Graph, []*graph.Node) []*graph.Node { return decodeGraph(m.Config, steerLayer) })
	if err != nil {
		return nil, err
	}

	steerVec, steerScale := m.steerInputs(opts.Steer, batch.B, batch.T, func(b, t int) bool { return !onlyNew })
	outs, err := m.call(prefill,
		tensors.FromFlatDataAndDimensions(batch.Tokens, batch.B, batch.T),
		tensors.FromFlatDataAndDimensions(batch.Lengths, batch.B), steerVec, steerScale)
	if err != nil {
		return nil, fmt.Errorf("lm: prefill: %w", err)
	}
	logits, caches := outs[0], outs[1:]

	samplers := make([]*sampler, len(prompts))
	for i := range samplers {
		samplers[i] = newSampler(opts.Sampling, seeds[i])
	}
	res := make([]Completion, len(prompts))
	finished := make([]bool, batch.B)
	for i := len(prompts); i < batch.B; i++ {
		finished[i] = true // filler rows
	}
	positions := slices.Clone(batch.Lengths)
	next := make([]int32, batch.B)
	steerVec, steerScale = m.steerInputs(opts.Steer, batch.B, 1, func(b, t int) bool { return true })
	draws := make([]int, batch.B)
	workers := min(runtime.GOMAXPROCS(0), len(prompts))
	for step := 0; ; step++ {
		// Each row draws from its own sampler, so the rows are drawn in parallel, straight
		// from the logits' host copy [B, V].
		flat, err := tensors.CopyFlatData[float32](logits)
		if err != nil {
			return nil, fmt.Errorf("lm: reading the logits: %w", err)
		}
		v := len(flat) / batch.B
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(prompts); i += workers {
					if !finished[i] {
						draws[i] = samplers[i].next(flat[i*v : (i+1)*v])
					}
				}
			})
		}
		wg.Wait()
		logits.FinalizeAll()
		for i := range prompts {
			if finished[i] {
				continue
			}
			tok := draws[i]
			next[i] = int32(tok)
			if slices.Contains(opts.StopTokens, tok) {
				finished[i], res[i].Stopped = true, true
				continue
			}
			res[i].Tokens = append(res[i].Tokens, tok)
			if len(res[i].Tokens) >= opts.MaxNewTokens {
				finished[i] = true
			}
		}
		if !slices.Contains(finished, false) {
			break
		}
		args := []any{tensors.FromFlatDataAndDimensions(slices.Clone(next), batch.B),
			tensors.FromFlatDataAndDimensions(slices.Clone(positions), batch.B), steerVec, steerScale}
		// Donated: on XLA the step writes the new keys and values into the cache where it lies
		// (decodeGraph declares the aliasing); elsewhere the old cache is freed as soon as the
		// step no longer needs it.
		for _, c := range caches {
			d, err := graph.DonateTensorBuffer(c, m.backend, 0)
			if err != nil {
				return nil, fmt.Errorf("lm: donating the KV cache: %w", err)
			}
			args = append(args, d)
		}
		outs, err := m.call(decode, args...)
		if err != nil {
			return nil, fmt.Errorf("lm: decode step %d: %w", step, err)
		}
		logits, caches = outs[0], outs[1:]
		for i := range positions {
			if positions[i] < int32(cacheLen-1) {
				positions[i]++
			}
		}
	}
	for _, c := range caches {
		c.FinalizeAll()
	}
	return res, nil
}
