package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/support/jsonerr"
)

// tokenizer.json, the file Hugging Face tokenizers saves; only the fields byte-level BPE needs.
type fileJSON struct {
	AddedTokens   []addedJSON     `json:"added_tokens"`
	Normalizer    *normalizerJSON `json:"normalizer"`
	PreTokenizer  *preJSON        `json:"pre_tokenizer"`
	PostProcessor *postJSON       `json:"post_processor"`
	Decoder       *decoderJSON    `json:"decoder"`
	Model         *modelJSON      `json:"model"`
}

type addedJSON struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type modelJSON struct {
	Type                    string          `json:"type"`
	Vocab                   map[string]int  `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	ByteFallback            bool            `json:"byte_fallback"`
	FuseUnk                 *bool           `json:"fuse_unk"`
	IgnoreMerges            bool            `json:"ignore_merges"`
}

type preJSON struct {
	Type             string `json:"type"`
	AddPrefixSpace   bool   `json:"add_prefix_space"`
	UseRegex         *bool  `json:"use_regex"`
	IndividualDigits bool   `json:"individual_digits"`
	Pattern          struct {
		Regex  *string `json:"Regex"`
		String *string `json:"String"`
	} `json:"pattern"`
	Behavior      string    `json:"behavior"`
	Invert        bool      `json:"invert"`
	PreTokenizers []preJSON `json:"pretokenizers"`
}

type postJSON struct {
	Type   string `json:"type"`
	Single []struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
		Sequence *struct {
			ID string `json:"id"`
		} `json:"Sequence"`
	} `json:"single"`
	SpecialTokens map[string]struct {
		IDs []int `json:"ids"`
	} `json:"special_tokens"`
	Cls        []json.RawMessage `json:"cls"` // RobertaProcessing, BertProcessing: ["<s>", 0]
	Sep        []json.RawMessage `json:"sep"`
	Processors []postJSON        `json:"processors"`
}

type decoderJSON struct {
	Type     string        `json:"type"`
	Decoders []decoderJSON `json:"decoders"`
	Pattern  struct {
		String *string `json:"String"`
	} `json:"pattern"` // Replace
	Content string `json:"content"` // Replace, Strip
	Start   int    `json:"start"`   // Strip
	Stop    int    `json:"stop"`    // Strip
}

// FromJSONFile reads a tokenizer.json file; see FromJSON.
func FromJSONFile(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := FromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// FromDir reads dir/tokenizer.json and, when present, dir/tokenizer_config.json for the names of the
// BOS, EOS and padding tokens.
func FromDir(dir string) (*Tokenizer, error) {
	t, err := FromJSONFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	data, err := os.ReadFile(cfgPath)
	if os.IsNotExist(err) {
		return t, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", cfgPath, err)
	}
	id := func(key string, def int) int {
		raw, ok := cfg[key]
		if !ok {
			return def
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			var obj struct{ Content string }
			if json.Unmarshal(raw, &obj) != nil {
				return def
			}
			s = obj.Content
		}
		if i, ok := t.ids[s]; ok {
			return i
		}
		return -1 // null or a token the vocabulary lacks
	}
	t.bos, t.eos, t.pad = id("bos_token", t.bos), id("eos_token", t.eos), id("pad_token", t.pad)
	return t, nil
}

// FromJSON builds a tokenizer from the bytes of a Hugging Face tokenizer.json. Supported: model BPE over
// the byte-level alphabet (merges as "a b" strings or [a, b] pairs; ignore_merges) or, when there is no
// ByteLevel pre-tokenizer, over characters as SentencePiece-style files have it (Gemma: byte_fallback,
// unk_token, fuse_unk); added tokens with their flags; normalizers NFC/NFD/NFKC/NFKD/Lowercase/Replace
// (String pattern)/Prepend/Sequence; pre-tokenizers ByteLevel, Split (Isolated or MergedWithPrevious)
// with a String pattern or the GPT-2, Llama 3 and Qwen 2 patterns (and a few digit patterns), Digits and
// Sequence; post-processors ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing and
// Sequence; decoders ByteLevel, or Replace("▁", " ")/ByteFallback/Fuse/Strip for SentencePiece-style
// files. Anything else is an error that names it (a Unigram model, a Metaspace pre-tokenizer).
func FromJSON(data []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer: tokenizer.json is not valid JSON%s: %w", jsonerr.Where(data, err), err)
	}
	m := f.Model
	if m == nil {
		return nil, fmt.Errorf("tokenizer: tokenizer.json has no \"model\" object: is this a tokenizer.json file?")
	}
	if m.Type != "" && m.Type != "BPE" {
		return nil, fmt.Errorf("tokenizer: model.type %q is not supported: only BPE, byte-level (GPT-2, Llama 3, Qwen, SmolLM) or SentencePiece-style (Gemma)", m.Type)
	}
	if len(m.Vocab) == 0 {
		return nil, fmt.Errorf("tokenizer: model.vocab is missing or empty")
	}
	for name, v := range map[string]*string{"continuing_subword_prefix": m.ContinuingSubwordPrefix, "end_of_word_suffix": m.EndOfWordSuffix} {
		if v != nil && *v != "" {
			return nil, fmt.Errorf("tokenizer: model.%s %q is not supported (byte-level BPE has none)", name, *v)
		}
	}
	merges, err := parseMerges(m.Merges)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: model.merges: %w", err)
	}
	var added []AddedToken
	for _, a := range f.AddedTokens {
		added = append(added, AddedToken{ID: a.ID, Content: a.Content, Special: a.Special, SingleWord: a.SingleWord,
			LStrip: a.LStrip, RStrip: a.RStrip, Normalized: a.Normalized})
	}
	unk := ""
	if m.UnkToken != nil {
		unk = *m.UnkToken
	}
	t, err := build(m.Vocab, merges, added, unk, m.IgnoreMerges)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if t.norm, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	byteLevel := false
	if f.PreTokenizer != nil {
		if t.pre, err = parsePre(f.PreTokenizer, &byteLevel); err != nil {
			return nil, fmt.Errorf("tokenizer: pre_tokenizer: %w", err)
		}
	}
	switch {
	case byteLevel && m.ByteFallback:
		return nil, fmt.Errorf("tokenizer: model.byte_fallback is set together with a ByteLevel pre-tokenizer: byte fallback belongs to SentencePiece-style BPE (no ByteLevel step); the mix is not supported")
	case byteLevel:
		if f.Decoder != nil && !hasByteLevelDecoder(f.Decoder) {
			return nil, fmt.Errorf("tokenizer: decoder %q is not supported with a ByteLevel pre-tokenizer: only ByteLevel", f.Decoder.Type)
		}
	default:
		// No ByteLevel step: a SentencePiece-style BPE over characters (sentencepiece.go).
		dec, err := parseSPDecoder(f.Decoder)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: no ByteLevel pre-tokenizer, so a SentencePiece-style BPE (Gemma): %w", err)
		}
		fuse := m.FuseUnk == nil || *m.FuseUnk
		if err := t.useSentencePiece(m.Vocab, m.ByteFallback, fuse, dec); err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
	}
	if err := t.parsePost(f.PostProcessor); err != nil {
		return nil, fmt.Errorf("tokenizer: post_processor: %w", err)
	}
	if len(t.prefix) > 0 {
		t.bos = t.prefix[0]
	}
	if len(t.suffix) > 0 {
		t.eos = t.suffix[len(t.suffix)-1]
	}
	return t, nil
}

func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("missing")
	}
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		return splitMerges(strs)
	}
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, fmt.Errorf("neither a list of \"a b\" strings nor a list of [a, b] pairs: %w", err)
	}
	out := make([][2]string, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("merge %d has %d parts, want 2", i, len(p))
		}
		out[i] = [2]string{p[0], p[1]}
	}
	return out, nil
}

func parsePre(p *preJSON, byteLevel *bool) ([]preStep, error) {
	switch p.Type {
	case "Sequence":
		var steps []preStep
		for i := range p.PreTokenizers {
			s, err := parsePre(&p.PreTokenizers[i], byteLevel)
			if err != nil {
				return nil, fmt.Errorf("pretokenizers[%d]: %w", i, err)
			}
			steps = append(steps, s...)
		}
		return steps, nil
	case "ByteLevel":
		*byteLevel = true
		var steps []preStep
		if p.AddPrefixSpace {
			steps = append(steps, prefixSpace)
		}
		if p.UseRegex == nil || *p.UseRegex {
			steps = append(steps, splitIsolated(matchGPT2))
		}
		return steps, nil
	case "Digits":
		return []preStep{splitIsolated(classRun(isN, p.IndividualDigits))}, nil
	case "Split":
		if p.Invert {
			return nil, fmt.Errorf("Split with invert=true is not supported")
		}
		var m matcher
		switch {
		case p.Pattern.Regex != nil:
			m = knownRegexes[*p.Pattern.Regex]
			if m == nil {
				return nil, fmt.Errorf("Split regex %q has no scanner here (Go's regexp lacks look-ahead, so each pattern is hand-written); supported patterns:\n%s", *p.Pattern.Regex, supportedRegexes())
			}
		case p.Pattern.String != nil && *p.Pattern.String != "":
			lit := *p.Pattern.String
			m = func(s string, i int) int {
				if strings.HasPrefix(s[i:], lit) {
					return i + len(lit)
				}
				return i
			}
		default:
			return nil, fmt.Errorf("Split has neither a Regex nor a String pattern")
		}
		switch p.Behavior {
		case "Isolated":
			return []preStep{splitIsolated(m)}, nil
		case "MergedWithPrevious": // Gemma 3: Split(" ") (a no-op once spaces are "▁")
			return []preStep{splitMergedWithPrevious(m)}, nil
		}
		return nil, fmt.Errorf("Split behavior %q is not supported (only Isolated and MergedWithPrevious)", p.Behavior)
	}
	return nil, fmt.Errorf("type %q is not supported (supported: ByteLevel, Split, Digits, Sequence)", p.Type)
}

func supportedRegexes() string {
	var keys []string
	for k := range knownRegexes {
		keys = append(keys, "  "+k)
	}
	sort.Strings(keys)
	return strings.Join(keys, "\n")
}

func hasByteLevelDecoder(d *decoderJSON) bool {
	if d.Type == "ByteLevel" {
		return true
	}
	if d.Type == "Sequence" && len(d.Decoders) == 1 {
		return hasByteLevelDecoder(&d.Decoders[0])
	}
	return false
}

// parsePost records which ids the post-processor puts before and after a single sequence.
func (t *Tokenizer) parsePost(p *postJSON) error {
	if p == nil {
		return nil
	}
	switch p.Type {
	case "ByteLevel":
		return nil // offsets only
	case "Sequence":
		for i := range p.Processors {
			if err := t.parsePost(&p.Processors[i]); err != nil {
				return fmt.Errorf("processors[%d]: %w", i, err)
			}
		}
		return nil
	case "TemplateProcessing":
		seen := false
		for _, item := range p.Single {
			switch {
			case item.Sequence != nil:
				seen = true
			case item.SpecialToken != nil:
				st, ok := p.SpecialTokens[item.SpecialToken.ID]
				if !ok {
					return fmt.Errorf("TemplateProcessing: special token %q is used but not defined in special_tokens", item.SpecialToken.ID)
				}
				for _, id := range st.IDs {
					if id < 0 || id >= len(t.vocab) {
						return fmt.Errorf("TemplateProcessing: special token %q has id %d outside the vocabulary", item.SpecialToken.ID, id)
					}
				}
				if seen {
					t.suffix = append(t.suffix, st.IDs...)
				} else {
					t.prefix = append(t.prefix, st.IDs...)
				}
			}
		}
		return nil
	case "RobertaProcessing", "BertProcessing":
		cls, err := t.namedID(p.Cls)
		if err != nil {
			return fmt.Errorf("%s cls: %w", p.Type, err)
		}
		sep, err := t.namedID(p.Sep)
		if err != nil {
			return fmt.Errorf("%s sep: %w", p.Type, err)
		}
		t.prefix = append(t.prefix, cls)
		t.suffix = append(t.suffix, sep)
		return nil
	}
	return fmt.Errorf("type %q is not supported (supported: ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing, Sequence)", p.Type)
}

// namedID reads a ["token", id] pair.
func (t *Tokenizer) namedID(pair []json.RawMessage) (int, error) {
	var id int
	if len(pair) != 2 || json.Unmarshal(pair[1], &id) != nil || id < 0 || id >= len(t.vocab) {
		return 0, fmt.Errorf("want [\"token\", id] with id in the vocabulary")
	}
	return id, nil
}

// splitMerges reads merges written as "a b". The separator is the first space after the first byte, as
// llama.cpp reads them: a byte-level token never holds a plain space, but other vocabularies may start
// a token with one.
func splitMerges(strs []string) ([][2]string, error) {
	out := make([][2]string, len(strs))
	for i, s := range strs {
		k := -1
		if len(s) > 1 {
			k = strings.IndexByte(s[1:], ' ')
		}
		if k < 0 {
			return nil, fmt.Errorf("merge %d %q is not two tokens separated by a space", i, s)
		}
		out[i] = [2]string{s[:k+1], s[k+2:]}
	}
	return out, nil
}
