package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"sort"
	"strings"
)

// maxHeader is the largest JSON header accepted, as in the reference implementation (100 MB).
const maxHeader = 100_000_000

// metadataKey is the reserved header entry that holds the string-to-string metadata.
const metadataKey = "__metadata__"

// ErrNotFound is wrapped by the read methods' errors for a tensor name the file (or folder) does not hold.
var ErrNotFound = errors.New("no such tensor")

// File is an open safetensors file, or a folder of shards opened with OpenFolder: one namespace of tensors
// with the same accessors either way. Its methods are safe for concurrent use until Close.
type File struct {
	path     string // file, or folder for a sharded set
	shards   []*shard
	entries  map[string]*entry
	names    []string
	metadata map[string]string
}

type shard struct {
	path      string
	r         io.ReaderAt // the file; nil once closed
	c         io.Closer
	dataStart int64 // 8 + header length
	dataSize  int64
}

type entry struct {
	dtype      string
	shape      []int
	begin, end int64 // byte offsets inside the shard's data section
	shard      *shard
}

// rawEntry is one tensor of the JSON header.
type rawEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// Open opens a safetensors file: an 8-byte little-endian header length N, N bytes of JSON
// {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}, then the data.
// It checks every tensor's dtype, shape and byte range; the data are read on demand.
func Open(path string) (*File, error) {
	s, entries, meta, err := openShard(path)
	if err != nil {
		return nil, err
	}
	f := &File{path: path, shards: []*shard{s}, entries: entries, metadata: meta}
	f.sortNames()
	return f, nil
}

func openShard(path string) (*shard, map[string]*entry, map[string]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	s, entries, meta, err := parseHeader(path, fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, nil, nil, err
	}
	s.r, s.c = fh, fh
	return s, entries, meta, nil
}

// parseHeader reads and validates the header of a file of the given size.
func parseHeader(path string, r io.ReaderAt, size int64) (*shard, map[string]*entry, map[string]string, error) {
	fail := func(format string, a ...any) (*shard, map[string]*entry, map[string]string, error) {
		return nil, nil, nil, fmt.Errorf("safetensors: %s: "+format, append([]any{path}, a...)...)
	}
	var lenBuf [8]byte
	if size < 8 {
		return fail("file is %d bytes, too short for the 8-byte header length: not a safetensors file", size)
	}
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return fail("%w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxHeader || n > uint64(size-8) {
		return fail("header length %d exceeds the file (%d bytes) or the 100 MB limit: not a safetensors file, or truncated", n, size)
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		return fail("reading header: %w", err)
	}
	if len(bytes.TrimSpace(hdr)) == 0 || bytes.TrimSpace(hdr)[0] != '{' {
		return fail("header does not hold a JSON object: not a safetensors file")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return fail("header JSON: %w", err)
	}
	s := &shard{path: path, dataStart: 8 + int64(n), dataSize: size - 8 - int64(n)}
	entries := make(map[string]*entry, len(raw))
	var meta map[string]string
	for name, msg := range raw {
		if name == metadataKey {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return fail("__metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		var re rawEntry
		if err := json.Unmarshal(msg, &re); err != nil {
			return fail("tensor %q: %w", name, err)
		}
		e, err := re.check(s)
		if err != nil {
			return fail("tensor %q: %w", name, err)
		}
		entries[name] = e
	}
	return s, entries, meta, nil
}

// check validates one header entry against the data section of s.
func (re rawEntry) check(s *shard) (*entry, error) {
	size := DTypeSize(re.DType)
	if size == 0 {
		return nil, fmt.Errorf("unknown dtype %q", re.DType)
	}
	if len(re.DataOffsets) != 2 {
		return nil, fmt.Errorf("data_offsets has %d values, want [begin, end]", len(re.DataOffsets))
	}
	elems := uint64(1)
	shape := make([]int, len(re.Shape))
	for i, d := range re.Shape {
		if d < 0 {
			return nil, fmt.Errorf("negative dimension %d in shape %v", d, re.Shape)
		}
		hi, lo := bits.Mul64(elems, uint64(d))
		if hi != 0 || lo > math.MaxInt64/8 {
			return nil, fmt.Errorf("shape %v overflows", re.Shape)
		}
		elems = lo
		shape[i] = int(d)
	}
	begin, end := re.DataOffsets[0], re.DataOffsets[1]
	if end < begin || end > uint64(s.dataSize) {
		return nil, fmt.Errorf("data_offsets [%d, %d] outside the %d bytes of data: truncated or corrupt file", begin, end, s.dataSize)
	}
	if want := elems * uint64(size); end-begin != want {
		return nil, fmt.Errorf("%s shape %v needs %d bytes, data_offsets [%d, %d] hold %d", re.DType, shape, want, begin, end, end-begin)
	}
	return &entry{dtype: re.DType, shape: shape, begin: int64(begin), end: int64(end), shard: s}, nil
}

func (f *File) sortNames() {
	f.names = make([]string, 0, len(f.entries))
	for n := range f.entries {
		f.names = append(f.names, n)
	}
	sort.Strings(f.names)
}

// Close closes the file (every shard).
func (f *File) Close() error {
	var errs []error
	for _, s := range f.shards {
		if s.r != nil {
			s.r = nil
			if err := s.c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("safetensors: %s: %w", s.path, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Path is the path given to Open or OpenFolder.
func (f *File) Path() string { return f.path }

// Names returns the tensor names in lexical order.
func (f *File) Names() []string { return append([]string(nil), f.names...) }

// Has reports whether the file holds the named tensor.
func (f *File) Has(name string) bool { _, ok := f.entries[name]; return ok }

// Info returns the tensor's dtype ("F32", "BF16", "I64" ...) and shape (row-major, outermost first); "" and
// nil if there is no such tensor.
func (f *File) Info(name string) (dtype string, shape []int) {
	e, ok := f.entries[name]
	if !ok {
		return "", nil
	}
	return e.dtype, cloneShape(e.shape)
}

// Metadata returns a copy of the __metadata__ string map (nil if the file has none). For a sharded folder it
// merges the shards' metadata (the first shard wins on conflicts) and the index file's "metadata" entries
// (such as total_size) written as JSON text.
func (f *File) Metadata() map[string]string {
	if f.metadata == nil {
		return nil
	}
	m := make(map[string]string, len(f.metadata))
	for k, v := range f.metadata {
		m[k] = v
	}
	return m
}

// ReadRaw returns the tensor's stored little-endian bytes with its dtype and shape.
func (f *File) ReadRaw(name string) ([]byte, string, []int, error) {
	e, ok := f.entries[name]
	if !ok {
		return nil, "", nil, fmt.Errorf("safetensors: %s: tensor %q: %w (list them with Names())", f.path, name, ErrNotFound)
	}
	if e.shard.r == nil {
		return nil, "", nil, fmt.Errorf("safetensors: %s: tensor %q: file is closed", e.shard.path, name)
	}
	b := make([]byte, e.end-e.begin)
	if _, err := e.shard.r.ReadAt(b, e.shard.dataStart+e.begin); err != nil {
		return nil, "", nil, fmt.Errorf("safetensors: %s: tensor %q: %w", e.shard.path, name, err)
	}
	return b, e.dtype, cloneShape(e.shape), nil
}

// cloneShape copies a shape; a scalar's is empty, never nil.
func cloneShape(s []int) []int { return append(make([]int, 0, len(s)), s...) }

func elements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// ReadFloat32 returns the tensor as row-major float32 values, converting F16, BF16 and F64 (rounded) and
// integer dtypes.
func (f *File) ReadFloat32(name string) ([]float32, []int, error) {
	b, dtype, shape, err := f.ReadRaw(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]float32, elements(shape))
	if dtype == "F32" { // the common case, without the per-element callback
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out, shape, nil
	}
	err = decodeFloat(dtype, b, len(out), func(i int, v float64, f32 float32, isF32 bool) {
		if isF32 {
			out[i] = f32
		} else {
			out[i] = float32(v)
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: %w", f.path, name, err)
	}
	return out, shape, nil
}

// ReadFloat64 returns the tensor as row-major float64 values (exact for every float and 32-bit int dtype).
func (f *File) ReadFloat64(name string) ([]float64, []int, error) {
	b, dtype, shape, err := f.ReadRaw(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]float64, elements(shape))
	err = decodeFloat(dtype, b, len(out), func(i int, v float64, f32 float32, isF32 bool) {
		if isF32 {
			out[i] = float64(f32)
		} else {
			out[i] = v
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: %w", f.path, name, err)
	}
	return out, shape, nil
}

// ReadInt64 returns an integer tensor (I8-I64, U8-U64, BOOL) as int64 values; float dtypes are an error.
func (f *File) ReadInt64(name string) ([]int64, []int, error) {
	b, dtype, shape, err := f.ReadRaw(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]int64, elements(shape))
	if err := decodeInt(dtype, b, len(out), func(i int, v int64) error { out[i] = v; return nil }); err != nil {
		return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: %w", f.path, name, err)
	}
	return out, shape, nil
}

// ReadInt32 returns an integer tensor as int32 values; a value outside the int32 range is an error.
func (f *File) ReadInt32(name string) ([]int32, []int, error) {
	b, dtype, shape, err := f.ReadRaw(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]int32, elements(shape))
	err = decodeInt(dtype, b, len(out), func(i int, v int64) error {
		if v < math.MinInt32 || v > math.MaxInt32 {
			return fmt.Errorf("element %d = %d does not fit in int32 (use ReadInt64)", i, v)
		}
		out[i] = int32(v)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: %w", f.path, name, err)
	}
	return out, shape, nil
}

// describe lists a few names, for error messages.
func describe(names []string) string {
	if len(names) > 5 {
		return strings.Join(names[:5], ", ") + fmt.Sprintf(" ... (%d in all)", len(names))
	}
	return strings.Join(names, ", ")
}
