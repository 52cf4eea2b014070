package lm

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads like maths
	"github.com/gomlx/gomlx/core/tensors"
)

// This file is the Llama family's forward pass (Hugging Face modeling_llama.py), read top to
// bottom: embed, then per block "norm, attention, add; norm, MLP, add", then the final norm
// and the unembedding. Shapes use one vocabulary:
//
//	B batch, T query positions, S key positions (the KV cache's length when decoding),
//	D hidden size (dModel), H query heads, K key/value heads, G = H/K queries per key head,
//	hd head size, F MLP width, V vocabulary.

// llamaLayer holds one block's weights. They are the checkpoint's tensors (Hugging Face names in
// the comments; linear weights are [out, in] as PyTorch stores them), except that the three
// attention projections are stacked into one matrix, and the MLP's gate and up projections into
// another: one matrix product instead of three (or two) reads the input once.
type llamaLayer struct {
	InputLayernorm         *Node // input_layernorm [D]
	QKV                    *Node // q_proj, k_proj, v_proj stacked: [(H+2K)*hd, D]
	QKVBias                *Node // their biases stacked [(H+2K)*hd]; nil without attention biases
	QNorm, KNorm           *Node // self_attn.q_norm, k_norm [hd]; nil without QK-norm (Qwen3, Gemma 3)
	OProj                  *Node // o_proj [D, H*hd]
	PostAttentionLayernorm *Node // post_attention_layernorm [D]: before the MLP (Llama), after attention (Gemma)
	// pre_ and post_feedforward_layernorm [D]: Gemma's norms around the MLP; nil elsewhere.
	PreFeedforwardLayernorm, PostFeedforwardLayernorm *Node
	GateUp                                            *Node // gate_proj, up_proj stacked: [2F, D]
	DownProj                                          *Node // down_proj [D, F]
	// Gemma 4 (gemma4.go): per_layer_input_gate [P, D], per_layer_projection [D, P],
	// post_per_layer_input_norm [D], layer_scalar [1]; nil elsewhere.
	PerLayerInputGate, PerLayerProjection, PostPerLayerInputNorm, LayerScalar *Node
}

// llamaWeights holds the model's weights as graph nodes.
type llamaWeights struct {
	EmbedTokens *Node // model.embed_tokens: [D, V] in float32 (hostLayout), blocks [V, D/32, bytes] when quantized
	Layers      []llamaLayer
	Norm        *Node // model.norm [D]
	LMHead      *Node // lm_head, laid out as EmbedTokens; the embedding matrix when tied
	// Gemma 4's per-layer embeddings (gemma4.go): embed_tokens_per_layer [V', L*P],
	// per_layer_model_projection [L*P, D], per_layer_projection_norm [P]; nil elsewhere.
	EmbedTokensPerLayer, PerLayerModelProjection, PerLayerProjectionNorm *Node
}

// llamaWeightNames lists the checkpoint keys of the Llama family.
func llamaWeightNames(c Config) []string {
	var names []string
	for _, slot := range weightSlots(c) {
		names = append(names, slot...)
	}
	return names
}

// weightSlots lists the graphs' weight inputs in order, each as the checkpoint keys it is made
// of: one key, or several stacked along the rows (Q, K, V; gate and up).
func weightSlots(c Config) [][]string {
	slots := [][]string{{"model.embed_tokens.weight"}}
	if c.PerLayerInputSize > 0 {
		slots = append(slots, []string{"model.embed_tokens_per_layer.weight"},
			[]string{"model.per_layer_model_projection.weight"}, []string{"model.per_layer_projection_norm.weight"})
	}
	for i := range c.NumLayers {
		for _, keys := range layerSlots(c, i) {
			full := make([]string, len(keys))
			for k, key := range keys {
				full[k] = fmt.Sprintf("model.layers.%d.%s", i, key)
			}
			slots = append(slots, full)
		}
	}
	slots = append(slots, []string{"model.norm.weight"})
	if !c.TieWordEmbeddings {
		slots = append(slots, []string{"lm_head.weight"})
	}
	return slots
}

// layerSlots are block i's weight inputs, keys without the "model.layers.{i}." prefix. A block
// that shares another's keys and values (Gemma 4) has no k and v weights; one with
// attention_k_eq_v has no v_proj.
func layerSlots(c Config, i int) [][]string {
	own := c.kvSource(i) == i
	qkv := []string{"self_attn.q_proj"}
	if own {
		qkv = append(qkv, "self_attn.k_proj")
		if c.hasV(i) {
			qkv = append(qkv, "self_attn.v_proj")
		}
	}
	suffixed := func(suffix string) []string {
		out := make([]string, len(qkv))
		for k, q := range qkv {
			out[k] = q + suffix
		}
		return out
	}
	slots := [][]string{{"input_layernorm.weight"}, suffixed(".weight")}
	if c.AttentionBias {
		slots = append(slots, suffixed(".bias"))
	}
	if c.QKNorm {
		slots = append(slots, []string{"self_attn.q_norm.weight"})
		if own {
			slots = append(slots, []string{"self_attn.k_norm.weight"})
		}
	}
	slots = append(slots, []string{"self_attn.o_proj.weight"}, []string{"post_attention_layernorm.weight"})
	if c.SandwichNorms {
		slots = append(slots, []string{"pre_feedforward_layernorm.weight"}, []string{"post_feedforward_layernorm.weight"})
	}
	slots = append(slots, []string{"mlp.gate_proj.weight", "mlp.up_proj.weight"}, []string{"mlp.down_proj.weight"})
	if c.PerLayerInputSize > 0 {
		slots = append(slots, []string{"per_layer_input_gate.weight"}, []string{"per_layer_projection.weight"},
			[]string{"post_per_layer_input_norm.weight"})
	}
	if c.LayerScalars {
		slots = append(slots, []string{"layer_scalar"})
	}
	return slots
}

// packWeight arranges one graph input from its checkpoint tensors (weightSlots order): several
// are stacked along the rows (Q, K, V; gate and up), and float32 matrices are stored as
// hostLayout says. The parts' host memory is released.
func packWeight(key string, parts []*tensors.Tensor) *tensors.Tensor {
	if len(parts) == 1 {
		return hostLayout(key, parts[0])
	}
	stacked := stackRows(parts...)
	for _, p := range parts {
		p.FinalizeAll()
	}
	return hostLayout(key, stacked)
}

// hostLayout stores a float32 matrix transposed, [in, out] instead of PyTorch's [out, in]: linear
// then multiplies x [..., in] by it as it lies, which XLA on the CPU runs up to twice as fast at
// the few rows of a decoding step (it copied the transpose of each [out, in] weight at every
// call). The embedding table counts as the unembedding's weight, [D, V]: the logits are a plain
// product (XLA repacked the whole [V, D] table at every decoding step), and embed reads tokens'
// columns. Gemma 4's per-layer table is only looked up and stays [V, L*P]. Quantized blocks stay
// [out, in]: their blocks run along the input axis.
func hostLayout(key string, t *tensors.Tensor) *tensors.Tensor {
	if t.DType() != dtypes.Float32 || t.Rank() != 2 || strings.Contains(key, "embed_tokens_per_layer") {
		return t
	}
	dims := t.Shape().Dimensions
	rows, cols := dims[0], dims[1]
	tr := make([]float32, rows*cols)
	const tile = 64 // transpose in tiles, for the caches
	err := tensors.ConstFlatData(t, func(flat []float32) {
		for r0 := 0; r0 < rows; r0 += tile {
			for c0 := 0; c0 < cols; c0 += tile {
				for r := r0; r < min(r0+tile, rows); r++ {
					for c := c0; c < min(c0+tile, cols); c++ {
						tr[c*rows+r] = flat[r*cols+c]
					}
				}
			}
		}
	})
	if err != nil {
		panic(err) // float32 host tensors made by Load
	}
	t.FinalizeAll()
	return tensors.FromFlatDataAndDimensions(tr, cols, rows)
}

// stackRows concatenates tensors along their first axis.
func stackRows(parts ...*tensors.Tensor) *tensors.Tensor {
	if isBlocks(parts[0]) {
		return stackBlocks(parts...) // quantized weights (quant.go)
	}
	var data []float32
	dims := slices.Clone(parts[0].Shape().Dimensions)
	dims[0] = 0
	for _, p := range parts {
		flat, err := tensors.CopyFlatData[float32](p)
		if err != nil {
			panic(err) // float32 host tensors made by Load
		}
		data = append(data, flat...)
		dims[0] += p.Shape().Dimensions[0]
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// bindLlamaWeights maps the graph's weight inputs (weightSlots order) to their roles.
func bindLlamaWeights(c Config, in []*Node) *llamaWeights {
	w := &llamaWeights{Layers: make([]llamaLayer, c.NumLayers)}
	layer := -1
	for k, slot := range weightSlots(c) {
		name := slot[0]
		if rest, ok := strings.CutPrefix(name, "model.layers."); ok {
			idx, key, _ := strings.Cut(rest, ".")
			layer, _ = strconv.Atoi(idx)
			name = key
		}
		n := in[k]
		var l *llamaLayer
		if layer >= 0 {
			l = &w.Layers[layer]
		}
		switch name {
		case "model.embed_tokens.weight":
			w.EmbedTokens = n
		case "model.embed_tokens_per_layer.weight":
			w.EmbedTokensPerLayer = n
		case "model.per_layer_model_projection.weight":
			w.PerLayerModelProjection = n
		case "model.per_layer_projection_norm.weight":
			w.PerLayerProjectionNorm = n
		case "model.norm.weight":
			w.Norm = n
		case "lm_head.weight":
			w.LMHead = n
		case "input_layernorm.weight":
			l.InputLayernorm = n
		case "self_attn.q_proj.weight":
			l.QKV = n
		case "self_attn.q_proj.bias":
			l.QKVBias = n
		case "self_attn.q_norm.weight":
			l.QNorm = n
		case "self_attn.k_norm.weight":
			l.KNorm = n
		case "self_attn.o_proj.weight":
			l.OProj = n
		case "post_attention_layernorm.weight":
			l.PostAttentionLayernorm = n
		case "pre_feedforward_layernorm.weight":
			l.PreFeedforwardLayernorm = n
		case "post_feedforward_layernorm.weight":
			l.PostFeedforwardLayernorm = n
		case "mlp.gate_proj.weight":
			l.GateUp = n
		case "mlp.down_proj.weight":
			l.DownProj = n
		case "per_layer_input_gate.weight":
			l.PerLayerInputGate = n
		case "per_layer_projection.weight":
			l.PerLayerProjection = n
		case "post_per_layer_input_norm.weight":
			l.PostPerLayerInputNorm = n
		case "layer_scalar":
			l.LayerScalar = n
		default:
			panic("lm: no role for weight " + slot[0])
		}
	}
	if w.LMHead == nil {
		w.LMHead = w.EmbedTokens
	}
	return w
}

// numWeightInputs is how many weight inputs the graphs take.
func numWeightInputs(c Config) int { return len(weightSlots(c)) }

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
// a nil w is no scale (Gemma 4's value norm).
func rmsNorm(x, w *Node, eps float64) *Node {
	variance := ReduceAndKeep(Square(x), ReduceMean, -1)
	x = Mul(x, Rsqrt(AddScalar(variance, eps)))
	if w == nil {
		return x
	}
	return Mul(x, ExpandLeftToRank(w, x.Rank()))
}

// ropeTables gives cos and sin of the rotary angles, [B, T, 1, hd/2], for positions [B, T].
// The frequencies follow transformers: inv_freq[i] = theta^(-2i/hd), computed in float32.
// hd is the head size of the layers it serves (Gemma 4's differ by layer type).
func ropeTables(c Config, r Rope, hd int, positions *Node) (cos, sin *Node) {
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

// attend is grouped-query scaled dot-product attention: q [B, T, H, hd] over k, v [B, K, S, hd],
// where mask [B, T, S] says which keys each query may see. Returns [B, T, H*hd].
//
// Keys and values are kept heads-first ([B, K, S, hd], as transformers' cache is) so that both
// products are plain batched matrix products over (B, K) with no copy of k or v: with the
// sequence axis first, XLA transposed the whole KV cache in every layer at every decoding step.
func attend(c Config, q, k, v, mask *Node) *Node {
	dims := q.Shape().Dimensions
	b, t, hd := dims[0], dims[1], dims[3]
	kvHeads, s := k.Shape().Dimensions[1], k.Shape().Dimensions[2]
	groups := c.NumHeads / kvHeads
	q = Reshape(q, b, t, kvHeads, groups, hd)                                 // [B, T, K, G, hd]
	q = Reshape(TransposeAllDims(q, 0, 2, 3, 1, 4), b, kvHeads, groups*t, hd) // [B, K, G*T, hd]
	scores := DotGeneral(q, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1})  // [B, K, G*T, S]
	scores = Reshape(scores, b, kvHeads, groups, t, s)                        // [B, K, G, T, S]
	scale := c.QueryScale
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(hd))
	}
	scores = MulScalar(scores, scale)
	if c.AttnSoftcap > 0 { // Gemma 2: scores squashed smoothly into (-cap, cap), before the mask
		scores = softcap(scores, c.AttnSoftcap)
	}
	probs := MaskedSoftmax(scores, BroadcastToShape(ExpandAxes(mask, 1, 2), scores.Shape()), -1) // over S
	probs = Reshape(probs, b, kvHeads, groups*t, s)
	out := DotGeneral(probs, []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1})      // [B, K, G*T, hd]
	out = TransposeAllDims(Reshape(out, b, kvHeads, groups, t, hd), 0, 3, 1, 2, 4) // [B, T, K, G, hd]
	return Reshape(out, b, t, c.NumHeads*hd)
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
	perLayer                      *Node // Gemma 4's per-layer inputs [B, T, L, P] (perLayerInputs); nil elsewhere
	// shared holds each block's keys and values [B, K, S, hd] as it attends over them, for the
	// blocks that reuse them (Gemma 4's KV sharing; kvSource).
	shared map[int][2]*Node
}

// newAttnInputs builds the attention inputs for queries at positions [B, T] over numKeys key
// slots, of which the first lengths[b] hold text b.
func newAttnInputs(c Config, positions, lengths *Node, numKeys int) attnInputs {
	a := attnInputs{shared: map[int][2]*Node{}}
	a.mask = causalMask(positions, lengths, numKeys)
	globalHD, localHD := c.HeadDim, c.HeadDim // Gemma 4's global and sliding layers differ
	for l := range c.NumLayers {
		if c.sliding(l) {
			localHD = c.headDim(l)
		} else {
			globalHD = c.headDim(l)
		}
	}
	a.cos, a.sin = ropeTables(c, Rope{Theta: c.RopeTheta, Scaling: c.RopeScaling}, globalHD, positions)
	a.localCos, a.localSin, a.localMask = a.cos, a.sin, a.mask
	if c.LocalRope != nil || localHD != globalHD {
		local := Rope{Theta: c.RopeTheta, Scaling: c.RopeScaling}
		if c.LocalRope != nil {
			local = *c.LocalRope
		}
		a.localCos, a.localSin = ropeTables(c, local, localHD, positions)
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

// block runs decoder block l on the residual stream x [B, T, D]: "norm, attention, add; norm,
// MLP, add", or Gemma's sandwich of norms (gemma.go).
func block(c Config, l *llamaLayer, layer int, x *Node, at attnInputs, kv kvWriter) *Node {
	if c.SandwichNorms {
		return gemmaBlock(c, l, layer, x, at, kv)
	}
	x = Add(x, attention(c, l, layer, rmsNorm(x, l.InputLayernorm, c.RMSNormEps), at, kv))
	return Add(x, mlp(c, l, rmsNorm(x, l.PostAttentionLayernorm, c.RMSNormEps)))
}

// attention is a block's self-attention on the normed stream h [B, T, D]: project, (QK-norm),
// rotate, attend, project back. Returns [B, T, D], to be added to the residual stream.
func attention(c Config, l *llamaLayer, layer int, h *Node, at attnInputs, kv kvWriter) *Node {
	dims := h.Shape().Dimensions
	b, t := dims[0], dims[1]
	hd, kvHeads := c.headDim(layer), c.kvHeads(layer)
	qkv := linear(h, l.QKV, l.QKVBias) // [B, T, (H+2K)*hd]
	qSize, kvSize := c.NumHeads*hd, kvHeads*hd
	q := Reshape(Slice(qkv, AxisRange(), AxisRange(), AxisRange(0, qSize)), b, t, c.NumHeads, hd)
	if c.QKNorm { // each head's q and k normed over hd, before the rotation
		q = rmsNorm(q, l.QNorm, c.RMSNormEps)
	}
	cos, sin, mask := at.forLayer(c, layer)
	q = applyRope(q, cos, sin)
	if src := c.kvSource(layer); src != layer { // Gemma 4: attend over an earlier block's keys and values
		kvs := at.shared[src]
		return linear(attend(c, q, kvs[0], kvs[1], mask), l.OProj, nil)
	}
	k := Reshape(Slice(qkv, AxisRange(), AxisRange(), AxisRange(qSize, qSize+kvSize)), b, t, kvHeads, hd)
	v := k // Gemma 4's attention_k_eq_v: the values are the keys' projection
	if c.hasV(layer) {
		v = Reshape(Slice(qkv, AxisRange(), AxisRange(), AxisRange(qSize+kvSize)), b, t, kvHeads, hd)
	}
	if c.QKNorm {
		k = rmsNorm(k, l.KNorm, c.RMSNormEps)
	}
	if c.VNorm {
		v = rmsNorm(v, nil, c.RMSNormEps)
	}
	k = applyRope(k, cos, sin)
	// Heads first from here on, [B, K, T, hd]: the layout of the KV cache and of attend.
	keys, values := kv(layer, TransposeAllDims(k, 0, 2, 1, 3), TransposeAllDims(v, 0, 2, 1, 3))
	at.shared[layer] = [2]*Node{keys, values}
	return linear(attend(c, q, keys, values, mask), l.OProj, nil)
}

// mlp is the gated MLP on the normed stream h [B, T, D]: down(act(gate(h)) * up(h)), SwiGLU with
// silu, GeGLU with gelu. Returns [B, T, D].
func mlp(c Config, l *llamaLayer, h *Node) *Node {
	gateUp := linear(h, l.GateUp, nil)    // [B, T, 2F]
	f := gateUp.Shape().Dimensions[2] / 2 // F differs per block in Gemma 4 (DoubleWideMLP)
	gate := Slice(gateUp, AxisRange(), AxisRange(), AxisRange(0, f))
	up := Slice(gateUp, AxisRange(), AxisRange(), AxisRange(f))
	return linear(Mul(activations[c.HiddenAct](gate), up), l.DownProj, nil)
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

// softcap is cap * tanh(x / cap): Gemma's smooth clipping of attention scores and logits.
func softcap(x *Node, limit float64) *Node {
	return MulScalar(Tanh(MulScalar(x, 1/limit)), limit)
}

// embed looks up the token embeddings: tokens [B, T] -> [B, T, D] (scaled, in Gemma).
func embed(c Config, w *llamaWeights, tokens *Node) *Node {
	var x *Node
	if w.EmbedTokens.DType() == dtypes.Uint8 {
		x = dequantize(Gather(w.EmbedTokens, ExpandAxes(tokens, -1))) // only the rows read are expanded
	} else { // [D, V]: each token's column
		dims := tokens.Shape().Dimensions
		cols := GatherSlices(w.EmbedTokens, []int{1}, ExpandAxes(tokens, -1), []int{1}, false) // [B, T, D, 1]
		x = Reshape(cols, dims[0], dims[1], c.HiddenSize)
	}
	if c.EmbedScale != 0 {
		x = MulScalar(x, c.EmbedScale)
	}
	return x
}

// vocabSize is the unembedding's number of rows of logits, V.
func vocabSize(w *llamaWeights) int {
	if w.LMHead.DType() == dtypes.Uint8 {
		return w.LMHead.Shape().Dimensions[0] // blocks [V, D/32, bytes]
	}
	return w.LMHead.Shape().Dimensions[1] // [D, V]
}

// unembed is the final norm followed by the unembedding (and Gemma's final soft-cap):
// x [..., D] -> logits [..., V].
func unembed(c Config, w *llamaWeights, x *Node) *Node {
	logits := linear(rmsNorm(x, w.Norm, c.RMSNormEps), w.LMHead, nil) // a projection from D to V, stored as hostLayout says
	if c.FinalSoftcap > 0 {
		logits = softcap(logits, c.FinalSoftcap)
	}
	return logits
}
