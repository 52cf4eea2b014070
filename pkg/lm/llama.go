package lm

import (
	"fmt"
	"math"
	"slices"

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
	OProj                  *Node // o_proj [D, H*hd]
	PostAttentionLayernorm *Node // post_attention_layernorm [D]
	GateUp                 *Node // gate_proj, up_proj stacked: [2F, D]
	DownProj               *Node // down_proj [D, F]
}

// llamaWeights holds the model's weights as graph nodes.
type llamaWeights struct {
	EmbedTokens *Node // model.embed_tokens [V, D]
	Layers      []llamaLayer
	Norm        *Node // model.norm [D]
	LMHead      *Node // lm_head [V, D]; the embedding matrix when tied
}

// llamaWeightNames lists the checkpoint keys of the Llama family.
func llamaWeightNames(c Config) []string {
	names := []string{"model.embed_tokens.weight"}
	for i := range c.NumLayers {
		for _, k := range llamaLayerKeys(c) {
			names = append(names, fmt.Sprintf("model.layers.%d.%s", i, k))
		}
	}
	names = append(names, "model.norm.weight")
	if !c.TieWordEmbeddings {
		names = append(names, "lm_head.weight")
	}
	return names
}

// llamaLayerKeys are one block's checkpoint keys, without the "model.layers.{i}." prefix.
func llamaLayerKeys(c Config) []string {
	keys := []string{"input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight"}
	if c.AttentionBias {
		keys = append(keys, "self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias")
	}
	return append(keys, "self_attn.o_proj.weight", "post_attention_layernorm.weight",
		"mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight")
}

// packLlamaWeights arranges checkpoint tensors (by key) into the graphs' input order, stacking
// the projections that llamaLayer stacks.
func packLlamaWeights(c Config, w map[string]*tensors.Tensor) []*tensors.Tensor {
	out := []*tensors.Tensor{w["model.embed_tokens.weight"]}
	for i := range c.NumLayers {
		p := fmt.Sprintf("model.layers.%d.", i)
		out = append(out, w[p+"input_layernorm.weight"],
			stackRows(w[p+"self_attn.q_proj.weight"], w[p+"self_attn.k_proj.weight"], w[p+"self_attn.v_proj.weight"]))
		if c.AttentionBias {
			out = append(out, stackRows(w[p+"self_attn.q_proj.bias"], w[p+"self_attn.k_proj.bias"], w[p+"self_attn.v_proj.bias"]))
		}
		out = append(out, w[p+"self_attn.o_proj.weight"], w[p+"post_attention_layernorm.weight"],
			stackRows(w[p+"mlp.gate_proj.weight"], w[p+"mlp.up_proj.weight"]), w[p+"mlp.down_proj.weight"])
	}
	out = append(out, w["model.norm.weight"])
	if !c.TieWordEmbeddings {
		out = append(out, w["lm_head.weight"])
	}
	return out
}

// stackRows concatenates tensors along their first axis.
func stackRows(parts ...*tensors.Tensor) *tensors.Tensor {
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

// bindLlamaWeights maps the graph's weight inputs (packLlamaWeights order) to their roles.
func bindLlamaWeights(c Config, in []*Node) *llamaWeights {
	next := func() *Node { n := in[0]; in = in[1:]; return n }
	w := &llamaWeights{EmbedTokens: next(), Layers: make([]llamaLayer, c.NumLayers)}
	for i := range w.Layers {
		l := &w.Layers[i]
		l.InputLayernorm, l.QKV = next(), next()
		if c.AttentionBias {
			l.QKVBias = next()
		}
		l.OProj, l.PostAttentionLayernorm, l.GateUp, l.DownProj = next(), next(), next(), next()
	}
	w.Norm = next()
	w.LMHead = w.EmbedTokens
	if !c.TieWordEmbeddings {
		w.LMHead = next()
	}
	return w
}

// numWeightInputs is how many weight inputs the graphs take.
func numWeightInputs(c Config) int {
	n := 2 + 6*c.NumLayers // embeddings, 6 per block, final norm
	if c.AttentionBias {
		n += c.NumLayers
	}
	if !c.TieWordEmbeddings {
		n++
	}
	return n
}

// linear is x·Wᵀ (+ b) for x [..., in] and W [out, in].
func linear(x, w, b *Node) *Node {
	y := DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{1}, nil)
	if b != nil {
		y = Add(y, ExpandLeftToRank(b, y.Rank()))
	}
	return y
}

// rmsNorm is x / sqrt(mean(x²) + eps) * w over the last axis, in float32 as transformers does.
func rmsNorm(x, w *Node, eps float64) *Node {
	variance := ReduceAndKeep(Square(x), ReduceMean, -1)
	return Mul(Mul(x, Rsqrt(AddScalar(variance, eps))), ExpandLeftToRank(w, x.Rank()))
}

// ropeTables gives cos and sin of the rotary angles, [B, T, 1, hd/2], for positions [B, T].
// The frequencies follow transformers: inv_freq[i] = theta^(-2i/hd), computed in float32.
func ropeTables(c Config, positions *Node) (cos, sin *Node) {
	g := positions.Graph()
	half := c.HeadDim / 2
	invFreq := make([]float32, half)
	for i := range invFreq {
		invFreq[i] = float32(1 / math.Pow(c.RopeTheta, float64(2*i)/float64(c.HeadDim)))
	}
	if s := c.RopeScaling; s != nil {
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

// attend is grouped-query scaled dot-product attention: q [B, T, H, hd] over k, v [B, S, K, hd],
// where mask [B, T, S] says which keys each query may see. Returns [B, T, H*hd].
func attend(c Config, q, k, v, mask *Node) *Node {
	dims := q.Shape().Dimensions
	b, t := dims[0], dims[1]
	groups := c.NumHeads / c.NumKVHeads
	q = Reshape(q, b, t, c.NumKVHeads, groups, c.HeadDim)                                        // [B, T, K, G, hd]
	scores := Einsum("btkgd,bskd->bkgts", q, k)                                                  // [B, K, G, T, S]
	scores = MulScalar(scores, 1/math.Sqrt(float64(c.HeadDim)))                                  //
	probs := MaskedSoftmax(scores, BroadcastToShape(ExpandAxes(mask, 1, 2), scores.Shape()), -1) // over S
	out := Einsum("bkgts,bskd->btkgd", probs, v)                                                 // [B, T, K, G, hd]
	return Reshape(out, b, t, c.NumHeads*c.HeadDim)
}

// kvWriter decides where a block's new keys and values go and what it attends over: either the
// current positions alone (a full forward pass) or a KV cache (generation).
type kvWriter func(layer int, k, v *Node) (keys, values *Node)

// block runs decoder block l on the residual stream x [B, T, D].
func block(c Config, l *llamaLayer, layer int, x, cos, sin, mask *Node, kv kvWriter) *Node {
	dims := x.Shape().Dimensions
	b, t := dims[0], dims[1]

	// Attention: norm, project, rotate, attend, project back, add to the residual stream.
	h := rmsNorm(x, l.InputLayernorm, c.RMSNormEps)
	qkv := linear(h, l.QKV, l.QKVBias) // [B, T, (H+2K)*hd]
	qSize, kvSize := c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	q := Reshape(Slice(qkv, AxisRange(), AxisRange(), AxisRange(0, qSize)), b, t, c.NumHeads, c.HeadDim)
	k := Reshape(Slice(qkv, AxisRange(), AxisRange(), AxisRange(qSize, qSize+kvSize)), b, t, c.NumKVHeads, c.HeadDim)
	v := Reshape(Slice(qkv, AxisRange(), AxisRange(), AxisRange(qSize+kvSize)), b, t, c.NumKVHeads, c.HeadDim)
	q, k = applyRope(q, cos, sin), applyRope(k, cos, sin)
	keys, values := kv(layer, k, v)
	x = Add(x, linear(attend(c, q, keys, values, mask), l.OProj, nil))

	// MLP (SwiGLU): norm, down(silu(gate(h)) * up(h)), add.
	h = rmsNorm(x, l.PostAttentionLayernorm, c.RMSNormEps)
	gateUp := linear(h, l.GateUp, nil) // [B, T, 2F]
	gate := Slice(gateUp, AxisRange(), AxisRange(), AxisRange(0, c.IntermediateSize))
	up := Slice(gateUp, AxisRange(), AxisRange(), AxisRange(c.IntermediateSize))
	h = Mul(Mul(gate, Sigmoid(gate)), up)
	return Add(x, linear(h, l.DownProj, nil))
}

// embed looks up the token embeddings: tokens [B, T] -> [B, T, D].
func embed(w *llamaWeights, tokens *Node) *Node {
	return Gather(w.EmbedTokens, ExpandAxes(tokens, -1))
}

// unembed is the final norm followed by the unembedding: x [..., D] -> logits [..., V].
func unembed(c Config, w *llamaWeights, x *Node) *Node {
	return linear(rmsNorm(x, w.Norm, c.RMSNormEps), w.LMHead, nil)
}
