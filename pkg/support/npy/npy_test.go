package npy

import (
	"archive/zip"
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var dumpDir = flag.String("dump", "", "write the Go-made reference_go.npz to this folder, for "+
	"tools/reference/make_export_fixtures.py --check FILE --expect-fixture")

// reference holds the arrays tools/reference/make_export_fixtures.py gave numpy.savez, written here by hand.
var reference = []Array{
	{Name: "vectors", Shape: []int{2, 3}, Data: []float32{0.5, -1, 2, 0.25, 3, -0.125}},
	{Name: "emotions", Shape: []int{3}, Data: []string{"sad", "at ease", "déjà vu"}},
	{Name: "layers", Shape: []int{1}, Data: []int64{20}},
	{Name: "norm", Shape: []int{1}, Data: []float64{12.5}},
	{Name: "metadata", Shape: nil, Data: []string{`{"model": "default", "token_offset": 50}`}},
}

// members reads every member of a ZIP archive, in order.
func members(t *testing.T, b []byte) (names []string, data map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	data = map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		x, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		names = append(names, f.Name)
		data[f.Name] = x
	}
	return names, data
}

// TestEncodeMatchesNumPy: each .npy member numpy.savez wrote equals Encode of the same array, byte for byte.
func TestEncodeMatchesNumPy(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "reference.npz"))
	if err != nil {
		t.Fatal(err)
	}
	names, want := members(t, b)
	if len(names) != len(reference) {
		t.Fatalf("reference.npz has %v", names)
	}
	for _, a := range reference {
		got, err := Encode(a.Shape, a.Data)
		if err != nil {
			t.Fatal(err)
		}
		w := want[a.Name+".npy"]
		if !bytes.Equal(got, w) {
			t.Errorf("%s: Encode gives\n%q\nnumpy wrote\n%q", a.Name, got, w)
		}
	}
}

// TestWriteNPZ: the archive holds the same members as numpy's, in order, with numpy's timestamp.
func TestWriteNPZ(t *testing.T) {
	ref, err := os.ReadFile(filepath.Join("testdata", "reference.npz"))
	if err != nil {
		t.Fatal(err)
	}
	wantNames, want := members(t, ref)
	var buf bytes.Buffer
	if err := WriteNPZ(&buf, reference); err != nil {
		t.Fatal(err)
	}
	names, got := members(t, buf.Bytes())
	if strings.Join(names, ",") != strings.Join(wantNames, ",") {
		t.Errorf("members %v, numpy wrote %v", names, wantNames)
	}
	for n, w := range want {
		if !bytes.Equal(got[n], w) {
			t.Errorf("member %s differs from numpy's", n)
		}
	}
	zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	for _, f := range zr.File {
		if f.Method != zip.Store || !f.Modified.Equal(epoch) {
			t.Errorf("%s: method %d, modified %v; numpy stores, at 1980-01-01", f.Name, f.Method, f.Modified)
		}
	}
	if *dumpDir != "" {
		if err := os.WriteFile(filepath.Join(*dumpDir, "reference_go.npz"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHeader checks the header text and padding against the format description, written out by hand.
func TestHeader(t *testing.T) {
	cases := []struct {
		descr string
		shape []int
		dict  string // the dict text before the padding
	}{
		{"<f4", []int{2, 3}, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + strings.Repeat(" ", 20)},
		{"<i8", []int{171}, "{'descr': '<i8', 'fortran_order': False, 'shape': (171,), }" + strings.Repeat(" ", 18)},
		{"<U40", nil, "{'descr': '<U40', 'fortran_order': False, 'shape': (), }"},
		{"<f4", []int{7, 171, 4096}, "{'descr': '<f4', 'fortran_order': False, 'shape': (7, 171, 4096), }" + strings.Repeat(" ", 20)},
	}
	for _, c := range cases {
		h, err := Header(c.descr, c.shape)
		if err != nil {
			t.Fatal(err)
		}
		if len(h)%64 != 0 {
			t.Errorf("%v: preamble of %d bytes, not a multiple of 64", c.shape, len(h))
		}
		if string(h[:8]) != "\x93NUMPY\x01\x00" || int(h[8])|int(h[9])<<8 != len(h)-10 {
			t.Errorf("%v: magic/version/length %q", c.shape, h[:10])
		}
		text := string(h[10:])
		if !strings.HasPrefix(text, c.dict) || !strings.HasSuffix(text, "\n") ||
			strings.Trim(text[len(c.dict):len(text)-1], " ") != "" {
			t.Errorf("%v: header %q, want %q, spaces, newline", c.shape, text, c.dict)
		}
	}
}

func TestErrors(t *testing.T) {
	if _, err := Encode([]int{2, 2}, []float32{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "4 elements but the data holds 3") {
		t.Errorf("size mismatch: %v", err)
	}
	if _, err := Encode([]int{1}, []uint8{1}); err == nil || !strings.Contains(err.Error(), "unsupported data []uint8") {
		t.Errorf("unsupported type: %v", err)
	}
	if _, err := Encode([]int{1}, []string{"a\xff"}); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("invalid UTF-8: %v", err)
	}
	err := WriteNPZ(io.Discard, []Array{{Name: "a", Shape: []int{1}, Data: []int64{1}}, {Name: "a", Shape: []int{1}, Data: []int64{2}}})
	if err == nil || !strings.Contains(err.Error(), `"a" appears twice`) {
		t.Errorf("duplicate: %v", err)
	}
}
