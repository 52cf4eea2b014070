package tokenizer

import (
	"fmt"
	"sort"
	"strings"
)

// GGUFData is the tokenizer metadata of a GGUF file, as plain values (the model loader reads the file):
//
//	Model       tokenizer.ggml.model        "gpt2" for byte-level BPE (the only kind supported here)
//	Pre         tokenizer.ggml.pre          the pre-tokenizer's name: "smollm", "llama-bpe", "qwen2", "gpt2" ...
//	Tokens      tokenizer.ggml.tokens       [vocabSize] vocabulary strings, byte-level spelled
//	TokenTypes  tokenizer.ggml.token_type   [vocabSize] 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
//	Merges      tokenizer.ggml.merges       "a b" strings, best first
//	BOS, EOS, Pad                           tokenizer.ggml.bos_token_id ...; -1 when absent
//	AddBOS, AddEOS                          tokenizer.ggml.add_bos_token, add_eos_token (false when absent)
type GGUFData struct {
	Model      string
	Pre        string
	Tokens     []string
	TokenTypes []int32
	Merges     []string
	BOS, EOS   int
	Pad        int
	AddBOS     bool
	AddEOS     bool
}

// GGUF token types (llama.cpp's llama_token_type) that become added tokens.
const (
	tokenControl     = 3
	tokenUserDefined = 4
)

// preFamily is one of llama.cpp's pre-tokenizers (src/llama-vocab.cpp, llm_tokenizer_bpe), written as the
// Hugging Face pipeline it stands for.
type preFamily struct {
	steps        func() []preStep
	ignoreMerges bool // llama.cpp sets ignore_merges for the Llama 3 family
	about        string
}

var (
	preGPT2 = preFamily{
		steps: func() []preStep { return []preStep{splitIsolated(matchGPT2)} },
		about: "GPT-2 regex",
	}
	preDigitsGPT2 = preFamily{
		steps: func() []preStep {
			return []preStep{splitIsolated(classRun(isN, true)), splitIsolated(matchGPT2)}
		},
		about: "digits one by one, then the GPT-2 regex (SmolLM2's tokenizer.json: Digits + ByteLevel)",
	}
	preLlama3 = preFamily{
		steps:        func() []preStep { return []preStep{splitIsolated(llama3Matcher(3))} },
		ignoreMerges: true,
		about:        "Llama 3 regex, numbers in groups of up to 3 digits, ignore_merges",
	}
	preLlama3Merging = preFamily{
		steps: func() []preStep { return []preStep{splitIsolated(llama3Matcher(3))} },
		about: "Llama 3 regex",
	}
	preQwen2 = preFamily{
		steps: func() []preStep { return []preStep{splitIsolated(llama3Matcher(1))} },
		about: "Qwen 2 regex: the Llama 3 one with single digits",
	}
	// llama.cpp's fallback for files without a pre-tokenizer name; it warns that quality degrades.
	preDefault = preFamily{
		steps: func() []preStep {
			return []preStep{
				splitIsolated(classRun(isPunctLlamaDefault, false)),
				splitIsolated(matchGPT2),
				splitIsolated(classRun(isN, false)),
				splitIsolated(asciiTriples),
			}
		},
		about: "llama.cpp's default: punctuation runs, the GPT-2 regex, number runs, groups of three ASCII digits",
	}
)

// ggufPre maps tokenizer.ggml.pre names to pipelines, following llama.cpp's llama_vocab::impl::load.
var ggufPre = map[string]preFamily{
	"gpt2": preGPT2, "gpt-2": preGPT2, "phi-2": preGPT2, "jina-es": preGPT2, "jina-de": preGPT2,
	"gigachat": preGPT2, "jina-v1-en": preGPT2, "jina-v2-es": preGPT2, "jina-v2-de": preGPT2,
	"jina-v2-code": preGPT2, "roberta-bpe": preGPT2, "mpt": preGPT2, "olmo": preGPT2, "jais": preGPT2,

	"smollm": preDigitsGPT2, "starcoder": preDigitsGPT2, "refact": preDigitsGPT2, "command-r": preDigitsGPT2,
	"codeshell": preDigitsGPT2, "exaone": preDigitsGPT2, "minerva-7b": preDigitsGPT2,

	"llama3": preLlama3, "llama-v3": preLlama3, "llama-bpe": preLlama3, "falcon3": preLlama3,
	"dbrx": preLlama3Merging, "smaug-bpe": preLlama3Merging, "chatglm-bpe": preLlama3Merging,

	"qwen2": preQwen2, "stablelm2": preQwen2, "megrez": preQwen2, "deepseek-r1-qwen": preQwen2,

	"default": preDefault,
}

// SupportedGGUFPre lists the tokenizer.ggml.pre names FromGGUFData accepts.
func SupportedGGUFPre() []string {
	names := make([]string, 0, len(ggufPre))
	for k := range ggufPre {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// FromGGUFData builds a tokenizer from a GGUF file's tokenizer metadata. Control tokens (type 3) become
// special added tokens and user-defined ones (type 4) plain added tokens, both matched whole in the text
// as llama.cpp does. AddBOS/AddEOS decide what Encode(text, true) adds. An empty Pre is llama.cpp's
// "default" (with a warning there); an unknown Pre is an error that lists the supported names.
func FromGGUFData(d GGUFData) (*Tokenizer, error) {
	if d.Model != "gpt2" {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.model %q is not supported: only \"gpt2\" (byte-level BPE) is", d.Model)
	}
	pre := d.Pre
	if pre == "" {
		pre = "default"
	}
	fam, ok := ggufPre[pre]
	if !ok {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.pre %q is not supported; supported: %s", d.Pre, strings.Join(SupportedGGUFPre(), ", "))
	}
	if len(d.Tokens) == 0 {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.tokens is empty")
	}
	if len(d.TokenTypes) != 0 && len(d.TokenTypes) != len(d.Tokens) {
		return nil, fmt.Errorf("tokenizer: GGUF has %d tokens but %d token types: the file is inconsistent", len(d.Tokens), len(d.TokenTypes))
	}
	if len(d.Merges) == 0 {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.merges is empty: a BPE tokenizer needs its merges")
	}
	vocab := make(map[string]int, len(d.Tokens))
	var added []AddedToken
	for id, tok := range d.Tokens {
		if tok == "" {
			continue
		}
		if _, dup := vocab[tok]; !dup {
			vocab[tok] = id
		}
		if len(d.TokenTypes) == 0 {
			continue
		}
		switch d.TokenTypes[id] {
		case tokenControl:
			added = append(added, AddedToken{ID: id, Content: tok, Special: true})
		case tokenUserDefined:
			added = append(added, AddedToken{ID: id, Content: tok})
		}
	}
	merges, err := splitMerges(d.Merges)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.merges: %w", err)
	}
	t, err := build(vocab, merges, added, "", fam.ignoreMerges)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: GGUF: %w", err)
	}
	t.pre = fam.steps()
	for _, sp := range []struct {
		name string
		id   int
		dst  *int
	}{{"bos", d.BOS, &t.bos}, {"eos", d.EOS, &t.eos}, {"padding", d.Pad, &t.pad}} {
		if sp.id < -1 || sp.id >= len(t.vocab) {
			return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.%s_token_id %d is outside the vocabulary [0, %d)", sp.name, sp.id, len(t.vocab))
		}
		*sp.dst = sp.id
	}
	if d.AddBOS {
		if d.BOS < 0 {
			return nil, fmt.Errorf("tokenizer: GGUF asks to add BOS but has no tokenizer.ggml.bos_token_id")
		}
		t.prefix = []int{d.BOS}
	}
	if d.AddEOS {
		if d.EOS < 0 {
			return nil, fmt.Errorf("tokenizer: GGUF asks to add EOS but has no tokenizer.ggml.eos_token_id")
		}
		t.suffix = []int{d.EOS}
	}
	return t, nil
}
