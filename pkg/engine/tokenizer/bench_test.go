package tokenizer

import (
	"strings"
	"testing"
)

// BenchmarkEncode tokenizes story-like English text with SmolLM2's tokenizer (the project's workload:
// ~200k short stories). It reports bytes/s; the word cache is warm after the first iteration.
func BenchmarkEncode(b *testing.B) {
	d, _, err := readGGUFTokenizer(smolGGUFPath(b))
	if err != nil {
		b.Fatal(err)
	}
	tk, err := FromGGUFData(d)
	if err != nil {
		b.Fatal(err)
	}
	fx := mustFixtures(b)
	text := strings.Join(fx.Texts[len(fx.Texts)-8:], "\n\n")
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		tk.Encode(text, false)
	}
}

// BenchmarkEncodeCold measures BPE without the word cache.
func BenchmarkEncodeCold(b *testing.B) {
	d, _, err := readGGUFTokenizer(smolGGUFPath(b))
	if err != nil {
		b.Fatal(err)
	}
	tk, err := FromGGUFData(d)
	if err != nil {
		b.Fatal(err)
	}
	fx := mustFixtures(b)
	text := strings.Join(fx.Texts, "\n")
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		tk.model.cache = map[string][]int32{}
		tk.Encode(text, false)
	}
}
