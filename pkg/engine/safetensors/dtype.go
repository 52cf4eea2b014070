package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// dtypeSizes are the element sizes of the dtypes of the format (safetensors' Dtype enum). Reading converts
// the numeric ones; others (F8_*) can still be listed and read raw.
var dtypeSizes = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"F64": 8, "I64": 8, "U64": 8,
}

// DTypeSize is the size in bytes of one element of dtype ("F32" -> 4); 0 for an unknown dtype.
func DTypeSize(dtype string) int { return dtypeSizes[dtype] }

// fp16 converts an IEEE 754 half-precision value to float32 exactly.
func fp16(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	v := float32(mant) * (1.0 / (1 << 24)) // subnormal: mant * 2^-24
	if sign != 0 {
		return -v
	}
	return v
}

// toFP16 rounds a float32 to the nearest half-precision value, ties to even, as numpy's astype(float16) and
// torch's .half() do: overflow gives Inf, tiny values go subnormal or to zero, NaN stays (quiet) NaN.
func toFP16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // rebiased exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 { // subnormal half (or zero): units of 2^-24
		if e < -10 {
			return sign
		}
		m := mant | 0x800000
		shift := uint(14 - e)
		h := m >> shift
		rem, halfway := m&(1<<shift-1), uint32(1)<<(shift-1)
		if rem > halfway || (rem == halfway && h&1 == 1) {
			h++ // may carry into the smallest normal: still correct
		}
		return sign | uint16(h)
	}
	h := uint32(e)<<10 | mant>>13
	if rem := mant & 0x1fff; rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent, up to Inf: still correct
	}
	return sign | uint16(h)
}

// toBF16 rounds a float32 to bfloat16, ties to even (ggml_compute_fp32_to_bf16, torch's .bfloat16()).
func toBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep it quiet
		return uint16(b>>16) | 0x40
	}
	return uint16((uint64(b) + 0x7fff + uint64((b>>16)&1)) >> 16)
}

// decodeFloat converts n little-endian elements of dtype into dst via set.
func decodeFloat(dtype string, b []byte, n int, set func(i int, v float64, f32 float32, isF32 bool)) error {
	le := binary.LittleEndian
	switch dtype {
	case "F32":
		for i := 0; i < n; i++ {
			set(i, 0, math.Float32frombits(le.Uint32(b[4*i:])), true)
		}
	case "F16":
		for i := 0; i < n; i++ {
			set(i, 0, fp16(le.Uint16(b[2*i:])), true)
		}
	case "BF16":
		for i := 0; i < n; i++ {
			set(i, 0, math.Float32frombits(uint32(le.Uint16(b[2*i:]))<<16), true)
		}
	case "F64":
		for i := 0; i < n; i++ {
			set(i, math.Float64frombits(le.Uint64(b[8*i:])), 0, false)
		}
	default:
		return decodeInt(dtype, b, n, func(i int, v int64) error { set(i, float64(v), 0, false); return nil })
	}
	return nil
}

// decodeInt converts n little-endian integer elements of dtype via set.
func decodeInt(dtype string, b []byte, n int, set func(i int, v int64) error) error {
	le := binary.LittleEndian
	var get func(i int) (int64, bool)
	switch dtype {
	case "BOOL", "U8":
		get = func(i int) (int64, bool) { return int64(b[i]), true }
	case "I8":
		get = func(i int) (int64, bool) { return int64(int8(b[i])), true }
	case "U16":
		get = func(i int) (int64, bool) { return int64(le.Uint16(b[2*i:])), true }
	case "I16":
		get = func(i int) (int64, bool) { return int64(int16(le.Uint16(b[2*i:]))), true }
	case "U32":
		get = func(i int) (int64, bool) { return int64(le.Uint32(b[4*i:])), true }
	case "I32":
		get = func(i int) (int64, bool) { return int64(int32(le.Uint32(b[4*i:]))), true }
	case "I64":
		get = func(i int) (int64, bool) { return int64(le.Uint64(b[8*i:])), true }
	case "U64":
		get = func(i int) (int64, bool) { v := le.Uint64(b[8*i:]); return int64(v), v <= math.MaxInt64 }
	default:
		return fmt.Errorf("dtype %s is not a number type this package converts", dtype)
	}
	for i := 0; i < n; i++ {
		v, ok := get(i)
		if !ok {
			return fmt.Errorf("element %d of a U64 tensor exceeds MaxInt64", i)
		}
		if err := set(i, v); err != nil {
			return err
		}
	}
	return nil
}
