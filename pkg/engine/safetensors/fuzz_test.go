package safetensors

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to the header parser and reads every tensor it accepts: nothing may panic,
// a refused file gets an error naming the file, and an accepted file must yield every tensor. Run longer with:
// go test ./pkg/engine/safetensors -run '^$' -fuzz FuzzOpen -fuzztime 60s -fuzzminimizetime 1s
func FuzzOpen(f *testing.F) {
	for _, name := range []string{"testdata/single.safetensors", "testdata/sharded/model-00002-of-00002.safetensors"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		for _, n := range []int{0, 7, 8, 20, 100, len(b) - 1} {
			if n < len(b) {
				f.Add(b[:n])
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, entries, meta, err := parseHeader("fuzz", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			// Every refusal names the package and the file, then says what is wrong (and which tensor).
			if msg := err.Error(); !strings.HasPrefix(msg, "safetensors: fuzz: ") || len(msg) < len("safetensors: fuzz: ")+10 {
				t.Fatalf("error %q does not name the file and the fault", msg)
			}
			return
		}
		s.r, s.c = bytes.NewReader(data), io.NopCloser(nil)
		file := &File{path: "fuzz", shards: []*shard{s}, entries: entries, metadata: meta}
		file.sortNames()
		for _, n := range file.Names() {
			if _, _, _, err := file.ReadRaw(n); err != nil {
				t.Fatalf("ReadRaw(%q): %v", n, err)
			}
			dtype, shape := file.Info(n)
			if elements(shape) > 1<<20 {
				continue
			}
			switch dtype {
			case "F32", "F16", "BF16", "F64":
				if _, _, err := file.ReadFloat32(n); err != nil {
					t.Fatalf("ReadFloat32(%q): %v", n, err)
				}
			case "I64", "I32", "I16", "I8", "U8", "U16", "U32", "BOOL":
				if _, _, err := file.ReadInt64(n); err != nil {
					t.Fatalf("ReadInt64(%q): %v", n, err)
				}
			}
		}
	})
}

// FuzzOpenIndex feeds arbitrary bytes to the reader of model.safetensors.index.json, as an index beside
// the real shards of testdata/sharded: nothing may panic; a refusal names the index file; an accepted index
// reads every tensor it lists, from shards inside the index's folder only (a weight_map of a downloaded
// model must not make the reader open other files). Seeds: the index of testdata/sharded and a few broken
// ones. Run longer with:
// go test ./pkg/engine/safetensors -run '^$' -fuzz FuzzOpenIndex -fuzztime 60s -fuzzminimizetime 1s
func FuzzOpenIndex(f *testing.F) {
	const dir = "testdata/sharded"
	b, err := os.ReadFile(filepath.Join(dir, IndexFileName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	for _, s := range []string{"", "{}", `{"weight_map": {"a.f32": 3}}`, `{"weight_map": {"ghost": "model-00001-of-00002.safetensors"}}`,
		`{"metadata": {"total_size": [1]}, "weight_map": {"f.i32": "model-00002-of-00002.safetensors"}}`,
		`{"weight_map": {"a.f32": "nope.safetensors"}}`, `{"weight_map": {"a.f32": "../single.safetensors"}}`,
		`{"weight_map": {"a.f32": "model.safetensors.index.json"}}`} {
		f.Add([]byte(s))
	}
	// testdata/fuzz/FuzzOpenIndex/empty-shard-name: a shard named "" was the folder itself.
	index := filepath.Join(dir, "fuzz.index.json") // never written: openIndex gets the bytes
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := openIndex(index, data)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "safetensors: index "+index+": ") {
				t.Fatalf("error %q does not name the index file", msg)
			}
			return
		}
		defer file.Close()
		for _, s := range file.shards {
			if filepath.Dir(s.path) != dir {
				t.Fatalf("the index made the reader open %s, outside %s", s.path, dir)
			}
		}
		for _, n := range file.Names() {
			if _, _, _, err := file.ReadRaw(n); err != nil {
				t.Fatalf("ReadRaw(%q): %v", n, err)
			}
		}
	})
}
