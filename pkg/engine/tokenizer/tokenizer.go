package tokenizer

import (
	"cmp"
	"fmt"
	"slices"
)

// Tokenizer is a BPE tokenizer, byte-level (GPT-2, Llama 3, Qwen, SmolLM2) or SentencePiece-style
// (Gemma), built from a tokenizer.json (FromJSON) or from a GGUF file's tokenizer.ggml.* metadata
// (FromGGUFData, byte-level only). It is safe for concurrent use.
type Tokenizer struct {
	vocab   []string       // [vocabSize] id -> token as the vocabulary spells it ("" for an unused id)
	ids     map[string]int // token string -> id, model vocabulary and added tokens
	text    [][]byte       // [vocabSize] id -> the bytes the token stands for
	special []bool         // [vocabSize] added tokens marked special

	model *bpe
	norm  normalizer
	pre   []preStep
	sp    *spDecoder // SentencePiece-style (sentencepiece.go); nil for byte-level BPE

	added    []AddedToken
	rawTrie  *trie // added tokens matched in the raw text
	normTrie *trie // added tokens matched in the normalized text

	prefix, suffix []int // ids the post-processor puts around a sequence (BOS, EOS)
	bos, eos, pad  int
}

// Encode returns the token ids of text. Added and special tokens written in the text (such as
// "<|im_end|>") are recognised first and kept whole, as Hugging Face tokenizers does. With addSpecial the
// post-processor's tokens (BOS/EOS, when the tokenizer adds any) are put around the result.
// Bytes that are not valid UTF-8 are tokenized as bytes (the reference accepts only valid UTF-8).
func (t *Tokenizer) Encode(text string, addSpecial bool) []int {
	out := make([]int, 0, len(text)/3+4)
	if addSpecial {
		out = append(out, t.prefix...)
	}
	var pieces []string
	for _, seg := range splitAdded(text, t.rawTrie, t.added, nil) {
		if seg.token >= 0 {
			out = append(out, t.added[seg.token].ID)
			continue
		}
		s := seg.text
		if t.norm != nil {
			s = t.norm(s)
		}
		for _, sub := range splitAdded(s, t.normTrie, t.added, nil) {
			if sub.token >= 0 {
				out = append(out, t.added[sub.token].ID)
				continue
			}
			if sub.text == "" {
				continue
			}
			pieces = runPre(t.pre, sub.text, pieces)
			for _, p := range pieces {
				out = t.model.encodeWord(p, out)
			}
		}
	}
	if addSpecial {
		out = append(out, t.suffix...)
	}
	return out
}

// Decode returns the text of ids: the bytes of the tokens joined, with each ill-formed UTF-8 sequence
// replaced by U+FFFD (as Hugging Face's ByteLevel decoder does). With skipSpecial, special tokens are left
// out. Ids outside the vocabulary are skipped.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) string {
	if t.sp != nil {
		return t.decodeSP(ids, skipSpecial)
	}
	buf := make([]byte, 0, len(ids)*4)
	for _, id := range ids {
		if id < 0 || id >= len(t.text) || (skipSpecial && t.special[id]) {
			continue
		}
		buf = append(buf, t.text[id]...)
	}
	return lossyUTF8(buf)
}

// TokenString returns the token as the vocabulary spells it (byte-level alphabet: "Ġthe" for " the"),
// or "" for an id outside the vocabulary.
func (t *Tokenizer) TokenString(id int) string {
	if id < 0 || id >= len(t.vocab) {
		return ""
	}
	return t.vocab[id]
}

// TokenText returns the bytes the token stands for, as a string (" the" for "Ġthe"). A token can hold
// part of a multi-byte character, so the result is not always valid UTF-8: use Decode for display, or
// strings.ToValidUTF8 on this.
func (t *Tokenizer) TokenText(id int) string {
	if id < 0 || id >= len(t.text) {
		return ""
	}
	return string(t.text[id])
}

// VocabSize is the number of ids, added tokens included (the model's embedding rows may be more).
func (t *Tokenizer) VocabSize() int { return len(t.vocab) }

// BOS returns the beginning-of-sequence id, or -1 if the tokenizer has none.
func (t *Tokenizer) BOS() int { return t.bos }

// EOS returns the end-of-sequence id, or -1 if the tokenizer has none.
func (t *Tokenizer) EOS() int { return t.eos }

// Pad returns the padding id, or -1 if the tokenizer has none.
func (t *Tokenizer) Pad() int { return t.pad }

// IsSpecial reports whether id is a special token (such as "<|im_end|>").
func (t *Tokenizer) IsSpecial(id int) bool { return id >= 0 && id < len(t.special) && t.special[id] }

// ID returns the id of a token spelled as in the vocabulary (TokenString's form).
func (t *Tokenizer) ID(token string) (int, bool) {
	id, ok := t.ids[token]
	return id, ok
}

// AddedTokens returns the added tokens (special and not), in id order.
func (t *Tokenizer) AddedTokens() []AddedToken { return append([]AddedToken(nil), t.added...) }

// SetSpecialIDs sets the BOS, EOS and padding ids (-1: none) reported by BOS, EOS and Pad; tokenizer.json
// does not name them (tokenizer_config.json does), so FromJSON guesses them from the post-processor.
// It does not change what Encode adds.
func (t *Tokenizer) SetSpecialIDs(bos, eos, pad int) error {
	for _, id := range []int{bos, eos, pad} {
		if id < -1 || id >= len(t.vocab) {
			return fmt.Errorf("tokenizer: special id %d outside the vocabulary [0, %d): pass -1 for none", id, len(t.vocab))
		}
	}
	t.bos, t.eos, t.pad = bos, eos, pad
	return nil
}

// maxUnusedIDs bounds the ids a vocabulary may leave unused. The tables below are indexed by id, so a file
// that gives one token the id 10^12, by corruption or on purpose, would have them allocate terabytes before
// anything else is checked. Real vocabularies are dense but for a few hundred reserved ids.
const maxUnusedIDs = 1 << 20

// build fills the derived tables once vocab, merges and added tokens are known.
func build(vocab map[string]int, merges [][2]string, added []AddedToken, unk string, ignoreMerges bool) (*Tokenizer, error) {
	size, top, where := 0, "", "vocabulary"
	for tok, id := range vocab {
		if id < 0 {
			return nil, fmt.Errorf("vocabulary: token %q has negative id %d", tok, id)
		}
		if id >= size {
			size, top = id+1, tok
		}
	}
	for _, a := range added {
		if a.ID < 0 {
			return nil, fmt.Errorf("added token %q has negative id %d", a.Content, a.ID)
		}
		if a.ID >= size {
			size, top, where = a.ID+1, a.Content, "added token"
		}
	}
	if size == 0 {
		return nil, fmt.Errorf("vocabulary is empty")
	}
	if tokens := len(vocab) + len(added); size-tokens > maxUnusedIDs {
		return nil, fmt.Errorf("%s: token %q has id %d, but the file lists only %d tokens: ids may leave at most %d unused; "+
			"the file is corrupt", where, top, size-1, tokens, maxUnusedIDs)
	}
	t := &Tokenizer{
		vocab:   make([]string, size),
		ids:     make(map[string]int, len(vocab)+len(added)),
		text:    make([][]byte, size),
		special: make([]bool, size),
		bos:     -1, eos: -1, pad: -1,
		rawTrie:  newTrie(),
		normTrie: newTrie(),
	}
	m := &bpe{
		merges:       make(map[uint64]mergeVal, len(merges)),
		ignoreMerges: ignoreMerges,
		unk:          -1,
		cache:        map[string][]int32{},
	}
	t.model = m
	if ignoreMerges {
		m.rawVocab = make(map[string]int32, len(vocab))
	}
	for tok, id := range vocab {
		t.vocab[id] = tok
		t.ids[tok] = id
		t.text[id] = byteLevelDecode(tok)
		if ignoreMerges && inAlphabet(tok) {
			m.rawVocab[string(t.text[id])] = int32(id)
		}
	}
	for b := 0; b < 256; b++ {
		m.byteID[b] = -1
		if id, ok := vocab[string(byteToRune[b])]; ok {
			m.byteID[b] = int32(id)
		}
	}
	if unk != "" {
		id, ok := vocab[unk]
		if !ok {
			return nil, fmt.Errorf("model.unk_token %q is not in the vocabulary", unk)
		}
		m.unk = int32(id)
	}
	for rank, mg := range merges {
		a, okA := vocab[mg[0]]
		b, okB := vocab[mg[1]]
		c, okC := vocab[mg[0]+mg[1]]
		if !okA || !okB || !okC {
			missing := mg[0]
			if okA {
				missing = mg[1]
			}
			if okA && okB {
				missing = mg[0] + mg[1]
			}
			return nil, fmt.Errorf("merge %d (%q %q): token %q is not in the vocabulary", rank, mg[0], mg[1], missing)
		}
		m.merges[pairKey(int32(a), int32(b))] = mergeVal{int32(rank), int32(c)}
	}
	// Added tokens, in id order so that AddedTokens reads naturally.
	added = append([]AddedToken(nil), added...)
	sortAdded(added)
	for i, a := range added {
		if a.Content == "" {
			return nil, fmt.Errorf("added token with id %d has empty content", a.ID)
		}
		t.vocab[a.ID] = a.Content
		t.ids[a.Content] = a.ID
		if _, inModel := vocab[a.Content]; !inModel || t.text[a.ID] == nil {
			t.text[a.ID] = byteLevelDecode(a.Content)
		}
		t.special[a.ID] = a.Special
		if a.Normalized {
			t.normTrie.insert(a.Content, i)
		} else {
			t.rawTrie.insert(a.Content, i)
		}
	}
	t.added = added
	return t, nil
}

func inAlphabet(s string) bool {
	for _, r := range s {
		if _, ok := runeToByte[r]; !ok {
			return false
		}
	}
	return true
}

func sortAdded(a []AddedToken) {
	slices.SortStableFunc(a, func(x, y AddedToken) int { return cmp.Compare(x.ID, y.ID) })
}
