package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// expected is testdata/expected.json, written by tools/reference/make_safetensors_fixtures.py with the
// Python safetensors package (0.8.0, torch 2.13.0).
type expected struct {
	Metadata map[string]string `json:"metadata"`
	Tensors  []struct {
		Name      string    `json:"name"`
		DType     string    `json:"dtype"`
		Shape     []int     `json:"shape"`
		SourceF32 []uint32  `json:"source_f32_bits"`
		SourceF64 []float64 `json:"source_f64"`
		SourceInt []string  `json:"source_ints"`
		F32Bits   []uint32  `json:"f32_bits"` // what Python reads back, for float32/16/bf16 tensors
		F64       []float64 `json:"f64"`
		Ints      []string  `json:"ints"`
	} `json:"tensors"`
}

func loadExpected(t *testing.T) expected {
	t.Helper()
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func parseInts(t *testing.T, s []string) []int64 {
	out := make([]int64, len(s))
	for i, v := range s {
		var err error
		if out[i], err = strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// checkValues compares every tensor of f with what the Python package read from its own file.
func checkValues(t *testing.T, f *File, exp expected) {
	t.Helper()
	var names []string
	for _, e := range exp.Tensors {
		names = append(names, e.Name)
		dtype, shape := f.Info(e.Name)
		if dtype != e.DType || !reflect.DeepEqual(shape, e.Shape) {
			t.Errorf("Info(%q) = %s %v, Python %s %v", e.Name, dtype, shape, e.DType, e.Shape)
		}
		switch {
		case e.F32Bits != nil:
			v, _, err := f.ReadFloat32(e.Name)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]uint32, len(v))
			for i := range v {
				got[i] = math.Float32bits(v[i])
			}
			if len(got) != len(e.F32Bits) || (len(got) > 0 && !reflect.DeepEqual(got, e.F32Bits)) {
				t.Errorf("ReadFloat32(%q) bits = %v, Python %v", e.Name, got, e.F32Bits)
			}
			v64, _, err := f.ReadFloat64(e.Name)
			if err != nil || len(v64) != len(v) {
				t.Fatalf("ReadFloat64(%q): %v", e.Name, err)
			}
			for i := range v64 {
				if math.Float32bits(float32(v64[i])) != got[i] {
					t.Errorf("ReadFloat64(%q)[%d] = %v, ReadFloat32 %v", e.Name, i, v64[i], v[i])
				}
			}
		case e.F64 != nil:
			v, _, err := f.ReadFloat64(e.Name)
			if err != nil || !reflect.DeepEqual(v, e.F64) {
				t.Errorf("ReadFloat64(%q) = %v, %v; Python %v", e.Name, v, err, e.F64)
			}
		default:
			want := parseInts(t, e.Ints)
			v, _, err := f.ReadInt64(e.Name)
			if err != nil || !reflect.DeepEqual(v, want) {
				t.Errorf("ReadInt64(%q) = %v, %v; Python %v", e.Name, v, err, want)
			}
		}
	}
	if got := f.Names(); len(got) != len(names) {
		t.Errorf("Names() = %v, Python wrote %v", got, names)
	}
}

func TestReadPythonFile(t *testing.T) {
	exp := loadExpected(t)
	f, err := Open("testdata/single.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkValues(t, f, exp)
	if m := f.Metadata(); !reflect.DeepEqual(m, exp.Metadata) {
		t.Errorf("Metadata() = %v, Python %v", m, exp.Metadata)
	}
	if v, _, err := f.ReadInt32("f.i32"); err != nil || !reflect.DeepEqual(v, []int32{math.MinInt32, math.MaxInt32, 7}) {
		t.Errorf("ReadInt32(f.i32) = %v, %v", v, err)
	}
	if _, _, err := f.ReadInt32("e.i64"); err == nil || !strings.Contains(err.Error(), "does not fit in int32") {
		t.Errorf("ReadInt32(e.i64) holding 2^63-1: %v", err)
	}
	if _, _, err := f.ReadInt64("a.f32"); err == nil || !strings.Contains(err.Error(), `"a.f32"`) {
		t.Errorf("ReadInt64 of a float tensor: %v", err)
	}
	if _, _, err := f.ReadFloat32("missing"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "single.safetensors") {
		t.Errorf("ReadFloat32(missing): %v", err)
	}
	if d, s := f.Info("missing"); d != "" || s != nil || f.Has("missing") || !f.Has("a.f32") {
		t.Errorf("Info/Has of a missing tensor")
	}
}

func TestReadSharded(t *testing.T) {
	exp := loadExpected(t)
	for _, open := range []func() (*File, error){
		func() (*File, error) { return OpenFolder("testdata/sharded") },
		func() (*File, error) { return OpenIndex("testdata/sharded/" + IndexFileName) },
	} {
		f, err := open()
		if err != nil {
			t.Fatal(err)
		}
		checkValues(t, f, exp)
		if m := f.Metadata(); m["format"] != "pt" || m["total_size"] != "166" {
			t.Errorf("Metadata() = %v", m)
		}
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	}
	// A folder with a single model.safetensors.
	dir := t.TempDir()
	b, _ := os.ReadFile("testdata/single.safetensors")
	os.WriteFile(filepath.Join(dir, SingleFileName), b, 0o644)
	f, err := OpenFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, f, exp)
	f.Close()
}

func TestShardErrors(t *testing.T) {
	copyDir := func(t *testing.T, skip string) string {
		dir := t.TempDir()
		ents, _ := os.ReadDir("testdata/sharded")
		for _, e := range ents {
			if e.Name() == skip {
				continue
			}
			b, _ := os.ReadFile(filepath.Join("testdata/sharded", e.Name()))
			os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644)
		}
		return dir
	}
	t.Run("missing shard", func(t *testing.T) {
		dir := copyDir(t, "model-00002-of-00002.safetensors")
		_, err := OpenFolder(dir)
		if err == nil || !strings.Contains(err.Error(), "model-00002-of-00002.safetensors") ||
			!strings.Contains(err.Error(), `"f.i32"`) || !strings.Contains(err.Error(), "missing") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("tensor not in shard", func(t *testing.T) {
		dir := copyDir(t, "")
		p := filepath.Join(dir, IndexFileName)
		b, _ := os.ReadFile(p)
		b = []byte(strings.Replace(string(b), `"weight_map": {`, `"weight_map": {"ghost": "model-00001-of-00002.safetensors",`, 1))
		os.WriteFile(p, b, 0o644)
		_, err := OpenFolder(dir)
		if err == nil || !strings.Contains(err.Error(), `"ghost"`) {
			t.Errorf("error = %v", err)
		}
	})
	for _, c := range []struct{ name, shard, want string }{
		{"shard outside the folder", "../single.safetensors", `weight_map["a.f32"] is "../single.safetensors", not a file name in the index's folder`},
		{"shard not safetensors", IndexFileName, `shard ` + IndexFileName + ` (holding "a.f32" among others): `},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyDir(t, "")
			p := filepath.Join(dir, IndexFileName)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(b), `"model-00001-of-00002.safetensors"`, `"`+c.shard+`"`, 1)), 0o644)
			_, err := OpenFolder(dir)
			if err == nil || !strings.Contains(err.Error(), "safetensors: index "+p+": "+c.want) {
				t.Errorf("error = %v, want one naming %s and %q", err, p, c.want)
			}
		})
	}
	t.Run("empty folder", func(t *testing.T) {
		_, err := OpenFolder(t.TempDir())
		if err == nil || !strings.Contains(err.Error(), IndexFileName) {
			t.Errorf("error = %v", err)
		}
	})
}

// TestWriteMatchesPython writes the fixture's source values with Write and compares the result with the file
// the Python package wrote from the same values: same header semantics (parsed), same bytes per tensor.
func TestWriteMatchesPython(t *testing.T) {
	exp := loadExpected(t)
	var tensors []Tensor
	for _, e := range exp.Tensors {
		var data any
		switch {
		case e.SourceF32 != nil:
			v := make([]float32, len(e.SourceF32))
			for i, b := range e.SourceF32 {
				v[i] = math.Float32frombits(b)
			}
			data = v
		case e.SourceF64 != nil:
			data = e.SourceF64
		case e.DType == "I32":
			v := parseInts(t, e.SourceInt)
			w := make([]int32, len(v))
			for i := range v {
				w[i] = int32(v[i])
			}
			data = w
		default:
			data = parseInts(t, e.SourceInt)
		}
		tensors = append(tensors, Tensor{Name: e.Name, DType: e.DType, Shape: e.Shape, Data: data})
	}
	path := filepath.Join(t.TempDir(), "go.safetensors")
	if err := Write(path, tensors, exp.Metadata); err != nil {
		t.Fatal(err)
	}
	goF, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer goF.Close()
	pyF, err := Open("testdata/single.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer pyF.Close()
	if !reflect.DeepEqual(goF.Names(), pyF.Names()) || !reflect.DeepEqual(goF.Metadata(), pyF.Metadata()) {
		t.Errorf("names/metadata: Go %v %v, Python %v %v", goF.Names(), goF.Metadata(), pyF.Names(), pyF.Metadata())
	}
	for _, n := range pyF.Names() {
		gb, gd, gs, err1 := goF.ReadRaw(n)
		pb, pd, ps, err2 := pyF.ReadRaw(n)
		if err1 != nil || err2 != nil || gd != pd || !reflect.DeepEqual(gs, ps) || string(gb) != string(pb) {
			t.Errorf("tensor %q: Go %s %v % x (%v), Python %s %v % x (%v)", n, gd, gs, gb, err1, pd, ps, pb, err2)
		}
	}
	// Layout as the reference writes it: header length a multiple of 8, data contiguous from offset 0.
	raw, _ := os.ReadFile(path)
	n := binary.LittleEndian.Uint64(raw)
	if n%8 != 0 || raw[8] != '{' {
		t.Errorf("header length %d, starts %q", n, raw[8])
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &hdr); err != nil {
		t.Fatal(err)
	}
	total := 0
	for name, m := range hdr {
		if name == metadataKey {
			continue
		}
		var e rawEntry
		json.Unmarshal(m, &e)
		total += int(e.DataOffsets[1] - e.DataOffsets[0])
		if e.DataOffsets[0]%uint64(DTypeSize(e.DType)) != 0 {
			t.Errorf("tensor %q at offset %d is not aligned to its %s elements", name, e.DataOffsets[0], e.DType)
		}
	}
	if uint64(total) != uint64(len(raw))-8-n {
		t.Errorf("data section %d bytes, tensors %d", uint64(len(raw))-8-n, total)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rt.safetensors")
	tensors := []Tensor{
		{Name: "scalar", Shape: nil, Data: []float32{2.5}},
		{Name: "vec64", Shape: []int{3}, Data: []float64{1, 2, 3}},
		{Name: "as32", DType: "F32", Shape: []int{2}, Data: []float64{0.1, -1e40}},
		{Name: "ids", Shape: []int{2, 2}, Data: []int64{1, -2, 3, 1 << 40}},
		{Name: "small", DType: "I64", Shape: []int{2}, Data: []int32{-1, 5}},
		{Name: "mask", DType: "BOOL", Shape: []int{3}, Data: []uint8{1, 0, 1}},
		{Name: "raw", DType: "F16", Shape: []int{1}, Data: Raw{0x00, 0x3c}},
		{Name: "empty", Shape: []int{0, 4}, Data: []float32{}},
	}
	if err := Write(path, tensors, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Metadata() != nil {
		t.Errorf("Metadata() = %v, want nil", f.Metadata())
	}
	check := func(name string, got, want any, shape, wantShape []int) {
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(shape, wantShape) {
			t.Errorf("%s = %v %v, want %v %v", name, got, shape, want, wantShape)
		}
	}
	v, s, _ := f.ReadFloat32("scalar")
	check("scalar", v, []float32{2.5}, s, []int{})
	v64, s, _ := f.ReadFloat64("vec64")
	check("vec64", v64, []float64{1, 2, 3}, s, []int{3})
	v, s, _ = f.ReadFloat32("as32")
	check("as32", v, []float32{0.1, float32(math.Inf(-1))}, s, []int{2})
	i64, s, _ := f.ReadInt64("ids")
	check("ids", i64, []int64{1, -2, 3, 1 << 40}, s, []int{2, 2})
	i64, s, _ = f.ReadInt64("small")
	check("small", i64, []int64{-1, 5}, s, []int{2})
	i64, s, _ = f.ReadInt64("mask")
	check("mask", i64, []int64{1, 0, 1}, s, []int{3})
	v, s, _ = f.ReadFloat32("raw")
	check("raw", v, []float32{1}, s, []int{1})
	v, s, _ = f.ReadFloat32("empty")
	check("empty", v, []float32{}, s, []int{0, 4})
	if d, _ := f.Info("mask"); d != "BOOL" {
		t.Errorf("mask dtype %s", d)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		tensors []Tensor
		want    string
	}{
		{"shape mismatch", []Tensor{{Name: "w", Shape: []int{2, 2}, Data: []float32{1, 2, 3}}}, `"w": shape [2 2] has 4 elements but Data holds 3`},
		{"duplicate", []Tensor{{Name: "w", Data: []float32{1}}, {Name: "w", Data: []float32{1}}}, `"w" appears twice`},
		{"bad dtype", []Tensor{{Name: "w", DType: "F12", Data: []float32{1}}}, `unknown dtype "F12"`},
		{"float as int", []Tensor{{Name: "w", DType: "I32", Data: []float32{1}}}, "cannot store []float32 as I32"},
		{"int overflow", []Tensor{{Name: "w", DType: "I32", Shape: []int{1}, Data: []int64{1 << 40}}}, "does not fit in I32"},
		{"bad data", []Tensor{{Name: "w", Data: []string{"x"}}}, "unsupported Data type []string"},
		{"reserved name", []Tensor{{Name: "__metadata__", Data: []float32{1}}}, "invalid tensor name"},
		{"raw size", []Tensor{{Name: "w", DType: "F32", Shape: []int{2}, Data: Raw{1, 2, 3}}}, "needs 8 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "x.safetensors")
			err := Write(path, c.tensors, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error = %v, want it to name %s and say %q", err, path, c.want)
			}
			if _, err := os.Stat(path); err == nil {
				t.Errorf("a failed Write left %s", path)
			}
		})
	}
	if err := Write(filepath.Join(dir, "no", "such", "dir.safetensors"), nil, nil); err == nil {
		t.Error("Write into a missing folder succeeded")
	}
}

func TestFP16Rounding(t *testing.T) {
	for _, c := range []struct {
		f    float32
		want uint16
	}{
		{0, 0}, {1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {65519.99, 0x7bff}, {65520, 0x7c00}, {1e9, 0x7c00},
		{5.960464477539063e-08, 0x0001}, {2.9802322387695312e-08, 0}, {2.9802326e-08, 0x0001},
		{8.940697e-08, 0x0002}, // 1.5 subnormal units: tie to even
		{6.097555e-05, 0x03ff}, {6.1035156e-05, 0x0400}, {1.0009765625, 0x3c01}, {1.00048828125, 0x3c00},
		{1.00146484375, 0x3c02}, {float32(math.Inf(-1)), 0xfc00},
	} {
		if got := toFP16(c.f); got != c.want {
			t.Errorf("toFP16(%g) = %#04x, want %#04x", c.f, got, c.want)
		}
		if !math.IsInf(float64(c.f), 0) && c.want < 0x7c00 && fp16(c.want) != fp16(toFP16(c.f)) {
			t.Errorf("fp16 round trip %g", c.f)
		}
	}
	if h := toFP16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("toFP16(NaN) = %#04x", h)
	}
	// Every half value survives fp16 -> float32 -> fp16.
	for h := 0; h < 1<<16; h++ {
		if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
			continue // NaN payloads are not preserved
		}
		if got := toFP16(fp16(uint16(h))); got != uint16(h) {
			t.Fatalf("toFP16(fp16(%#04x)) = %#04x", h, got)
		}
	}
}
