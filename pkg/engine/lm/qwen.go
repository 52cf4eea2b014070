package lm

import (
	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads like maths
)

// This file is Qwen2 and Qwen3 (transformers' modeling_qwen2.py and modeling_qwen3.py): the
// Llama block (llama.go) with one change each.
//
//   - Qwen2's q, k and v projections carry biases (attention_bias; Qwen2 has them unless the
//     config says false). o_proj has none.
//   - Qwen3 norms each head's queries and keys over hd (self_attn.q_norm and k_norm) before the
//     rotation.
//
// Both may slide a window over their upper layers: use_sliding_window, from block
// max_window_layers on, or layer_types in newer configs.

// qwen reads model_type "qwen2" (biases) and "qwen3" (qkNorm).
type qwen struct{ biases, qkNorm bool }

func (f qwen) readConfig(h *hfConfig, path string) (Config, error) {
	var own struct {
		UseSlidingWindow *bool `json:"use_sliding_window"`
		MaxWindowLayers  *int  `json:"max_window_layers"`
	}
	if err := h.decode(path, &own); err != nil {
		return Config{}, err
	}
	c, _, err := h.common(path, 10000)
	if err != nil {
		return Config{}, err
	}
	c.QKNorm = f.qkNorm
	if h.AttentionBias == nil {
		c.AttentionBias = f.biases
	}
	if c.AttentionBias && !f.biases {
		return Config{}, errAttentionBias(path, h.ModelType)
	}
	window := classDefault(h, h.SlidingWindow, "sliding_window", 0)
	from := 28 // Qwen2Config's max_window_layers
	if own.MaxWindowLayers != nil {
		from = *own.MaxWindowLayers
	}
	use := own.UseSlidingWindow != nil && *own.UseSlidingWindow
	return c, c.readLayerTypes(h, path, window, func(i int) bool { return use && window > 0 && i >= from })
}

func (f qwen) readGGUF(c *Config, _ *gguf.File) (bool, error) {
	c.AttentionBias, c.QKNorm = f.biases, f.qkNorm
	return false, nil
}

func (qwen) newModel(c Config) model {
	return &qwenModel{ends: ends{c: c}, layers: make([]qwenLayer, c.NumLayers)}
}

// qwenModel holds a Qwen model's weights as graph nodes.
type qwenModel struct {
	ends
	layers []qwenLayer
}

// qwenLayer holds one block's weights: Llama's, and the biases or the QK-norm.
type qwenLayer struct {
	llamaLayer
	QKVBias      *Node // self_attn.q_proj, k_proj, v_proj biases stacked: [(H+2K)*hd]; nil without attention_bias
	QNorm, KNorm *Node // self_attn.q_norm, k_norm [hd]: Qwen3; nil in Qwen2
}

func (m *qwenModel) weights() []weight {
	var blocks []weight
	for i := range m.layers {
		blocks = append(blocks, m.layers[i].weights(m.c, i)...)
	}
	return m.around(blocks)
}

// weights lists block i's weights with the shapes config c implies.
func (l *qwenLayer) weights(c Config, i int) []weight {
	q, kv := c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	key := layerKeys(i)
	ws := l.llamaLayer.weights(c, i)
	if c.AttentionBias {
		ws = append(ws, param(&l.QKVBias, key("self_attn.q_proj.bias"), q).
			and(key("self_attn.k_proj.bias"), kv).
			and(key("self_attn.v_proj.bias"), kv))
	}
	if c.QKNorm {
		ws = append(ws, param(&l.QNorm, key("self_attn.q_norm.weight"), c.HeadDim),
			param(&l.KNorm, key("self_attn.k_norm.weight"), c.HeadDim))
	}
	return ws
}

// block runs decoder block i on the residual stream x [B, T, D], as Llama does:
//
//	x = x + attention(input_layernorm(x))
//	x = x + mlp(post_attention_layernorm(x))
func (m *qwenModel) block(i int, x *Node, at attnInputs, kv kvWriter) *Node {
	c, l := m.c, &m.layers[i]
	x = Add(x, l.attention(c, i, rmsNorm(x, l.InputLayernorm, c.RMSNormEps), at, kv))
	h := rmsNorm(x, l.PostAttentionLayernorm, c.RMSNormEps)
	return Add(x, gatedMLP(h, l.GateUp, l.DownProj, activations[c.HiddenAct]))
}

// attention is Llama's (llama.go) with the projections' biases and the QK-norm.
func (l *qwenLayer) attention(c Config, i int, h *Node, at attnInputs, kv kvWriter) *Node {
	heads, kvHeads, hd := c.NumHeads, c.NumKVHeads, c.HeadDim
	qkv := linear(h, l.QKV, l.QKVBias)                    // [B, T, (H+2K)*hd]
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
	return linear(attend(q, keys, values, mask, c.queryScale(hd), 0), l.OProj, nil)
}
