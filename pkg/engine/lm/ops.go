package lm

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads like maths
)

// This file holds the operations the families share (their forward passes are in llama.go,
// qwen.go, gemma.go and gemma4.go): linear layers, RMS norm, rotary embeddings, attention with
// its masks, the gated MLP, embedding lookup. None knows which family calls it: a family's
// difference is an argument (a scale, a soft-cap, an activation) or a function of its own.
//
// Shapes use one vocabulary throughout the package:
//
//	B batch, T query positions, S key positions (the KV cache's length when decoding),
//	D hidden size (dModel), H query heads, K key/value heads, G = H/K queries per key head,
//	hd head size, F MLP width, V vocabulary.

// linear is x·Wᵀ (+ b) for x [..., in] and a projection W stored as hostLayout leaves it:
// float32 [in, out] (W transposed), or quantized blocks [out, in/32, bytes].
func linear(x, w, b *Node) *Node {
	var y *Node
	if w.DType() == dtypes.Uint8 {
		w = dequantize(w) // a quantized weight is expanded here, at use (quant.go): [out, in]
		y = DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{1}, nil)
	} else {
		y = DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{0}, nil)
	}
	if b != nil {
		y = Add(y, ExpandLeftToRank(b, y.Rank()))
	}
	return y
}

// rmsNorm is x / sqrt(mean(x²) + eps) * w over the last axis, in float32 as transformers does;
// a nil w is no scale.
func rmsNorm(x, w *Node, eps float64) *Node {
	variance := ReduceAndKeep(Square(x), ReduceMean, -1)
	x = Mul(x, Rsqrt(AddScalar(variance, eps)))
	if w == nil {
		return x
	}
	return Mul(x, ExpandLeftToRank(w, x.Rank()))
}

// lookup gathers the embeddings of tokens [B, T] from an embedding table as hostLayout keeps it
// ([D, V] float32, or blocks [V, D/32, bytes] when quantized): [B, T, D].
func lookup(table, tokens *Node, d int) *Node {
	if table.DType() == dtypes.Uint8 {
		return dequantize(Gather(table, ExpandAxes(tokens, -1))) // only the rows read are expanded
	}
	dims := tokens.Shape().Dimensions
	cols := GatherSlices(table, []int{1}, ExpandAxes(tokens, -1), []int{1}, false) // [B, T, D, 1]: each token's column
	return Reshape(cols, dims[0], dims[1], d)
}

// softcap is cap * tanh(x / cap): a smooth clipping of attention scores or logits into (-cap, cap).
func softcap(x *Node, limit float64) *Node {
	return MulScalar(Tanh(MulScalar(x, 1/limit)), limit)
}

// # Rotary embeddings

// ropeTables gives cos and sin of the rotary angles, [B, T, 1, hd/2], for positions [B, T].
// The frequencies follow transformers: inv_freq[i] = theta^(-2i/hd), computed in float32. hd is
// the head size of the layers they serve.
func ropeTables(r Rope, hd int, positions *Node) (cos, sin *Node) {
	g := positions.Graph()
	half := hd / 2
	invFreq := make([]float32, half)
	for i := range invFreq {
		invFreq[i] = float32(1 / math.Pow(r.Theta, float64(2*i)/float64(hd)))
	}
	switch s := r.Scaling; {
	case s == nil:
	case s.Type == "linear": // transformers' _compute_linear_scaling_rope_parameters, in float32
		for i := range invFreq {
			invFreq[i] /= float32(s.Factor)
		}
	case s.Type == "proportional": // _compute_proportional_rope_parameters: the rest do not rotate
		rotated := int(s.PartialRotary * float64(hd) / 2)
		for i := range invFreq {
			if i >= rotated {
				invFreq[i] = 0
			}
			invFreq[i] /= float32(s.Factor)
		}
	default:
		llama3ScaleFrequencies(invFreq, s)
	}
	angles := Mul(ExpandAxes(ConvertDType(positions, dtypes.Float32), -1), ExpandLeftToRank(Const(g, invFreq), 3)) // [B, T, hd/2]
	angles = ExpandAxes(angles, 2)                                                                                 // [B, T, 1, hd/2]
	return Cos(angles), Sin(angles)
}

// llama3ScaleFrequencies applies Llama 3.1's rope_scaling (transformers'
// _compute_llama3_parameters): long wavelengths are slowed by Factor, short ones kept, and the
// band between is interpolated smoothly.
func llama3ScaleFrequencies(invFreq []float32, s *RopeScaling) {
	old := float64(s.OriginalMaxPositions)
	lowWavelen, highWavelen := old/s.LowFreqFactor, old/s.HighFreqFactor
	for i, f := range invFreq {
		wavelen := 2 * math.Pi / float64(f)
		switch {
		case wavelen > lowWavelen:
			invFreq[i] = float32(float64(f) / s.Factor)
		case wavelen >= highWavelen:
			smooth := (old/wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor)
			invFreq[i] = float32((1-smooth)*float64(f)/s.Factor + smooth*float64(f))
		}
	}
}

// applyRope rotates x [B, T, heads, hd] by the position angles: Hugging Face's rotate_half
// layout, where dimension i pairs with i + hd/2.
func applyRope(x, cos, sin *Node) *Node {
	half := x.Shape().Dimensions[3] / 2
	x1 := Slice(x, AxisRange(), AxisRange(), AxisRange(), AxisRange(0, half))
	x2 := Slice(x, AxisRange(), AxisRange(), AxisRange(), AxisRange(half))
	return Concatenate([]*Node{
		Sub(Mul(x1, cos), Mul(x2, sin)),
		Add(Mul(x2, cos), Mul(x1, sin)),
	}, -1)
}

// # Attention

// causalMask is [B, T, S] with true where query t (at position positions[b,t]) may see key slot s:
// s <= position and s < length (keys past a text's end are padding).
func causalMask(positions, lengths *Node, numKeys int) *Node {
	g := positions.Graph()
	dims := positions.Shape().Dimensions
	slots := Iota(g, shapes.Make(dtypes.Int32, dims[0], dims[1], numKeys), 2)
	visible := LessOrEqual(slots, ExpandAxes(positions, -1))
	inText := LessThan(slots, ExpandAxes(lengths, 1, 2))
	return LogicalAnd(visible, inText)
}

// slidingMask narrows a causal mask [B, T, S] to a sliding window: query t (at positions[b,t])
// also needs s > position - window, so it sees the last window positions, itself included
// (transformers' sliding_window_overlay).
func slidingMask(mask, positions *Node, window int) *Node {
	slots := Iota(positions.Graph(), shapes.Make(dtypes.Int32, mask.Shape().Dimensions...), 2)
	return LogicalAnd(mask, GreaterThan(slots, ExpandAxes(AddScalar(positions, -float64(window)), -1)))
}

// kvWriter decides where a block's new keys and values ([B, K, T, hd]) go and what it attends
// over: either the current positions alone (a full forward pass) or a KV cache (generation).
type kvWriter func(layer int, k, v *Node) (keys, values *Node)

// attnInputs is what every block's attention needs besides its weights, built once per graph:
// the rotary tables and the mask of global layers, and those of sliding-window layers (the same
// nodes when the model has no sliding layers or no separate local rope).
type attnInputs struct {
	cos, sin, mask                *Node // global layers: cos, sin [B, T, 1, hd/2], mask [B, T, S]
	localCos, localSin, localMask *Node // sliding-window layers
}

// newAttnInputs builds the attention inputs for queries at positions [B, T] over numKeys key
// slots, of which the first lengths[b] hold text b.
func newAttnInputs(c Config, positions, lengths *Node, numKeys int) attnInputs {
	var a attnInputs
	a.mask = causalMask(positions, lengths, numKeys)
	globalHD, localHD := c.HeadDim, c.HeadDim // the two kinds of layer may differ in head size
	for l := range c.NumLayers {
		if c.sliding(l) {
			localHD = c.headDim(l)
		} else {
			globalHD = c.headDim(l)
		}
	}
	a.cos, a.sin = ropeTables(Rope{Theta: c.RopeTheta, Scaling: c.RopeScaling}, globalHD, positions)
	a.localCos, a.localSin, a.localMask = a.cos, a.sin, a.mask
	if c.LocalRope != nil || localHD != globalHD {
		local := Rope{Theta: c.RopeTheta, Scaling: c.RopeScaling}
		if c.LocalRope != nil {
			local = *c.LocalRope
		}
		a.localCos, a.localSin = ropeTables(local, localHD, positions)
	}
	if c.SlidingLayers != nil {
		a.localMask = slidingMask(a.mask, positions, c.SlidingWindow)
	}
	return a
}

// forLayer picks the rotary tables and mask of a layer's kind.
func (a attnInputs) forLayer(c Config, layer int) (cos, sin, mask *Node) {
	if c.SlidingLayers != nil && c.SlidingLayers[layer] {
		return a.localCos, a.localSin, a.localMask
	}
	return a.cos, a.sin, a.mask
}

// splitHeads takes n heads of size hd from a projection p [B, T, *], from its column from on:
// [B, T, n, hd].
func splitHeads(p *Node, from, n, hd int) *Node {
	dims := p.Shape().Dimensions
	return Reshape(Slice(p, AxisRange(), AxisRange(), AxisRange(from, from+n*hd)), dims[0], dims[1], n, hd)
}

// headsFirst turns keys or values [B, T, K, hd] into [B, K, T, hd], the layout of the KV cache
// and of attend.
func headsFirst(x *Node) *Node { return TransposeAllDims(x, 0, 2, 1, 3) }

// attend is grouped-query scaled dot-product attention: q [B, T, H, hd] over k, v [B, K, S, hd],
// where mask [B, T, S] says which keys each query may see. The scores q·k are multiplied by
// scale, then with scoreCap > 0 soft-capped (before the mask). Returns [B, T, H*hd].
//
// Keys and values are kept heads-first ([B, K, S, hd], as transformers' cache is) so that both
// products are plain batched matrix products over (B, K) with no copy of k or v: with the
// sequence axis first, XLA transposed the whole KV cache in every layer at every decoding step.
// The softmax is normalized after the product with the values, on [.., hd] rather than on the
// scores [.., S]: one pass less over the largest tensor of a long pass (attention's time at 896
// tokens on the CPU fell by a fifth). A hidden key's score becomes -1e30, whose exponential after
// the max is subtracted is 0; the max itself weighs exp(0) = 1, so the sum divided by is at least
// 1. It must be finite: a padding row that sees no key (past a sliding window) would otherwise
// be NaN, and a hidden key's NaN value times its weight 0 is NaN in every later row.
//
// Tried and not kept: long full passes attending in chunks of 256 queries, each over the keys up
// to its own end (the causal triangle's staircase). A pass of 4 x 896 tokens ran 25% faster, but
// each program compiled 1-1.7 s longer, and reading the 300 neutral dialogues (16 programs for 32
// passes) took longer in all.
func attend(q, k, v, mask *Node, scale, scoreCap float64) *Node {
	dims := q.Shape().Dimensions
	b, t, heads, hd := dims[0], dims[1], dims[2], dims[3]
	kvHeads, s := k.Shape().Dimensions[1], k.Shape().Dimensions[2]
	groups := heads / kvHeads
	q = Reshape(q, b, t, kvHeads, groups, hd)                                 // [B, T, K, G, hd]
	q = Reshape(TransposeAllDims(q, 0, 2, 3, 1, 4), b, kvHeads, groups*t, hd) // [B, K, G*T, hd]
	scores := DotGeneral(q, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1})  // [B, K, G*T, S]
	scores = Reshape(scores, b, kvHeads, groups, t, s)                        // [B, K, G, T, S]
	scores = MulScalar(scores, scale)
	if scoreCap > 0 {
		scores = softcap(scores, scoreCap)
	}
	hidden := Scalar(q.Graph(), scores.DType(), -1e30)
	scores = Where(BroadcastToShape(ExpandAxes(mask, 1, 2), scores.Shape()), scores, hidden)
	weights := Exp(Sub(scores, ReduceAndKeep(scores, ReduceMax, -1))) // unnormalized, over S
	total := ReduceAndKeep(weights, ReduceSum, -1)                    // [B, K, G, T, 1], >= 1
	weights = Reshape(weights, b, kvHeads, groups*t, s)
	out := DotGeneral(weights, []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1}) // [B, K, G*T, hd]
	out = Div(Reshape(out, b, kvHeads, groups, t, hd), total)
	out = TransposeAllDims(out, 0, 3, 1, 2, 4) // [B, T, K, G, hd]
	return Reshape(out, b, t, heads*hd)
}

// # MLP

// gatedMLP is down(act(gate(h)) * up(h)) on the normed stream h [B, T, D], with gate_proj and
// up_proj stacked in gateUp [2F, D]: SwiGLU with silu, GeGLU with gelu. Returns [B, T, D].
func gatedMLP(h, gateUp, down *Node, act func(*Node) *Node) *Node {
	gu := linear(h, gateUp, nil)      // [B, T, 2F]
	f := gu.Shape().Dimensions[2] / 2 // F from the weights: it may differ by block
	gate := Slice(gu, AxisRange(), AxisRange(), AxisRange(0, f))
	up := Slice(gu, AxisRange(), AxisRange(), AxisRange(f))
	return linear(Mul(act(gate), up), down, nil)
}

// activations are the MLP's gate activations by their transformers name (ACT2FN).
var activations = map[string]func(*Node) *Node{
	"":                  silu,
	"silu":              silu,
	"gelu_pytorch_tanh": geluTanh,
	"gelu_new":          geluTanh,
}

func silu(x *Node) *Node { return Mul(x, Sigmoid(x)) }

// geluTanh is GELU's tanh approximation, 0.5x(1 + tanh(sqrt(2/π)(x + 0.044715x³))), torch's
// gelu(approximate="tanh").
func geluTanh(x *Node) *Node {
	inner := MulScalar(Add(x, MulScalar(Mul(x, Square(x)), 0.044715)), math.Sqrt(2/math.Pi))
	return Mul(MulScalar(x, 0.5), OnePlus(Tanh(inner)))
}
