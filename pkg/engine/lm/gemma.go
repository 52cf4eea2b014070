package lm

import (
	"fmt"
	"math"

	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads like maths
)

// This file is Gemma 2 and Gemma 3 (transformers' modeling_gemma2.py and modeling_gemma3.py):
// what they change from Llama (llama.go), each read from config.json into a Config field:
//
//   - RMSNorm scales by (1 + w), not w (NormPlusOne). llama.cpp's converter stores 1 + w in GGUF
//     files; Load does the same for Hugging Face checkpoints (hfSource), so every family uses
//     one rmsNorm.
//   - The embeddings are multiplied by sqrt(hidden_size), rounded to float32 as transformers'
//     embed_scale buffer is (EmbedScale; gemmaEnds.embed).
//   - Four norms per block, a "sandwich": the attention's and the MLP's outputs are normed too
//     before they join the residual stream (gemmaModel.block).
//   - The MLP is GeGLU: gelu's tanh approximation instead of silu (HiddenAct, from
//     hidden_activation).
//   - Attention scores are scaled by query_pre_attn_scalar^-0.5, not head_dim^-0.5 (QueryScale),
//     and in Gemma 2 soft-capped, cap*tanh(score/cap), before the mask (AttnSoftcap).
//   - The logits are soft-capped the same way (FinalSoftcap; gemmaEnds.unembed, which the logit
//     lens uses too).
//   - Layers alternate between sliding-window attention (a query sees the last sliding_window
//     positions, itself included) and global attention, by layer_types, or in older configs
//     every sliding_window_pattern-th layer global (SlidingLayers). Gemma 3's sliding layers
//     rotate with their own rope base, rope_local_base_freq (LocalRope), and its global layers
//     may use linear rope scaling.
//   - Gemma 3 norms each head's queries and keys before the rotation (QKNorm, as Qwen3).
//
// Not supported (refused by Load with the field named): bidirectional attention
// (use_bidirectional_attention), attention or MLP biases. A multimodal checkpoint (model_type
// "gemma3") loads its language model only: text_config, and the weights under language_model.
// A GGUF file (llama.cpp's) is read by readGGUF below: the file gives the sizes, the sliding
// window and the rope; what llama.cpp fixes per architecture is fixed here the same way.

// gemma reads Gemma 2 (model_type "gemma2") and Gemma 3 ("gemma3_text"), and Gemma 4 reads its
// config the same way (gemma4.go). Its fields are where they differ: switches, and transformers'
// class defaults (Gemma2Config, Gemma3TextConfig, Gemma4TextConfig) for the settings a
// config.json may leave out.
type gemma struct {
	sizes              classSizes
	normPlusOne        bool    // norms scale by (1 + w)
	qkNorm             bool    // each head's q and k are normed
	queryPreAttnScalar float64 // query_pre_attn_scalar's default; 0: scores are not scaled (QueryScale 1)
	attnSoftcap        float64 // attn_logit_softcapping's default; 0: none, whatever the file says
	finalSoftcap       float64 // final_logit_softcapping's default
	window, pattern    int     // sliding_window's and sliding_window_pattern's defaults
	layers27B          int     // the 27B model's block count: in GGUF files its query scale is told by it, as llama.cpp does
	ropeTheta          float64 // rope_theta's default
	localRopeTheta     float64 // rope_local_base_freq's default; 0: sliding layers rotate as the others do
}

var (
	gemma2 = gemma{
		sizes:       classSizes{vocab: 256000, hidden: 2304, ffn: 9216, layers: 26, heads: 8, kvHeads: 4, headDim: 256, maxPos: 8192},
		normPlusOne: true, queryPreAttnScalar: 256, attnSoftcap: 50, finalSoftcap: 30,
		window: 4096, pattern: 2, ropeTheta: 10000, layers27B: 46,
	}
	// Gemma 3's attention ignores attn_logit_softcapping (transformers never passes it on).
	gemma3 = gemma{
		sizes:       classSizes{vocab: 262208, hidden: 2304, ffn: 9216, layers: 26, heads: 8, kvHeads: 4, headDim: 256, maxPos: 131072},
		normPlusOne: true, qkNorm: true, queryPreAttnScalar: 256,
		window: 4096, pattern: 6, ropeTheta: 1e6, localRopeTheta: 1e4, layers27B: 62,
	}
)

// gemmaFields are the fields of a Gemma config.json that other families do not have.
type gemmaFields struct {
	HiddenActivation      string   `json:"hidden_activation"` // Gemma's MLP reads it, not hidden_act
	QueryPreAttnScalar    *float64 `json:"query_pre_attn_scalar"`
	AttnLogitSoftcapping  *float64 `json:"attn_logit_softcapping"`
	FinalLogitSoftcapping *float64 `json:"final_logit_softcapping"`
	SlidingWindowPattern  *int     `json:"sliding_window_pattern"`
	RopeLocalBaseFreq     float64  `json:"rope_local_base_freq"`
}

func (g gemma) readConfig(h *hfConfig, path string) (Config, error) {
	var own gemmaFields
	if err := h.decode(path, &own); err != nil {
		return Config{}, err
	}
	h.defaultSizes(g.sizes)
	c, local, err := h.common(path, g.ropeTheta)
	if err != nil {
		return Config{}, err
	}
	if c.AttentionBias {
		return Config{}, errAttentionBias(path, h.ModelType)
	}
	g.setBlocks(&c)
	if own.HiddenActivation != "" {
		c.HiddenAct = own.HiddenActivation
	}
	c.QueryScale = 1
	if g.queryPreAttnScalar != 0 {
		scalar := g.queryPreAttnScalar
		if own.QueryPreAttnScalar != nil {
			scalar = *own.QueryPreAttnScalar
		}
		if scalar <= 0 {
			return Config{}, fmt.Errorf("lm: %s: query_pre_attn_scalar is %g: it must be positive", path, scalar)
		}
		c.QueryScale = math.Pow(scalar, -0.5)
	}
	if g.attnSoftcap != 0 {
		c.AttnSoftcap = classDefault(h, own.AttnLogitSoftcapping, "attn_logit_softcapping", g.attnSoftcap)
	}
	c.FinalSoftcap = classDefault(h, own.FinalLogitSoftcapping, "final_logit_softcapping", g.finalSoftcap)
	if g.localRopeTheta != 0 {
		lr := &Rope{Theta: own.RopeLocalBaseFreq}
		if local != nil {
			lr.Theta = local.RopeTheta
			if lr.Scaling, err = local.scaling(path, "rope_parameters.sliding_attention"); err != nil {
				return Config{}, err
			}
		}
		if lr.Theta == 0 {
			lr.Theta = g.localRopeTheta
		}
		c.LocalRope = lr
	}
	window := classDefault(h, h.SlidingWindow, "sliding_window", g.window)
	pattern := g.pattern
	if own.SlidingWindowPattern != nil {
		pattern = *own.SlidingWindowPattern
	}
	// Without layer_types, every pattern-th layer is global and the others slide.
	return c, c.readLayerTypes(h, path, window, func(i int) bool { return pattern > 0 && (i+1)%pattern != 0 })
}

// readGGUF completes a Gemma 2 or 3 GGUF file's config as llama.cpp reads one (llama-model.cpp).
// The file holds the sliding window, Gemma 2's soft-caps and the global rope (base and linear
// scaling); llama.cpp fixes the rest per architecture, and so does this: every pattern-th layer
// global, the sliding layers' rope base, and the query scale 1/sqrt(head_dim), or
// 1/sqrt(hidden_size/heads) for the 27B models (query_pre_attn_scalar in their config.json). Its
// norms already hold 1 + w, the form Load keeps.
func (g gemma) readGGUF(c *Config, f *gguf.File) (bool, error) {
	key := func(k string) string { return f.Architecture() + "." + k }
	float := func(k string, def float64) float64 { return ggufFloat(f, k, def) }
	g.setBlocks(c)
	c.QueryScale = 1 / math.Sqrt(float64(c.HeadDim))
	if c.NumLayers == g.layers27B {
		c.QueryScale = 1 / math.Sqrt(float64(c.HiddenSize/c.NumHeads))
	}
	if g.attnSoftcap != 0 { // Gemma 3 has neither, whatever the file says
		c.AttnSoftcap = float("attn_logit_softcapping", g.attnSoftcap)
	}
	if g.finalSoftcap != 0 {
		c.FinalSoftcap = float("final_logit_softcapping", g.finalSoftcap)
	}
	if kind, ok := f.String(key("rope.scaling.type")); ok && kind != "none" {
		factor := float("rope.scaling.factor", 0)
		if kind != "linear" || factor <= 0 {
			return false, fmt.Errorf("lm: %s: %s is %q with factor %g: only linear rope scaling with a positive factor is supported for Gemma", f.Path(), key("rope.scaling.type"), kind, factor)
		}
		c.RopeScaling = &RopeScaling{Type: "linear", Factor: factor}
	}
	if g.localRopeTheta != 0 {
		c.LocalRope = &Rope{Theta: g.localRopeTheta} // unscaled: the scaling is the global layers'
	}
	window := g.window
	if v, ok := f.Uint(key("attention.sliding_window")); ok {
		window = int(v)
	}
	c.SlidingLayers, c.SlidingWindow = make([]bool, c.NumLayers), window
	for i := range c.SlidingLayers {
		c.SlidingLayers[i] = (i+1)%g.pattern != 0
	}
	return false, nil
}

// setBlocks sets what every Gemma 2/3 block does, whatever file the config comes from: the sandwich
// norms, their (1 + w) scale, Gemma 3's q/k norms, the embeddings scaled by sqrt(hidden_size) (a
// float32 buffer in transformers), GeGLU with gelu's tanh approximation (config.json may name another).
func (g gemma) setBlocks(c *Config) {
	c.SandwichNorms, c.NormPlusOne, c.QKNorm = true, g.normPlusOne, g.qkNorm
	c.EmbedScale = float64(float32(math.Sqrt(float64(c.HiddenSize))))
	c.HiddenAct = "gelu_pytorch_tanh"
}

// ggufNames: llama.cpp names Gemma's four norms of a block after where they sit, so the one Llama
// calls post_attention_layernorm (before the MLP) is pre_feedforward_layernorm here.
func (gemma) ggufNames() map[string]string {
	return map[string]string{
		"model.layers.{i}.post_attention_layernorm.weight":   "blk.{i}.post_attention_norm.weight",
		"model.layers.{i}.pre_feedforward_layernorm.weight":  "blk.{i}.ffn_norm.weight",
		"model.layers.{i}.post_feedforward_layernorm.weight": "blk.{i}.post_ffw_norm.weight",
	}
}

func (gemma) newModel(c Config) model {
	return &gemmaModel{gemmaEnds: gemmaEnds{ends{c: c}}, layers: make([]gemmaLayer, c.NumLayers)}
}

// gemmaEnds are a Gemma model's ends: Llama's (ends, family.go) with the embeddings scaled and
// the logits soft-capped.
type gemmaEnds struct{ ends }

// embed is the token embeddings times sqrt(D) (EmbedScale): [B, T] -> [B, T, D].
func (e *gemmaEnds) embed(tokens *Node) *Node {
	x := e.ends.embed(tokens)
	if e.c.EmbedScale != 0 {
		x = MulScalar(x, e.c.EmbedScale)
	}
	return x
}

// unembed is the final norm, the unembedding and the final soft-cap: [..., D] -> [..., V].
func (e *gemmaEnds) unembed(x *Node) *Node {
	logits := e.ends.unembed(x)
	if e.c.FinalSoftcap > 0 {
		logits = softcap(logits, e.c.FinalSoftcap)
	}
	return logits
}

// gemmaModel holds a Gemma 2 or 3 model's weights as graph nodes.
type gemmaModel struct {
	gemmaEnds
	layers []gemmaLayer
}

// gemmaLayer holds one block's weights, stacked as llamaLayer's are.
type gemmaLayer struct {
	InputLayernorm           *Node // input_layernorm [D]: before attention
	QKV                      *Node // self_attn.q_proj, k_proj, v_proj stacked: [(H+2K)*hd, D]
	QNorm, KNorm             *Node // self_attn.q_norm, k_norm [hd]: Gemma 3; nil in Gemma 2
	OProj                    *Node // self_attn.o_proj [D, H*hd]
	PostAttentionLayernorm   *Node // post_attention_layernorm [D]: after attention, before the residual add
	PreFeedforwardLayernorm  *Node // pre_feedforward_layernorm [D]: before the MLP
	PostFeedforwardLayernorm *Node // post_feedforward_layernorm [D]: after the MLP, before the residual add
	GateUp                   *Node // mlp.gate_proj, up_proj stacked: [2F, D]
	DownProj                 *Node // mlp.down_proj [D, F]
}

func (m *gemmaModel) weights() []weight {
	var blocks []weight
	for i := range m.layers {
		blocks = append(blocks, m.layers[i].weights(m.c, i)...)
	}
	return m.around(blocks)
}

// weights lists block i's weights with the shapes config c implies.
func (l *gemmaLayer) weights(c Config, i int) []weight {
	d, f, hd := c.HiddenSize, c.IntermediateSize, c.HeadDim
	q, kv := c.NumHeads*hd, c.NumKVHeads*hd
	key := layerKeys(i)
	ws := []weight{
		param(&l.InputLayernorm, key("input_layernorm.weight"), d),
		param(&l.QKV, key("self_attn.q_proj.weight"), q, d).
			and(key("self_attn.k_proj.weight"), kv, d).
			and(key("self_attn.v_proj.weight"), kv, d),
	}
	if c.QKNorm {
		ws = append(ws, param(&l.QNorm, key("self_attn.q_norm.weight"), hd), param(&l.KNorm, key("self_attn.k_norm.weight"), hd))
	}
	return append(ws,
		param(&l.OProj, key("self_attn.o_proj.weight"), d, q),
		param(&l.PostAttentionLayernorm, key("post_attention_layernorm.weight"), d),
		param(&l.PreFeedforwardLayernorm, key("pre_feedforward_layernorm.weight"), d),
		param(&l.PostFeedforwardLayernorm, key("post_feedforward_layernorm.weight"), d),
		param(&l.GateUp, key("mlp.gate_proj.weight"), f, d).and(key("mlp.up_proj.weight"), f, d),
		param(&l.DownProj, key("mlp.down_proj.weight"), d, f),
	)
}

// block runs decoder block i on the residual stream x [B, T, D]:
//
//	x = x + post_attention_layernorm(attention(input_layernorm(x)))
//	x = x + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(x)))
func (m *gemmaModel) block(i int, x *Node, at attnInputs, kv kvWriter) *Node {
	c, l := m.c, &m.layers[i]
	h := l.attention(c, i, rmsNorm(x, l.InputLayernorm, c.RMSNormEps), at, kv)
	x = Add(x, rmsNorm(h, l.PostAttentionLayernorm, c.RMSNormEps))
	h = gatedMLP(rmsNorm(x, l.PreFeedforwardLayernorm, c.RMSNormEps), l.GateUp, l.DownProj, activations[c.HiddenAct])
	return Add(x, rmsNorm(h, l.PostFeedforwardLayernorm, c.RMSNormEps))
}

// attention is block i's self-attention on the normed stream h [B, T, D]: Llama's, with Gemma 3's
// QK-norm, the scores scaled by query_pre_attn_scalar^-0.5 and Gemma 2's score soft-cap. A
// sliding-window layer gets its own mask and rotary tables from at. Returns [B, T, D].
func (l *gemmaLayer) attention(c Config, i int, h *Node, at attnInputs, kv kvWriter) *Node {
	heads, kvHeads, hd := c.NumHeads, c.NumKVHeads, c.HeadDim
	qkv := linear(h, l.QKV, nil)                          // [B, T, (H+2K)*hd]
	q := splitHeads(qkv, 0, heads, hd)                    // [B, T, H, hd]
	k := splitHeads(qkv, heads*hd, kvHeads, hd)           // [B, T, K, hd]
	v := splitHeads(qkv, (heads+kvHeads)*hd, kvHeads, hd) // [B, T, K, hd]
	// QK-norm: each head's q and k are normed over hd, before the rotation.
	if c.QKNorm {
		q, k = rmsNorm(q, l.QNorm, c.RMSNormEps), rmsNorm(k, l.KNorm, c.RMSNormEps)
	}
	cos, sin, mask := at.forLayer(c, i)
	q, k = applyRope(q, cos, sin), applyRope(k, cos, sin)
	keys, values := kv(i, headsFirst(k), headsFirst(v)) // [B, K, S, hd]
	return linear(attend(q, keys, values, mask, c.queryScale(hd), c.AttnSoftcap), l.OProj, nil)
}
