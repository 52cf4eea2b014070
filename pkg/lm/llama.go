package lm

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads like maths
)

// This file is the Llama family's forward pass (Hugging Face modeling_llama.py), read top to
// bottom: embed, then per block "norm, attention, add; norm, MLP, add", then the final norm
// and the unembedding. Shapes use one vocabulary:
//
//	B batch, T query positions, S key positions (the KV cache's length when decoding),
//	D hidden size (dModel), H query heads, K key/value heads, G = H/K queries per key head,
//	hd head size, F MLP width, V vocabulary.

// llamaLayer holds one block's weights, named after the Hugging Face checkpoint keys.
// Linear weights are [out, in], as stored by PyTorch.
type llamaLayer struct {
	InputLayernorm         *Node // [D]
	QProj, KProj, VProj    *Node // [H*hd, D], [K*hd, D], [K*hd, D]
	QBias, KBias, VBias    *Node // [H*hd], [K*hd], [K*hd]; nil without attention biases
	OProj                  *Node // [D, H*hd]
	PostAttentionLayernorm *Node // [D]
	GateProj, UpProj       *Node // [F, D]
	DownProj               *Node // [D, F]
}

// llamaWeights holds the model's weights as graph nodes.
type llamaWeights struct {
	EmbedTokens *Node // [V, D]
	Layers      []llamaLayer
	Norm        *Node // [D]
	LMHead      *Node // [V, D]; the embedding matrix when tied
}

// llamaWeightNames lists the checkpoint keys of the Llama family, in the order the graphs take
// them as inputs.
func llamaWeightNames(c Config) []string {
	names := []string{"model.embed_tokens.weight"}
	for i := range c.NumLayers {
		p := fmt.Sprintf("model.layers.%d.", i)
		names = append(names, p+"input_layernorm.weight",
			p+"self_attn.q_proj.weight", p+"self_attn.k_proj.weight", p+"self_attn.v_proj.weight")
		if c.AttentionBias {
			names = append(names, p+"self_attn.q_proj.bias", p+"self_attn.k_proj.bias", p+"self_attn.v_proj.bias")
		}
		names = append(names, p+"self_attn.o_proj.weight", p+"post_attention_layernorm.weight",
			p+"mlp.gate_proj.weight", p+"mlp.up_proj.weight", p+"mlp.down_proj.weight")
	}
	names = append(names, "model.norm.weight")
	if !c.TieWordEmbeddings {
		names = append(names, "lm_head.weight")
	}
	return names
}

// bindLlamaWeights maps the graph's weight inputs (in llamaWeightNames order) to their roles.
func bindLlamaWeights(c Config, in []*Node) *llamaWeights {
	next := func() *Node { n := in[0]; in = in[1:]; return n }
	w := &llamaWeights{EmbedTokens: next(), Layers: make([]llamaLayer, c.NumLayers)}
	for i := range w.Layers {
		l := &w.Layers[i]
		l.InputLayernorm, l.QProj, l.KProj, l.VProj = next(), next(), next(), next()
		if c.AttentionBias {
			l.QBias, l.KBias, l.VBias = next(), next(), next()
		}
		l.OProj, l.PostAttentionLayernorm = next(), next()
		l.GateProj, l.UpProj, l.DownProj = next(), next(), next()
	}
	w.Norm = next()
	w.LMHead = w.EmbedTokens
	if !c.TieWordEmbeddings {
		w.LMHead = next()
	}
	return w
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
	q := Reshape(linear(h, l.QProj, l.QBias), b, t, c.NumHeads, c.HeadDim)
	k := Reshape(linear(h, l.KProj, l.KBias), b, t, c.NumKVHeads, c.HeadDim)
	v := Reshape(linear(h, l.VProj, l.VBias), b, t, c.NumKVHeads, c.HeadDim)
	q, k = applyRope(q, cos, sin), applyRope(k, cos, sin)
	keys, values := kv(layer, k, v)
	x = Add(x, linear(attend(c, q, keys, values, mask), l.OProj, nil))

	// MLP (SwiGLU): norm, down(silu(gate(h)) * up(h)), add.
	h = rmsNorm(x, l.PostAttentionLayernorm, c.RMSNormEps)
	gate := linear(h, l.GateProj, nil)
	h = Mul(Mul(gate, Sigmoid(gate)), linear(h, l.UpProj, nil))
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
