package gguf

import (
	"fmt"
	"math"
	"sort"
)

// ValueType is the type tag of a metadata value (enum gguf_type in gguf.h; GGUFValueType in gguf-py).
type ValueType uint32

// The metadata value types, numbered as in the file format.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL",
	"STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"}

// String returns the gguf-py name of the type ("UINT32").
func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("value_type(%d)", uint32(t))
}

// fixedSize is the encoded size in bytes of a scalar of this type; 0 for strings, arrays and unknown types.
func (t ValueType) fixedSize() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// Value is one metadata value as stored in the file.
//
// Data holds the Go value of the same width: uint8, int8, uint16, int16, uint32, int32, float32, bool, string,
// uint64, int64, float64; an array holds a slice of those ([]uint32, []string, ...) or, for an array of
// arrays, []Value. Most callers want the typed accessors of File (String, Uint, Ints ...) instead.
type Value struct {
	Type     ValueType
	ElemType ValueType // element type when Type == TypeArray
	Data     any
}

// Len is the number of elements of an array value, 1 for a scalar.
func (v Value) Len() int {
	switch d := v.Data.(type) {
	case []uint8:
		return len(d)
	case []int8:
		return len(d)
	case []uint16:
		return len(d)
	case []int16:
		return len(d)
	case []uint32:
		return len(d)
	case []int32:
		return len(d)
	case []float32:
		return len(d)
	case []bool:
		return len(d)
	case []string:
		return len(d)
	case []uint64:
		return len(d)
	case []int64:
		return len(d)
	case []float64:
		return len(d)
	case []Value:
		return len(d)
	}
	return 1
}

// asInt64 converts an integer scalar; ok is false for non-integers and for uint64 values above MaxInt64.
func asInt64(x any) (int64, bool) {
	switch v := x.(type) {
	case uint8:
		return int64(v), true
	case int8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case int16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case uint64:
		if v > math.MaxInt64 {
			return 0, false
		}
		return int64(v), true
	}
	return 0, false
}

// asUint64 converts an integer scalar; ok is false for non-integers and negative values.
func asUint64(x any) (uint64, bool) {
	if v, ok := x.(uint64); ok {
		return v, true
	}
	i, ok := asInt64(x)
	if !ok || i < 0 {
		return 0, false
	}
	return uint64(i), true
}

// asFloat64 converts a float or integer scalar.
func asFloat64(x any) (float64, bool) {
	switch v := x.(type) {
	case float32:
		return float64(v), true
	case float64:
		return v, true
	case uint64:
		return float64(v), true
	}
	i, ok := asInt64(x)
	return float64(i), ok
}

// Keys returns the metadata keys in file order.
func (f *File) Keys() []string { return append([]string(nil), f.keys...) }

// SortedKeys returns the metadata keys in lexical order.
func (f *File) SortedKeys() []string {
	k := f.Keys()
	sort.Strings(k)
	return k
}

// Value returns the raw metadata value stored under key.
func (f *File) Value(key string) (Value, bool) {
	v, ok := f.kv[key]
	return v, ok
}

// String returns a STRING value.
func (f *File) String(key string) (string, bool) {
	s, ok := f.kv[key].Data.(string)
	return s, ok
}

// Uint returns an integer value of any width and signedness as uint64; false if absent, not an integer, or
// negative.
func (f *File) Uint(key string) (uint64, bool) {
	v, ok := f.kv[key]
	if !ok || v.Type == TypeArray {
		return 0, false
	}
	return asUint64(v.Data)
}

// Int returns an integer value of any width as int64; false if absent, not an integer, or a uint64 above
// MaxInt64.
func (f *File) Int(key string) (int64, bool) {
	v, ok := f.kv[key]
	if !ok || v.Type == TypeArray {
		return 0, false
	}
	return asInt64(v.Data)
}

// Float returns a FLOAT32 or FLOAT64 value (integers are converted too) as float64.
func (f *File) Float(key string) (float64, bool) {
	v, ok := f.kv[key]
	if !ok || v.Type == TypeArray {
		return 0, false
	}
	return asFloat64(v.Data)
}

// Bool returns a BOOL value.
func (f *File) Bool(key string) (bool, bool) {
	b, ok := f.kv[key].Data.(bool)
	return b, ok
}

// Strings returns an array of strings (tokenizer.ggml.tokens, tokenizer.ggml.merges). The slice is shared:
// do not modify it.
func (f *File) Strings(key string) ([]string, bool) {
	s, ok := f.kv[key].Data.([]string)
	return s, ok
}

// Ints returns an array of integers of any width as []int64 (tokenizer.ggml.token_type); false if absent, not
// an integer array, or holding a uint64 above MaxInt64.
func (f *File) Ints(key string) ([]int64, bool) {
	v, ok := f.kv[key]
	if !ok || v.Type != TypeArray {
		return nil, false
	}
	n := v.Len()
	out := make([]int64, n)
	switch d := v.Data.(type) {
	case []uint8:
		for i, x := range d {
			out[i] = int64(x)
		}
	case []int8:
		for i, x := range d {
			out[i] = int64(x)
		}
	case []uint16:
		for i, x := range d {
			out[i] = int64(x)
		}
	case []int16:
		for i, x := range d {
			out[i] = int64(x)
		}
	case []uint32:
		for i, x := range d {
			out[i] = int64(x)
		}
	case []int32:
		for i, x := range d {
			out[i] = int64(x)
		}
	case []int64:
		copy(out, d)
	case []uint64:
		for i, x := range d {
			if x > math.MaxInt64 {
				return nil, false
			}
			out[i] = int64(x)
		}
	default:
		return nil, false
	}
	return out, true
}

// Floats returns an array of FLOAT32 or FLOAT64 (tokenizer.ggml.scores) as []float64.
func (f *File) Floats(key string) ([]float64, bool) {
	switch d := f.kv[key].Data.(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out, true
	case []float64:
		return append([]float64(nil), d...), true
	}
	return nil, false
}

// Architecture returns general.architecture ("llama"), the prefix of the model's hyper-parameter keys
// ("llama.block_count"); "" if the file has none.
func (f *File) Architecture() string {
	s, _ := f.String("general.architecture")
	return s
}
