package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
)

// maxNameLen is the longest tensor name llama.cpp accepts: GGML_MAX_NAME (64) bytes including the NUL.
const maxNameLen = 63

// Writer assembles a GGUF v3 file: metadata key-value pairs and tensors, written in the order they were
// added. It is the inverse of Open, and lays the file out as gguf-py's GGUFWriter does:
//
//	header | metadata | tensor infos | zero padding to the alignment | tensor 1 | padding | tensor 2 | padding ...
//
// Every tensor's data starts at a multiple of the alignment (32 bytes, or general.alignment when that key is
// added) and is followed by zeros up to the next multiple, the last one included. For the same keys, values
// and tensors added in the same order, the bytes equal gguf-py's (tests compare with files it wrote).
//
// A Writer holds everything in memory until WriteTo: it is meant for small files (control vectors,
// test fixtures), not for writing multi-gigabyte models.
type Writer struct {
	alignment int
	keys      []string
	kv        map[string]Value
	tensors   []writerTensor
	byName    map[string]bool
}

type writerTensor struct {
	name  string
	typ   Type
	shape []int // outermost first, as TensorInfo.Shape
	data  []byte
}

// NewWriter returns an empty Writer with the default alignment (32 bytes).
func NewWriter() *Writer {
	return &Writer{alignment: DefaultAlignment, kv: map[string]Value{}, byName: map[string]bool{}}
}

// Add adds a metadata value under key. v.Data must hold the Go type that Open returns for v.Type (see
// Value): uint32 for TypeUint32, string for TypeString, []float32 for an array of TypeFloat32 ...; an
// array of arrays holds []Value. "general.alignment" must be a UINT32 power of two, as llama.cpp requires;
// it sets the alignment of the tensor data.
func (w *Writer) Add(key string, v Value) error {
	if key == "" {
		return errors.New("gguf: writer: empty metadata key")
	}
	if _, dup := w.kv[key]; dup {
		return fmt.Errorf("gguf: writer: metadata key %q added twice", key)
	}
	if err := checkValue(v, 0); err != nil {
		return fmt.Errorf("gguf: writer: metadata %q: %w", key, err)
	}
	if key == "general.alignment" {
		a, ok := v.Data.(uint32)
		if !ok || v.Type != TypeUint32 {
			return fmt.Errorf("gguf: writer: general.alignment must be a UINT32 (llama.cpp reads it as one), got %s", v.Type)
		}
		if a == 0 || a&(a-1) != 0 {
			return fmt.Errorf("gguf: writer: general.alignment = %d: must be a power of two", a)
		}
		w.alignment = int(a)
	}
	w.keys = append(w.keys, key)
	w.kv[key] = v
	return nil
}

// AddString adds a STRING value.
func (w *Writer) AddString(key, s string) error { return w.Add(key, Value{Type: TypeString, Data: s}) }

// AddUint32 adds a UINT32 value.
func (w *Writer) AddUint32(key string, x uint32) error {
	return w.Add(key, Value{Type: TypeUint32, Data: x})
}

// AddInt32 adds an INT32 value.
func (w *Writer) AddInt32(key string, x int32) error {
	return w.Add(key, Value{Type: TypeInt32, Data: x})
}

// AddFloat32 adds a FLOAT32 value.
func (w *Writer) AddFloat32(key string, x float32) error {
	return w.Add(key, Value{Type: TypeFloat32, Data: x})
}

// AddFloat64 adds a FLOAT64 value.
func (w *Writer) AddFloat64(key string, x float64) error {
	return w.Add(key, Value{Type: TypeFloat64, Data: x})
}

// AddStrings adds an array of strings.
func (w *Writer) AddStrings(key string, s []string) error {
	return w.Add(key, Value{Type: TypeArray, ElemType: TypeString, Data: s})
}

// AddTensor adds a tensor of any known type from its encoded bytes (little-endian elements, or blocks of a
// quantized type). shape is row-major, outermost first, as TensorInfo.Shape; the file stores it reversed.
// The name must be unique and shorter than 64 bytes (GGML_MAX_NAME), the rank 1 to 4, and data exactly the
// size the shape and type call for.
func (w *Writer) AddTensor(name string, typ Type, shape []int, data []byte) error {
	what := fmt.Sprintf("gguf: writer: tensor %q", name)
	switch {
	case name == "":
		return errors.New("gguf: writer: empty tensor name")
	case len(name) > maxNameLen:
		return fmt.Errorf("%s: name is %d bytes, llama.cpp's limit is %d (GGML_MAX_NAME-1)", what, len(name), maxNameLen)
	case w.byName[name]:
		return fmt.Errorf("%s added twice", what)
	case !typ.Known():
		return fmt.Errorf("%s: unknown ggml type id %d", what, uint32(typ))
	case len(shape) < 1 || len(shape) > maxDims:
		return fmt.Errorf("%s: rank %d, want 1 to %d (ggml's GGML_MAX_DIMS)", what, len(shape), maxDims)
	}
	elems := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("%s: negative dimension in shape %v", what, shape)
		}
		if d > 0 && elems > math.MaxInt64/8/d {
			return fmt.Errorf("%s: shape %v is too large", what, shape)
		}
		elems *= d
	}
	if bs := typ.BlockSize(); shape[len(shape)-1]%bs != 0 {
		return fmt.Errorf("%s: row length %d is not a multiple of the %s block size %d", what, shape[len(shape)-1], typ, bs)
	}
	if want := elems / typ.BlockSize() * typ.TypeSize(); len(data) != want {
		return fmt.Errorf("%s: shape %v of %s needs %d bytes, got %d", what, shape, typ, want, len(data))
	}
	w.byName[name] = true
	w.tensors = append(w.tensors, writerTensor{name: name, typ: typ, shape: append([]int(nil), shape...),
		data: append([]byte(nil), data...)})
	return nil
}

// AddF32 adds an F32 tensor of the given row-major shape.
func (w *Writer) AddF32(name string, shape []int, values []float32) error {
	b := make([]byte, 4*len(values))
	for i, x := range values {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return w.AddTensor(name, F32, shape, b)
}

// WriteTo writes the file to out and returns the number of bytes written.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	bw := bufio.NewWriter(out)
	cw := &countingWriter{w: bw}
	e := encoder{w: cw}
	e.raw([]byte("GGUF"))
	e.u32(3)
	e.u64(uint64(len(w.tensors)))
	e.u64(uint64(len(w.keys)))
	for _, k := range w.keys {
		e.str(k)
		v := w.kv[k]
		e.u32(uint32(v.Type))
		e.value(v)
	}
	rel := uint64(0)
	for _, t := range w.tensors {
		e.str(t.name)
		e.u32(uint32(len(t.shape)))
		for i := len(t.shape) - 1; i >= 0; i-- { // innermost first
			e.u64(uint64(t.shape[i]))
		}
		e.u32(uint32(t.typ))
		e.u64(rel)
		rel += uint64(pad(len(t.data), w.alignment))
	}
	e.zeros(pad(int(cw.n), w.alignment) - int(cw.n))
	for _, t := range w.tensors {
		e.raw(t.data)
		e.zeros(pad(len(t.data), w.alignment) - len(t.data))
	}
	if cw.err == nil {
		cw.err = bw.Flush()
	}
	if cw.err != nil {
		return cw.n, fmt.Errorf("gguf: writer: %w", cw.err)
	}
	return cw.n, nil
}

// pad rounds n up to a multiple of align.
func pad(n, align int) int { return (n + align - 1) / align * align }

// checkValue verifies that v.Data holds the Go type of v.Type, so that WriteTo cannot fail on it.
func checkValue(v Value, depth int) error {
	if v.Type == TypeArray {
		if depth >= maxArrayDepth {
			return fmt.Errorf("arrays nested deeper than %d", maxArrayDepth)
		}
		if v.ElemType == TypeArray {
			vs, ok := v.Data.([]Value)
			if !ok {
				return fmt.Errorf("an array of arrays holds []gguf.Value, got %T", v.Data)
			}
			for i, x := range vs {
				if x.Type != TypeArray {
					return fmt.Errorf("element %d of an array of arrays is a %s", i, x.Type)
				}
				if err := checkValue(x, depth+1); err != nil {
					return fmt.Errorf("element %d: %w", i, err)
				}
			}
			return nil
		}
		want, ok := goTypes[v.ElemType]
		if !ok {
			return fmt.Errorf("unknown array element type %s", v.ElemType)
		}
		if got := reflect.TypeOf(v.Data); got != reflect.SliceOf(want) {
			return fmt.Errorf("an array of %s holds []%s, got %T", v.ElemType, want, v.Data)
		}
		return nil
	}
	want, ok := goTypes[v.Type]
	if !ok {
		return fmt.Errorf("unknown value type %s", v.Type)
	}
	if got := reflect.TypeOf(v.Data); got != want {
		return fmt.Errorf("a %s holds %s, got %T", v.Type, want, v.Data)
	}
	return nil
}

// goTypes is the Go type of each scalar value type, as the reader returns it.
var goTypes = map[ValueType]reflect.Type{
	TypeUint8: reflect.TypeFor[uint8](), TypeInt8: reflect.TypeFor[int8](),
	TypeUint16: reflect.TypeFor[uint16](), TypeInt16: reflect.TypeFor[int16](),
	TypeUint32: reflect.TypeFor[uint32](), TypeInt32: reflect.TypeFor[int32](),
	TypeFloat32: reflect.TypeFor[float32](), TypeBool: reflect.TypeFor[bool](),
	TypeString: reflect.TypeFor[string](), TypeUint64: reflect.TypeFor[uint64](),
	TypeInt64: reflect.TypeFor[int64](), TypeFloat64: reflect.TypeFor[float64](),
}

// countingWriter counts bytes and keeps the first error, so the encoder needs no error checks.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// encoder writes little-endian fields; checkValue has validated every value it is given.
type encoder struct{ w io.Writer }

func (e encoder) raw(b []byte) { e.w.Write(b) }

func (e encoder) zeros(n int) { e.w.Write(make([]byte, n)) }

func (e encoder) u32(x uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], x)
	e.raw(b[:])
}

func (e encoder) u64(x uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], x)
	e.raw(b[:])
}

func (e encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.raw([]byte(s))
}

// value writes v's payload (its type tag is written by the caller; an array writes its element type here).
func (e encoder) value(v Value) {
	if v.Type == TypeArray {
		e.u32(uint32(v.ElemType))
		rv := reflect.ValueOf(v.Data)
		e.u64(uint64(rv.Len()))
		for i := range rv.Len() {
			x := rv.Index(i).Interface()
			if v.ElemType == TypeArray {
				sub := x.(Value)
				e.value(sub)
				continue
			}
			e.scalar(v.ElemType, x)
		}
		return
	}
	e.scalar(v.Type, v.Data)
}

func (e encoder) scalar(t ValueType, x any) {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		e.raw([]byte{x.(uint8)})
	case TypeInt8:
		e.raw([]byte{uint8(x.(int8))})
	case TypeBool:
		b := byte(0)
		if x.(bool) {
			b = 1
		}
		e.raw([]byte{b})
	case TypeUint16:
		e.raw(le.AppendUint16(nil, x.(uint16)))
	case TypeInt16:
		e.raw(le.AppendUint16(nil, uint16(x.(int16))))
	case TypeUint32:
		e.u32(x.(uint32))
	case TypeInt32:
		e.u32(uint32(x.(int32)))
	case TypeFloat32:
		e.u32(math.Float32bits(x.(float32)))
	case TypeUint64:
		e.u64(x.(uint64))
	case TypeInt64:
		e.u64(uint64(x.(int64)))
	case TypeFloat64:
		e.u64(math.Float64bits(x.(float64)))
	case TypeString:
		e.str(x.(string))
	}
}
