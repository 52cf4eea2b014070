package tokenizer

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Minimal tokenizer.json files of both kinds, as seeds small enough for the fuzzer to mutate usefully.
const (
	seedByteLevel = `{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"Ġ":3},"merges":["a b"]},` +
		`"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"use_regex":true},` +
		`"added_tokens":[{"id":4,"content":"<|end|>","special":true}],"decoder":{"type":"ByteLevel"}}`
	seedSentencePiece = `{"model":{"type":"BPE","vocab":{"<unk>":0,"▁":1,"a":2,"▁a":3,"<0x41>":4},` +
		`"merges":[["▁","a"]],"unk_token":"<unk>","byte_fallback":true,"fuse_unk":true},` +
		`"normalizer":{"type":"Replace","pattern":{"String":" "},"content":"▁"},` +
		`"post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<unk>"}},{"Sequence":{"id":"A"}}],` +
		`"special_tokens":{"<unk>":{"ids":[0]}}},` +
		`"decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},` +
		`{"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]}}`
)

// FuzzFromJSON feeds arbitrary bytes to the tokenizer.json loader: nothing may panic; a refused file gets
// an error that says it is the tokenizer's and, for bad JSON, where; an accepted file gives a tokenizer
// whose Encode returns ids inside its vocabulary and whose Decode returns valid UTF-8. Seeds: the committed
// tokenizers, byte-level (GPT-2 with digits, Llama 3, Qwen 2) and SentencePiece-style (Gemma), and two
// minimal files. Run longer with: go test ./pkg/engine/tokenizer -run '^$' -fuzz FuzzFromJSON -fuzztime 60s
func FuzzFromJSON(f *testing.F) {
	for _, name := range []string{"tiny_gpt2digits.json", "tiny_llama3.json", "tiny_qwen2.json", "tiny_gemma.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(seedByteLevel))
	f.Add([]byte(seedSentencePiece))
	// testdata/fuzz/FuzzFromJSON/huge-id: an id of 10^12 made build allocate terabytes.
	f.Add([]byte("{\n\"model\": [1,\n2,"))
	texts := []string{"", "hello world 12345", "<|end|> ab\n\tA", "\xff\xfe a", "▁a <unk>"}
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := FromJSON(data)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "tokenizer: ") || len(msg) < len("tokenizer: ")+10 {
				t.Fatalf("error %q does not say what refused the file and why", msg)
			}
			if strings.Contains(msg, "not valid JSON") && !strings.Contains(msg, " at line ") {
				t.Fatalf("JSON error %q does not say where", msg)
			}
			return
		}
		n := tk.VocabSize()
		for _, s := range texts {
			ids := tk.Encode(s, true)
			for _, id := range ids {
				if id < 0 || id >= n {
					t.Fatalf("Encode(%q) gave id %d outside the vocabulary [0, %d)", s, id, n)
				}
			}
			if out := tk.Decode(ids, false); !utf8.ValidString(out) {
				t.Fatalf("Decode gave invalid UTF-8 %q", out)
			}
		}
		tk.Decode([]int{-1, 0, n - 1, n, 1 << 40}, true)
	})
}

// TestFromJSONFileNamesTheFile: the file loader's errors name the file, so a user with several
// tokenizer.json files knows which one is broken.
func TestFromJSONFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(path, []byte("{\n  \"model\": {\n    \"vocab\": {\"a\": 0,}\n  }\n}"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := FromJSONFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "at line 3, byte") {
		t.Fatalf("error %v: want one naming %s and line 3", err, path)
	}
}

// TestHugeIDRefusedBeforeAllocating: a vocabulary that claims the id 10^12 for one of its two tokens would
// make the id-indexed tables terabytes long; it is refused first, quickly and with a small allocation.
func TestHugeIDRefusedBeforeAllocating(t *testing.T) {
	for _, c := range []struct{ name, file, want string }{
		{"vocabulary", `{"model":{"type":"BPE","vocab":{"a":0,"b":1000000000000},"merges":[]},"pre_tokenizer":{"type":"ByteLevel"}}`,
			`vocabulary: token "b" has id 1000000000000, but the file lists only 2 tokens`},
		{"added token", `{"model":{"type":"BPE","vocab":{"a":0},"merges":[]},"pre_tokenizer":{"type":"ByteLevel"},` +
			`"added_tokens":[{"id":999999999999,"content":"<x>"}]}`, `added token: token "<x>" has id 999999999999`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := FromJSON([]byte(c.file))
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("refusing the file allocated %d MB", alloc>>20)
			}
			if elapsed > 2*time.Second {
				t.Errorf("refusing the file took %v", elapsed)
			}
		})
	}
	// A few reserved ids are fine: Qwen's added tokens sit right after the model vocabulary, with gaps.
	if _, err := FromJSON([]byte(`{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]},` +
		`"pre_tokenizer":{"type":"ByteLevel"},"added_tokens":[{"id":300,"content":"<x>","special":true}]}`)); err != nil {
		t.Errorf("a vocabulary with 297 unused ids: %v", err)
	}
}
