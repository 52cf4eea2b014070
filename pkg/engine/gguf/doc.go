// Package gguf reads and writes GGUF files, the single-file model format of llama.cpp/ggml: the model's
// hyper-parameters and tokenizer as typed key-value metadata, followed by the weights, often quantized.
//
// It is the first stage of loading a model: Open parses the header, the metadata and the tensor directory
// and memory-maps the file; the model package then reads hyper-parameters with the metadata accessors and
// weights with ReadFloat32 (or ReadRaw, to dequantize elsewhere).
//
// # File layout (GGUF v2/v3, little-endian; spec: ggml's docs/gguf.md)
//
//	"GGUF" | version u32 | tensor count u64 | metadata count u64
//	metadata:     key string | value type u32 | value        (string = u64 length + UTF-8 bytes;
//	                                                         array = element type u32 + u64 count + elements)
//	tensor infos: name string | rank u32 | dims u64[rank] (innermost first) | ggml type u32 | offset u64
//	padding to general.alignment (default 32)
//	tensor data:  each tensor at data start + offset, offsets multiples of the alignment
//
// # Shapes
//
// GGUF lists dimensions innermost first. TensorInfo.Shape reverses them into the row-major order of Hugging
// Face and PyTorch: the token embedding stored as [576, 49152] is Shape [49152, 576] (vocab, dModel), and
// ReadFloat32 returns element (r, c) at r*576+c. Quantization blocks run along the last (contiguous)
// dimension.
//
// # Quantization
//
// A quantized tensor is a sequence of blocks, each encoding 32 (Q4_0 ... Q8_0) or 256 (K-quants) weights with
// one or more fp16 scales. For example Q4_1 stores, per 32 weights, a scale d, a minimum m and 16 bytes of
// 4-bit codes: x[j] = (q[j] & 15)*d + m and x[j+16] = (q[j] >> 4)*d + m. ReadFloat32 dequantizes F32, F16,
// BF16, F64, I8-I64, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and Q2_K-Q6_K; its results equal gguf-py's
// gguf.quants.dequantize bit for bit (tests against fixtures from tools/reference/make_gguf_fixtures.py).
// Other types (IQ*, TQ*) open fine and can be read with ReadRaw.
//
// # Writing
//
// Writer builds small GGUF v3 files (control vectors, fixtures) in memory: metadata with Add (or AddString,
// AddUint32 ...), tensors with AddTensor (any known type, from its encoded bytes) or AddF32, then WriteTo.
// The layout is gguf-py's GGUFWriter's: keys and tensors in the order added, the data section at the next
// multiple of the alignment after the tensor infos, each tensor padded with zeros to the next multiple
// (general.alignment when added, as a UINT32 power of two; 32 otherwise, and then the key is not written, as
// gguf-py does not). Tests rewrite gguf-py's own files and compare bytes.
//
// A control vector for llama.cpp's --control-vector is such a file: general.architecture "controlvector",
// controlvector.model_hint, controlvector.layer_count and one F32 [n_embd] tensor "direction.N" per layer
// (see package pkg/use/export for what N means).
//
// # Errors
//
// Open validates everything later reads rely on: magic, version, value types, ggml type ids, alignment and
// that every tensor's bytes lie inside the file. Errors name the file and the field or tensor and say what is
// wrong, for example:
//
//	gguf: model.gguf: tensor "blk.3.ffn_up.weight" (Q4_1, shape [1536 576]): data spans bytes [A, B)
//	but the file has N bytes: truncated or corrupt file
//
// Missing tensors wrap ErrNotFound; types without a dequantizer wrap ErrUnsupported.
package gguf
