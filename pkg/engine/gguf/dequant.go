package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Dequantization follows the block layouts of ggml (ggml-common.h, dequantize_row_* in ggml-quants.c) and is
// checked bit for bit against gguf-py's gguf.quants.dequantize. Where the reference computes in float32 as
// (d*q) + m, the code writes float32(d*q) + m: the explicit conversion stops the compiler from fusing a
// multiply-add, which would round differently from the reference.

// kernel dequantizes whole blocks: len(src) == n*TypeSize, len(dst) == n*BlockSize.
type kernel func(src []byte, dst []float32)

var kernels = map[Type]kernel{
	F32: deqF32, F16: deqF16, BF16: deqBF16, F64: deqF64,
	I8: deqI8, I16: deqI16, I32: deqI32, I64: deqI64,
	Q4_0: deqQ4_0, Q4_1: deqQ4_1, Q5_0: deqQ5_0, Q5_1: deqQ5_1, Q8_0: deqQ8_0,
	Q2_K: deqQ2K, Q3_K: deqQ3K, Q4_K: deqQ4K, Q5_K: deqQ5K, Q6_K: deqQ6K,
}

// parallelMin is the number of elements below which Dequantize stays on one goroutine.
const parallelMin = 1 << 16

// Dequantize decodes src, the stored bytes of a tensor of type t, into dst (len(dst) elements, row-major).
// len(src) must be exactly len(dst)/t.BlockSize()*t.TypeSize(). Large inputs are split across GOMAXPROCS
// goroutines. It returns an error wrapping ErrUnsupported for types without a kernel (see CanDequantize).
func Dequantize(t Type, src []byte, dst []float32) error {
	k, ok := kernels[t]
	if !ok {
		return fmt.Errorf("%s: %w (supported: F32 F16 BF16 F64 I8-I64 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K-Q6_K)", t, ErrUnsupported)
	}
	bs, ts := t.BlockSize(), t.TypeSize()
	if len(dst)%bs != 0 {
		return fmt.Errorf("%s: %d elements is not a whole number of %d-element blocks", t, len(dst), bs)
	}
	nb := len(dst) / bs
	if len(src) != nb*ts {
		return fmt.Errorf("%s: %d elements need %d bytes, got %d", t, len(dst), nb*ts, len(src))
	}
	workers := runtime.GOMAXPROCS(0)
	if len(dst) < parallelMin || workers == 1 {
		k(src, dst)
		return nil
	}
	// Chunks of whole blocks, several per worker so uneven cores still finish together.
	chunks := min(4*workers, len(dst)/(parallelMin/4))
	per := (nb + chunks - 1) / chunks
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for b0 := 0; b0 < nb; b0 += per {
		b1 := min(b0+per, nb)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			k(src[b0*ts:b1*ts], dst[b0*bs:b1*bs])
			<-sem
		}()
	}
	wg.Wait()
	return nil
}

// fp16 converts an IEEE 754 half-precision value to float32 exactly, by table.
func fp16(h uint16) float32 { return fp16Table()[h] }

// fp16Table holds all 65536 conversions (256 KB), built on first use: a lookup beats the branches of the
// bit-level conversion, whose subnormal case mispredicts on real weights.
var fp16Table = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for h := range t {
		t[h] = fp16Bits(uint16(h))
	}
	return &t
})

// fp16Bits is the bit-level conversion.
func fp16Bits(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal: rebias 15 -> 127
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}
	v := float32(mant) * (1.0 / (1 << 24)) // subnormal: mant * 2^-24, exact in float32
	if sign != 0 {
		return -v
	}
	return v
}

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

func deqF32(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = math.Float32frombits(le32(src[4*i:]))
	}
}

func deqF16(src []byte, dst []float32) {
	t := fp16Table()
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = t[le16(src[2*i:])]
	}
}

// deqBF16: bfloat16 is the top half of a float32.
func deqBF16(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = math.Float32frombits(uint32(le16(src[2*i:])) << 16)
	}
}

func deqF64(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
	}
}

func deqI8(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = float32(int8(src[i]))
	}
}

func deqI16(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = float32(int16(le16(src[2*i:])))
	}
}

func deqI32(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = float32(int32(le32(src[4*i:])))
	}
}

func deqI64(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = float32(int64(binary.LittleEndian.Uint64(src[8*i:])))
	}
}

// deqQ4_0: block {fp16 d; u8 qs[16]}; x[j] = (qs[j]&15 - 8)*d, x[j+16] = (qs[j]>>4 - 8)*d.
func deqQ4_0(src []byte, dst []float32) {
	for b := 0; len(dst) > 0; b++ {
		blk, o := (*[18]byte)(src[b*18:]), (*[32]float32)(dst)
		d := fp16(le16(blk[:]))
		for j, q := range blk[2:18] {
			o[j] = float32(int(q&15)-8) * d
			o[j+16] = float32(int(q>>4)-8) * d
		}
		dst = dst[32:]
	}
}

// deqQ4_1: block {fp16 d, m; u8 qs[16]}; x[j] = (qs[j]&15)*d + m, x[j+16] = (qs[j]>>4)*d + m.
func deqQ4_1(src []byte, dst []float32) {
	for b := 0; len(dst) > 0; b++ {
		blk, o := (*[20]byte)(src[b*20:]), (*[32]float32)(dst)
		d, m := fp16(le16(blk[0:])), fp16(le16(blk[2:]))
		for j, q := range blk[4:20] {
			o[j] = float32(float32(q&15)*d) + m
			o[j+16] = float32(float32(q>>4)*d) + m
		}
		dst = dst[32:]
	}
}

// deqQ5_0: block {fp16 d; u32 qh; u8 qs[16]}; bit j of qh is the fifth bit of element j; x = (q - 16)*d.
func deqQ5_0(src []byte, dst []float32) {
	for b := 0; len(dst) > 0; b++ {
		blk, o := (*[22]byte)(src[b*22:]), (*[32]float32)(dst)
		d := fp16(le16(blk[0:]))
		qh := le32(blk[2:])
		for j, q := range blk[6:22] {
			h0 := byte(qh>>uint(j)) & 1
			h1 := byte(qh>>uint(j+16)) & 1
			o[j] = float32(int(q&15|h0<<4)-16) * d
			o[j+16] = float32(int(q>>4|h1<<4)-16) * d
		}
		dst = dst[32:]
	}
}

// deqQ5_1: block {fp16 d, m; u32 qh; u8 qs[16]}; x = q*d + m with 5-bit q as in Q5_0.
func deqQ5_1(src []byte, dst []float32) {
	for b := 0; len(dst) > 0; b++ {
		blk, o := (*[24]byte)(src[b*24:]), (*[32]float32)(dst)
		d, m := fp16(le16(blk[0:])), fp16(le16(blk[2:]))
		qh := le32(blk[4:])
		for j, q := range blk[8:24] {
			h0 := byte(qh>>uint(j)) & 1
			h1 := byte(qh>>uint(j+16)) & 1
			o[j] = float32(float32(q&15|h0<<4)*d) + m
			o[j+16] = float32(float32(q>>4|h1<<4)*d) + m
		}
		dst = dst[32:]
	}
}

// i8f maps a byte to its int8 value as float32: a load is cheaper than the int-to-float conversion.
var i8f = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(int8(i))
	}
	return
}()

// deqQ8_0: block {fp16 d; i8 qs[32]}; x = q*d.
func deqQ8_0(src []byte, dst []float32) {
	for b := 0; len(dst) > 0; b++ {
		blk, o := (*[34]byte)(src[b*34:]), (*[32]float32)(dst)
		d := fp16(le16(blk[0:]))
		for j, q := range blk[2:34] {
			o[j] = i8f[q] * d
		}
		dst = dst[32:]
	}
}

// deqQ2K: super-block of 256 {u8 scales[16]; u8 qs[64]; fp16 d, dmin}. Sixteen groups of 16 weights, each
// with a 4-bit scale and 4-bit min; weight i (half h, shift s, lane l: i = 128h + 32s + l) is
// (qs[32h+l] >> 2s) & 3; x = d*sc*q - dmin*m.
func deqQ2K(src []byte, dst []float32) {
	const ts = 84
	for b := 0; len(dst) > 0; b++ {
		blk, o := src[b*ts:b*ts+ts], dst[:qk]
		scales, qs := blk[0:16], blk[16:80]
		d, dmin := fp16(le16(blk[80:])), fp16(le16(blk[82:]))
		for h := 0; h < 2; h++ {
			for s := 0; s < 4; s++ {
				for half := 0; half < 2; half++ {
					i0 := 128*h + 32*s + 16*half
					sc := scales[i0/16]
					dl, ml := d*float32(sc&15), dmin*float32(sc>>4)
					for l := 16 * half; l < 16*half+16; l++ {
						q := (qs[32*h+l] >> (2 * s)) & 3
						o[128*h+32*s+l] = float32(dl*float32(q)) - ml
					}
				}
			}
		}
		dst = dst[qk:]
	}
}

// deqQ3K: super-block {u8 hmask[32]; u8 qs[64]; u8 scales[12]; fp16 d}. Sixteen 6-bit signed scales
// (offset 32) packed as in gguf-py's diagram; the 2 low bits of weight i = 128h + 32s + l come from
// (qs[32h+l] >> 2s) & 3, and 4 is subtracted unless bit (i/32) of hmask[i%32] is set.
func deqQ3K(src []byte, dst []float32) {
	const ts = 110
	var sc [16]float32
	for b := 0; len(dst) > 0; b++ {
		blk, o := src[b*ts:b*ts+ts], dst[:qk]
		hmask, qs, scales := blk[0:32], blk[32:96], blk[96:108]
		d := fp16(le16(blk[108:]))
		for i := 0; i < 16; i++ {
			lo := scales[i%8] >> (4 * (i / 8)) & 15
			hi := scales[8+i%4] >> (2 * (i / 4)) & 3
			sc[i] = d * float32(int(lo|hi<<4)-32)
		}
		for i := 0; i < qk; i++ {
			h, s, l := i/128, (i/32)%4, i%32
			q := int((qs[32*h+l] >> (2 * s)) & 3)
			if (hmask[l]>>(i/32))&1 == 0 {
				q -= 4
			}
			o[i] = sc[i/16] * float32(q)
		}
		dst = dst[qk:]
	}
}

// scaleMinK4 unpacks the eight 6-bit scales and mins of a Q4_K/Q5_K super-block (get_scale_min_k4).
func scaleMinK4(s []byte) (sc, mn [8]uint8) {
	for j := 0; j < 4; j++ {
		sc[j] = s[j] & 63
		mn[j] = s[j+4] & 63
		sc[j+4] = s[j+8]&15 | (s[j]>>6)<<4
		mn[j+4] = s[j+8]>>4 | (s[j+4]>>6)<<4
	}
	return
}

// deqQ4K: super-block {fp16 d, dmin; u8 scales[12]; u8 qs[128]}: eight groups of 32 weights; group 2c takes
// the low nibbles of qs[32c:32c+32], group 2c+1 the high ones; x = d*sc*q - dmin*m.
func deqQ4K(src []byte, dst []float32) {
	const ts = 144
	for b := 0; len(dst) > 0; b++ {
		blk, o := src[b*ts:b*ts+ts], dst[:qk]
		d, dmin := fp16(le16(blk)), fp16(le16(blk[2:]))
		sc, mn := scaleMinK4(blk[4:16])
		qs := blk[16:144]
		for c := 0; c < 4; c++ {
			d1, m1 := d*float32(sc[2*c]), dmin*float32(mn[2*c])
			d2, m2 := d*float32(sc[2*c+1]), dmin*float32(mn[2*c+1])
			q := qs[32*c : 32*c+32]
			oo := o[64*c : 64*c+64]
			for l, v := range q {
				oo[l] = float32(d1*float32(v&15)) - m1
				oo[l+32] = float32(d2*float32(v>>4)) - m2
			}
		}
		dst = dst[qk:]
	}
}

// deqQ5K: super-block {fp16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}: as Q4_K, plus a fifth bit for
// group g from bit g of qh[l].
func deqQ5K(src []byte, dst []float32) {
	const ts = 176
	for b := 0; len(dst) > 0; b++ {
		blk, o := src[b*ts:b*ts+ts], dst[:qk]
		d, dmin := fp16(le16(blk)), fp16(le16(blk[2:]))
		sc, mn := scaleMinK4(blk[4:16])
		qh, qs := blk[16:48], blk[48:176]
		for c := 0; c < 4; c++ {
			d1, m1 := d*float32(sc[2*c]), dmin*float32(mn[2*c])
			d2, m2 := d*float32(sc[2*c+1]), dmin*float32(mn[2*c+1])
			q := qs[32*c : 32*c+32]
			oo := o[64*c : 64*c+64]
			for l, v := range q {
				h1 := (qh[l] >> (2 * c)) & 1
				h2 := (qh[l] >> (2*c + 1)) & 1
				oo[l] = float32(d1*float32(v&15|h1<<4)) - m1
				oo[l+32] = float32(d2*float32(v>>4|h2<<4)) - m2
			}
		}
		dst = dst[qk:]
	}
}

// deqQ6K: super-block {u8 ql[128]; u8 qh[64]; i8 scales[16]; fp16 d}: weight i = 128h + 32s + l has low
// bits from ql[64h + 32(s%2) + l] (low nibble for s < 2, high nibble otherwise) and high bits
// (qh[32h+l] >> 2s) & 3; x = d*scale[i/16]*(q - 32).
func deqQ6K(src []byte, dst []float32) {
	const ts = 210
	var sc [16]float32
	for b := 0; len(dst) > 0; b++ {
		blk, o := src[b*ts:b*ts+ts], dst[:qk]
		ql, qh, scales := blk[0:128], blk[128:192], blk[192:208]
		d := fp16(le16(blk[208:]))
		for i := range sc {
			sc[i] = d * float32(int8(scales[i]))
		}
		for h := 0; h < 2; h++ {
			qlh, qhh, oh := ql[64*h:64*h+64], qh[32*h:32*h+32], o[128*h:128*h+128]
			for l := 0; l < 32; l++ {
				hb := qhh[l]
				q1 := int(qlh[l]&15|(hb&3)<<4) - 32
				q2 := int(qlh[l+32]&15|((hb>>2)&3)<<4) - 32
				q3 := int(qlh[l]>>4|((hb>>4)&3)<<4) - 32
				q4 := int(qlh[l+32]>>4|((hb>>6)&3)<<4) - 32
				g := 8*h + l/16
				oh[l] = sc[g] * float32(q1)
				oh[l+32] = sc[g+2] * float32(q2)
				oh[l+64] = sc[g+4] * float32(q3)
				oh[l+96] = sc[g+6] * float32(q4)
			}
		}
		dst = dst[qk:]
	}
}
