package tokenizer

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SentencePiece-style BPE, as Gemma's (and Llama 2's, Mistral v0.1's) tokenizer.json describe it.
// It differs from byte-level BPE in three places:
//
//   - Spaces are spelled '▁' (U+2581) by a normalizer (Replace " " -> "▁", and for Llama 2 a
//     Prepend "▁"), not mapped to a byte alphabet. Gemma 3 then splits on " " (which no longer
//     occurs), so a whole text between added tokens is one "word" for BPE.
//   - A word starts as one symbol per character (not per byte), looked up in the vocabulary. A
//     character the vocabulary lacks becomes its UTF-8 bytes as the tokens <0x00>..<0xFF>
//     (byte_fallback), or the unknown token when those are missing (consecutive unknowns fused
//     into one when fuse_unk is set). Then pairs merge by rank exactly as in byte-level BPE.
//   - Decoding replaces '▁' by ' ', turns each run of byte tokens back into bytes (a run that is
//     not valid UTF-8 becomes one U+FFFD per byte, as Hugging Face's ByteFallback decoder does),
//     joins everything, and strips leading spaces if the decoder says so (Llama 2 strips the one
//     its Prepend normalizer added).

const spaceMark = "▁" // U+2581, SentencePiece's visible space

// spDecoder is a SentencePiece decoder chain: Replace("▁", " "), ByteFallback, Fuse, Strip.
type spDecoder struct {
	stripLeft int // leading spaces removed from the decoded text (Strip decoder's start)
}

// byteToken parses "<0xNN>", SentencePiece's spelling of a raw byte.
func byteToken(s string) (byte, bool) {
	if len(s) != 6 || !strings.HasPrefix(s, "<0x") || s[5] != '>' {
		return 0, false
	}
	var b byte
	for _, c := range s[3:5] {
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = byte(c - '0')
		case 'A' <= c && c <= 'F':
			v = byte(c-'A') + 10
		case 'a' <= c && c <= 'f':
			v = byte(c-'a') + 10
		default:
			return 0, false
		}
		b = b<<4 | v
	}
	return b, true
}

// useSentencePiece switches a tokenizer built by build from byte-level to SentencePiece-style:
// words start from characters, with byte fallback, and token texts are read with '▁' as a space.
func (t *Tokenizer) useSentencePiece(vocab map[string]int, byteFallback, fuseUnk bool, dec spDecoder) error {
	m := t.model
	m.charLevel, m.fuseUnk = true, fuseUnk
	m.chars = make(map[string]int32, 1024)
	for tok, id := range vocab {
		if utf8.RuneCountInString(tok) == 1 {
			m.chars[tok] = int32(id)
		}
	}
	m.byteFallback = byteFallback
	for b := range m.fallback {
		m.fallback[b] = -1
		if id, ok := vocab[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.fallback[b] = int32(id)
		}
	}
	// Added tokens keep their text; a set, not a scan of t.added per id: Gemma's 262k ids times its 6k
	// added tokens would take seconds.
	isAdded := make([]bool, len(t.vocab))
	for _, a := range t.added {
		isAdded[a.ID] = true
	}
	for id, tok := range t.vocab {
		if tok == "" {
			continue
		}
		if b, ok := byteToken(tok); ok && !isAdded[id] {
			t.text[id] = []byte{b}
			continue
		}
		t.text[id] = []byte(strings.ReplaceAll(tok, spaceMark, " "))
	}
	t.sp = &dec
	return nil
}

// charSymbols turns a word into its initial symbols, one per character (Hugging Face's
// BPE::merge_word): the character's token, else its bytes' <0xNN> tokens, else the unknown token.
func (m *bpe) charSymbols(word string) []int32 {
	syms := make([]int32, 0, len(word))
	pendingUnk := false
	for i := 0; i < len(word); {
		_, size := utf8.DecodeRuneInString(word[i:])
		ch := word[i : i+size]
		i += size
		if id, ok := m.chars[ch]; ok {
			if pendingUnk {
				syms, pendingUnk = append(syms, m.unk), false
			}
			syms = append(syms, id)
			continue
		}
		if m.byteFallback { // only when every byte of the character has a token, as Hugging Face
			all := true
			for j := 0; j < len(ch); j++ {
				if m.fallback[ch[j]] < 0 {
					all = false
				}
			}
			if all {
				// As Hugging Face: a fallback does not flush a pending unknown token.
				for j := 0; j < len(ch); j++ {
					syms = append(syms, m.fallback[ch[j]])
				}
				continue
			}
		}
		if m.unk < 0 {
			continue // no unknown token: the character is dropped
		}
		if pendingUnk && !m.fuseUnk {
			syms = append(syms, m.unk)
		}
		pendingUnk = true
	}
	if pendingUnk {
		syms = append(syms, m.unk)
	}
	return syms
}

// decodeSP is Decode for SentencePiece-style tokenizers (Hugging Face's Replace, ByteFallback,
// Fuse and Strip decoders, in that order).
func (t *Tokenizer) decodeSP(ids []int, skipSpecial bool) string {
	var sb strings.Builder
	var run []byte // pending byte tokens
	flush := func() {
		if len(run) == 0 {
			return
		}
		if utf8.Valid(run) {
			sb.Write(run)
		} else {
			for range run {
				sb.WriteRune(utf8.RuneError)
			}
		}
		run = run[:0]
	}
	for _, id := range ids {
		if id < 0 || id >= len(t.vocab) || (skipSpecial && t.special[id]) {
			continue
		}
		if b, ok := byteToken(t.vocab[id]); ok {
			run = append(run, b)
			continue
		}
		flush()
		sb.WriteString(strings.ReplaceAll(t.vocab[id], spaceMark, " "))
	}
	flush()
	s := sb.String()
	for range t.sp.stripLeft {
		if !strings.HasPrefix(s, " ") {
			break
		}
		s = s[1:]
	}
	return s
}

// parseSPDecoder accepts the decoder chains of SentencePiece-style tokenizer.json files:
// Sequence[Replace("▁", " "), ByteFallback, Fuse, (Strip(" ", n, 0))], in that order.
func parseSPDecoder(d *decoderJSON) (spDecoder, error) {
	var dec spDecoder
	if d == nil {
		return dec, fmt.Errorf("decoder is null: a SentencePiece-style tokenizer needs Replace(\"▁\", \" \") and ByteFallback decoders")
	}
	steps := []decoderJSON{*d}
	if d.Type == "Sequence" {
		steps = d.Decoders
	}
	want := []string{"Replace", "ByteFallback", "Fuse"}
	for i, s := range steps {
		switch {
		case i < len(want) && s.Type == want[i]:
			if s.Type == "Replace" && (s.Pattern.String == nil || *s.Pattern.String != spaceMark || s.Content != " ") {
				return dec, fmt.Errorf("decoder Replace must turn %q into \" \"", spaceMark)
			}
		case i == len(want) && s.Type == "Strip":
			if s.Content != " " || s.Stop != 0 {
				return dec, fmt.Errorf("decoder Strip is supported only as Strip(\" \", start, 0)")
			}
			dec.stripLeft = s.Start
		default:
			return dec, fmt.Errorf("decoder step %d (%s) is not supported: a SentencePiece-style tokenizer's decoder must be Sequence[Replace(\"▁\", \" \"), ByteFallback, Fuse, optional Strip]", i, s.Type)
		}
	}
	if len(steps) < len(want) {
		return dec, fmt.Errorf("decoder has %d steps: a SentencePiece-style tokenizer's decoder must be Sequence[Replace(\"▁\", \" \"), ByteFallback, Fuse, optional Strip]", len(steps))
	}
	return dec, nil
}
