package gguf

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"
	"time"
)

// kvRaw appends a metadata entry with a type tag and an already encoded value, so that a test can write
// values no writer would: an array that claims 10^12 elements, a string longer than the file.
func (b *builder) kvRaw(key string, typ ValueType, value []byte) *builder {
	putStr(&b.kv, key)
	binary.Write(&b.kv, binary.LittleEndian, uint32(typ))
	b.kv.Write(value)
	b.nKV++
	return b
}

// le encodes values little-endian, one after the other.
func le(vals ...any) []byte {
	var buf bytes.Buffer
	for _, v := range vals {
		binary.Write(&buf, binary.LittleEndian, v)
	}
	return buf.Bytes()
}

// withCounts rewrites the tensor and metadata counts of a built file.
func withCounts(data []byte, tensors, kvs uint64) []byte {
	out := append([]byte(nil), data...)
	binary.LittleEndian.PutUint64(out[8:], tensors)
	binary.LittleEndian.PutUint64(out[16:], kvs)
	return out
}

// TestHugeClaimsRefusedBeforeAllocating: a header field that claims more than the file holds (an array
// of 10^12 elements, a string of 10^12 bytes, 10^12 tensors) is refused with an error that names it, quickly,
// and without allocating for the claim: a hostile or corrupt file must not take the machine's memory.
func TestHugeClaimsRefusedBeforeAllocating(t *testing.T) {
	const huge = uint64(1e12)
	small := newBuilder().tensor("w", uint32(F32), []uint64{4}, f32bytes(1, 2, 3, 4), -1)
	cases := []struct {
		name string
		data []byte
		want []string
	}{
		{"array of 1e12 bytes", newBuilder().kvRaw("tokenizer.ggml.token_type", TypeArray, le(uint32(TypeUint8), huge)).bytes(),
			[]string{`metadata "tokenizer.ggml.token_type"`, "array of 1000000000000 UINT8", "left"}},
		{"array of 1e12 strings", newBuilder().kvRaw("tokenizer.ggml.tokens", TypeArray, le(uint32(TypeString), huge)).bytes(),
			[]string{`metadata "tokenizer.ggml.tokens"`, "array of 1000000000000 STRING"}},
		{"array of 1e12 arrays", newBuilder().kvRaw("a", TypeArray, le(uint32(TypeArray), huge)).bytes(),
			[]string{`metadata "a"`, "array of 1000000000000 ARRAY"}},
		{"nested array of 1e12", newBuilder().kvRaw("a", TypeArray, le(uint32(TypeArray), uint64(1), uint32(TypeFloat64), huge)).bytes(),
			[]string{`metadata "a"`, "array of 1000000000000 FLOAT64"}},
		{"string of 1e12 bytes", newBuilder().kvRaw("general.name", TypeString, le(huge)).bytes(),
			[]string{`metadata "general.name"`, "need 1000000000000 bytes", "at offset"}},
		{"key of 1e12 bytes", append([]byte("GGUF"), le(uint32(3), uint64(0), uint64(1), huge, make([]byte, 16))...),
			[]string{"metadata key #0", "need 1000000000000 bytes"}},
		{"tensor name of 1e12 bytes", append([]byte("GGUF"), le(uint32(3), uint64(1), uint64(0), huge, make([]byte, 24))...),
			[]string{"name of tensor #0", "need 1000000000000 bytes"}},
		{"1e12 tensors", withCounts(small.bytes(), huge, 0), []string{"1000000000000 tensors", "more than the"}},
		{"1e12 metadata entries", withCounts(small.bytes(), 1, huge), []string{"1000000000000 metadata entries"}},
		{"tensor of 1e12 elements", newBuilder().tensor("big", uint32(F32), []uint64{1e6, 1e6}, f32bytes(1), -1).bytes(),
			[]string{`tensor "big"`, "the file has"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, c.data)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			f, err := Open(path)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil {
				f.Close()
				t.Fatal("Open accepted the file")
			}
			for _, w := range append(c.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("refusing a %d-byte file allocated %d MB", len(c.data), alloc>>20)
			}
			if elapsed > 2*time.Second {
				t.Errorf("refusing the file took %v", elapsed)
			}
		})
	}
}
