package lm

import (
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// The three graphs the engine runs, the same for every family: each binds its model (bind,
// family.go) and runs it through embed, the blocks and unembed. Each takes the weights first
// (the model's weights order), then its data inputs; GoMLX compiles one program per input shape,
// so callers bucket B and T.

// forwardSpec says what a full forward pass returns.
type forwardSpec struct {
	Layers      []int // hidden_states indices to return, each [B, T, D]
	AllLayers   bool  // return every hidden_states[0..n] (the last one after the final norm, as transformers)
	Logits      bool  // return logits [B, T, V]
	SteerLayer  int   // add the steering input after this many blocks; -1 for none
	deepestNeed int
}

func (s forwardSpec) deepest(c Config) int {
	if s.AllLayers || s.Logits {
		return c.NumLayers
	}
	d := 0
	for _, l := range s.Layers {
		d = max(d, l)
	}
	return d
}

// forwardGraph runs texts of different lengths, right-padded: tokens [B, T], lengths [B],
// steer [D] and steerScale [B, T] (used when spec.SteerLayer >= 0).
func forwardGraph(c Config, spec forwardSpec) func(g *Graph, in []*Node) []*Node {
	nw := numWeightInputs(c)
	return func(g *Graph, in []*Node) []*Node {
		m := bind(c, in[:nw])
		tokens, lengths := in[nw], in[nw+1]
		dims := tokens.Shape().Dimensions
		positions := Iota(g, shapes.Make(dtypes.Int32, dims[0], dims[1]), 1)
		at := newAttnInputs(c, positions, lengths, dims[1])
		self := func(_ int, k, v *Node) (*Node, *Node) { return k, v }

		want := make(map[int]bool)
		for _, l := range spec.Layers {
			want[l] = true
		}
		var outs []*Node
		x := m.embed(tokens)
		deepest := spec.deepest(c)
		for layer := 0; ; layer++ {
			if layer == spec.SteerLayer {
				x = Add(x, Mul(ExpandLeftToRank(in[nw+2], 3), ExpandAxes(in[nw+3], -1)))
			}
			switch {
			case spec.AllLayers && layer == c.NumLayers:
				outs = append(outs, m.finalNorm(x))
			case spec.AllLayers || want[layer]:
				outs = append(outs, x)
			}
			if layer == deepest {
				break
			}
			x = m.block(layer, x, at, self)
		}
		if spec.Logits {
			outs = append(outs, m.unembed(x))
		}
		return outs
	}
}

// prefillGraph reads the prompts (tokens [B, T], lengths [B], steer [D], steerScale [B, T]) and
// returns the logits at each prompt's last token [B, V] and the KV cache, 2 tensors per layer
// [B, K, S, hd] (keys then values), holding the prompt in slots 0..length-1 and zeros elsewhere.
// A layer that reuses another's keys and values (Gemma 4) has no cache of its own: its two
// entries are placeholders [1], passed through by decodeGraph.
func prefillGraph(c Config, cacheLen, steerLayer int) func(g *Graph, in []*Node) []*Node {
	nw := numWeightInputs(c)
	return func(g *Graph, in []*Node) []*Node {
		m := bind(c, in[:nw])
		tokens, lengths, steer, steerScale := in[nw], in[nw+1], in[nw+2], in[nw+3]
		dims := tokens.Shape().Dimensions
		b, t := dims[0], dims[1]
		positions := Iota(g, shapes.Make(dtypes.Int32, b, t), 1)
		at := newAttnInputs(c, positions, lengths, t)
		inText := ExpandAxes(LessThan(positions, ExpandAxes(lengths, -1)), 1, 3) // [B, 1, T, 1]

		caches := make([]*Node, 2*c.NumLayers)
		for i := range caches {
			caches[i] = Zeros(g, shapes.Make(dtypes.Float32, 1)) // replaced below, except for shared layers
		}
		toCache := func(x *Node) *Node { // [B, K, T, hd] -> [B, K, S, hd], padding zeroed
			x = Where(BroadcastToShape(inText, x.Shape()), x, ZerosLike(x))
			kd := x.Shape().Dimensions
			pad := Zeros(g, shapes.Make(x.DType(), b, kd[1], cacheLen-t, kd[3]))
			return Concatenate([]*Node{x, pad}, 2)
		}
		self := func(layer int, k, v *Node) (*Node, *Node) {
			caches[2*layer], caches[2*layer+1] = toCache(k), toCache(v)
			return k, v
		}
		x := m.embed(tokens)
		for layer := range c.NumLayers {
			if layer == steerLayer {
				x = Add(x, Mul(ExpandLeftToRank(steer, 3), ExpandAxes(steerScale, -1)))
			}
			x = m.block(layer, x, at, self)
		}
		last := Gather(x, Stack([]*Node{Iota(g, shapes.Make(dtypes.Int32, b), 0), AddScalar(lengths, -1)}, -1)) // [B, D]
		return append([]*Node{m.unembed(last)}, caches...)
	}
}

// decodeGraph advances every sequence by one token: tokens [B], positions [B] (the slot the
// token goes to), steer [D], steerScale [B, 1], then the KV cache (2 per layer, [B, K, S, hd]).
// It returns logits [B, V] and the updated cache.
func decodeGraph(c Config, steerLayer int) func(g *Graph, in []*Node) []*Node {
	nw := numWeightInputs(c)
	return func(g *Graph, in []*Node) []*Node {
		m := bind(c, in[:nw])
		tokens, positions, steer, steerScale := in[nw], in[nw+1], in[nw+2], in[nw+3]
		caches := in[nw+4:]
		b := tokens.Shape().Dimensions[0]
		cacheLen := caches[0].Shape().Dimensions[2]
		pos := ExpandAxes(positions, -1)                               // [B, 1]
		at := newAttnInputs(c, pos, AddScalar(positions, 1), cacheLen) // masks [B, 1, S]
		// Each sequence writes its new key and value at (b, k, position[b]) for every KV head k;
		// those slots are still zero, so a scatter-add is a write.
		newCaches := slices.Clone(caches) // shared layers' placeholders pass through
		wheres := map[int]*Node{}         // [B*K, 3] by K (Gemma 4's layers differ in K)
		cached := func(layer int, k, v *Node) (*Node, *Node) {
			kd := k.Shape().Dimensions // [B, K, 1, hd]
			where := wheres[kd[1]]
			if where == nil {
				bk := shapes.Make(dtypes.Int32, b, kd[1])
				where = Reshape(Stack([]*Node{Iota(g, bk, 0), Iota(g, bk, 1),
					BroadcastToShape(ExpandAxes(positions, -1), bk)}, -1), b*kd[1], 3)
				wheres[kd[1]] = where
			}
			kc := ScatterSum(caches[2*layer], where, Reshape(k, b*kd[1], kd[3]), false, true)
			vc := ScatterSum(caches[2*layer+1], where, Reshape(v, b*kd[1], kd[3]), false, true)
			newCaches[2*layer], newCaches[2*layer+1] = kc, vc
			return kc, vc
		}
		x := m.embed(ExpandAxes(tokens, -1)) // [B, 1, D]
		for layer := range c.NumLayers {
			if layer == steerLayer {
				x = Add(x, Mul(ExpandLeftToRank(steer, 3), ExpandAxes(steerScale, -1)))
			}
			x = m.block(layer, x, at, cached)
		}
		logits := m.unembed(x)                                    // [B, 1, V]
		logits = Reshape(logits, b, logits.Shape().Dimensions[2]) // [B, V]
		for j := range caches {
			if newCaches[j] != caches[j] {
				aliasInput(caches[j], 1+j) // written in place: see Generate, which donates the cache
			}
		}
		return append([]*Node{logits}, newCaches...)
	}
}

// resizeGraph pads each cache [B, K, S, hd] with zeros to [rows, K, cacheLen, hd]; placeholders
// (rank 1) pass through.
func resizeGraph(rows, cacheLen int) func(g *Graph, in []*Node) []*Node {
	return func(g *Graph, in []*Node) []*Node {
		out := make([]*Node, len(in))
		for i, x := range in {
			if x.Rank() != 4 {
				out[i] = Identity(x)
				continue
			}
			d := x.Shape().Dimensions
			if d[2] < cacheLen {
				x = Concatenate([]*Node{x, Zeros(g, shapes.Make(x.DType(), d[0], d[1], cacheLen-d[2], d[3]))}, 2)
			}
			if d[0] < rows {
				x = Concatenate([]*Node{x, Zeros(g, shapes.Make(x.DType(), rows-d[0], d[1], cacheLen, d[3]))}, 0)
			}
			out[i] = x
		}
		return out
	}
}

// keepRowsGraph gathers the rows keep [R] of each cache [B, K, S, hd] into a cache [R, K, S, hd]:
// a stream's busy slots, moved to the front of a smaller cache. Placeholders (rank 1) pass through.
func keepRowsGraph(n int) func(g *Graph, in []*Node) []*Node {
	return func(g *Graph, in []*Node) []*Node {
		caches, keep := in[:n], in[n]
		out := make([]*Node, n)
		for j, x := range caches {
			if x.Rank() != 4 {
				out[j] = Identity(x)
				continue
			}
			out[j] = Gather(x, ExpandAxes(keep, -1))
		}
		return out
	}
}

// insertGraph writes the rows of a prefill's cache into the cache of the running sequences: the
// inputs are the cache (n tensors [B, K, S, hd], donated), the prefill's (n tensors [R, K, S, hd]),
// from [B] (the prefill row each slot takes) and refill [B] (whether it takes one). It is a
// select over the whole cache, about the traffic of one decoding step; a dynamic-update-slice
// per row would move less, but GoMLX's Go backend has none, and a refill comes only every few
// dozen steps.
func insertGraph(n int) func(g *Graph, in []*Node) []*Node {
	return func(g *Graph, in []*Node) []*Node {
		caches, fresh, from, refill := in[:n], in[n:2*n], in[2*n], in[2*n+1]
		out := make([]*Node, n)
		for j, x := range caches {
			if x.Rank() != 4 {
				out[j] = x // a shared layer's placeholder
				continue
			}
			rows := Gather(fresh[j], ExpandAxes(from, -1)) // [B, K, S, hd]
			out[j] = Where(BroadcastToShape(ExpandAxes(refill, 1, 2, 3), x.Shape()), rows, x)
			aliasInput(caches[j], j)
		}
		return out
	}
}
