package lm

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Config holds a model's hyper-parameters, read from its file (GGUF metadata or a Hugging Face
// config.json). Field names follow Hugging Face's config.json.
type Config struct {
	Architecture      string  // model_type: "llama", "mistral", "qwen2", "qwen3", "gemma2", "gemma3_text" or "gemma4_text"
	NumLayers         int     // num_hidden_layers: decoder blocks
	HiddenSize        int     // hidden_size: dModel, the width of the residual stream
	IntermediateSize  int     // intermediate_size: width of the MLP
	NumHeads          int     // num_attention_heads: query heads
	NumKVHeads        int     // num_key_value_heads: key/value heads (grouped-query attention)
	HeadDim           int     // head_dim: width of one head
	VocabSize         int     // vocab_size
	RMSNormEps        float64 // rms_norm_eps
	RopeTheta         float64 // rope_theta: base of the rotary frequencies
	RopeScaling       *RopeScaling
	MaxPositions      int  // max_position_embeddings (context length)
	TieWordEmbeddings bool // lm_head shares the embedding matrix
	AttentionBias     bool // q/k/v projections carry biases (Qwen2)

	// What the other families change (each family's file says which it sets); each field's zero
	// value is the Llama behaviour.
	HiddenAct     string  // hidden_act (hidden_activation in Gemma): "silu" (SwiGLU) or "gelu_pytorch_tanh" (GeGLU)
	QKNorm        bool    // RMSNorm over each head's q and k before the rotation (Qwen3, Gemma 3 and 4)
	SandwichNorms bool    // Gemma: the attention and MLP outputs are normed too before the residual add (4 norms per block; the Gemma blocks always are)
	NormPlusOne   bool    // Gemma: every RMSNorm scales by (1 + w); the checkpoint's w are stored, Load adds the 1
	EmbedScale    float64 // the embeddings are multiplied by this (Gemma: sqrt(hidden_size), rounded to float32); 0: no scaling
	QueryScale    float64 // attention scores are q·k times this; 0: 1/sqrt(head_dim). Gemma: query_pre_attn_scalar^-0.5
	AttnSoftcap   float64 // attn_logit_softcapping (Gemma 2): scores become cap*tanh(scores/cap); 0: none
	FinalSoftcap  float64 // final_logit_softcapping (Gemma 2/3): the same on the logits; 0: none
	SlidingWindow int     // sliding_window: a query of a sliding layer sees only the last this-many positions (itself included)
	SlidingLayers []bool  // per block: true for a sliding-window layer (layer_types "sliding_attention"); nil: none
	// LocalRope is the rotary embedding of sliding layers when it differs from the global one
	// (Gemma 3's rope_local_base_freq); nil: the same as RopeTheta and RopeScaling.
	LocalRope *Rope

	// Gemma 4 (gemma4.go); each zero value is off.
	LayerHeadDim      []int // per block: head_dim (full-attention blocks differ: per_layer_config, global_head_dim); nil: HeadDim
	LayerKVHeads      []int // per block: num_key_value_heads (per_layer_config, num_global_key_value_heads); nil: NumKVHeads
	KVSource          []int // per block: the block whose keys and values it attends over (itself, or for the last num_kv_shared_layers the last earlier block of its kind); nil: itself
	KEqV              bool  // attention_k_eq_v: full-attention blocks have no v_proj; the values are the keys' projection (before k_norm and rope)
	VNorm             bool  // values RMS-normed per head, without a scale
	DoubleWideMLP     bool  // use_double_wide_mlp: blocks that reuse keys and values have an MLP twice as wide
	PerLayerInputSize int   // hidden_size_per_layer_input: width of the per-layer embeddings (PLE); 0: none
	PerLayerVocab     int   // vocab_size_per_layer_input: rows of the per-layer embedding table
	LayerScalars      bool  // each block's output is multiplied by its layer_scalar
}

// headDim is block l's head size.
func (c Config) headDim(l int) int {
	if c.LayerHeadDim != nil {
		return c.LayerHeadDim[l]
	}
	return c.HeadDim
}

// sliding says whether block l is a sliding-window layer.
func (c Config) sliding(l int) bool { return c.SlidingLayers != nil && c.SlidingLayers[l] }

// queryScale is what attention scores q·k are multiplied by, for heads of size hd: QueryScale,
// or 1/sqrt(hd) by default.
func (c Config) queryScale(hd int) float64 {
	if c.QueryScale != 0 {
		return c.QueryScale
	}
	return 1 / math.Sqrt(float64(hd))
}

// Rope is one set of rotary parameters (a layer type's entry in transformers 5's rope_parameters).
type Rope struct {
	Theta   float64
	Scaling *RopeScaling
}

// RopeScaling rescales the rotary frequencies: rope_type "llama3" (Llama 3's frequency-dependent
// rescaling), "linear" (every frequency divided by Factor, as Gemma 3's global layers do) or
// "proportional" (Gemma 4's global layers: only the first PartialRotary of each head's
// dimensions rotate, the others get frequency 0; all divided by Factor).
type RopeScaling struct {
	Type                                  string // "llama3", "linear" or "proportional"
	PartialRotary                         float64
	Factor, LowFreqFactor, HighFreqFactor float64
	OriginalMaxPositions                  int
}

// DefaultLayer is the layer the method reads by default: int(2/3 * n_layers) (docs/method.md).
func (c Config) DefaultLayer() int { return int(2.0 / 3.0 * float64(c.NumLayers)) }

func (c Config) validate(source string) error {
	check := []struct {
		name string
		v    int
	}{
		{"num_hidden_layers", c.NumLayers}, {"hidden_size", c.HiddenSize},
		{"intermediate_size", c.IntermediateSize}, {"num_attention_heads", c.NumHeads},
		{"num_key_value_heads", c.NumKVHeads}, {"head_dim", c.HeadDim}, {"vocab_size", c.VocabSize},
	}
	for _, f := range check {
		if f.v <= 0 {
			return fmt.Errorf("%s: hyper-parameter %s is %d: the model file is missing it or is not a supported decoder", source, f.name, f.v)
		}
	}
	if c.NumHeads%c.NumKVHeads != 0 {
		return fmt.Errorf("%s: num_attention_heads %d is not a multiple of num_key_value_heads %d", source, c.NumHeads, c.NumKVHeads)
	}
	if c.HeadDim%2 != 0 {
		return fmt.Errorf("%s: head_dim %d is odd: rotary embeddings need an even head size", source, c.HeadDim)
	}
	if c.RMSNormEps <= 0 || c.RopeTheta <= 0 {
		return fmt.Errorf("%s: rms_norm_eps (%g) and rope_theta (%g) must be positive", source, c.RMSNormEps, c.RopeTheta)
	}
	if c.LocalRope != nil && c.LocalRope.Theta <= 0 {
		return fmt.Errorf("%s: the rope base of sliding layers (rope_local_base_freq) is %g: it must be positive", source, c.LocalRope.Theta)
	}
	if _, ok := activations[c.HiddenAct]; !ok && c.HiddenAct != "" {
		return fmt.Errorf("%s: hidden activation %q (hidden_act / hidden_activation) is not supported; supported: silu, gelu_pytorch_tanh, gelu_new", source, c.HiddenAct)
	}
	if c.SlidingLayers != nil && len(c.SlidingLayers) != c.NumLayers {
		return fmt.Errorf("%s: %d layer types for %d layers", source, len(c.SlidingLayers), c.NumLayers)
	}
	return nil
}

// hfConfig mirrors the fields of a Hugging Face config.json that every family reads (a family's
// own fields are read by its file: hfConfig.decode).
type hfConfig struct {
	ModelType         string          `json:"model_type"`
	NumHiddenLayers   int             `json:"num_hidden_layers"`
	HiddenSize        int             `json:"hidden_size"`
	IntermediateSize  int             `json:"intermediate_size"`
	NumAttentionHeads int             `json:"num_attention_heads"`
	NumKeyValueHeads  int             `json:"num_key_value_heads"`
	HeadDim           int             `json:"head_dim"`
	VocabSize         int             `json:"vocab_size"`
	RMSNormEps        float64         `json:"rms_norm_eps"`
	RopeTheta         float64         `json:"rope_theta"`
	MaxPositions      int             `json:"max_position_embeddings"`
	TieWordEmbeddings *bool           `json:"tie_word_embeddings"`
	AttentionBias     *bool           `json:"attention_bias"`
	MLPBias           *bool           `json:"mlp_bias"`
	RopeScaling       *hfRope         `json:"rope_scaling"`    // transformers 4.x
	RopeParameters    json.RawMessage `json:"rope_parameters"` // transformers 5.x: rope_theta moves in here
	HiddenAct         string          `json:"hidden_act"`
	SlidingWindow     *int            `json:"sliding_window"`
	LayerTypes        []string        `json:"layer_types"`
	UseBidirectional  json.RawMessage `json:"use_bidirectional_attention"` // a bool (Gemma 3) or "all"/"vision" (Gemma 4)
	TextConfig        json.RawMessage `json:"text_config"`                 // a multimodal checkpoint's language model

	raw  json.RawMessage            // the JSON object these fields come from (text_config in a multimodal checkpoint)
	keys map[string]json.RawMessage // its keys
}

// has says whether the file has key, null or not: a missing key takes the class default, a null
// one is off.
func (h *hfConfig) has(key string) bool { _, ok := h.keys[key]; return ok }

// decode reads a family's own fields of the config into v, a struct with json tags.
func (h *hfConfig) decode(path string, v any) error {
	if err := json.Unmarshal(h.raw, v); err != nil {
		return fmt.Errorf("lm: parsing %s: %w", path, err)
	}
	return nil
}

type hfRope struct {
	PartialRotary    float64 `json:"partial_rotary_factor"`
	RopeType         string  `json:"rope_type"`
	Type             string  `json:"type"`
	RopeTheta        float64 `json:"rope_theta"`
	Factor           float64 `json:"factor"`
	LowFreqFactor    float64 `json:"low_freq_factor"`
	HighFreqFactor   float64 `json:"high_freq_factor"`
	OriginalMaxPosEm int     `json:"original_max_position_embeddings"`
}

// scaling turns one rope entry into RopeScaling (nil for the default rotation).
func (r *hfRope) scaling(path, field string) (*RopeScaling, error) {
	if r == nil {
		return nil, nil
	}
	kind := r.RopeType
	if kind == "" {
		kind = r.Type
	}
	switch kind {
	case "llama3":
		return &RopeScaling{Type: kind, Factor: r.Factor, LowFreqFactor: r.LowFreqFactor,
			HighFreqFactor: r.HighFreqFactor, OriginalMaxPositions: r.OriginalMaxPosEm}, nil
	case "linear":
		if r.Factor <= 0 {
			return nil, fmt.Errorf("lm: %s: %s: linear rope scaling needs a positive factor, got %g", path, field, r.Factor)
		}
		return &RopeScaling{Type: kind, Factor: r.Factor}, nil
	case "proportional":
		s := &RopeScaling{Type: kind, Factor: r.Factor, PartialRotary: r.PartialRotary}
		if s.Factor == 0 {
			s.Factor = 1
		}
		if s.PartialRotary == 0 {
			s.PartialRotary = 1
		}
		return s, nil
	case "", "default":
		if r.PartialRotary != 0 && r.PartialRotary != 1 {
			return nil, fmt.Errorf("lm: %s: %s: partial_rotary_factor %g with rope type %q is not supported", path, field, r.PartialRotary, kind)
		}
		return nil, nil
	}
	return nil, fmt.Errorf("lm: %s: %s: rope type %q is not supported (supported: default, linear, llama3, proportional)", path, field, kind)
}

// readHFConfig reads dir/config.json, as the family of its model_type reads it (family.go).
func readHFConfig(dir string) (Config, error) {
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("lm: reading %s: %w (a Hugging Face model folder needs config.json)", path, err)
	}
	h := hfConfig{raw: data}
	if err := json.Unmarshal(data, &h); err != nil {
		return Config{}, fmt.Errorf("lm: parsing %s: %w", path, err)
	}
	_ = json.Unmarshal(data, &h.keys)
	if text, ok := multimodal[h.ModelType]; ok && len(h.TextConfig) > 0 {
		// A multimodal checkpoint: its language model is text_config, its weights sit under
		// language_model.model. (hfSource finds them); the vision and audio towers are ignored.
		t := hfConfig{raw: h.TextConfig}
		if err := json.Unmarshal(h.TextConfig, &t); err != nil {
			return Config{}, fmt.Errorf("lm: parsing %s: text_config: %w", path, err)
		}
		_ = json.Unmarshal(h.TextConfig, &t.keys)
		if t.ModelType == "" {
			t.ModelType = text
		}
		if t.TieWordEmbeddings == nil {
			t.TieWordEmbeddings = h.TieWordEmbeddings
		}
		h = t
	}
	f, err := familyOf(h.ModelType, path)
	if err != nil {
		return Config{}, err
	}
	c, err := f.readConfig(&h, path)
	if err != nil {
		return Config{}, err
	}
	return c, c.validate(path)
}

// common reads the fields every family reads alike: the sizes, the norms' epsilon, the tied
// embedding, the rotary parameters (ropeTheta is the family's default base), and the refusal of
// what no family implements (MLP biases, bidirectional attention). It returns too the rotary
// parameters of sliding layers when the file gives them apart (transformers 5's rope_parameters
// per layer type), for the families whose sliding layers rotate differently.
func (h *hfConfig) common(path string, ropeTheta float64) (Config, *hfRope, error) {
	var err error
	c := Config{
		Architecture: h.ModelType, NumLayers: h.NumHiddenLayers, HiddenSize: h.HiddenSize,
		IntermediateSize: h.IntermediateSize, NumHeads: h.NumAttentionHeads, NumKVHeads: h.NumKeyValueHeads,
		HeadDim: h.HeadDim, VocabSize: h.VocabSize, RMSNormEps: h.RMSNormEps, RopeTheta: h.RopeTheta,
		MaxPositions: h.MaxPositions, TieWordEmbeddings: true, HiddenAct: h.HiddenAct,
	}
	if c.NumKVHeads == 0 {
		c.NumKVHeads = c.NumHeads
	}
	if c.HeadDim == 0 && c.NumHeads > 0 {
		c.HeadDim = c.HiddenSize / c.NumHeads
	}
	if c.RMSNormEps == 0 {
		c.RMSNormEps = 1e-6
	}
	if h.TieWordEmbeddings != nil { // absent: transformers' PretrainedConfig default, true
		c.TieWordEmbeddings = *h.TieWordEmbeddings
	}
	if h.AttentionBias != nil { // whether the family supports them is its call
		c.AttentionBias = *h.AttentionBias
	}
	if h.MLPBias != nil && *h.MLPBias {
		return Config{}, nil, fmt.Errorf("lm: %s: mlp_bias is true: MLP biases are not supported", path)
	}
	switch b := strings.TrimSpace(string(h.UseBidirectional)); b {
	case "", "null", "false", `"vision"`: // "vision": bidirectional among image tokens only; text is causal
	default:
		return Config{}, nil, fmt.Errorf("lm: %s: use_bidirectional_attention is %s: only causal attention is supported", path, b)
	}

	// Rotary parameters: transformers 5 writes rope_parameters, either one entry or one per layer
	// type ({"full_attention": ..., "sliding_attention": ...}); 4.x wrote rope_theta, rope_scaling
	// and Gemma 3's rope_local_base_freq.
	global, local := h.RopeScaling, (*hfRope)(nil)
	if len(h.RopeParameters) > 0 && string(h.RopeParameters) != "null" {
		var perType map[string]*hfRope
		if err := json.Unmarshal(h.RopeParameters, &perType); err == nil && (perType["full_attention"] != nil || perType["sliding_attention"] != nil) {
			global, local = perType["full_attention"], perType["sliding_attention"]
		} else if err := json.Unmarshal(h.RopeParameters, &global); err != nil {
			return Config{}, nil, fmt.Errorf("lm: %s: rope_parameters: %w", path, err)
		}
	}
	if global != nil && global.RopeTheta != 0 {
		c.RopeTheta = global.RopeTheta
	}
	if c.RopeScaling, err = global.scaling(path, "rope_parameters"); err != nil {
		return Config{}, nil, err
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = ropeTheta
	}
	if c.HiddenAct == "" {
		c.HiddenAct = "silu"
	}
	return c, local, nil
}

// errAttentionBias refuses attention_bias in a family whose attention has no biases.
func errAttentionBias(path, modelType string) error {
	return fmt.Errorf("lm: %s: attention_bias is true: biases on %s's attention projections (o_proj's included) are not supported", path, modelType)
}

// classDefault is setting key of config.json (read into v): the file's value, 0 where the file
// says null, else def, the family's class default.
func classDefault[T int | float64](h *hfConfig, v *T, key string, def T) T {
	switch {
	case v != nil:
		return *v
	case h.has(key): // null: off
		return 0
	}
	return def
}

// classSizes are a configuration class's defaults for the sizes a config.json may leave out
// (multimodal checkpoints' text_config often lists only what differs).
type classSizes struct{ vocab, hidden, ffn, layers, heads, kvHeads, headDim, maxPos int }

// defaultSizes fills the sizes the file leaves out with the class defaults d.
func (h *hfConfig) defaultSizes(d classSizes) {
	for _, f := range []struct {
		key string
		dst *int
		def int
	}{
		{"vocab_size", &h.VocabSize, d.vocab}, {"hidden_size", &h.HiddenSize, d.hidden},
		{"intermediate_size", &h.IntermediateSize, d.ffn}, {"num_hidden_layers", &h.NumHiddenLayers, d.layers},
		{"num_attention_heads", &h.NumAttentionHeads, d.heads}, {"num_key_value_heads", &h.NumKeyValueHeads, d.kvHeads},
		{"head_dim", &h.HeadDim, d.headDim}, {"max_position_embeddings", &h.MaxPositions, d.maxPos},
	} {
		if !h.has(f.key) {
			*f.dst = f.def
		}
	}
}

// readLayerTypes sets SlidingWindow (to window) and SlidingLayers from layer_types when the file
// has them, else from the family's older setting: older(l) says whether block l slides (nil:
// none does).
func (c *Config) readLayerTypes(h *hfConfig, path string, window int, older func(layer int) bool) error {
	sliding := make([]bool, c.NumLayers)
	switch {
	case h.LayerTypes != nil:
		if len(h.LayerTypes) != c.NumLayers {
			return fmt.Errorf("lm: %s: layer_types has %d entries for %d layers", path, len(h.LayerTypes), c.NumLayers)
		}
		for i, t := range h.LayerTypes {
			switch t {
			case "full_attention":
			case "sliding_attention":
				sliding[i] = true
			default:
				return fmt.Errorf("lm: %s: layer_types[%d] is %q: supported are full_attention and sliding_attention", path, i, t)
			}
		}
	case older != nil:
		for i := range sliding {
			sliding[i] = older(i)
		}
	}
	if slices.Contains(sliding, true) {
		if window <= 0 {
			return fmt.Errorf("lm: %s: sliding_window is %d but some layers are sliding-window layers (layer_types): it must be positive", path, window)
		}
		c.SlidingLayers, c.SlidingWindow = sliding, window
	}
	return nil
}
