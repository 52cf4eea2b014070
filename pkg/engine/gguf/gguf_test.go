package gguf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// reference is what gguf-py (GGUFReader + gguf.quants.dequantize) read from a fixture file; written by
// tools/reference/make_gguf_fixtures.py.
type reference struct {
	FileSize int64    `json:"file_size"`
	Keys     []string `json:"keys"`
	Metadata map[string]struct {
		Type     string          `json:"type"`
		ElemType string          `json:"elem_type"`
		Value    json.RawMessage `json:"value"`
	} `json:"metadata"`
	Tensors []struct {
		Name   string   `json:"name"`
		Type   string   `json:"type"`
		TypeID uint32   `json:"type_id"`
		Shape  []int    `json:"shape"`
		Offset int64    `json:"offset"`
		NBytes int64    `json:"n_bytes"`
		Bits   []uint32 `json:"values_f32_bits"`
	} `json:"tensors"`
}

func loadReference(t *testing.T, name string) reference {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// normalize turns a scalar or slice into strings of exact integers, float64 values, bools and strings, so
// Go values and JSON values compare with reflect.DeepEqual.
func normalize(x any) any {
	switch v := x.(type) {
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			f, _ := v.Float64()
			return f
		}
		return string(v)
	case float32:
		return float64(v)
	case float64:
		return v
	case bool, string:
		return v
	case []any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = normalize(v[i])
		}
		return out
	}
	rv := reflect.ValueOf(x)
	if rv.Kind() == reflect.Slice {
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = normalize(rv.Index(i).Interface())
		}
		return out
	}
	return fmt.Sprint(x) // integers of every width
}

func checkAgainstReference(t *testing.T, ggufName, jsonName string) *File {
	t.Helper()
	ref := loadReference(t, jsonName)
	f, err := Open(filepath.Join("testdata", ggufName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })

	if got := f.Keys(); !reflect.DeepEqual(got, ref.Keys) {
		t.Errorf("Keys() = %v, gguf-py: %v", got, ref.Keys)
	}
	for _, key := range ref.Keys {
		want := ref.Metadata[key]
		v, ok := f.Value(key)
		if !ok {
			t.Errorf("metadata %q missing", key)
			continue
		}
		if v.Type.String() != want.Type || (v.Type == TypeArray && v.ElemType.String() != want.ElemType) {
			t.Errorf("metadata %q: type %s[%s], gguf-py %s[%s]", key, v.Type, v.ElemType, want.Type, want.ElemType)
		}
		dec := json.NewDecoder(bytes.NewReader(want.Value))
		dec.UseNumber()
		var wv any
		if err := dec.Decode(&wv); err != nil {
			t.Fatal(err)
		}
		if got, w := normalize(v.Data), normalize(wv); !reflect.DeepEqual(got, w) {
			t.Errorf("metadata %q = %v, gguf-py %v", key, got, w)
		}
	}

	tensors := f.Tensors()
	if len(tensors) != len(ref.Tensors) {
		t.Fatalf("%d tensors, gguf-py %d", len(tensors), len(ref.Tensors))
	}
	for i, want := range ref.Tensors {
		got := tensors[i]
		if got.Name != want.Name || got.Type.String() != want.Type || uint32(got.Type) != want.TypeID ||
			!reflect.DeepEqual(got.Shape, want.Shape) || got.Offset != want.Offset || got.Size != want.NBytes {
			t.Errorf("tensor #%d = %+v, gguf-py %+v", i, got, want)
			continue
		}
		vals, shape, err := f.ReadFloat32(want.Name)
		if err != nil {
			t.Errorf("ReadFloat32(%q): %v", want.Name, err)
			continue
		}
		if !reflect.DeepEqual(shape, want.Shape) || len(vals) != len(want.Bits) {
			t.Errorf("ReadFloat32(%q): shape %v, %d values; gguf-py %v, %d", want.Name, shape, len(vals), want.Shape, len(want.Bits))
			continue
		}
		bad := 0
		for j, v := range vals {
			if math.Float32bits(v) != want.Bits[j] {
				if bad < 3 {
					t.Errorf("%s (%s) [%d] = %g, gguf-py %g", want.Name, want.Type, j, v, math.Float32frombits(want.Bits[j]))
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d values differ from gguf-py", want.Name, bad, len(vals))
		}
	}
	return f
}

// TestSynthetic compares every metadata value and every tensor (all dequantized types) with gguf-py.
func TestSynthetic(t *testing.T) {
	f := checkAgainstReference(t, "synthetic.gguf", "synthetic.json")
	if f.Version() != 3 || f.Alignment() != DefaultAlignment || f.DataOffset()%32 != 0 {
		t.Errorf("version %d alignment %d data offset %d", f.Version(), f.Alignment(), f.DataOffset())
	}
	for _, tt := range f.Tensors() {
		if !tt.Type.CanDequantize() {
			t.Errorf("fixture tensor %s has type %s that cannot be dequantized", tt.Name, tt.Type)
		}
	}
}

// TestAlignment64 reads a file whose general.alignment is 64.
func TestAlignment64(t *testing.T) {
	f := checkAgainstReference(t, "align64.gguf", "align64.json")
	if f.Alignment() != 64 || f.DataOffset()%64 != 0 {
		t.Errorf("alignment %d, data offset %d", f.Alignment(), f.DataOffset())
	}
}

func TestAccessors(t *testing.T) {
	f, err := Open("testdata/synthetic.gguf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if a := f.Architecture(); a != "testarch" {
		t.Errorf("Architecture() = %q", a)
	}
	type check struct {
		name string
		got  any
		ok   bool
		want any
		wok  bool
	}
	u := func(k string) (any, bool) { v, ok := f.Uint(k); return v, ok }
	i := func(k string) (any, bool) { v, ok := f.Int(k); return v, ok }
	fl := func(k string) (any, bool) { v, ok := f.Float(k); return v, ok }
	var checks []check
	add := func(name string, fn func(string) (any, bool), key string, want any, wok bool) {
		g, ok := fn(key)
		checks = append(checks, check{name + "(" + key + ")", g, ok, want, wok})
	}
	add("Uint", u, "test.u8", uint64(200), true)
	add("Uint", u, "test.u32", uint64(4000000000), true)
	add("Uint", u, "test.u64", uint64(1<<63+5), true)
	add("Uint", u, "test.i8", uint64(0), false) // negative
	add("Uint", u, "test.f32", uint64(0), false)
	add("Uint", u, "test.arr_u8", uint64(0), false)
	add("Uint", u, "absent", uint64(0), false)
	add("Int", i, "test.i16", int64(-30000), true)
	add("Int", i, "test.i64", int64(-(1<<62)-7), true)
	add("Int", i, "test.u64", int64(0), false) // above MaxInt64
	add("Float", fl, "test.f32", float64(float32(0.1)), true)
	add("Float", fl, "test.f64", 2.718281828459045, true)
	add("Float", fl, "test.u16", 60000.0, true)
	add("Float", fl, "test.string", 0.0, false)
	for _, c := range checks {
		if c.ok != c.wok || (c.ok && c.got != c.want) {
			t.Errorf("%s = %v, %v; want %v, %v", c.name, c.got, c.ok, c.want, c.wok)
		}
	}
	if b, ok := f.Bool("test.bool_true"); !ok || !b {
		t.Errorf("Bool(test.bool_true) = %v, %v", b, ok)
	}
	if b, ok := f.Bool("test.bool_false"); !ok || b {
		t.Errorf("Bool(test.bool_false) = %v, %v", b, ok)
	}
	if s, ok := f.String("test.empty_string"); !ok || s != "" {
		t.Errorf("String(test.empty_string) = %q, %v", s, ok)
	}
	if s, ok := f.Strings("test.arr_str"); !ok || !reflect.DeepEqual(s, []string{"a", "", "ĠHello", "<|im_end|>"}) {
		t.Errorf("Strings = %q, %v", s, ok)
	}
	if v, ok := f.Ints("test.arr_i32"); !ok || !reflect.DeepEqual(v, []int64{-5, 5, 1000000}) {
		t.Errorf("Ints(arr_i32) = %v, %v", v, ok)
	}
	if v, ok := f.Ints("test.arr_u8"); !ok || !reflect.DeepEqual(v, []int64{1, 2, 255}) {
		t.Errorf("Ints(arr_u8) = %v, %v", v, ok)
	}
	if _, ok := f.Ints("test.arr_u64"); ok {
		t.Errorf("Ints(arr_u64) holds 2^64-1 and must fail")
	}
	if _, ok := f.Ints("test.arr_str"); ok {
		t.Errorf("Ints(arr_str) must fail")
	}
	if v, ok := f.Floats("test.arr_f32"); !ok || !reflect.DeepEqual(v, []float64{0.5, -1.25, float64(float32(3e-8))}) {
		t.Errorf("Floats(arr_f32) = %v, %v", v, ok)
	}
	if ti, ok := f.Tensor("t.f32_3d"); !ok || !reflect.DeepEqual(ti.Shape, []int{2, 3, 4}) || ti.Elements() != 24 || ti.Size != 96 {
		t.Errorf("Tensor(t.f32_3d) = %+v, %v", ti, ok)
	}
	raw, ti, err := f.ReadRaw("t.q4_1")
	if err != nil || len(raw) != int(ti.Size) || ti.Size != 3*2*20 {
		t.Errorf("ReadRaw(t.q4_1) = %d bytes, %+v, %v", len(raw), ti, err)
	}
	if _, _, err := f.ReadFloat32("nope"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("ReadFloat32(nope) error = %v", err)
	}
}

func TestReadAfterClose(t *testing.T) {
	f, err := Open("testdata/synthetic.gguf")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.ReadFloat32("t.f32"); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("read after Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestFP16(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 5.9604645e-08}, {0x03ff, 6.097555e-05},
		{0x0400, 6.1035156e-05}, {0x8001, -5.9604645e-08}, {0x3555, 0.33325195},
	} {
		if got := fp16(c.h); got != c.want {
			t.Errorf("fp16(%#04x) = %g, want %g", c.h, got, c.want)
		}
	}
	if !math.IsInf(float64(fp16(0x7c00)), 1) || !math.IsInf(float64(fp16(0xfc00)), -1) || !math.IsNaN(float64(fp16(0x7e00))) {
		t.Error("fp16 Inf/NaN")
	}
	if math.Float32bits(fp16(0x8000)) != 0x80000000 {
		t.Error("fp16(-0) lost its sign")
	}
}

// TestDequantizeParallel checks that the goroutine split gives the same values as one pass.
func TestDequantizeParallel(t *testing.T) {
	f, err := Open("testdata/synthetic.gguf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, name := range []string{"t.q4_1", "t.q6_k", "real.q8_0"} {
		raw, ti, err := f.ReadRaw(name)
		if err != nil {
			t.Fatal(err)
		}
		const reps = 300 // enough elements to cross parallelMin
		big := bytes.Repeat(raw, reps)
		got := make([]float32, ti.Elements()*reps)
		if err := Dequantize(ti.Type, big, got); err != nil {
			t.Fatal(err)
		}
		want := make([]float32, len(got))
		kernels[ti.Type](big, want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: parallel dequantization differs from serial", name)
		}
	}
	if err := Dequantize(IQ2_XXS, make([]byte, 66), make([]float32, 256)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("IQ2_XXS: %v", err)
	}
	if err := Dequantize(Q8_0, make([]byte, 33), make([]float32, 32)); err == nil {
		t.Error("Q8_0 with a short buffer: no error")
	}
	if err := Dequantize(Q8_0, make([]byte, 34), make([]float32, 31)); err == nil {
		t.Error("Q8_0 with a partial block: no error")
	}
}
