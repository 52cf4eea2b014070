package lm

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Config holds a model's hyper-parameters, read from its file (GGUF metadata or a Hugging Face
// config.json). Field names follow Hugging Face's config.json.
type Config struct {
	Architecture      string  // "llama", "mistral" or "qwen2"
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
}

// RopeScaling is Llama 3's frequency-dependent rescaling of the rotary frequencies
// (rope_scaling with rope_type "llama3" in config.json).
type RopeScaling struct {
	Factor, LowFreqFactor, HighFreqFactor float64
	OriginalMaxPositions                  int
}

// DefaultLayer is the layer the method reads by default: int(2/3 * n_layers) (METHOD.md).
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
	return nil
}

// supportedArchitectures are the families this package runs; each has its file (llama.go).
var supportedArchitectures = map[string]bool{"llama": true, "mistral": true, "qwen2": true}

func checkArchitecture(arch, source string) error {
	if !supportedArchitectures[arch] {
		return fmt.Errorf("%s: architecture %q is not supported; supported: llama, mistral, qwen2 (Gemma and Qwen3 are planned)", source, arch)
	}
	return nil
}

// hfConfig mirrors the fields of a Hugging Face config.json that the Llama family uses.
type hfConfig struct {
	ModelType         string   `json:"model_type"`
	Architectures     []string `json:"architectures"`
	NumHiddenLayers   int      `json:"num_hidden_layers"`
	HiddenSize        int      `json:"hidden_size"`
	IntermediateSize  int      `json:"intermediate_size"`
	NumAttentionHeads int      `json:"num_attention_heads"`
	NumKeyValueHeads  int      `json:"num_key_value_heads"`
	HeadDim           int      `json:"head_dim"`
	VocabSize         int      `json:"vocab_size"`
	RMSNormEps        float64  `json:"rms_norm_eps"`
	RopeTheta         float64  `json:"rope_theta"`
	MaxPositions      int      `json:"max_position_embeddings"`
	TieWordEmbeddings *bool    `json:"tie_word_embeddings"`
	AttentionBias     *bool    `json:"attention_bias"`
	RopeScaling       *hfRope  `json:"rope_scaling"`    // transformers 4.x
	RopeParameters    *hfRope  `json:"rope_parameters"` // transformers 5.x: rope_theta moves in here
}

type hfRope struct {
	RopeType         string  `json:"rope_type"`
	Type             string  `json:"type"`
	RopeTheta        float64 `json:"rope_theta"`
	Factor           float64 `json:"factor"`
	LowFreqFactor    float64 `json:"low_freq_factor"`
	HighFreqFactor   float64 `json:"high_freq_factor"`
	OriginalMaxPosEm int     `json:"original_max_position_embeddings"`
}

// readHFConfig reads dir/config.json.
func readHFConfig(dir string) (Config, error) {
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("lm: reading %s: %w (a Hugging Face model folder needs config.json)", path, err)
	}
	var h hfConfig
	if err := json.Unmarshal(data, &h); err != nil {
		return Config{}, fmt.Errorf("lm: parsing %s: %w", path, err)
	}
	if err := checkArchitecture(h.ModelType, path); err != nil {
		return Config{}, err
	}
	c := Config{
		Architecture: h.ModelType, NumLayers: h.NumHiddenLayers, HiddenSize: h.HiddenSize,
		IntermediateSize: h.IntermediateSize, NumHeads: h.NumAttentionHeads, NumKVHeads: h.NumKeyValueHeads,
		HeadDim: h.HeadDim, VocabSize: h.VocabSize, RMSNormEps: h.RMSNormEps, RopeTheta: h.RopeTheta,
		MaxPositions: h.MaxPositions, TieWordEmbeddings: true, AttentionBias: h.ModelType == "qwen2",
	}
	if c.NumKVHeads == 0 {
		c.NumKVHeads = c.NumHeads
	}
	if c.HeadDim == 0 && c.NumHeads > 0 {
		c.HeadDim = c.HiddenSize / c.NumHeads
	}
	rope := h.RopeScaling
	if h.RopeParameters != nil {
		rope = h.RopeParameters
		if rope.RopeTheta != 0 {
			c.RopeTheta = rope.RopeTheta
		}
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = 10000
	}
	if c.RMSNormEps == 0 {
		c.RMSNormEps = 1e-6
	}
	if h.TieWordEmbeddings != nil { // absent: transformers' PretrainedConfig default, true
		c.TieWordEmbeddings = *h.TieWordEmbeddings
	}
	if h.AttentionBias != nil {
		c.AttentionBias = *h.AttentionBias
	}
	if rs := rope; rs != nil {
		kind := rs.RopeType
		if kind == "" {
			kind = rs.Type
		}
		switch kind {
		case "llama3":
			c.RopeScaling = &RopeScaling{Factor: rs.Factor, LowFreqFactor: rs.LowFreqFactor,
				HighFreqFactor: rs.HighFreqFactor, OriginalMaxPositions: rs.OriginalMaxPosEm}
		case "", "default":
		default:
			return Config{}, fmt.Errorf("lm: %s: rope type %q is not supported (supported: default, llama3)", path, kind)
		}
	}
	return c, c.validate(path)
}
