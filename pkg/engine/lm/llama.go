package lm

import (
	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads like maths
)

// This file is the Llama family (transformers' modeling_llama.py and modeling_mistral.py): Llama
// 2 and 3, SmolLM2, Mistral. Its forward pass is the plainest of the engine, read top to bottom:
//
//	x = embed(tokens)                                   (ends.embed, family.go)
//	for each block:
//	    x = x + attention(input_layernorm(x))           (rotary q and k, grouped-query attention)
//	    x = x + mlp(post_attention_layernorm(x))        (SwiGLU)
//	logits = lm_head(norm(x))                           (ends.unembed, family.go)
//
// The other families are told by what they change: qwen.go, gemma.go, gemma4.go. Shapes are
// named as in ops.go.
//
// Mistral is Llama whose layers all attend over a sliding window of the last sliding_window
// positions (MistralConfig's default 4096; null: none). Llama 3.1's rope_scaling ("llama3") is
// read for every family (config.go) and applied in ropeTables (ops.go).

// llama reads model_type "llama" and, with mistral set, "mistral".
type llama struct{ mistral bool }

func (f llama) readConfig(h *hfConfig, path string) (Config, error) {
	c, _, err := h.common(path, 10000)
	if err != nil {
		return Config{}, err
	}
	if c.AttentionBias {
		return Config{}, errAttentionBias(path, h.ModelType)
	}
	if !f.mistral { // a Llama layer slides only where layer_types says so
		return c, c.readLayerTypes(h, path, classDefault(h, h.SlidingWindow, "sliding_window", 0), nil)
	}
	window := classDefault(h, h.SlidingWindow, "sliding_window", 4096)
	return c, c.readLayerTypes(h, path, window, func(int) bool { return window > 0 })
}

// readGGUF: llama.cpp rotates Llama's heads in adjacent pairs (GPT-J style), so its converter
// reorders the rows of q_proj and k_proj; ggufSource puts them back.
func (llama) readGGUF(*Config, *gguf.File) (bool, error) { return true, nil }

func (llama) newModel(c Config) model {
	return &llamaModel{ends: ends{c: c}, layers: make([]llamaLayer, c.NumLayers)}
}

// llamaModel holds a Llama model's weights as graph nodes.
type llamaModel struct {
	ends
	layers []llamaLayer
}

// llamaLayer holds one block's weights. They are the checkpoint's tensors (Hugging Face names in
// the comments; linear weights are [out, in] as PyTorch stores them), except that the three
// attention projections are stacked into one matrix, and the MLP's gate and up projections into
// another: one matrix product instead of three (or two) reads the input once.
type llamaLayer struct {
	InputLayernorm         *Node // input_layernorm [D]
	QKV                    *Node // self_attn.q_proj, k_proj, v_proj stacked: [(H+2K)*hd, D]
	OProj                  *Node // self_attn.o_proj [D, H*hd]
	PostAttentionLayernorm *Node // post_attention_layernorm [D]: before the MLP
	GateUp                 *Node // mlp.gate_proj, up_proj stacked: [2F, D]
	DownProj               *Node // mlp.down_proj [D, F]
}

func (m *llamaModel) weights() []weight {
	var blocks []weight
	for i := range m.layers {
		blocks = append(blocks, m.layers[i].weights(m.c, i)...)
	}
	return m.around(blocks)
}

// weights lists block i's weights with the shapes config c implies.
func (l *llamaLayer) weights(c Config, i int) []weight {
	d, f, q, kv := c.HiddenSize, c.IntermediateSize, c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	key := layerKeys(i)
	return []weight{
		param(&l.InputLayernorm, key("input_layernorm.weight"), d),
		param(&l.QKV, key("self_attn.q_proj.weight"), q, d).
			and(key("self_attn.k_proj.weight"), kv, d).
			and(key("self_attn.v_proj.weight"), kv, d),
		param(&l.OProj, key("self_attn.o_proj.weight"), d, q),
		param(&l.PostAttentionLayernorm, key("post_attention_layernorm.weight"), d),
		param(&l.GateUp, key("mlp.gate_proj.weight"), f, d).and(key("mlp.up_proj.weight"), f, d),
		param(&l.DownProj, key("mlp.down_proj.weight"), d, f),
	}
}

// block runs decoder block i on the residual stream x [B, T, D]:
//
//	x = x + attention(input_layernorm(x))
//	x = x + mlp(post_attention_layernorm(x))
func (m *llamaModel) block(i int, x *Node, at attnInputs, kv kvWriter) *Node {
	c, l := m.c, &m.layers[i]
	x = Add(x, l.attention(c, i, rmsNorm(x, l.InputLayernorm, c.RMSNormEps), at, kv))
	h := rmsNorm(x, l.PostAttentionLayernorm, c.RMSNormEps)
	return Add(x, gatedMLP(h, l.GateUp, l.DownProj, activations[c.HiddenAct]))
}

// attention is block i's self-attention on the normed stream h [B, T, D]: project, rotate,
// attend, project back. Returns [B, T, D], to be added to the residual stream.
func (l *llamaLayer) attention(c Config, i int, h *Node, at attnInputs, kv kvWriter) *Node {
	heads, kvHeads, hd := c.NumHeads, c.NumKVHeads, c.HeadDim
	qkv := linear(h, l.QKV, nil)                          // [B, T, (H+2K)*hd]
	q := splitHeads(qkv, 0, heads, hd)                    // [B, T, H, hd]
	k := splitHeads(qkv, heads*hd, kvHeads, hd)           // [B, T, K, hd]
	v := splitHeads(qkv, (heads+kvHeads)*hd, kvHeads, hd) // [B, T, K, hd]
	cos, sin, mask := at.forLayer(c, i)
	q, k = applyRope(q, cos, sin), applyRope(k, cos, sin)
	keys, values := kv(i, headsFirst(k), headsFirst(v)) // [B, K, S, hd]
	return linear(attend(q, keys, values, mask, c.queryScale(hd), 0), l.OProj, nil)
}
