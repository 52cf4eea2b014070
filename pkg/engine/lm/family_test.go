package lm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Tests of the families beside Llama (Qwen3, Gemma 2, Gemma 3, Gemma 4) on the tiny random models of
// tools/reference/make_family_fixtures.py; TestTinyModelsMatchTransformers covers them with the
// Llama checks (every hidden state, logits, greedy continuation in a batch of different lengths).

var families = []string{"tiny-qwen3", "tiny-gemma2", "tiny-gemma3", "tiny-gemma4"}

func loadTiny(t *testing.T, name string) (*Model, reference, [][]int) {
	m, err := Load(filepath.Join("testdata", name), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	ref := openReference(t, name+"_reference.safetensors")
	var prompts [][]int
	for p := 0; ref.has(prefix(p) + "ids"); p++ {
		prompts = append(prompts, ref.ints(prefix(p)+"ids"))
	}
	return m, ref, prompts
}

// HiddenStates of all prompts in one padded batch, at every layer, match transformers (which ran
// each prompt alone); the logit lens (Unembed) on the last layer's states gives its logits, the
// final soft-cap included.
func TestFamiliesBatchedAndLogitLens(t *testing.T) {
	for _, name := range families {
		t.Run(name, func(t *testing.T) {
			m, ref, prompts := loadTiny(t, name)
			n, d := m.Config.NumLayers, m.Config.HiddenSize
			layers := make([]int, n+1)
			for i := range layers {
				layers[i] = i
			}
			hs, err := m.HiddenStates(prompts, layers)
			if err != nil {
				t.Fatal(err)
			}
			for p, ids := range prompts {
				want := ref.floats(prefix(p) + "hidden") // [n+1, T, D]
				td := len(ids) * d
				for l := range n { // hidden_states[n] in the fixture is after the final norm
					var got []float32
					for pos := range ids {
						got = append(got, hs.At(l, p, pos)...)
					}
					if e := relErr(to64(got), to64(want[l*td:(l+1)*td])); e > tolerance {
						t.Errorf("prompt %d, layer %d in a batch: relative error %.2g", p, l, e)
					}
				}
				var last [][]float32
				for pos := range ids {
					last = append(last, hs.At(n, p, pos))
				}
				logits, err := m.Unembed(last)
				if err != nil {
					t.Fatal(err)
				}
				var got []float32
				for _, row := range logits {
					got = append(got, row...)
				}
				if e := relErr(to64(got), to64(ref.floats(prefix(p)+"logits"))); e > tolerance {
					t.Errorf("prompt %d: Unembed of the last layer: relative error %.2g", p, e)
				}
			}
		})
	}
}

// Each feature the fixtures are meant to exercise does matter there: switching it off breaks the
// match with transformers, so a fixture cannot pass with the feature wrong. (QK-norm and the
// sandwich norms own weights: without them the weights would not line up, so they are not switched.)
func TestFamilyFeaturesMatter(t *testing.T) {
	cases := []struct {
		model, feature string
		off            func(c *Config)
	}{
		{"tiny-gemma2", "attention soft-cap", func(c *Config) { c.AttnSoftcap = 0 }},
		{"tiny-gemma2", "final soft-cap", func(c *Config) { c.FinalSoftcap = 0 }},
		{"tiny-gemma2", "query_pre_attn_scalar", func(c *Config) { c.QueryScale = 0 }},
		{"tiny-gemma2", "sliding window", func(c *Config) { c.SlidingLayers = nil }},
		{"tiny-gemma2", "embedding scale", func(c *Config) { c.EmbedScale = 0 }},
		{"tiny-gemma2", "GeGLU", func(c *Config) { c.HiddenAct = "silu" }},
		{"tiny-gemma3", "local rope base", func(c *Config) { c.LocalRope = nil }},
		{"tiny-gemma3", "linear rope scaling", func(c *Config) { c.RopeScaling = nil }},
		{"tiny-gemma3", "sliding window", func(c *Config) { c.SlidingLayers = nil }},
		{"tiny-gemma4", "value norm", func(c *Config) { c.VNorm = false }},
		{"tiny-gemma4", "partial rotary", func(c *Config) { c.RopeScaling = nil }},
		{"tiny-gemma4", "local rope base", func(c *Config) { c.LocalRope = nil }},
		{"tiny-gemma4", "unscaled scores", func(c *Config) { c.QueryScale = 0 }},
	}
	for _, tc := range cases {
		t.Run(tc.model+"/"+tc.feature, func(t *testing.T) {
			m, ref, prompts := loadTiny(t, tc.model)
			tc.off(&m.Config)
			f, err := m.AllHiddenStates(prompts[1])
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(to64(f.Logits), to64(ref.floats(prefix(1)+"logits"))); e < 10*tolerance {
				t.Errorf("with %s off the logits still match transformers (relative error %.2g): the fixture does not exercise it", tc.feature, e)
			}
		})
	}
}

func TestFamilyConfigs(t *testing.T) {
	// A Gemma 3 config.json as transformers 4.5x wrote them (gemma-3-1b-it), and a Gemma 2 one
	// that leaves the soft-caps and the window to the class defaults.
	gemma3 := `{"model_type": "gemma3_text", "num_hidden_layers": 7, "hidden_size": 1152, "intermediate_size": 6912,
		"num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 256, "vocab_size": 262144, "rms_norm_eps": 1e-6,
		"rope_theta": 1000000, "rope_local_base_freq": 10000, "rope_scaling": {"rope_type": "linear", "factor": 8.0},
		"sliding_window": 512, "sliding_window_pattern": 6, "query_pre_attn_scalar": 256,
		"attn_logit_softcapping": null, "final_logit_softcapping": null, "hidden_activation": "gelu_pytorch_tanh"}`
	c, err := parseTestConfig(t, gemma3)
	if err != nil {
		t.Fatal(err)
	}
	wantSliding := []bool{true, true, true, true, true, false, true}
	if !equalBools(c.SlidingLayers, wantSliding) || c.SlidingWindow != 512 || c.LocalRope == nil || c.LocalRope.Theta != 10000 ||
		c.RopeTheta != 1e6 || c.RopeScaling == nil || c.RopeScaling.Type != "linear" || c.RopeScaling.Factor != 8 ||
		c.FinalSoftcap != 0 || c.AttnSoftcap != 0 || !c.QKNorm || !c.SandwichNorms || !c.NormPlusOne ||
		c.EmbedScale != float64(float32(33.941125496954285)) || c.QueryScale != 1.0/16 {
		t.Errorf("gemma3_text config read as %+v (local rope %+v, scaling %+v)", c, c.LocalRope, c.RopeScaling)
	}

	gemma2 := `{"model_type": "gemma2", "num_hidden_layers": 4, "hidden_size": 64, "intermediate_size": 128,
		"num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 100, "rope_theta": 10000}`
	c, err = parseTestConfig(t, gemma2)
	if err != nil {
		t.Fatal(err)
	}
	if c.AttnSoftcap != 50 || c.FinalSoftcap != 30 || c.SlidingWindow != 4096 || c.QueryScale != 1.0/16 ||
		!equalBools(c.SlidingLayers, []bool{true, false, true, false}) || c.QKNorm || c.HiddenAct != "gelu_pytorch_tanh" {
		t.Errorf("gemma2 defaults read as %+v", c)
	}

	// Gemma 4 without per_layer_config (global_head_dim and num_global_key_value_heads instead),
	// inside a multimodal config whose text_config leaves the rest to Gemma4TextConfig's defaults.
	gemma4 := `{"model_type": "gemma4", "tie_word_embeddings": true, "vision_config": {"hidden_size": 768},
		"text_config": {"num_hidden_layers": 12, "hidden_size": 128, "global_head_dim": 64, "num_global_key_value_heads": 1,
		"attention_k_eq_v": true, "num_kv_shared_layers": 2, "use_bidirectional_attention": "vision"}}`
	c, err = parseTestConfig(t, gemma4)
	if err != nil {
		t.Fatal(err)
	}
	if c.Architecture != "gemma4_text" || c.NumHeads != 8 || c.VocabSize != 262144 || c.PerLayerInputSize != 256 ||
		!equalInts(c.LayerHeadDim, []int{256, 256, 256, 256, 256, 64, 256, 256, 256, 256, 256, 64}) ||
		!equalInts(c.LayerKVHeads, []int{4, 4, 4, 4, 4, 1, 4, 4, 4, 4, 4, 1}) ||
		!equalInts(c.KVSource, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 5}) || c.RopeScaling == nil || c.RopeScaling.PartialRotary != 0.25 ||
		c.NormPlusOne || !c.VNorm || c.QueryScale != 1 || c.SlidingWindow != 512 {
		t.Errorf("gemma4 text_config read as %+v", c)
	}
	for _, b := range []struct{ old, new, want string }{
		{`"text_config": {`, `"text_config": {"enable_moe_block": true,`, "enable_moe_block"},
		{`"vision"}`, `"all"}`, "use_bidirectional_attention"},
	} {
		_, err := parseTestConfig(t, strings.Replace(gemma4, b.old, b.new, 1))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("gemma4 config with %s: error %v, want one naming %s", b.new, err, b.want)
		}
	}

	bad := []struct{ edit, want string }{
		{`"use_bidirectional_attention": true,`, "use_bidirectional_attention"},
		{`"hidden_activation": "relu",`, `"relu"`},
		{`"attention_bias": true,`, "attention_bias"},
		{`"layer_types": ["full_attention"],`, "layer_types"},
		{`"layer_types": ["chunked_attention", "full_attention", "full_attention", "full_attention"],`, "chunked_attention"},
		{`"rope_parameters": {"rope_type": "yarn", "factor": 4},`, "yarn"},
	}
	for _, b := range bad {
		_, err := parseTestConfig(t, strings.Replace(gemma2, "{", "{"+b.edit, 1))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("config with %s: error %v, want one naming %s", b.edit, err, b.want)
		}
	}
}

func parseTestConfig(t *testing.T, js string) (Config, error) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	return readHFConfig(dir)
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
