package lm

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	"github.com/emotion-probes/emotion-probes/pkg/support/env"
)

// gemma3GGUFPath is Gemma 3 270M's GGUF: $EMOTION_PROBES_GEMMA3_GGUF, else where kernel-setup/gemma3-270m.sh
// puts it (make test runs that script); a test without it skips, saying how to get it.
func gemma3GGUFPath(t *testing.T) string {
	path := os.Getenv(env.Gemma3GGUF)
	if path == "" {
		path = filepath.Join("..", "..", "..", ".cache", "models", "gemma-3-270m-q4_k_m.gguf")
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no %s: fetch it with kernel-setup/gemma3-270m.sh (make test does), or set %s to a copy", path, env.Gemma3GGUF)
	}
	return path
}

// TestGemma3GGUFTokenizerMatchesHuggingFace reads the SentencePiece vocabulary of Gemma 3 270M's GGUF
// file (pieces and scores, no merges) and encodes the tokenizer package's 629 reference texts: the ids
// must be those Hugging Face tokenizers 0.23.3 gives with Gemma 3's own tokenizer.json (the fixture's
// "gemma3" set, tools/reference/make_tokenizer_fixtures.py).
func TestGemma3GGUFTokenizerMatchesHuggingFace(t *testing.T) {
	f, err := gguf.Open(gemma3GGUFPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tk, err := ggufTokenizer(f)
	if err != nil {
		t.Fatal(err)
	}
	zf, err := os.Open(filepath.Join("..", "tokenizer", "testdata", "encode_fixtures.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer zf.Close()
	zr, err := gzip.NewReader(zf)
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Texts      []string `json:"texts"`
		Tokenizers map[string]struct {
			IDs        [][]int  `json:"ids"`
			IDsSpecial [][]int  `json:"ids_special"`
			Decoded    []string `json:"decoded"`
		} `json:"tokenizers"`
	}
	if err := json.NewDecoder(zr).Decode(&fx); err != nil {
		t.Fatal(err)
	}
	want := fx.Tokenizers["gemma3"]
	bad := 0
	check := func(text string, got, want []int, decoded string) {
		if !slices.Equal(got, want) || tk.Decode(got, false) != decoded && decoded != "" {
			if bad++; bad <= 5 {
				t.Errorf("%q:\n got %v, decoded %q\nwant %v, decoded %q", text, got, tk.Decode(got, false), want, decoded)
			}
		}
	}
	for i, text := range fx.Texts {
		check(text, tk.Encode(text, false), want.IDs[i], want.Decoded[i])
	}
	for i, ids := range want.IDsSpecial { // the first texts, with BOS
		check(fx.Texts[i], tk.Encode(fx.Texts[i], true), ids, "")
	}
	if bad > 0 {
		t.Errorf("%d of %d encodings differ from Hugging Face", bad, len(fx.Texts)+len(want.IDsSpecial))
	}
}

// TestGemma3GGUFMatchesTransformers loads Gemma 3 270M from its GGUF file (llama.cpp's names, norms
// stored as 1 + w, a SentencePiece vocabulary with scores) and runs two prompts: the token ids, every
// hidden state (projected on 24 fixed directions) and the top-32 logits must be transformers' reading of
// the same file (testdata/gemma3_gguf_reference.safetensors, tools/reference/make_engine_fixtures.py
// --gemma3). It runs where the Gemma test above does.
func TestGemma3GGUFMatchesTransformers(t *testing.T) {
	path := gemma3GGUFPath(t)
	if testing.Short() {
		t.Skip("loads a 270M model; skipped with -short")
	}
	m, err := Load(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ref := openReference(t, "gemma3_gguf_reference.safetensors")
	var prompts []string
	if err := json.Unmarshal([]byte(ref.f.Metadata()["prompts"]), &prompts); err != nil || len(prompts) == 0 {
		t.Fatalf("the fixture's metadata has no prompts: %v", err)
	}
	d := m.Config.HiddenSize
	for p, text := range prompts {
		ids := ref.ints(prefix(p) + "ids")
		if got := m.Tokenizer.Encode(text, true); !slices.Equal(got, ids) {
			t.Errorf("prompt %d: token ids\n got %v\nwant %v", p, got, ids)
		}
		f, err := m.AllHiddenStates(ids)
		if err != nil {
			t.Fatal(err)
		}
		checkProjected(t, p, f, d, ref)
		topIDs, topVals := ref.ints(prefix(p)+"top_ids"), to64(ref.floats(prefix(p)+"top_logits"))
		var got []float64
		for pos := range f.T {
			for k := range 32 {
				got = append(got, float64(f.Logits[pos*f.V+topIDs[pos*32+k]]))
			}
		}
		if e := relErr(got, topVals); e > tolerance {
			t.Errorf("prompt %d: top-32 logits: relative error %.2g > %g", p, e, tolerance)
		}
	}
}
