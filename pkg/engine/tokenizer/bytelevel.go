package tokenizer

import "unicode/utf8"

// GPT-2's byte-level alphabet: every byte 0..255 is spelled as one printable rune, so that a vocabulary
// of strings can hold arbitrary bytes. Printable bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves;
// the other 68 (controls, space, DEL, NBSP, soft hyphen ...) are moved to U+0100 onwards in byte order.
// So the space 0x20 is spelled 'Ġ' (U+0120) and the newline 0x0A is 'Ċ' (U+010A).
// Source: openai/gpt-2 encoder.py bytes_to_unicode, copied by Hugging Face tokenizers (byte_level.rs).
var (
	byteToRune [256]rune
	runeToByte = map[rune]byte{}
)

func init() {
	n := 0
	for b := 0; b < 256; b++ {
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		if printable {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = rune(256 + n)
			n++
		}
		runeToByte[byteToRune[b]] = byte(b)
	}
}

// byteLevelDecode turns a vocabulary string back into the bytes it spells. A token with any rune outside
// the alphabet (an added token such as "<think> " with a real space) is taken as its own UTF-8 bytes,
// which is what Hugging Face's ByteLevel decoder does.
func byteLevelDecode(token string) []byte {
	out := make([]byte, 0, len(token))
	for _, r := range token {
		b, ok := runeToByte[r]
		if !ok {
			return []byte(token)
		}
		out = append(out, b)
	}
	return out
}

// byteLevelEncode spells raw bytes in the byte-level alphabet.
func byteLevelEncode(raw string) string {
	out := make([]rune, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		out = append(out, byteToRune[raw[i]])
	}
	return string(out)
}

// lossyUTF8 converts bytes to a valid UTF-8 string the way Rust's String::from_utf8_lossy does (and so
// Hugging Face's decoders): each maximal ill-formed subsequence becomes one U+FFFD. Go's
// strings.ToValidUTF8 would merge a whole run of bad bytes into one U+FFFD, and ranging over the string
// would give one per byte; both differ from the reference on truncated multi-byte sequences.
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size > 1 {
			out = append(out, b[i:i+size]...)
			i += size
			continue
		}
		out = utf8.AppendRune(out, utf8.RuneError)
		i += maximalSubpart(b[i:])
	}
	return string(out)
}

// maximalSubpart returns the length (>= 1) of the ill-formed sequence at the start of b: a lead byte and
// the continuation bytes that could still have been part of a valid sequence (Unicode 15, section 3.9,
// "U+FFFD substitution of maximal subparts").
func maximalSubpart(b []byte) int {
	lead := b[0]
	var lo, hi byte = 0x80, 0xBF // range of the first continuation byte
	need := 0
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		need = 1
	case lead == 0xE0:
		need, lo = 2, 0xA0
	case lead >= 0xE1 && lead <= 0xEC, lead == 0xEE, lead == 0xEF:
		need = 2
	case lead == 0xED:
		need, hi = 2, 0x9F
	case lead == 0xF0:
		need, lo = 3, 0x90
	case lead >= 0xF1 && lead <= 0xF3:
		need = 3
	case lead == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(b); k++ {
		c := b[n]
		if c < lo || c > hi {
			break
		}
		lo, hi = 0x80, 0xBF
		n++
	}
	return n
}
