package gguf

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var dumpDir = flag.String("dump", "", "write the Go writer's control vector (controlvector_go.gguf) to this folder, "+
	"for tools/reference/make_export_fixtures.py --check FILE --expect-fixture")

// rewrite copies every key and tensor of a file, in file order, into a Writer.
func rewrite(t *testing.T, f *File) *Writer {
	t.Helper()
	w := NewWriter()
	for _, k := range f.Keys() {
		v, _ := f.Value(k)
		if err := w.Add(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, ti := range f.Tensors() {
		raw, _, err := f.ReadRaw(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddTensor(ti.Name, ti.Type, ti.Shape, raw); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// TestWriterReproducesGGUFPy rewrites files that gguf-py's GGUFWriter wrote (metadata of every value type,
// tensors of every type, alignment 32 and 64) and expects the same bytes.
func TestWriterReproducesGGUFPy(t *testing.T) {
	for _, name := range []string{"synthetic.gguf", "align64.gguf", "controlvector_ref.gguf"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name)
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var got bytes.Buffer
			n, err := rewrite(t, f).WriteTo(&got)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(got.Len()) {
				t.Errorf("WriteTo returned %d, wrote %d bytes", n, got.Len())
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("rewritten file differs from gguf-py's: %d vs %d bytes, first difference at byte %d",
					got.Len(), len(want), firstDiff(got.Bytes(), want))
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestWriterControlVector builds, from its definition, the control vector that
// tools/reference/make_export_fixtures.py wrote with gguf-py as repeng's export_gguf does (direction.N[j] =
// N + j/4 - 1, 8 values, N = 1..3): the bytes must be the same, and Open must read back the same values.
func TestWriterControlVector(t *testing.T) {
	w := NewWriter()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.AddString("general.architecture", "controlvector"))
	must(w.AddString("controlvector.model_hint", "llama"))
	must(w.AddUint32("controlvector.layer_count", 3))
	dirs := map[string][]float32{}
	for _, n := range []int{1, 2, 3} {
		v := make([]float32, 8)
		for j := range v {
			v[j] = float32(n) + float32(j)/4 - 1
		}
		name := fmt.Sprintf("direction.%d", n)
		dirs[name] = v
		must(w.AddF32(name, []int{8}, v))
	}
	var got bytes.Buffer
	if _, err := w.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "controlvector_ref.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("control vector differs from gguf-py's: %d vs %d bytes, first difference at byte %d",
			got.Len(), len(want), firstDiff(got.Bytes(), want))
	}

	path := filepath.Join(t.TempDir(), "cv.gguf")
	if *dumpDir != "" {
		path = filepath.Join(*dumpDir, "controlvector_go.gguf")
	}
	must(os.WriteFile(path, got.Bytes(), 0o644))
	f, err := Open(path)
	must(err)
	defer f.Close()
	if a := f.Architecture(); a != "controlvector" {
		t.Errorf("architecture %q", a)
	}
	if h, _ := f.String("controlvector.model_hint"); h != "llama" {
		t.Errorf("model_hint %q", h)
	}
	if v, _ := f.Value("controlvector.layer_count"); v.Type != TypeUint32 || v.Data != uint32(3) {
		t.Errorf("layer_count %+v", v)
	}
	if f.Alignment() != 32 || f.DataOffset()%32 != 0 {
		t.Errorf("alignment %d, data offset %d", f.Alignment(), f.DataOffset())
	}
	for name, v := range dirs {
		x, shape, err := f.ReadFloat32(name)
		must(err)
		if len(shape) != 1 || shape[0] != 8 {
			t.Errorf("%s: shape %v", name, shape)
		}
		for j := range v {
			if x[j] != v[j] {
				t.Errorf("%s[%d] = %g, want %g", name, j, x[j], v[j])
			}
		}
	}
}

// TestWriterPadsEachTensor checks the layout with sizes that are not multiples of the alignment: tensor
// offsets are multiples of it, the file ends padded, and each tensor reads back.
func TestWriterPadsEachTensor(t *testing.T) {
	w := NewWriter()
	if err := w.Add("general.alignment", Value{Type: TypeUint32, Data: uint32(64)}); err != nil {
		t.Fatal(err)
	}
	a := []float32{1, 2, 3}           // 12 bytes
	b := []float32{-1, -2, -3, -4, 5} // 20 bytes
	if err := w.AddF32("a", []int{3}, a); err != nil {
		t.Fatal(err)
	}
	if err := w.AddF32("b", []int{5, 1}, b); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.Len()%64 != 0 {
		t.Errorf("file is %d bytes, not a multiple of the alignment 64", buf.Len())
	}
	path := filepath.Join(t.TempDir(), "p.gguf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ta, _ := f.Tensor("a")
	tb, _ := f.Tensor("b")
	if ta.Offset != f.DataOffset() || tb.Offset != f.DataOffset()+64 {
		t.Errorf("offsets %d, %d with data at %d: want the second 64 bytes after the first", ta.Offset, tb.Offset, f.DataOffset())
	}
	if got, shape, _ := f.ReadFloat32("b"); len(shape) != 2 || shape[0] != 5 || shape[1] != 1 || got[4] != 5 {
		t.Errorf("b = %v, shape %v", got, shape)
	}
}

func TestWriterErrors(t *testing.T) {
	cases := []struct {
		name string
		do   func(w *Writer) error
		want string
	}{
		{"duplicate key", func(w *Writer) error {
			w.AddString("k", "a")
			return w.AddString("k", "b")
		}, `"k" added twice`},
		{"wrong Go type", func(w *Writer) error {
			return w.Add("k", Value{Type: TypeUint32, Data: 3})
		}, "a UINT32 holds uint32, got int"},
		{"wrong array type", func(w *Writer) error {
			return w.Add("k", Value{Type: TypeArray, ElemType: TypeInt64, Data: []int32{1}})
		}, "an array of INT64 holds []int64"},
		{"alignment type", func(w *Writer) error {
			return w.Add("general.alignment", Value{Type: TypeUint64, Data: uint64(32)})
		}, "must be a UINT32"},
		{"alignment value", func(w *Writer) error {
			return w.Add("general.alignment", Value{Type: TypeUint32, Data: uint32(48)})
		}, "power of two"},
		{"tensor size", func(w *Writer) error { return w.AddF32("t", []int{4}, []float32{1, 2, 3}) },
			"needs 16 bytes, got 12"},
		{"tensor rank", func(w *Writer) error { return w.AddF32("t", nil, []float32{1}) }, "rank 0"},
		{"tensor name", func(w *Writer) error {
			return w.AddF32(strings.Repeat("x", 64), []int{1}, []float32{1})
		}, "GGML_MAX_NAME"},
		{"duplicate tensor", func(w *Writer) error {
			w.AddF32("t", []int{1}, []float32{1})
			return w.AddF32("t", []int{1}, []float32{1})
		}, `"t" added twice`},
		{"block size", func(w *Writer) error { return w.AddTensor("q", Q8_0, []int{16}, make([]byte, 17)) },
			"not a multiple of the Q8_0 block size 32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.do(NewWriter())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to mention %q", err, c.want)
			}
		})
	}
}
