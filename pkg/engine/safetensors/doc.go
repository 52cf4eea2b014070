// Package safetensors reads and writes the safetensors format of Hugging Face: a simple, safe container of
// named tensors (no code, no pickle) used for model checkpoints and, in this project, for saved activations
// and emotion vectors.
//
// # Format
//
//	u64 little-endian N | N bytes of JSON header | data
//	header: {"NAME": {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]}, ...,
//	         "__metadata__": {"key": "value", ...}}            (optional, strings only)
//
// data_offsets are byte offsets into the data section; elements are little-endian and row-major (the last
// dimension is contiguous), shape [] is a scalar. Dtypes: F64 F32 F16 BF16, I64 I32 I16 I8, U64 U32 U16 U8,
// BOOL (and F8 variants, readable raw).
//
// # Reading
//
// Open reads one file's header and checks every entry (known dtype, shape matching the byte range, range
// inside the file); tensors are read on demand with ReadFloat32 (converting F16/BF16/F64 and integers),
// ReadFloat64, ReadInt64, ReadInt32 or ReadRaw. OpenFolder opens a Hugging Face checkpoint folder, either a
// single model.safetensors or shards listed in model.safetensors.index.json, behind the same methods.
//
// # Writing
//
// Write stores []float32, []float64, []int32 and []int64 data as F32, F64, F16, BF16, I32 or I64 (rounding
// floats to nearest even, as torch and numpy do) with a metadata map, atomically (temporary file, fsync,
// rename). The files are read by Python's safetensors package; tests compare the bytes with a file it wrote
// (tools/reference/make_safetensors_fixtures.py).
//
// Errors name the file, the tensor and what is wrong; a missing tensor wraps ErrNotFound.
package safetensors
