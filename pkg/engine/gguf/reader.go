package gguf

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
)

// magic is "GGUF" read as a little-endian uint32.
const magic = 0x46554747

// DefaultAlignment is the alignment of tensor data when general.alignment is absent (GGUF_DEFAULT_ALIGNMENT).
const DefaultAlignment = 32

// maxDims is GGML_MAX_DIMS: llama.cpp rejects tensors of higher rank.
const maxDims = 4

// maxArrayDepth bounds the nesting of arrays of arrays, so a hostile file cannot exhaust the stack.
const maxArrayDepth = 8

// ErrNotFound is wrapped by the errors of ReadFloat32 and ReadRaw for a tensor name the file does not hold.
var ErrNotFound = errors.New("no such tensor")

// ErrUnsupported is wrapped by the errors of ReadFloat32 and Dequantize for a type this package cannot
// dequantize (IQ*, TQ*, ...); ReadRaw still returns its bytes.
var ErrUnsupported = errors.New("dequantization not implemented for this type")

// TensorInfo describes one tensor of the file.
type TensorInfo struct {
	Name string
	Type Type
	// Shape is row-major, outermost dimension first, as in Hugging Face/PyTorch: GGUF stores the dimensions
	// innermost first, so a GGUF [576, 49152] token_embd is Shape [49152, 576]. The last dimension is the
	// contiguous one, and quantization blocks run along it.
	Shape []int
	// Offset is the absolute position of the tensor's data in the file (the data section start plus the
	// offset recorded in the tensor info).
	Offset int64
	// Size is the number of bytes of the tensor's data.
	Size int64
}

// Elements is the number of elements, the product of Shape (1 for a scalar).
func (t TensorInfo) Elements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// File is an open GGUF file: its metadata and tensor directory are parsed, and its bytes are memory-mapped
// (or, where mmap is unavailable, read into memory). A File is safe for concurrent reads. Close releases it
// once reads have finished (closing during a read is a race); slices returned earlier by ReadFloat32 and
// ReadRaw stay valid (they are copies), and reads after Close return an error.
type File struct {
	path       string
	version    uint32
	alignment  int
	dataOffset int64
	keys       []string
	kv         map[string]Value
	tensors    []TensorInfo
	byName     map[string]int

	data  []byte       // the whole file
	unmap func() error // releases data; nil when data is plain memory
}

// Open reads the GGUF file at path: header, metadata, tensor infos. It checks that every tensor has a known
// type and lies inside the file, so later reads cannot fail on a truncated file.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	defer fh.Close() // a mapping outlives the descriptor
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	size := st.Size()
	if size < 4+4+8+8 {
		return nil, fmt.Errorf("gguf: %s: file is %d bytes, too short for a GGUF header (24 bytes)", path, size)
	}
	if size != int64(int(size)) {
		return nil, fmt.Errorf("gguf: %s: file of %d bytes does not fit this platform's address space", path, size)
	}
	data, unmap, err := mapFile(fh, int(size))
	if err != nil { // no mmap here: read it all
		data = make([]byte, size)
		if _, err := io.ReadFull(io.NewSectionReader(fh, 0, size), data); err != nil {
			return nil, fmt.Errorf("gguf: %s: %w", path, err)
		}
		unmap = nil
	}
	f, err := parse(path, data)
	if err != nil {
		if unmap != nil {
			_ = unmap()
		}
		return nil, err
	}
	f.unmap = unmap
	return f, nil
}

// Close releases the mapping. Reads afterwards return errors.
func (f *File) Close() error {
	f.data = nil
	if f.unmap != nil {
		u := f.unmap
		f.unmap = nil
		if err := u(); err != nil {
			return fmt.Errorf("gguf: %s: close: %w", f.path, err)
		}
	}
	return nil
}

// Path is the file's path as given to Open.
func (f *File) Path() string { return f.path }

// Version is the GGUF format version (2 or 3).
func (f *File) Version() uint32 { return f.version }

// Alignment is the alignment of tensor data in bytes (general.alignment, default 32).
func (f *File) Alignment() int { return f.alignment }

// DataOffset is the absolute file position where the tensor data section starts.
func (f *File) DataOffset() int64 { return f.dataOffset }

// Tensors returns the tensor infos in file order.
func (f *File) Tensors() []TensorInfo {
	out := make([]TensorInfo, len(f.tensors))
	for i, t := range f.tensors {
		t.Shape = append([]int(nil), t.Shape...)
		out[i] = t
	}
	return out
}

// Tensor returns the info of the named tensor.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	i, ok := f.byName[name]
	if !ok {
		return TensorInfo{}, false
	}
	t := f.tensors[i]
	t.Shape = append([]int(nil), t.Shape...)
	return t, true
}

// bytesOf returns the tensor's bytes inside the mapping (not a copy).
func (f *File) bytesOf(name string) ([]byte, TensorInfo, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, TensorInfo{}, fmt.Errorf("gguf: %s: tensor %q: %w (list them with Tensors())", f.path, name, ErrNotFound)
	}
	if f.data == nil {
		return nil, t, fmt.Errorf("gguf: %s: tensor %q: file is closed", f.path, name)
	}
	return f.data[t.Offset : t.Offset+t.Size], t, nil
}

// ReadRaw returns a copy of the tensor's stored bytes (blocks of t.Type, little-endian), for callers that
// dequantize elsewhere (inside a compute graph, say).
func (f *File) ReadRaw(name string) ([]byte, TensorInfo, error) {
	b, t, err := f.bytesOf(name)
	if err != nil {
		return nil, t, err
	}
	return append([]byte(nil), b...), t, nil
}

// ReadFloat32 dequantizes the named tensor into a new row-major float32 slice; shape is t.Shape (outermost
// first). Any type with CanDequantize works: F32, F16, BF16, F64, I8-I64, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
// Q2_K-Q6_K. Large tensors are split across goroutines.
func (f *File) ReadFloat32(name string) ([]float32, []int, error) {
	b, t, err := f.bytesOf(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]float32, t.Elements())
	if err := Dequantize(t.Type, b, out); err != nil {
		return nil, nil, fmt.Errorf("gguf: %s: tensor %q: %w", f.path, name, err)
	}
	return out, t.Shape, nil
}

// parse decodes the header, metadata and tensor infos of a whole GGUF file held in data.
func parse(path string, data []byte) (*File, error) {
	wrap := func(err error) error { return fmt.Errorf("gguf: %s: %w", path, err) }
	d := &decoder{b: data}
	m, err := d.u32("magic")
	if err != nil {
		return nil, wrap(err)
	}
	if m != magic {
		return nil, wrap(fmt.Errorf("bad magic %q (want \"GGUF\"): not a GGUF file", data[:4]))
	}
	version, err := d.u32("version")
	if err != nil {
		return nil, wrap(err)
	}
	switch {
	case version == 2 || version == 3:
	case version == 1:
		return nil, wrap(errors.New("GGUF version 1 (2023) is not supported: re-convert the model with a current llama.cpp"))
	case version&0xFFFF == 0 && (bits.ReverseBytes32(version) == 2 || bits.ReverseBytes32(version) == 3):
		return nil, wrap(errors.New("big-endian GGUF is not supported: convert the file to little-endian (gguf-py's gguf_convert_endian.py)"))
	default:
		return nil, wrap(fmt.Errorf("unsupported GGUF version %d (supported: 2, 3)", version))
	}
	nTensors, err := d.u64("tensor count")
	if err != nil {
		return nil, wrap(err)
	}
	nKV, err := d.u64("metadata count")
	if err != nil {
		return nil, wrap(err)
	}
	// A key-value pair takes at least 8+4 bytes and a tensor info 8+4+4+8: bound the counts by the file size.
	if rest := uint64(len(data) - d.pos); nKV > rest/12 || nTensors > rest/24 {
		return nil, wrap(fmt.Errorf("header claims %d metadata entries and %d tensors, more than the %d-byte file can hold: %w", nKV, nTensors, len(data), errShort))
	}

	f := &File{path: path, version: version, alignment: DefaultAlignment, kv: make(map[string]Value, nKV),
		byName: make(map[string]int, nTensors)}
	for i := uint64(0); i < nKV; i++ {
		key, err := d.str(fmt.Sprintf("metadata key #%d", i))
		if err != nil {
			return nil, wrap(err)
		}
		t, err := d.u32(fmt.Sprintf("type of metadata %q", key))
		if err != nil {
			return nil, wrap(err)
		}
		v, err := d.value(ValueType(t), fmt.Sprintf("metadata %q", key), 0)
		if err != nil {
			return nil, wrap(err)
		}
		if _, dup := f.kv[key]; dup {
			return nil, wrap(fmt.Errorf("metadata key %q appears twice", key))
		}
		f.keys = append(f.keys, key)
		f.kv[key] = v
	}
	if v, ok := f.kv["general.alignment"]; ok {
		a, ok := asUint64(v.Data)
		if !ok || a == 0 || a&(a-1) != 0 || a > 1<<30 {
			return nil, wrap(fmt.Errorf("general.alignment = %v (%s): must be a power of two", v.Data, v.Type))
		}
		f.alignment = int(a)
	}

	f.tensors = make([]TensorInfo, 0, nTensors)
	relOffsets := make([]uint64, 0, nTensors)
	for i := uint64(0); i < nTensors; i++ {
		t, rel, err := d.tensorInfo(i)
		if err != nil {
			return nil, wrap(err)
		}
		if _, dup := f.byName[t.Name]; dup {
			return nil, wrap(fmt.Errorf("tensor %q appears twice", t.Name))
		}
		f.byName[t.Name] = len(f.tensors)
		f.tensors = append(f.tensors, t)
		relOffsets = append(relOffsets, rel)
	}

	// The data section starts at the next multiple of the alignment after the tensor infos.
	start := (uint64(d.pos) + uint64(f.alignment) - 1) / uint64(f.alignment) * uint64(f.alignment)
	f.dataOffset = int64(start)
	size := uint64(len(data))
	for i := range f.tensors {
		t := &f.tensors[i]
		rel := relOffsets[i]
		if rel%uint64(f.alignment) != 0 {
			return nil, wrap(fmt.Errorf("tensor %q: data offset %d is not a multiple of the alignment %d", t.Name, rel, f.alignment))
		}
		end := start + rel + uint64(t.Size)
		if rel > size || end > size || end < start+rel {
			return nil, wrap(fmt.Errorf("tensor %q (%s, shape %v): data spans bytes [%d, %d) but the file has %d bytes: truncated or corrupt file", t.Name, t.Type, t.Shape, start+rel, start+rel+uint64(t.Size), size))
		}
		t.Offset = int64(start + rel)
	}
	f.data = data
	return f, nil
}

// tensorInfo decodes tensor info #i: name, dimensions, type, offset relative to the data section.
func (d *decoder) tensorInfo(i uint64) (TensorInfo, uint64, error) {
	name, err := d.str(fmt.Sprintf("name of tensor #%d", i))
	if err != nil {
		return TensorInfo{}, 0, err
	}
	what := fmt.Sprintf("tensor %q", name)
	nd, err := d.u32(what + " rank")
	if err != nil {
		return TensorInfo{}, 0, err
	}
	if nd > maxDims {
		return TensorInfo{}, 0, fmt.Errorf("%s: rank %d exceeds ggml's maximum %d", what, nd, maxDims)
	}
	shape := make([]int, nd)
	elems := uint64(1)
	ne0 := uint64(1) // a rank-0 tensor is one element
	for k := uint32(0); k < nd; k++ {
		n, err := d.u64(what + " dimension")
		if err != nil {
			return TensorInfo{}, 0, err
		}
		if n > math.MaxInt64/8 {
			return TensorInfo{}, 0, fmt.Errorf("%s: dimension %d = %d is out of range", what, k, n)
		}
		if k == 0 {
			ne0 = n
		}
		hi, lo := bits.Mul64(elems, n)
		if hi != 0 || lo > math.MaxInt64/8 {
			return TensorInfo{}, 0, fmt.Errorf("%s: dimensions overflow (dimension %d = %d)", what, k, n)
		}
		elems = lo
		shape[int(nd)-1-int(k)] = int(n) // GGUF lists innermost first; Shape is outermost first
	}
	tt, err := d.u32(what + " type")
	if err != nil {
		return TensorInfo{}, 0, err
	}
	typ := Type(tt)
	if !typ.Known() {
		return TensorInfo{}, 0, fmt.Errorf("%s: unknown ggml type id %d (a newer ggml type? this reader knows ids 0-39)", what, tt)
	}
	rel, err := d.u64(what + " offset")
	if err != nil {
		return TensorInfo{}, 0, err
	}
	bs := uint64(typ.BlockSize())
	if ne0%bs != 0 {
		return TensorInfo{}, 0, fmt.Errorf("%s: row length %d is not a multiple of the %s block size %d", what, ne0, typ, bs)
	}
	return TensorInfo{Name: name, Type: typ, Shape: shape, Size: int64(elems / bs * uint64(typ.TypeSize()))}, rel, nil
}
