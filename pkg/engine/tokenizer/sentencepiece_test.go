package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The SentencePiece-style pieces on their own; the committed tiny_gemma.json and the real Gemma 3
// tokenizer are checked against Hugging Face in reference_test.go.

func TestByteToken(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int // -1: not a byte token
	}{{"<0x00>", 0}, {"<0x0A>", 10}, {"<0xFF>", 255}, {"<0xab>", 0xab}, {"<0x1>", -1}, {"<0xGG>", -1}, {"0x0A", -1}, {"<0x0A>x", -1}} {
		b, ok := byteToken(c.in)
		if got := map[bool]int{true: int(b), false: -1}[ok]; got != c.want {
			t.Errorf("byteToken(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestSplitMergedWithPrevious(t *testing.T) {
	dash := func(s string, i int) int {
		if s[i] == '-' {
			return i + 1
		}
		return i
	}
	for in, want := range map[string]string{
		"the-final--countdown": "the-|final-|-|countdown", // as Hugging Face's own test
		"-a":                   "-|a",
		"a-":                   "a-",
		"abc":                  "abc",
	} {
		if got := strings.Join(splitMergedWithPrevious(dash)(in, nil), "|"); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}

// A character the vocabulary lacks falls back to its bytes; without byte tokens it becomes <unk>,
// consecutive ones fused; decoding turns an invalid byte run into one U+FFFD per byte.
func TestSentencePieceFallbackAndUnk(t *testing.T) {
	vocab := map[string]int{"<unk>": 0, "a": 1, "b": 2, "▁": 3, "ab": 4, "<0xC3>": 5, "<0xA9>": 6}
	file := map[string]any{
		"model": map[string]any{"type": "BPE", "vocab": vocab, "merges": []string{"a b"}, "unk_token": "<unk>",
			"byte_fallback": true, "fuse_unk": true},
		"normalizer": map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"},
		"decoder": map[string]any{"type": "Sequence", "decoders": []any{
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": "▁"}, "content": " "},
			map[string]any{"type": "ByteFallback"}, map[string]any{"type": "Fuse"}}},
	}
	data, _ := json.Marshal(file)
	tk, err := FromJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	// "é" is C3 A9: both bytes have tokens. "ü" (C3 BC) lacks one: <unk>, fused with the next unknown "x".
	if got, want := tk.Encode("ab é üxa", false), []int{4, 3, 5, 6, 3, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	if got, want := tk.Decode([]int{4, 3, 5, 6, 3, 5, 1}, false), "ab é �a"; got != want {
		t.Errorf("Decode = %q, want %q", got, want)
	}
	if got, want := tk.Decode([]int{5, 5}, false), "��"; got != want {
		t.Errorf("Decode of an invalid byte run = %q, want %q (one U+FFFD per byte)", got, want)
	}
}

func TestSentencePieceBadFiles(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "tiny_gemma.json"))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) []byte {
		if !strings.Contains(string(good), old) {
			t.Fatalf("test setup: %q not in the file", old)
		}
		return []byte(strings.Replace(string(good), old, new, 1))
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"unigram", edit(`"type":"BPE"`, `"type":"Unigram"`), `model.type "Unigram"`},
		{"metaspace", edit(`"pre_tokenizer":{"type":"Split"`, `"pre_tokenizer":{"type":"Metaspace"`), `type "Metaspace"`},
		{"no decoder", edit(`"decoder":{"type":"Sequence"`, `"decoder":null,"x":{"type":"Sequence"`), "decoder is null"},
		{"regex replace", edit(`"normalizer":{"type":"Replace","pattern":{"String":" "}`, `"normalizer":{"type":"Replace","pattern":{"Regex":" +"}`), "String pattern"},
	} {
		_, err := FromJSON(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// A SentencePiece vocabulary as llama.cpp stores it in GGUF (pieces, scores, types; no merges). The
// expected ids follow SentencePiece's rule by hand: merge the adjacent pair that makes the piece of
// highest score, leftmost first, until none does.
func TestGGUFSentencePiece(t *testing.T) {
	const normal, control, userDefined, byteType = 1, 3, 4, 6
	pieces := []struct {
		text  string
		score float32
		typ   int32
	}{
		{"<unk>", 0, 2}, {"<bos>", 0, control}, {"<eos>", 0, control}, {"\n\n", 0, userDefined}, // 0-3
		{"▁", -1, normal}, {"a", -2, normal}, {"b", -3, normal}, {"c", -4, normal}, // 4-7
		{"bc", -5, normal}, {"ab", -6, normal}, {"abc", -7, normal}, {"▁b", -8, normal}, {"▁a", -9, normal}, // 8-12
		{"ba", -10, normal}, {"<0xC3>", 0, byteType}, {"<0xA9>", 0, byteType}, // 13-15
	}
	d := GGUFData{Model: "llama", BOS: 1, EOS: 2, Pad: -1, Unk: 0, AddBOS: true}
	for _, p := range pieces {
		d.Tokens, d.Scores, d.TokenTypes = append(d.Tokens, p.text), append(d.Scores, p.score), append(d.TokenTypes, p.typ)
	}
	tk, err := FromGGUFData(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want string
	}{
		// b+c (bc, -5) beats a+b (ab, -6); then a+bc makes abc, which no merge list of ab+c alone would.
		{"abc", "[1 10]"},
		// ab at 0 and at 2 tie; the leftmost goes first, and ba (-10) never gets its chance.
		{"abab", "[1 9 9]"},
		// A space is '▁'; ▁b (-8) is a piece, so it is merged; no space is put before the text.
		{"a b", "[1 5 11]"},
		// é is not a piece: its two UTF-8 bytes are.
		{"é", "[1 14 15]"},
		// Control and user-defined tokens are found whole first.
		{"a<eos>\n\nb", "[1 5 2 3 6]"},
	} {
		if got := fmt.Sprint(tk.Encode(c.text, true)); got != c.want {
			t.Errorf("Encode(%q) = %s, want %s", c.text, got, c.want)
		}
		if got := tk.Decode(tk.Encode(c.text, false), false); got != c.text {
			t.Errorf("Decode(Encode(%q)) = %q", c.text, got)
		}
	}
	// With add_space_prefix (llama.cpp's default), the text starts with '▁', and Decode removes it.
	d.AddSpacePrefix = true
	if tk, err = FromGGUFData(d); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(tk.Encode("a b", false)); got != "[12 11]" {
		t.Errorf("with add_space_prefix, Encode(\"a b\") = %s, want [12 11] (▁a ▁b)", got)
	}
	if got := tk.Decode([]int{12, 11}, false); got != "a b" {
		t.Errorf("with add_space_prefix, Decode([▁a ▁b]) = %q, want %q", got, "a b")
	}
	d.TokenTypes = nil
	if _, err := FromGGUFData(d); err == nil || !strings.Contains(err.Error(), "token_type is missing") {
		t.Errorf("without token types: error %v, want one saying token_type is missing", err)
	}
}
