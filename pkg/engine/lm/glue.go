package lm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
	"github.com/emotion-probes/emotion-probes/pkg/engine/tokenizer"
)

// This file connects the engine to the file formats: the tokenizer and chat template of a GGUF
// file or a Hugging Face folder, and the folder's safetensors weights.

// ggufTokenizer builds the tokenizer from the file's tokenizer.ggml.* metadata.
func ggufTokenizer(f *gguf.File) (*tokenizer.Tokenizer, error) {
	d := tokenizer.GGUFData{BOS: -1, EOS: -1, Pad: -1, Unk: -1}
	d.Model, _ = f.String("tokenizer.ggml.model")
	d.Pre, _ = f.String("tokenizer.ggml.pre")
	d.Tokens, _ = f.Strings("tokenizer.ggml.tokens")
	d.Merges, _ = f.Strings("tokenizer.ggml.merges")
	if types, ok := f.Ints("tokenizer.ggml.token_type"); ok {
		for _, t := range types {
			d.TokenTypes = append(d.TokenTypes, int32(t))
		}
	}
	if scores, ok := f.Floats("tokenizer.ggml.scores"); ok {
		for _, s := range scores {
			d.Scores = append(d.Scores, float32(s))
		}
	}
	var ok bool
	if d.AddSpacePrefix, ok = f.Bool("tokenizer.ggml.add_space_prefix"); !ok {
		d.AddSpacePrefix = true // llama.cpp's default for SentencePiece vocabularies
	}
	for key, dst := range map[string]*int{"bos_token_id": &d.BOS, "eos_token_id": &d.EOS, "padding_token_id": &d.Pad, "unknown_token_id": &d.Unk} {
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

// chatSource is a model's own chat template as its files hold it: the Jinja text, where it was found
// (for messages), or why it could not be read.
type chatSource struct {
	text   string // empty: the model has none
	origin string // e.g. "/models/x/tokenizer_config.json (chat_template)"
	err    error
}

// chatTemplate prepares the model's own chat template, rendered as transformers renders it. A model
// without one gets the built-in template its vocabulary suggests (ChatML for SmolLM2-like vocabularies),
// whose Warning says so. A template that cannot be read or parsed leaves Chat nil: ChatPrompt then
// returns the error, rather than formatting the model's chats in a format it was not trained on.
func chatTemplate(src chatSource, tok *tokenizer.Tokenizer) (*chat.Template, error) {
	if src.err != nil {
		return nil, src.err
	}
	special := chat.SpecialTokens{}
	if id := tok.BOS(); id >= 0 {
		special.BOS = tok.TokenString(id)
	}
	if id := tok.EOS(); id >= 0 {
		special.EOS = tok.TokenString(id)
	}
	if src.text == "" {
		return chat.Fallback(func(s string) bool { _, ok := tok.ID(s); return ok }, special), nil
	}
	t, err := chat.Compile(src.text, src.origin, special)
	if err != nil {
		return nil, err
	}
	t.SetClock(func() time.Time { return PromptDate })
	return t, nil
}

// PromptDate is the date a chat template reads from its clock (strftime_now; Llama 3.2's writes "Today
// Date" into every system turn). transformers reads the wall clock; the engine pins it, so that a model's
// prompts, and so its seeded stories, do not change with the calendar, and a run resumed on another day
// sends what its first part sent. The date is the one Llama 3.1's template writes when given none. Call
// Model.Chat.SetClock(time.Now) to follow the wall clock instead.
var PromptDate = time.Date(2024, time.July, 26, 0, 0, 0, 0, time.UTC)

// hfChatTemplate reads a Hugging Face folder's chat template where transformers looks for it: a
// chat_template.jinja file first, else tokenizer_config.json's "chat_template", a string or a list of
// {"name", "template"} of which transformers uses "default" (when no tools are given). Without either,
// the model has no template.
func hfChatTemplate(dir string) chatSource {
	path := filepath.Join(dir, "chat_template.jinja")
	if data, err := os.ReadFile(path); err == nil {
		return chatSource{text: string(data), origin: path}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return chatSource{err: fmt.Errorf("reading the chat template: %w", err)}
	}
	path = filepath.Join(dir, "tokenizer_config.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return chatSource{}
	} else if err != nil {
		return chatSource{err: fmt.Errorf("reading the chat template: %w", err)}
	}
	var tc struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
	}
	if err := json.Unmarshal(data, &tc); err != nil {
		return chatSource{err: fmt.Errorf("%s is not valid JSON (%v): fix the file to read its chat_template", path, err)}
	}
	origin := path + " (chat_template)"
	var text string
	if len(tc.ChatTemplate) == 0 || string(tc.ChatTemplate) == "null" {
		return chatSource{}
	} else if json.Unmarshal(tc.ChatTemplate, &text) == nil {
		return chatSource{text: text, origin: origin}
	}
	var named []struct{ Name, Template string }
	if err := json.Unmarshal(tc.ChatTemplate, &named); err != nil {
		return chatSource{err: fmt.Errorf("%s: chat_template is neither a string nor a list of {\"name\", \"template\"}: fix the field, "+
			"or put the template in chat_template.jinja next to it", path)}
	}
	var names []string
	for _, n := range named {
		if n.Name == "default" {
			return chatSource{text: n.Template, origin: path + ` (chat_template "default")`}
		}
		names = append(names, strconv.Quote(n.Name))
	}
	return chatSource{err: fmt.Errorf("%s: chat_template lists templates %s but none named \"default\", the one transformers uses: "+
		"rename the one for chats to \"default\", or put it in chat_template.jinja next to it", path, strings.Join(names, ", "))}
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
func openHFFolder(dir string) (Config, weightSource, *tokenizer.Tokenizer, chatSource, error) {
	cfg, err := readHFConfig(dir)
	if err != nil {
		return Config{}, nil, nil, chatSource{}, err
	}
	tok, err := tokenizer.FromDir(dir)
	if err != nil {
		return Config{}, nil, nil, chatSource{}, fmt.Errorf("lm: %s: %w", dir, err)
	}
	f, err := safetensors.OpenFolder(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Config{}, nil, nil, chatSource{}, fmt.Errorf("lm: %s: no model.safetensors or model.safetensors.index.json: %w", dir, err)
		}
		return Config{}, nil, nil, chatSource{}, fmt.Errorf("lm: %w", err)
	}
	return cfg, hfSource{f: f, normPlusOne: cfg.NormPlusOne}, tok, hfChatTemplate(dir), nil
}
