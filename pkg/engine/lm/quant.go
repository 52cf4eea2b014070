package lm

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads like maths
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"
)

// This file is in-graph quantization: weights that stay quantized in memory, on the host and on
// the device, and are expanded to float32 inside the graph where they are used (linear and
// embed), so that a model needs about its bits per weight of memory, not 32.
//
// # The format
//
// A quantized weight is llama.cpp's block format, kept verbatim: a Uint8 tensor
// [rows, cols/32, bytesPerBlock], each block 32 consecutive weights of one row (along the input
// axis of a [out, in] matrix) with its own scale. Three block types are used; the last axis says
// which (34, 20 or 18 bytes), so one graph input is one weight and the graphs need no side table:
//
//	Q8_0  34 bytes = 8.5 bits/weight: fp16 d, 32 int8 q;        x = q*d
//	Q4_1  20 bytes = 5.0 bits/weight: fp16 d, fp16 m, 16 bytes;  x = q*d + m, q in 0..15
//	Q4_0  18 bytes = 4.5 bits/weight: fp16 d, 16 bytes;          x = (q-8)*d
//
// In the 4-bit types byte j of a block holds weight j in its low nibble and weight j+16 in its
// high nibble. These are the layouts of GGUF files (llama.cpp ggml-common.h), so a GGUF tensor
// stored as Q8_0, Q4_1 or Q4_0 is copied into memory as it is, with no float32 round trip; and
// everything is made of ops that GoMLX v0.28 runs on the pure-Go backend and on XLA alike
// (Slice, Bitcast to Float16 and Int8, BitwiseAnd, BitwiseShiftRightLogical, ConvertDType).
//
// # What is quantized
//
// Every matrix whose rows split into blocks of 32: the attention and MLP projections, the token
// embedding and the unembedding. Norm weights and biases stay float32. Under 4bit the embedding
// and unembedding get 8 bits, as in llama.cpp's 4-bit files (Q4_x_M keeps token_embd and output
// at 6 or 8 bits) and in bitsandbytes' 4-bit loading (which leaves them unquantized): SmolLM2's
// embedding re-quantized from Q8_0 to Q4_1 moved its logits by 18% of their largest value.
//
// # The default
//
// model.quantize defaults to none, also for a quantized GGUF such as the default model's. Quantized,
// the default model holds 92 MB of weights instead of 513 and reads texts about as fast
// (BENCHMARKS.md, section "In-graph quantization"), but every call expands all the weights it
// uses, and generation makes one call per token: on the pure-Go backend that made greedy decoding
// about 4 times slower (measured at batch 1). So float32 is the default where memory is no
// object (a 135M model on a CPU); ask for 8bit or 4bit for a model that does not fit in float32,
// or on a GPU, where memory is the limit (not measured here: no GPU run yet).

// Quantize is the model.quantize setting: how Load stores the weight matrices.
type Quantize string

const (
	// QuantizeNone stores every weight as float32 (a quantized GGUF is dequantized at load): the
	// default, and the fastest on CPUs, where the in-graph expansion costs more than memory does.
	QuantizeNone Quantize = "none"
	// Quantize8Bit stores matrices with at most 8 bits per weight: GGUF tensors already in Q8_0,
	// Q4_1 or Q4_0 stay as they are (so the default model's own Q4_1 and Q8_0 blocks are used
	// unchanged); any other matrix is quantized to Q8_0 (8.5 bits per weight).
	Quantize8Bit Quantize = "8bit"
	// Quantize4Bit stores the linear layers in 4-bit blocks: GGUF Q4_1 and Q4_0 tensors stay as
	// they are; any other is quantized to Q4_1 (5 bits per weight: a scale and a minimum per
	// block). The embedding and unembedding are stored as under Quantize8Bit.
	Quantize4Bit Quantize = "4bit"
)

// ParseQuantize reads a model.quantize value: "none" (or "" or "null"), "8bit" or "4bit".
func ParseQuantize(s string) (Quantize, error) {
	switch s {
	case "", "null", "none":
		return QuantizeNone, nil
	case "8bit", "4bit":
		return Quantize(s), nil
	}
	return "", fmt.Errorf("lm: quantize %q is not one of: none, 8bit, 4bit", s)
}

// blockFormat is one llama.cpp block type of 32 weights.
type blockFormat struct {
	Name  string
	Type  gguf.Type
	Bytes int // per block
}

const blockSize = 32 // weights per block, for every type used here

var (
	blockQ8_0    = blockFormat{"Q8_0", gguf.Q8_0, 34}
	blockQ4_1    = blockFormat{"Q4_1", gguf.Q4_1, 20}
	blockQ4_0    = blockFormat{"Q4_0", gguf.Q4_0, 18}
	blockFormats = []blockFormat{blockQ8_0, blockQ4_1, blockQ4_0}
)

// formatOf finds a block format by a predicate.
func formatOf(match func(blockFormat) bool) (blockFormat, bool) {
	i := slices.IndexFunc(blockFormats, match)
	if i < 0 {
		return blockFormat{}, false
	}
	return blockFormats[i], true
}

// keeps says whether mode q stores a tensor held in GGUF type t as it is.
func (q Quantize) keeps(t gguf.Type) bool {
	switch q {
	case Quantize8Bit:
		return t == gguf.Q8_0 || t == gguf.Q4_1 || t == gguf.Q4_0
	case Quantize4Bit:
		return t == gguf.Q4_1 || t == gguf.Q4_0
	}
	return false
}

// target is the block type mode q quantizes other matrices to.
func (q Quantize) target() blockFormat {
	if q == Quantize4Bit {
		return blockQ4_1
	}
	return blockQ8_0
}

// quantizable says whether a tensor of this shape is stored in blocks: a matrix whose rows split
// into whole blocks.
func quantizable(shape []int) bool { return len(shape) == 2 && shape[1]%blockSize == 0 }

// blockSource is a weightSource that can hand over a tensor's stored blocks without dequantizing
// them (GGUF files).
type blockSource interface {
	// StoredType is the tensor's type in the file.
	StoredType(hfName string) (gguf.Type, bool)
	// ReadBlocks returns the stored bytes, rows in Hugging Face order, and the logical shape.
	ReadBlocks(hfName string) ([]byte, []int, error)
}

// readWeight reads checkpoint key name as Load stores it under mode q: a float32 tensor, or a
// Uint8 block tensor [rows, cols/32, bytesPerBlock]. shape is the logical (float) shape.
func readWeight(src weightSource, name string, q Quantize) (t *tensors.Tensor, shape []int, err error) {
	if q == Quantize4Bit && isEmbedding(name) {
		q = Quantize8Bit
	}
	if q != QuantizeNone {
		if bs, ok := src.(blockSource); ok {
			if typ, ok := bs.StoredType(name); ok && q.keeps(typ) {
				raw, shape, err := bs.ReadBlocks(name)
				if err != nil {
					return nil, nil, err
				}
				if quantizable(shape) {
					f, _ := formatOf(func(f blockFormat) bool { return f.Type == typ })
					return blockTensor(raw, shape, f), shape, nil
				}
			}
		}
	}
	data, shape, err := src.Read(name)
	if err != nil {
		return nil, nil, err
	}
	if q != QuantizeNone && quantizable(shape) {
		f := q.target()
		return blockTensor(quantizeBlocks(data, f), shape, f), shape, nil
	}
	return tensors.FromFlatDataAndDimensions(data, shape...), shape, nil
}

// isEmbedding says whether checkpoint key name is a token embedding or the unembedding
// (model.embed_tokens.weight, lm_head.weight, and families' variants such as Gemma 3n's
// embed_tokens_per_layer).
func isEmbedding(name string) bool {
	return strings.Contains(name, "embed_tokens") || strings.HasPrefix(name, "lm_head.")
}

// blockTensor wraps raw blocks of a [rows, cols] matrix as [rows, cols/32, f.Bytes] Uint8.
func blockTensor(raw []byte, shape []int, f blockFormat) *tensors.Tensor {
	rows, nb := shape[0], shape[1]/blockSize
	if len(raw) != rows*nb*f.Bytes {
		panic(fmt.Sprintf("lm: %d bytes of %s blocks for a %v matrix, want %d", len(raw), f.Name, shape, rows*nb*f.Bytes))
	}
	return tensors.FromFlatDataAndDimensions(raw, rows, nb, f.Bytes)
}

// isBlocks says whether a weight tensor is stored in blocks.
func isBlocks(t *tensors.Tensor) bool { return t.DType() == dtypes.Uint8 }

// stackBlocks concatenates block tensors along their rows (stackRows for quantized weights). Parts
// of one type are joined as they are; parts of different types (a GGUF that mixes them) are
// expanded and re-quantized to Q8_0, the finer of the types used here.
func stackBlocks(parts ...*tensors.Tensor) *tensors.Tensor {
	bytesPerBlock := parts[0].Shape().Dimensions[2]
	same := true
	for _, p := range parts {
		same = same && isBlocks(p) && p.Shape().Dimensions[2] == bytesPerBlock
	}
	var rows int
	var raw []byte
	cols := parts[0].Shape().Dimensions[1] * blockSize
	f, _ := formatOf(func(f blockFormat) bool { return f.Bytes == bytesPerBlock })
	if !same {
		f = blockQ8_0
	}
	for _, p := range parts {
		rows += p.Shape().Dimensions[0]
		if same {
			raw = append(raw, tensors.MustCopyFlatData[uint8](p)...)
		} else {
			raw = append(raw, quantizeBlocks(expandTensor(p), f)...)
		}
	}
	return blockTensor(raw, []int{rows, cols}, f)
}

// expandTensor returns a weight's float32 values, expanding blocks on the host (pkg/engine/gguf's
// bit-exact dequantizers).
func expandTensor(t *tensors.Tensor) []float32 {
	if !isBlocks(t) {
		return tensors.MustCopyFlatData[float32](t)
	}
	dims := t.Shape().Dimensions
	f, _ := formatOf(func(f blockFormat) bool { return f.Bytes == dims[2] })
	out := make([]float32, dims[0]*dims[1]*blockSize)
	if err := gguf.Dequantize(f.Type, tensors.MustCopyFlatData[uint8](t), out); err != nil {
		panic(err) // the three types here are all dequantizable
	}
	return out
}

// quantizeBlocks quantizes float32 values (a multiple of 32) to blocks of type f, as llama.cpp's
// reference quantizers do (ggml-quants.c quantize_row_q8_0_ref, quantize_row_q4_1_ref): per
// block, Q8_0 scales by max|x|/127 and rounds half away from zero; Q4_1 maps [min, max] onto
// 0..15 with d = (max-min)/15 and rounds half up. Scales are stored as fp16.
func quantizeBlocks(x []float32, f blockFormat) []byte {
	out := make([]byte, len(x)/blockSize*f.Bytes)
	for b := range len(x) / blockSize {
		blk, o := x[b*blockSize:(b+1)*blockSize], out[b*f.Bytes:(b+1)*f.Bytes]
		switch f {
		case blockQ8_0:
			var amax float32
			for _, v := range blk {
				amax = max(amax, float32(math.Abs(float64(v))))
			}
			d := amax / 127
			var id float32
			if d != 0 {
				id = 1 / d
			}
			putFP16(o[0:], d)
			for j, v := range blk {
				o[2+j] = byte(int8(math.Round(float64(v * id)))) // math.Round: half away from zero, as roundf
			}
		case blockQ4_1:
			lo, hi := slices.Min(blk), slices.Max(blk)
			d := (hi - lo) / 15
			var id float32
			if d != 0 {
				id = 1 / d
			}
			putFP16(o[0:], d)
			putFP16(o[2:], lo)
			for j := range blockSize / 2 {
				q0 := min(15, int8((blk[j]-lo)*id+0.5))
				q1 := min(15, int8((blk[j+16]-lo)*id+0.5))
				o[4+j] = byte(q0) | byte(q1)<<4
			}
		default:
			panic("lm: no quantizer for " + f.Name)
		}
	}
	return out
}

// putFP16 stores v as a little-endian IEEE half, rounded to nearest even as numpy's
// astype(float16) and ggml's GGML_FP32_TO_FP16 do, subnormal halves included (the scale of a
// block of tiny weights is one: compute's float16.FromFloat32 flushes those to zero).
func putFP16(b []byte, v float32) {
	bits := math.Float32bits(v)
	sign := uint16(bits>>16) & 0x8000
	a := math.Abs(float64(v))
	var h uint16
	switch {
	case v != v:
		h = 0x7e00
	case a < 0x1p-14: // subnormal half: a whole number of 2^-24 (a*2^24 is exact in float64)
		h = uint16(math.RoundToEven(a * 0x1p24)) // 1024 is the smallest normal: still right
	default:
		e, mant := int(bits>>23&0xff)-127+15, bits&0x7fffff
		if e >= 0x1f {
			h = 0x7c00
			break
		}
		r := uint32(e)<<10 | mant>>13
		if rem := mant & 0x1fff; rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
			r++ // may carry into the exponent, up to Inf: still right
		}
		h = uint16(min(r, 0x7c00))
	}
	h |= sign
	b[0], b[1] = byte(h), byte(h>>8)
}

// dequantize expands a block tensor [..., cols/32, bytesPerBlock] Uint8 into float32
// [..., cols] inside the graph; a float32 weight is returned as it is. It is called where a
// weight is used (linear, embed), so that only one layer's weights are expanded at a time.
func dequantize(w *Node) *Node {
	if w.DType() != dtypes.Uint8 {
		return w
	}
	dims := w.Shape().Dimensions
	r := len(dims)
	f, ok := formatOf(func(f blockFormat) bool { return f.Bytes == dims[r-1] })
	if !ok || r < 2 {
		exceptions.Panicf("lm: a quantized weight must be [..., blocks, 34|20|18] Uint8, got %s", w.Shape())
	}
	bytes := func(from, to int) *Node { // [..., nb, to-from] of each block
		axes := make([]SliceAxisSpec, r)
		for i := range r - 1 {
			axes[i] = AxisRange()
		}
		axes[r-1] = AxisRange(from, to)
		return Slice(w, axes...)
	}
	half := func(at int) *Node { // the fp16 at byte at of each block, as [..., nb, 1] float32
		return ExpandAxes(ConvertDType(Bitcast(bytes(at, at+2), dtypes.Float16), dtypes.Float32), -1)
	}
	nibbles := func(from int) *Node { // [..., nb, 32] float32 in 0..15: low nibbles, then high
		q := bytes(from, from+blockSize/2)
		lo := BitwiseAnd(q, Scalar(w.Graph(), dtypes.Uint8, 0x0F))
		hi := BitwiseShiftRightLogicalScalar(q, uint8(4))
		return ConvertDType(Concatenate([]*Node{lo, hi}, -1), dtypes.Float32)
	}
	var x *Node // [..., nb, 32]
	switch f {
	case blockQ8_0:
		x = Mul(ConvertDType(Bitcast(bytes(2, 34), dtypes.Int8), dtypes.Float32), half(0))
	case blockQ4_1:
		x = Add(Mul(nibbles(4), half(0)), half(2))
	case blockQ4_0:
		x = Mul(AddScalar(nibbles(2), -8), half(0))
	}
	return Reshape(x, append(slices.Clone(dims[:r-2]), dims[r-2]*blockSize)...)
}

// StoredType reports a tensor's type in the GGUF file.
func (s ggufSource) StoredType(hf string) (gguf.Type, bool) {
	name, ok := s.names.name(hf)
	if !ok {
		return 0, false
	}
	t, ok := s.f.Tensor(name)
	return t.Type, ok
}

// ReadBlocks returns a tensor's stored bytes, with the rows of Q and K put back in Hugging Face
// order as Read does (a row is a whole number of blocks, so rows move as they are).
func (s ggufSource) ReadBlocks(hf string) ([]byte, []int, error) {
	name, ok := s.names.name(hf)
	if !ok {
		return nil, nil, fmt.Errorf("lm: %s: no GGUF name for %s", s.f.Path(), hf)
	}
	raw, info, err := s.f.ReadRaw(name)
	if err != nil {
		return nil, nil, fmt.Errorf("lm: %s: tensor %s (%s): %w", s.f.Path(), name, hf, err)
	}
	if heads := s.permutedHeads(hf); heads > 0 {
		raw = unpermuteRows(raw, info.Shape, heads)
	}
	return raw, info.Shape, nil
}

// WeightBytes is the memory the model's weights take on its backend, and how many weights
// (parameters) they hold: bytes*8/params is the bits per weight.
func (m *Model) WeightBytes() (bytes, params int64) {
	for _, w := range m.weights {
		bytes += int64(w.Memory())
		dims := w.Shape().Dimensions
		n := int64(w.Shape().Size())
		if isBlocks(w) {
			n = n / int64(dims[len(dims)-1]) * blockSize
		}
		params += n
	}
	return bytes, params
}

// Quantization names how the model's weights are stored, each type with its share of the
// weights: "float32 100%", or "Q4_1 79%, Q8_0 21%, float32 <1%" (the norms).
func (m *Model) Quantization() string {
	count := map[string]int64{}
	var total int64
	for _, w := range m.weights {
		dims := w.Shape().Dimensions
		name, n := "float32", int64(w.Shape().Size())
		if isBlocks(w) {
			f, _ := formatOf(func(f blockFormat) bool { return f.Bytes == dims[len(dims)-1] })
			name, n = f.Name, n/int64(f.Bytes)*blockSize
		}
		count[name] += n
		total += n
	}
	names := make([]string, 0, len(count))
	for k := range count {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int { return int(count[b] - count[a]) })
	s := ""
	for i, k := range names {
		if i > 0 {
			s += ", "
		}
		if share := 100 * float64(count[k]) / float64(total); share >= 0.5 {
			s += fmt.Sprintf("%s %.0f%%", k, share)
		} else {
			s += k + " <1%" // norms and biases
		}
	}
	return s
}
