package tokenizer

import (
	"encoding/json"
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
