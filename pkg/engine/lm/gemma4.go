package lm

import (
	"fmt"
	"math"
	"strconv"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads like maths
)

// This file is what Gemma 4 (transformers' models/gemma4, the text model: model_type
// "gemma4_text") adds to Gemma 3's block (gemma.go). Each is a Config field read from config.json:
//
//   - Norms scale by w, not (1 + w) (NormPlusOne off); values are RMS-normed per head too, without
//     a scale (VNorm); attention scores are not scaled (QueryScale 1: q and k are normed).
//   - Full-attention blocks have their own head size and number of key/value heads
//     (per_layer_config, or global_head_dim and num_global_key_value_heads: LayerHeadDim,
//     LayerKVHeads), and with attention_k_eq_v no v_proj: the values are the keys' projection,
//     taken before k_norm and the rotation (KEqV).
//   - Their rotation is "proportional" rope: only the first partial_rotary_factor of each head's
//     dimensions rotate (RopeScaling.PartialRotary); sliding blocks use the default rope with their
//     own base (LocalRope).
//   - KV sharing: the last num_kv_shared_layers blocks compute no keys or values; each attends over
//     those of the last earlier block of its kind (KVSource), in the cache too. With
//     use_double_wide_mlp their MLP is twice as wide (DoubleWideMLP).
//   - Per-layer embeddings (PLE, PerLayerInputSize P): a second embedding table gives each token a
//     P-vector per block, mixed with a projection of the token's embedding (perLayerInputs); after
//     its MLP, each block adds norm(proj(act(gate(x)) * its P-vector)) to the residual stream.
//   - Each block's output is multiplied by its layer_scalar (LayerScalars).
//
// Not supported (refused by Load, naming the field): the mixture-of-experts block
// (enable_moe_block, Gemma 4 26B-A4B) and fully bidirectional attention
// (use_bidirectional_attention "all"). A multimodal checkpoint (model_type "gemma4") loads its
// language model only (text_config). Untested here on a real checkpoint: only on the tiny random
// model transformers makes (tools/reference/make_family_fixtures.py).

// readGemma4 reads Gemma 4's own fields of config.json.
func (c *Config) readGemma4(h *hfConfig, path string, present func(string) bool) error {
	if h.EnableMoEBlock {
		return fmt.Errorf("lm: %s: enable_moe_block is true: Gemma 4's mixture-of-experts block is not supported", path)
	}
	n := c.NumLayers
	if c.SlidingLayers != nil {
		c.SlidingLayers[n-1] = false // transformers forces the last block to full attention
	}
	if !present("rope_parameters") { // Gemma4TextConfig's default
		c.RopeScaling = &RopeScaling{Type: "proportional", Factor: 1, PartialRotary: 0.25}
	}
	c.VNorm, c.KEqV, c.LayerScalars = true, h.AttentionKEqV, true
	c.DoubleWideMLP = h.UseDoubleWideMLP
	c.PerLayerInputSize, c.PerLayerVocab = h.HiddenSizePerLayerInput, h.VocabSizePerLayerInput
	if c.PerLayerInputSize > 0 && c.PerLayerVocab <= 0 {
		return fmt.Errorf("lm: %s: hidden_size_per_layer_input is %d but vocab_size_per_layer_input is %d", path, c.PerLayerInputSize, c.PerLayerVocab)
	}

	// Head sizes and key/value heads per block.
	c.LayerHeadDim, c.LayerKVHeads = make([]int, n), make([]int, n)
	for l := range n {
		c.LayerHeadDim[l], c.LayerKVHeads[l] = c.HeadDim, c.NumKVHeads
	}
	if h.PerLayerConfig != nil {
		for key, o := range h.PerLayerConfig {
			l, err := strconv.Atoi(key)
			if err != nil || l < 0 || l >= n {
				return fmt.Errorf("lm: %s: per_layer_config has key %q: want a block index 0..%d", path, key, n-1)
			}
			if o.HeadDim > 0 {
				c.LayerHeadDim[l] = o.HeadDim
			}
			if o.NumKeyValueHeads > 0 {
				c.LayerKVHeads[l] = o.NumKeyValueHeads
			}
		}
	} else {
		global := h.GlobalHeadDim
		if global == 0 {
			global = 512 // Gemma4TextConfig's default
		}
		for l := range n {
			if c.sliding(l) {
				continue
			}
			c.LayerHeadDim[l] = global
			if c.KEqV && h.NumGlobalKeyValueHeads != nil {
				c.LayerKVHeads[l] = *h.NumGlobalKeyValueHeads
			}
		}
	}
	for l := range n {
		if c.LayerHeadDim[l]%2 != 0 || c.LayerKVHeads[l] <= 0 || c.NumHeads%c.LayerKVHeads[l] != 0 {
			return fmt.Errorf("lm: %s: block %d has head_dim %d and %d key/value heads for %d query heads: unsupported", path, l, c.LayerHeadDim[l], c.LayerKVHeads[l], c.NumHeads)
		}
	}

	// KV sharing (Gemma4TextConfig.kv_sharing_modes): from block first on, each block reuses the
	// last earlier block of its kind.
	if s := h.NumKVSharedLayers; s > 0 {
		first := n - s
		if first <= 0 {
			return fmt.Errorf("lm: %s: num_kv_shared_layers is %d of %d blocks: some block must compute keys and values", path, s, n)
		}
		c.KVSource = make([]int, n)
		for l := range n {
			c.KVSource[l] = l
			if l < first {
				continue
			}
			c.KVSource[l] = -1
			for p := first - 1; p >= 0; p-- {
				if c.sliding(p) == c.sliding(l) {
					c.KVSource[l] = p
					break
				}
			}
			if c.KVSource[l] < 0 {
				return fmt.Errorf("lm: %s: block %d shares keys and values (num_kv_shared_layers %d) but no earlier block is of its kind", path, l, s)
			}
		}
	}
	return nil
}

// perLayerInputs are Gemma 4's per-layer embeddings for tokens [B, T], given their (scaled)
// embeddings x [B, T, D]: [B, T, L, P], or nil for other models.
//
//	(norm(x·Wproj / sqrt(D)) + E_per_layer[token] * sqrt(P)) / sqrt(2)
func perLayerInputs(c Config, w *llamaWeights, tokens, x *Node) *Node {
	if c.PerLayerInputSize == 0 {
		return nil
	}
	dims := x.Shape().Dimensions
	b, t, p := dims[0], dims[1], c.PerLayerInputSize
	tok := dequantize(Gather(w.EmbedTokensPerLayer, ExpandAxes(tokens, -1))) // [B, T, L*P]
	tok = MulScalar(tok, float64(float32(sqrtf(p))))                         // a float32 buffer in transformers
	proj := MulScalar(linear(x, w.PerLayerModelProjection, nil), 1/sqrtf(c.HiddenSize))
	proj = rmsNorm(Reshape(proj, b, t, c.NumLayers, p), w.PerLayerProjectionNorm, c.RMSNormEps)
	return MulScalar(Add(proj, Reshape(tok, b, t, c.NumLayers, p)), 1/sqrtf(2))
}

// perLayerBlockEnd is the end of a Gemma 4 block on x [B, T, D]: the per-layer input, then the
// layer scalar.
func perLayerBlockEnd(c Config, l *llamaLayer, layer int, x *Node, at attnInputs) *Node {
	if c.PerLayerInputSize > 0 {
		dims := at.perLayer.Shape().Dimensions
		mine := Reshape(Slice(at.perLayer, AxisRange(), AxisRange(), AxisElem(layer), AxisRange()), dims[0], dims[1], dims[3]) // [B, T, P]
		h := Mul(activations[c.HiddenAct](linear(x, l.PerLayerInputGate, nil)), mine)
		h = rmsNorm(linear(h, l.PerLayerProjection, nil), l.PostPerLayerInputNorm, c.RMSNormEps)
		x = Add(x, h)
	}
	if l.LayerScalar != nil {
		x = Mul(x, ExpandLeftToRank(l.LayerScalar, x.Rank()))
	}
	return x
}

func sqrtf(n int) float64 { return math.Sqrt(float64(n)) }
