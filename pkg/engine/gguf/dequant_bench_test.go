package gguf

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkDequantize measures the kernels on 1M random weights (finite fp16 scales).
func BenchmarkDequantize(b *testing.B) {
	for _, typ := range []Type{Q8_0, Q4_1, Q4_0, Q6_K, Q4_K, F16} {
		b.Run(typ.String(), func(b *testing.B) {
			n := 1 << 20
			src := make([]byte, n/typ.BlockSize()*typ.TypeSize())
			r := rand.New(rand.NewPCG(1, 2))
			for i := range src {
				src[i] = byte(r.IntN(256)) & 0x3f // keeps fp16 fields finite
			}
			dst := make([]float32, n)
			b.SetBytes(int64(n * 4))
			for b.Loop() {
				if err := Dequantize(typ, src, dst); err != nil {
					b.Fatal(fmt.Sprint(err))
				}
			}
		})
	}
}
