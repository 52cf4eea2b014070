package lm

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads like maths
)

// This file is the Gemma 2 and Gemma 3 forward pass (Hugging Face modeling_gemma2.py and
// modeling_gemma3.py) where it differs from the Llama family's (llama.go), whose pieces it
// shares. What Gemma changes, each a Config field read from config.json:
//
//   - RMSNorm scales by (1 + w), not w (NormPlusOne). llama.cpp's converter stores 1 + w in GGUF
//     files; Load does the same for Hugging Face checkpoints (hfSource), so the graphs use one
//     rmsNorm for every family.
//   - The embeddings are multiplied by sqrt(hidden_size), rounded to float32 as transformers'
//     embed_scale buffer is (EmbedScale; embed in llama.go).
//   - Four norms per block, a "sandwich": the attention's and the MLP's outputs are normed too
//     before they join the residual stream (SandwichNorms; gemmaBlock below).
//   - The MLP is GeGLU: gelu's tanh approximation instead of silu (HiddenAct; mlp in llama.go).
//   - Attention scores are scaled by query_pre_attn_scalar^-0.5, not head_dim^-0.5 (QueryScale),
//     and in Gemma 2 soft-capped, cap*tanh(score/cap), before the mask (AttnSoftcap).
//   - The logits are soft-capped the same way (FinalSoftcap; unembed in llama.go, which the logit
//     lens uses too).
//   - Layers alternate between sliding-window attention (a query sees the last sliding_window
//     positions, itself included) and global attention, by layer_types (SlidingLayers). Gemma 3's
//     sliding layers rotate with their own rope base, rope_local_base_freq (LocalRope), and its
//     global layers may use linear rope scaling.
//   - Gemma 3 norms each head's queries and keys before the rotation (QKNorm, as Qwen3).
//
// Hidden states: transformers' output_hidden_states gives hidden_states[0] = the scaled
// embeddings, hidden_states[L] = the residual stream after L blocks, and for the last one
// (L = n_layers) the stream after the final norm, as for every family; this package matches it
// (forwardGraph's AllLayers). Model.HiddenStates at layer n_layers gives the stream before the
// final norm, as for every family.
//
// Not supported (refused by Load with the field named): bidirectional attention
// (use_bidirectional_attention) and attention or MLP biases. A multimodal checkpoint (model_type
// "gemma3") loads its language model only: text_config, and the weights under language_model.

// gemmaBlock runs one Gemma 2/3 decoder block on the residual stream x [B, T, D]:
//
//	x = x + post_attention_layernorm(attention(input_layernorm(x)))
//	x = x + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(x)))
func gemmaBlock(c Config, l *llamaLayer, layer int, x *Node, at attnInputs, kv kvWriter) *Node {
	h := attention(c, l, layer, rmsNorm(x, l.InputLayernorm, c.RMSNormEps), at, kv)
	x = Add(x, rmsNorm(h, l.PostAttentionLayernorm, c.RMSNormEps))
	h = mlp(c, l, rmsNorm(x, l.PreFeedforwardLayernorm, c.RMSNormEps))
	x = Add(x, rmsNorm(h, l.PostFeedforwardLayernorm, c.RMSNormEps))
	return perLayerBlockEnd(c, l, layer, x, at) // Gemma 4's per-layer input and layer scalar (gemma4.go); x elsewhere
}
