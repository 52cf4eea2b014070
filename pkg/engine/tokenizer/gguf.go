package tokenizer

import (
	"fmt"
	"sort"
	"strings"
)

// GGUFData is the tokenizer metadata of a GGUF file, as plain values (the model loader reads the file):
//
//	Model       tokenizer.ggml.model        "gpt2": byte-level BPE; "llama": SentencePiece BPE (Gemma)
//	Pre         tokenizer.ggml.pre          the pre-tokenizer's name: "smollm", "llama-bpe", "qwen2", "gpt2" ...
//	Tokens      tokenizer.ggml.tokens       [vocabSize] vocabulary strings, byte-level spelled ("gpt2") or with
//	                                        '▁' for a space ("llama")
//	TokenTypes  tokenizer.ggml.token_type   [vocabSize] 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
//	Merges      tokenizer.ggml.merges       "a b" strings, best first ("gpt2")
//	Scores      tokenizer.ggml.scores       [vocabSize] piece scores, higher merges first ("llama")
//	BOS, EOS, Pad, Unk                      tokenizer.ggml.bos_token_id ...; -1 when absent
//	AddBOS, AddEOS                          tokenizer.ggml.add_bos_token, add_eos_token (false when absent)
//	AddSpacePrefix                          tokenizer.ggml.add_space_prefix ("llama"; llama.cpp's default when
//	                                        absent is true, and the loader passes that)
type GGUFData struct {
	Model          string
	Pre            string
	Tokens         []string
	TokenTypes     []int32
	Merges         []string
	Scores         []float32
	BOS, EOS       int
	Pad, Unk       int
	AddBOS         bool
	AddEOS         bool
	AddSpacePrefix bool
}

// GGUF token types (llama.cpp's llama_token_type): normal pieces, and the two kinds that become added tokens.
const (
	tokenNormal      = 1
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

// FromGGUFData builds a tokenizer from a GGUF file's tokenizer metadata: byte-level BPE from its merges
// (Model "gpt2"), or SentencePiece BPE from its scores (Model "llama", as llama.cpp writes Gemma's and Llama
// 2's; see fromGGUFSentencePiece). Control tokens (type 3) become special added tokens and user-defined ones
// (type 4) plain added tokens, both matched whole in the text as llama.cpp does. AddBOS/AddEOS decide what
// Encode(text, true) adds. For "gpt2", an empty Pre is llama.cpp's "default" (with a warning there); an
// unknown Pre is an error that lists the supported names.
func FromGGUFData(d GGUFData) (*Tokenizer, error) {
	if len(d.Tokens) == 0 {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.tokens is empty")
	}
	if len(d.TokenTypes) != 0 && len(d.TokenTypes) != len(d.Tokens) {
		return nil, fmt.Errorf("tokenizer: GGUF has %d tokens but %d token types: the file is inconsistent", len(d.Tokens), len(d.TokenTypes))
	}
	var t *Tokenizer
	var err error
	switch d.Model {
	case "gpt2":
		t, err = fromGGUFByteLevel(d)
	case "llama":
		t, err = fromGGUFSentencePiece(d)
	default:
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.model %q is not supported: \"gpt2\" (byte-level BPE) and \"llama\" (SentencePiece BPE) are", d.Model)
	}
	if err != nil {
		return nil, err
	}
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

// ggufVocab splits a GGUF vocabulary into the model's tokens (text -> id; the first id of a text
// wins) and the added ones: control tokens special, user-defined ones plain.
func ggufVocab(d GGUFData) (map[string]int, []AddedToken) {
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
	return vocab, added
}

// fromGGUFByteLevel builds a byte-level BPE tokenizer from a "gpt2" GGUF vocabulary and its merges.
func fromGGUFByteLevel(d GGUFData) (*Tokenizer, error) {
	pre := d.Pre
	if pre == "" {
		pre = "default"
	}
	fam, ok := ggufPre[pre]
	if !ok {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.pre %q is not supported; supported: %s", d.Pre, strings.Join(SupportedGGUFPre(), ", "))
	}
	if len(d.Merges) == 0 {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.merges is empty: a BPE tokenizer needs its merges")
	}
	vocab, added := ggufVocab(d)
	merges, err := splitMerges(d.Merges)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.merges: %w", err)
	}
	t, err := build(vocab, merges, added, "", fam.ignoreMerges)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: GGUF: %w", err)
	}
	t.pre = fam.steps()
	return t, nil
}

// fromGGUFSentencePiece builds a SentencePiece BPE tokenizer from a "llama" GGUF vocabulary, the form
// llama.cpp's converter gives Gemma's (and Llama 2's) tokenizer.model: pieces with scores, no merges.
//
// SentencePiece's BPE starts from the characters of the text (spaces spelled '▁') and merges, again and
// again, the adjacent pair whose concatenation is the piece with the highest score, leftmost first
// (llama.cpp's llm_tokenizer_spm). That is the rank-ordered BPE of sentencepiece.go once every split of
// every normal piece into two pieces is a merge, ranked by the piece's score: the form Hugging Face's
// converter gives such a vocabulary's tokenizer.json, so one BPE serves both files. A character the
// vocabulary lacks becomes its bytes' <0xNN> pieces. With AddSpacePrefix a '▁' is put before the text
// (and Decode removes it), as SentencePiece's add_dummy_prefix does.
func fromGGUFSentencePiece(d GGUFData) (*Tokenizer, error) {
	if len(d.Scores) != len(d.Tokens) {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.scores has %d entries for %d tokens: a SentencePiece vocabulary (tokenizer.ggml.model \"llama\") needs one score per token", len(d.Scores), len(d.Tokens))
	}
	if len(d.TokenTypes) == 0 {
		return nil, fmt.Errorf("tokenizer: GGUF tokenizer.ggml.token_type is missing: a SentencePiece vocabulary needs it to tell its pieces from its control tokens")
	}
	vocab, added := ggufVocab(d)
	unk := ""
	if d.Unk >= 0 && d.Unk < len(d.Tokens) {
		unk = d.Tokens[d.Unk]
	}
	t, err := build(vocab, spMerges(d, vocab), added, unk, false)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: GGUF: %w", err)
	}
	prefix, dec := "", spDecoder{}
	if d.AddSpacePrefix {
		prefix, dec.stripLeft = spaceMark, 1
	}
	t.norm = func(s string) string {
		if s == "" {
			return s
		}
		return prefix + strings.ReplaceAll(s, " ", spaceMark)
	}
	if err := t.useSentencePiece(vocab, true, true, dec); err != nil {
		return nil, fmt.Errorf("tokenizer: GGUF: %w", err)
	}
	return t, nil
}

// spMerges lists, best first, every way to build a normal piece of d from two pieces of vocab
// (ggufVocab's): each piece split at each character boundary where both halves are pieces, the
// pieces taken by descending score (ties in id order).
func spMerges(d GGUFData, vocab map[string]int) [][2]string {
	var normal []int
	for id := range d.Tokens {
		if d.TokenTypes[id] == tokenNormal {
			normal = append(normal, id)
		}
	}
	sort.SliceStable(normal, func(i, j int) bool { return d.Scores[normal[i]] > d.Scores[normal[j]] })
	var merges [][2]string
	for _, id := range normal {
		piece := d.Tokens[id]
		for i := range piece {
			if i == 0 {
				continue
			}
			left, right := piece[:i], piece[i:]
			if _, ok := vocab[left]; !ok {
				continue
			}
			if _, ok := vocab[right]; ok {
				merges = append(merges, [2]string{left, right})
			}
		}
	}
	return merges
}
