package safetensors

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// file builds a safetensors file from a header text and a data section.
func file(header string, data []byte) []byte {
	b := make([]byte, 8, 8+len(header)+len(data))
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestBadFiles(t *testing.T) {
	good, err := os.ReadFile("testdata/single.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want []string
	}{
		{"empty", nil, []string{"too short"}},
		{"huge header length", file("{}", nil)[:8], []string{"header length 2 exceeds"}},
		{"not json", file("hello", nil), []string{"not a safetensors file"}},
		{"truncated", good[:len(good)-10], []string{"tensor ", "outside the", "truncated"}},
		{"unknown dtype", file(`{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}`, []byte{0}), []string{`tensor "w"`, `unknown dtype "Q4"`}},
		{"size mismatch", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)), []string{`tensor "w"`, "needs 8 bytes"}},
		{"out of bounds", file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 4)), []string{`tensor "w"`, "outside the 4 bytes"}},
		{"negative dim", file(`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}`, nil), []string{`tensor "w"`, "negative dimension"}},
		{"bad offsets", file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, make([]byte, 4)), []string{`tensor "w"`, "data_offsets"}},
		{"bad metadata", file(`{"__metadata__":{"a":1}}`, nil), []string{"__metadata__"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.safetensors")
			os.WriteFile(path, c.data, 0o644)
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "safetensors: "+path) {
				t.Errorf("error %q does not name the file", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestReadAfterClose(t *testing.T) {
	f, err := Open("testdata/single.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, _, err := f.ReadFloat32("a.f32"); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("read after Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
