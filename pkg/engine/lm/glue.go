package lm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
	"github.com/emotion-probes/emotion-probes/pkg/engine/tokenizer"
)

// This file connects the engine to the file formats: the tokenizer and chat template of a GGUF
// file or a Hugging Face folder, and the folder's safetensors weights.

// ggufTokenizer builds the tokenizer from the file's tokenizer.ggml.* metadata.
func ggufTokenizer(f *gguf.File) (*tokenizer.Tokenizer, error) {
	d := tokenizer.GGUFData{BOS: -1, EOS: -1, Pad: -1}
	d.Model, _ = f.String("tokenizer.ggml.model")
	d.Pre, _ = f.String("tokenizer.ggml.pre")
	d.Tokens, _ = f.Strings("tokenizer.ggml.tokens")
	d.Merges, _ = f.Strings("tokenizer.ggml.merges")
	if types, ok := f.Ints("tokenizer.ggml.token_type"); ok {
		for _, t := range types {
			d.TokenTypes = append(d.TokenTypes, int32(t))
		}
	}
	for key, dst := range map[string]*int{"bos_token_id": &d.BOS, "eos_token_id": &d.EOS, "padding_token_id": &d.Pad} {
		if v, ok := f.Uint("tokenizer.ggml." + key); ok {
			*dst = int(v)
		}
	}
	d.AddBOS, _ = f.Bool("tokenizer.ggml.add_bos_token")
	d.AddEOS, _ = f.Bool("tokenizer.ggml.add_eos_token")
	t, err := tokenizer.FromGGUFData(d)
	if err != nil {
		return nil, fmt.Errorf("lm: %s: %w", f.Path(), err)
	}
	return t, nil
}

// chatTemplate detects the chat template family; a model without one (or with an unsupported
// one) still loads, and ChatPrompt reports why it cannot format chats.
func chatTemplate(src string, tok *tokenizer.Tokenizer) (*chat.Template, error) {
	if src == "" {
		return nil, errors.New("the model has no chat template (a base model?): use raw prompts")
	}
	special := chat.SpecialTokens{}
	if id := tok.BOS(); id >= 0 {
		special.BOS = tok.TokenString(id)
	}
	if id := tok.EOS(); id >= 0 {
		special.EOS = tok.TokenString(id)
	}
	return chat.Compile(src, "the model's chat template", special)
}

// hfSource reads weights from a folder's safetensors files.
type hfSource struct {
	f *safetensors.File
	// normPlusOne: the checkpoint stores Gemma's norm weights w, used as (1 + w); Read returns
	// 1 + w (in float32, as transformers adds them), the form GGUF files store.
	normPlusOne bool
}

func (s hfSource) Close() error { return s.f.Close() }

func (s hfSource) Read(name string) ([]float32, []int, error) {
	name = s.find(name)
	if !s.f.Has(name) {
		return nil, nil, fmt.Errorf("lm: %s: missing tensor %s: the checkpoint is incomplete or of another architecture", s.f.Path(), name)
	}
	data, shape, err := s.f.ReadFloat32(name)
	if err != nil {
		return nil, nil, fmt.Errorf("lm: %s: tensor %s: %w", s.f.Path(), name, err)
	}
	if s.normPlusOne && strings.HasSuffix(name, "norm.weight") {
		for i := range data {
			data[i]++
		}
	}
	return data, shape, nil
}

// find maps a language model's key to where the checkpoint has it: as is, or inside a
// multimodal Gemma 3/4 checkpoint (language_model.model.*, as transformers saves Gemma 3;
// model.language_model.*, its in-memory layout; language_model.lm_head.weight).
func (s hfSource) find(name string) string {
	if s.f.Has(name) {
		return name
	}
	var alts []string
	if rest, ok := strings.CutPrefix(name, "model."); ok {
		alts = []string{"language_model.model." + rest, "model.language_model." + rest}
	} else {
		alts = []string{"language_model." + name}
	}
	for _, a := range alts {
		if s.f.Has(a) {
			return a
		}
	}
	return name
}

// openHFFolder reads a Hugging Face model folder: config.json, tokenizer.json (with
// tokenizer_config.json for special tokens and the chat template) and the safetensors weights.
func openHFFolder(dir string) (Config, weightSource, *tokenizer.Tokenizer, string, error) {
	cfg, err := readHFConfig(dir)
	if err != nil {
		return Config{}, nil, nil, "", err
	}
	tok, err := tokenizer.FromDir(dir)
	if err != nil {
		return Config{}, nil, nil, "", fmt.Errorf("lm: %s: %w", dir, err)
	}
	var tc struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
	}
	template := ""
	if data, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json")); err == nil {
		if json.Unmarshal(data, &tc) == nil {
			_ = json.Unmarshal(tc.ChatTemplate, &template) // a list of named templates is left unsupported
		}
	}
	if data, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja")); err == nil {
		template = string(data)
	}
	f, err := safetensors.OpenFolder(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Config{}, nil, nil, "", fmt.Errorf("lm: %s: no model.safetensors or model.safetensors.index.json: %w", dir, err)
		}
		return Config{}, nil, nil, "", fmt.Errorf("lm: %w", err)
	}
	return cfg, hfSource{f: f, normPlusOne: cfg.NormPlusOne}, tok, template, nil
}
