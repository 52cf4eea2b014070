package lm

import (
	"fmt"
	"math"
	"strconv"

	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads like maths
)

// This file is Gemma 4 (transformers' models/gemma4, the text model: model_type "gemma4_text"):
// Gemma 3's block (gemma.go) and what Gemma 4 changes in it. Each is a Config field read from
// config.json:
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

// gemma4 reads model_type "gemma4_text".
type gemma4 struct{}

// gemma4Shared is how Gemma 4 reads what it shares with Gemma 3 (gemma.go): Gemma4TextConfig's
// defaults, norms that scale by w, and scores left unscaled.
var gemma4Shared = gemma{
	sizes:  classSizes{vocab: 262144, hidden: 2304, ffn: 9216, layers: 30, heads: 8, kvHeads: 4, headDim: 256, maxPos: 131072},
	qkNorm: true, window: 512, pattern: 6, ropeTheta: 1e6, localRopeTheta: 1e4,
}

// gemma4Fields are the fields of a Gemma 4 config.json that Gemma 3's has not.
type gemma4Fields struct {
	PerLayerConfig map[string]struct { // by block index
		HeadDim          int `json:"head_dim"`
		NumKeyValueHeads int `json:"num_key_value_heads"`
	} `json:"per_layer_config"`
	GlobalHeadDim           int  `json:"global_head_dim"`
	NumGlobalKeyValueHeads  *int `json:"num_global_key_value_heads"`
	AttentionKEqV           bool `json:"attention_k_eq_v"`
	NumKVSharedLayers       int  `json:"num_kv_shared_layers"`
	UseDoubleWideMLP        bool `json:"use_double_wide_mlp"`
	HiddenSizePerLayerInput int  `json:"hidden_size_per_layer_input"`
	VocabSizePerLayerInput  int  `json:"vocab_size_per_layer_input"`
	EnableMoEBlock          bool `json:"enable_moe_block"`
}

func (gemma4) readConfig(h *hfConfig, path string) (Config, error) {
	var own gemma4Fields
	if err := h.decode(path, &own); err != nil {
		return Config{}, err
	}
	if !h.has("hidden_size_per_layer_input") { // Gemma4TextConfig's defaults
		own.HiddenSizePerLayerInput = 256
	}
	if !h.has("vocab_size_per_layer_input") {
		own.VocabSizePerLayerInput = 262144
	}
	c, err := gemma4Shared.readConfig(h, path)
	if err != nil {
		return Config{}, err
	}
	return c, c.readGemma4(h, own, path)
}

// readGemma4 reads Gemma 4's own fields of config.json.
func (c *Config) readGemma4(h *hfConfig, own gemma4Fields, path string) error {
	if own.EnableMoEBlock {
		return fmt.Errorf("lm: %s: enable_moe_block is true: Gemma 4's mixture-of-experts block is not supported", path)
	}
	n := c.NumLayers
	if c.SlidingLayers != nil {
		c.SlidingLayers[n-1] = false // transformers forces the last block to full attention
	}
	if !h.has("rope_parameters") { // Gemma4TextConfig's default
		c.RopeScaling = &RopeScaling{Type: "proportional", Factor: 1, PartialRotary: 0.25}
	}
	c.VNorm, c.KEqV, c.LayerScalars = true, own.AttentionKEqV, true
	c.DoubleWideMLP = own.UseDoubleWideMLP
	c.PerLayerInputSize, c.PerLayerVocab = own.HiddenSizePerLayerInput, own.VocabSizePerLayerInput
	if c.PerLayerInputSize > 0 && c.PerLayerVocab <= 0 {
		return fmt.Errorf("lm: %s: hidden_size_per_layer_input is %d but vocab_size_per_layer_input is %d", path, c.PerLayerInputSize, c.PerLayerVocab)
	}

	// Head sizes and key/value heads per block.
	c.LayerHeadDim, c.LayerKVHeads = make([]int, n), make([]int, n)
	for l := range n {
		c.LayerHeadDim[l], c.LayerKVHeads[l] = c.HeadDim, c.NumKVHeads
	}
	if own.PerLayerConfig != nil {
		for key, o := range own.PerLayerConfig {
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
		global := own.GlobalHeadDim
		if global == 0 {
			global = 512 // Gemma4TextConfig's default
		}
		for l := range n {
			if c.sliding(l) {
				continue
			}
			c.LayerHeadDim[l] = global
			if c.KEqV && own.NumGlobalKeyValueHeads != nil {
				c.LayerKVHeads[l] = *own.NumGlobalKeyValueHeads
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
	if s := own.NumKVSharedLayers; s > 0 {
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

// kvHeads is block l's number of key/value heads.
func (c Config) kvHeads(l int) int {
	if c.LayerKVHeads != nil {
		return c.LayerKVHeads[l]
	}
	return c.NumKVHeads
}

// kvSource is the block whose keys and values block l attends over: l itself, or an earlier
// block whose cache it shares.
func (c Config) kvSource(l int) int {
	if c.KVSource != nil {
		return c.KVSource[l]
	}
	return l
}

// hasV says whether block l projects values of its own (full-attention blocks with
// attention_k_eq_v use their keys' projection instead).
func (c Config) hasV(l int) bool { return !(c.KEqV && !c.sliding(l)) }

// ffn is block l's MLP width.
func (c Config) ffn(l int) int {
	if c.DoubleWideMLP && c.kvSource(l) != l {
		return 2 * c.IntermediateSize
	}
	return c.IntermediateSize
}

func (gemma4) readGGUF(_ *Config, f *gguf.File) (bool, error) {
	return false, fmt.Errorf("lm: %s: Gemma 4 in GGUF files is not supported yet: load the Hugging Face folder instead", f.Path())
}

func (gemma4) newModel(c Config) model {
	return &gemma4Model{gemmaEnds: gemmaEnds{ends{c: c}}, layers: make([]gemma4Layer, c.NumLayers), shared: map[int][2]*Node{}}
}

// gemma4Model holds a Gemma 4 model's weights as graph nodes, and what its blocks pass on to
// later ones in a graph.
type gemma4Model struct {
	gemmaEnds
	// The per-layer embeddings (PLE): embed_tokens_per_layer [V', L*P], per_layer_model_projection
	// [L*P, D], per_layer_projection_norm [P]; nil without them.
	EmbedTokensPerLayer, PerLayerModelProjection, PerLayerProjectionNorm *Node
	layers                                                               []gemma4Layer

	perLayer *Node            // each token's per-layer inputs [B, T, L, P], made by embed
	shared   map[int][2]*Node // each block's keys and values [B, K, S, hd] as it attends over them, for the blocks that reuse them
}

// gemma4Layer holds one block's weights: Gemma 3's (a block that reuses another's keys and values
// has no k_proj, v_proj or k_norm; with attention_k_eq_v a full-attention block has no v_proj),
// and the per-layer input's and the layer scalar.
type gemma4Layer struct {
	gemmaLayer
	PerLayerInputGate     *Node // per_layer_input_gate [P, D]
	PerLayerProjection    *Node // per_layer_projection [D, P]
	PostPerLayerInputNorm *Node // post_per_layer_input_norm [D]
	LayerScalar           *Node // layer_scalar [1]
}

func (m *gemma4Model) weights() []weight {
	c := m.c
	var inner []weight
	if p := c.PerLayerInputSize; p > 0 {
		lp := c.NumLayers * p
		inner = append(inner,
			lookupTable(&m.EmbedTokensPerLayer, "model.embed_tokens_per_layer.weight", c.PerLayerVocab, lp),
			param(&m.PerLayerModelProjection, "model.per_layer_model_projection.weight", lp, c.HiddenSize),
			param(&m.PerLayerProjectionNorm, "model.per_layer_projection_norm.weight", p))
	}
	for i := range m.layers {
		inner = append(inner, m.layers[i].weights(c, i)...)
	}
	return m.around(inner)
}

// weights lists block i's weights with the shapes config c implies: the block's own head size,
// key/value heads and MLP width.
func (l *gemma4Layer) weights(c Config, i int) []weight {
	d, p, f, hd := c.HiddenSize, c.PerLayerInputSize, c.ffn(i), c.headDim(i)
	q, kv := c.NumHeads*hd, c.kvHeads(i)*hd
	own := c.kvSource(i) == i
	key := layerKeys(i)
	qkv := param(&l.QKV, key("self_attn.q_proj.weight"), q, d)
	if own {
		qkv = qkv.and(key("self_attn.k_proj.weight"), kv, d)
		if c.hasV(i) {
			qkv = qkv.and(key("self_attn.v_proj.weight"), kv, d)
		}
	}
	ws := []weight{param(&l.InputLayernorm, key("input_layernorm.weight"), d), qkv}
	if c.QKNorm {
		ws = append(ws, param(&l.QNorm, key("self_attn.q_norm.weight"), hd))
		if own {
			ws = append(ws, param(&l.KNorm, key("self_attn.k_norm.weight"), hd))
		}
	}
	ws = append(ws,
		param(&l.OProj, key("self_attn.o_proj.weight"), d, q),
		param(&l.PostAttentionLayernorm, key("post_attention_layernorm.weight"), d),
		param(&l.PreFeedforwardLayernorm, key("pre_feedforward_layernorm.weight"), d),
		param(&l.PostFeedforwardLayernorm, key("post_feedforward_layernorm.weight"), d),
		param(&l.GateUp, key("mlp.gate_proj.weight"), f, d).and(key("mlp.up_proj.weight"), f, d),
		param(&l.DownProj, key("mlp.down_proj.weight"), d, f))
	if p > 0 {
		ws = append(ws,
			param(&l.PerLayerInputGate, key("per_layer_input_gate.weight"), p, d),
			param(&l.PerLayerProjection, key("per_layer_projection.weight"), d, p),
			param(&l.PostPerLayerInputNorm, key("post_per_layer_input_norm.weight"), d))
	}
	if c.LayerScalars {
		ws = append(ws, param(&l.LayerScalar, key("layer_scalar"), 1))
	}
	return ws
}

// embed is Gemma's scaled embedding of tokens [B, T]: [B, T, D]. It also makes the tokens'
// per-layer inputs, which the blocks read.
func (m *gemma4Model) embed(tokens *Node) *Node {
	x := m.gemmaEnds.embed(tokens)
	if m.c.PerLayerInputSize > 0 {
		m.perLayer = m.perLayerInputs(tokens, x)
	}
	return x
}

// perLayerInputs are the per-layer embeddings for tokens [B, T], given their (scaled) embeddings
// x [B, T, D]: [B, T, L, P].
//
//	(norm(x·Wproj / sqrt(D)) + E_per_layer[token] * sqrt(P)) / sqrt(2)
func (m *gemma4Model) perLayerInputs(tokens, x *Node) *Node {
	c := m.c
	dims := x.Shape().Dimensions
	b, t, p := dims[0], dims[1], c.PerLayerInputSize
	tok := dequantize(Gather(m.EmbedTokensPerLayer, ExpandAxes(tokens, -1))) // [B, T, L*P]
	tok = MulScalar(tok, float64(float32(sqrtf(p))))                         // a float32 buffer in transformers
	proj := MulScalar(linear(x, m.PerLayerModelProjection, nil), 1/sqrtf(c.HiddenSize))
	proj = rmsNorm(Reshape(proj, b, t, c.NumLayers, p), m.PerLayerProjectionNorm, c.RMSNormEps) // [B, T, L, P]
	return MulScalar(Add(proj, Reshape(tok, b, t, c.NumLayers, p)), 1/sqrtf(2))
}

// block runs decoder block i on the residual stream x [B, T, D]: Gemma 3's sandwich of norms,
// then the block's per-layer input and its layer scalar.
//
//	x = x + post_attention_layernorm(attention(input_layernorm(x)))
//	x = x + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(x)))
//	x = x + post_per_layer_input_norm(per_layer_projection(act(per_layer_input_gate(x)) * per_layer_input[i]))
//	x = x * layer_scalar
func (m *gemma4Model) block(i int, x *Node, at attnInputs, kv kvWriter) *Node {
	c, l := m.c, &m.layers[i]
	h := m.attention(i, rmsNorm(x, l.InputLayernorm, c.RMSNormEps), at, kv)
	x = Add(x, rmsNorm(h, l.PostAttentionLayernorm, c.RMSNormEps))
	h = gatedMLP(rmsNorm(x, l.PreFeedforwardLayernorm, c.RMSNormEps), l.GateUp, l.DownProj, activations[c.HiddenAct])
	x = Add(x, rmsNorm(h, l.PostFeedforwardLayernorm, c.RMSNormEps))
	if c.PerLayerInputSize > 0 {
		dims := m.perLayer.Shape().Dimensions
		mine := Reshape(Slice(m.perLayer, AxisRange(), AxisRange(), AxisElem(i), AxisRange()), dims[0], dims[1], dims[3]) // [B, T, P]
		h = Mul(activations[c.HiddenAct](linear(x, l.PerLayerInputGate, nil)), mine)
		x = Add(x, rmsNorm(linear(h, l.PerLayerProjection, nil), l.PostPerLayerInputNorm, c.RMSNormEps))
	}
	if c.LayerScalars {
		x = Mul(x, ExpandLeftToRank(l.LayerScalar, x.Rank()))
	}
	return x
}

// attention is block i's self-attention on the normed stream h [B, T, D]: Gemma 3's, with the
// block's own head size and key/value heads, the values normed (or taken from the keys'
// projection), and, in a block that shares keys and values, only queries of its own. Returns
// [B, T, D].
func (m *gemma4Model) attention(i int, h *Node, at attnInputs, kv kvWriter) *Node {
	c, l := m.c, &m.layers[i]
	heads, kvHeads, hd := c.NumHeads, c.kvHeads(i), c.headDim(i)
	qkv := linear(h, l.QKV, nil)       // [B, T, (H+2K)*hd]; [B, T, (H+K)*hd] with keys as values; [B, T, H*hd] when shared
	q := splitHeads(qkv, 0, heads, hd) // [B, T, H, hd]
	if c.QKNorm {
		q = rmsNorm(q, l.QNorm, c.RMSNormEps)
	}
	cos, sin, mask := at.forLayer(c, i)
	q = applyRope(q, cos, sin)
	if src := c.kvSource(i); src != i { // attend over an earlier block's keys and values
		kvs := m.shared[src]
		return linear(attend(q, kvs[0], kvs[1], mask, c.queryScale(hd), 0), l.OProj, nil)
	}
	k := splitHeads(qkv, heads*hd, kvHeads, hd) // [B, T, K, hd]
	v := k                                      // attention_k_eq_v: the values are the keys' projection
	if c.hasV(i) {
		v = splitHeads(qkv, (heads+kvHeads)*hd, kvHeads, hd) // [B, T, K, hd]
	}
	if c.QKNorm {
		k = rmsNorm(k, l.KNorm, c.RMSNormEps)
	}
	if c.VNorm { // over hd, without a scale
		v = rmsNorm(v, nil, c.RMSNormEps)
	}
	k = applyRope(k, cos, sin)
	keys, values := kv(i, headsFirst(k), headsFirst(v)) // [B, K, S, hd]
	m.shared[i] = [2]*Node{keys, values}
	return linear(attend(q, keys, values, mask, c.queryScale(hd), 0), l.OProj, nil)
}

func sqrtf(n int) float64 { return math.Sqrt(float64(n)) }
