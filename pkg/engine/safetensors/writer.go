package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
)

// Raw is already-encoded tensor data: little-endian elements of the Tensor's DType, written as they are.
type Raw []byte

// Tensor is one tensor to write.
//
// Data is a []float32, []float64, []int32, []int64, []uint8 or Raw, holding the elements in row-major order.
// DType is the stored type; empty means the natural one of Data (F32, F64, I32, I64, U8). Conversions:
// []float32 and []float64 to F32, F64, F16 or BF16 (rounding to nearest even, as torch and numpy do; a
// float64 goes to F16/BF16 through float32, which can differ from direct rounding in rare double-rounding
// ties);
// []int32 and []int64 to I32 or I64 (out-of-range values are an error).
type Tensor struct {
	Name  string
	DType string
	Shape []int // row-major; empty for a scalar
	Data  any
}

// prepared is a validated tensor with its encoder.
type prepared struct {
	t      Tensor
	size   int // bytes
	encode func(w *bufio.Writer) error
}

// Write writes tensors and metadata to path in the safetensors format, atomically: it writes a temporary
// file in the same folder, syncs it and renames it over path, so a reader never sees a partial file.
// Tensors are laid out as the reference implementation does (larger dtypes first, then by name) and the
// header is padded with spaces to a multiple of 8 bytes, so every tensor's data is aligned to its element.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	preps := make([]prepared, 0, len(tensors))
	seen := map[string]bool{}
	for _, t := range tensors {
		p, err := prepare(t)
		if err != nil {
			return fmt.Errorf("safetensors: write %s: tensor %q: %w", path, t.Name, err)
		}
		if seen[t.Name] {
			return fmt.Errorf("safetensors: write %s: tensor %q appears twice", path, t.Name)
		}
		seen[t.Name] = true
		preps = append(preps, p)
	}
	sort.SliceStable(preps, func(i, j int) bool {
		si, sj := DTypeSize(preps[i].t.DType), DTypeSize(preps[j].t.DType)
		if si != sj {
			return si > sj
		}
		return preps[i].t.Name < preps[j].t.Name
	})

	header := map[string]any{}
	if len(metadata) > 0 {
		header[metadataKey] = metadata
	}
	off := 0
	for _, p := range preps {
		shape := p.t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[p.t.Name] = map[string]any{"dtype": p.t.DType, "shape": shape, "data_offsets": [2]int{off, off + p.size}}
		off += p.size
	}
	var hb bytes.Buffer
	enc := json.NewEncoder(&hb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(header); err != nil {
		return fmt.Errorf("safetensors: write %s: header: %w", path, err)
	}
	hdr := bytes.TrimRight(hb.Bytes(), "\n")
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}

	return writeAtomic(path, func(w *bufio.Writer) error {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(hdr)))
		w.Write(n[:])
		w.Write(hdr)
		for _, p := range preps {
			if err := p.encode(w); err != nil {
				return fmt.Errorf("tensor %q: %w", p.t.Name, err)
			}
		}
		return nil
	})
}

// tempFile is what writeAtomic needs of its temp file; *os.File has it.
type tempFile interface {
	io.Writer
	Name() string
	Chmod(mode os.FileMode) error
	Sync() error
	Close() error
}

// createTemp is a seam for fault injection, as in package checkpoint: a full disk or a read-only folder
// cannot be made on demand in a test, so the tests replace it. Production code never changes it.
var createTemp = func(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }

// writeAtomic writes via a temporary file in path's folder, fsyncs it and renames it to path. Its temp
// file is named as checkpoint.WriteFileAtomic names its own (".<base>.tmp-<random>"), so that a stage
// never takes one left by a killed process for a unit.
func writeAtomic(path string, fill func(w *bufio.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := createTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("safetensors: write %s: %w", path, err)
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err = fill(w); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil { // persist the rename; best effort
		d.Sync()
		d.Close()
	}
	return nil
}

// prepare validates a tensor and picks its encoder.
func prepare(t Tensor) (prepared, error) {
	if t.Name == "" || t.Name == metadataKey {
		return prepared{}, fmt.Errorf("invalid tensor name")
	}
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return prepared{}, fmt.Errorf("negative dimension in shape %v", t.Shape)
		}
		n *= d
	}
	if t.DType == "" {
		switch t.Data.(type) {
		case []float32:
			t.DType = "F32"
		case []float64:
			t.DType = "F64"
		case []int32:
			t.DType = "I32"
		case []int64:
			t.DType = "I64"
		case []uint8:
			t.DType = "U8"
		case Raw:
			return prepared{}, fmt.Errorf("Raw data needs an explicit DType")
		default:
			return prepared{}, fmt.Errorf("unsupported Data type %T (want []float32, []float64, []int32, []int64, []uint8 or Raw)", t.Data)
		}
	}
	size := DTypeSize(t.DType)
	if size == 0 {
		return prepared{}, fmt.Errorf("unknown dtype %q", t.DType)
	}
	p := prepared{t: t, size: n * size}
	bad := func(length int) (prepared, error) {
		return prepared{}, fmt.Errorf("shape %v has %d elements but Data holds %d", t.Shape, n, length)
	}
	unsupported := func() (prepared, error) {
		return prepared{}, fmt.Errorf("cannot store %T as %s", t.Data, t.DType)
	}
	le := binary.LittleEndian
	switch d := t.Data.(type) {
	case Raw:
		if len(d) != p.size {
			return prepared{}, fmt.Errorf("shape %v of %s needs %d bytes, Raw holds %d", t.Shape, t.DType, p.size, len(d))
		}
		p.encode = func(w *bufio.Writer) error { _, err := w.Write(d); return err }
	case []uint8:
		if len(d) != n {
			return bad(len(d))
		}
		if t.DType != "U8" && t.DType != "BOOL" {
			return unsupported()
		}
		p.encode = func(w *bufio.Writer) error { _, err := w.Write(d); return err }
	case []float32:
		if len(d) != n {
			return bad(len(d))
		}
		enc, ok := floatEncoders[t.DType]
		if !ok {
			return unsupported()
		}
		p.encode = func(w *bufio.Writer) error {
			var b [8]byte
			for _, v := range d {
				w.Write(enc(b[:], float64(v), v))
			}
			return nil
		}
	case []float64:
		if len(d) != n {
			return bad(len(d))
		}
		enc, ok := floatEncoders[t.DType]
		if !ok {
			return unsupported()
		}
		p.encode = func(w *bufio.Writer) error {
			var b [8]byte
			for _, v := range d {
				w.Write(enc(b[:], v, float32(v)))
			}
			return nil
		}
	case []int32, []int64:
		var get func(i int) int64
		length := 0
		if x, ok := d.([]int32); ok {
			get, length = func(i int) int64 { return int64(x[i]) }, len(x)
		} else {
			x := d.([]int64)
			get, length = func(i int) int64 { return x[i] }, len(x)
		}
		if length != n {
			return bad(length)
		}
		switch t.DType {
		case "I64":
			p.encode = func(w *bufio.Writer) error {
				var b [8]byte
				for i := 0; i < n; i++ {
					le.PutUint64(b[:], uint64(get(i)))
					w.Write(b[:])
				}
				return nil
			}
		case "I32":
			for i := 0; i < n; i++ {
				if v := get(i); v < math.MinInt32 || v > math.MaxInt32 {
					return prepared{}, fmt.Errorf("element %d = %d does not fit in I32", i, v)
				}
			}
			p.encode = func(w *bufio.Writer) error {
				var b [4]byte
				for i := 0; i < n; i++ {
					le.PutUint32(b[:], uint32(int32(get(i))))
					w.Write(b[:])
				}
				return nil
			}
		default:
			return unsupported()
		}
	default:
		return prepared{}, fmt.Errorf("unsupported Data type %T (want []float32, []float64, []int32, []int64, []uint8 or Raw)", t.Data)
	}
	return p, nil
}

// floatEncoders encode one value (given as float64 and as float32) into b, returning the bytes used.
var floatEncoders = map[string]func(b []byte, v64 float64, v32 float32) []byte{
	"F32": func(b []byte, _ float64, v float32) []byte {
		binary.LittleEndian.PutUint32(b, math.Float32bits(v))
		return b[:4]
	},
	"F64": func(b []byte, v float64, _ float32) []byte {
		binary.LittleEndian.PutUint64(b, math.Float64bits(v))
		return b[:8]
	},
	"F16": func(b []byte, _ float64, v float32) []byte {
		binary.LittleEndian.PutUint16(b, toFP16(v))
		return b[:2]
	},
	"BF16": func(b []byte, _ float64, v float32) []byte {
		binary.LittleEndian.PutUint16(b, toBF16(v))
		return b[:2]
	},
}

// MetaJSON encodes v as JSON for a metadata value (safetensors metadata holds strings only), writing a nil
// slice as [] rather than null so that readers can index it without a check.
func MetaJSON(v any) string {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.IsNil() {
		return "[]"
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("safetensors: MetaJSON(%T): %v", v, err)) // only unencodable types (chan, func) get here
	}
	return string(b)
}
