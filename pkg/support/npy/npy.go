// Package npy writes NumPy's .npy and .npz files, so that numpy users read this project's arrays with
// numpy.load and nothing else.
//
// # .npy (format version 1.0; numpy.lib.format, NEP 1)
//
//	"\x93NUMPY" | major 1 | minor 0 | HEADER_LEN u16 little-endian | header | data
//
// The header is the text of a Python dict literal, for example
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//
// followed by spaces and one '\n', so that magic, version, length and header together fill a multiple of 64
// bytes (the data is then aligned for memory mapping). descr is the dtype: '<f4' float32, '<f8' float64,
// '<i8' int64, '<i4' int32, little-endian ('<'); '<Un' a string of at most n characters, each stored as a
// 4-byte UTF-32 code point and padded with zero code points (numpy's str dtype). shape is a Python tuple:
// () for a 0-d array (one value), (3,) for one dimension. The data are the elements in C (row-major) order.
// This package writes the header as numpy 2.x does (it also leaves room to grow the first dimension), so
// its .npy bytes equal numpy.save's: tests compare them with members of an archive numpy.savez wrote
// (tools/reference/make_export_fixtures.py).
//
// # .npz
//
// A ZIP archive holding one NAME.npy member per array, stored (not compressed), as numpy.savez writes it;
// numpy.load returns a mapping from NAME to the array. The archive's bytes differ from numpy's (the ZIP
// headers carry other extra fields), its members do not. Timestamps are fixed at 1980-01-01 00:00, as
// numpy's, so the same arrays always give the same file.
package npy

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// align is numpy's ARRAY_ALIGN: magic, length and header together fill a multiple of it.
const align = 64

// growthDigits is numpy's GROWTH_AXIS_MAX_DIGITS: the header leaves room for the first dimension to reach
// this many digits, so that appending rows can rewrite it in place.
const growthDigits = 21

// Array is one named array of an .npz archive.
type Array struct {
	// Name is the key numpy.load returns it under; the member is Name + ".npy".
	Name string
	// Shape is row-major; empty for a 0-d array (one value), as numpy.array("text") is.
	Shape []int
	// Data holds the elements in row-major order: []float32, []float64, []int64, []int32 or []string.
	Data any
}

// Header returns the .npy preamble (magic, version 1.0, length, padded header) for dtype descr and shape.
func Header(descr string, shape []int) ([]byte, error) {
	b, err := header(descr, shape)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	return b, nil
}

func header(descr string, shape []int) ([]byte, error) {
	dims := make([]string, len(shape))
	for i, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("negative dimension in shape %v", shape)
		}
		dims[i] = strconv.Itoa(d)
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tuple = "(" + dims[0] + ",)" // Python's repr of a 1-tuple
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, tuple)
	if len(shape) > 0 {
		h += strings.Repeat(" ", max(0, growthDigits-len(dims[0])))
	}
	hlen := len(h) + 1 // the final '\n'
	padlen := align - (6+2+2+hlen)%align
	total := hlen + padlen
	if total > math.MaxUint16 {
		return nil, fmt.Errorf("header of %d bytes is too long for format 1.0", total)
	}
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(total))
	b.WriteString(h)
	b.WriteString(strings.Repeat(" ", padlen))
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// Encode returns the .npy file of data (see Array.Data for the types) with the given shape.
func Encode(shape []int, data any) ([]byte, error) {
	b, err := encode(shape, data)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	return b, nil
}

func encode(shape []int, data any) ([]byte, error) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	var descr string
	var body []byte
	le := binary.LittleEndian
	count := -1
	switch d := data.(type) {
	case []float32:
		descr, count = "<f4", len(d)
		for _, x := range d {
			body = le.AppendUint32(body, math.Float32bits(x))
		}
	case []float64:
		descr, count = "<f8", len(d)
		for _, x := range d {
			body = le.AppendUint64(body, math.Float64bits(x))
		}
	case []int64:
		descr, count = "<i8", len(d)
		for _, x := range d {
			body = le.AppendUint64(body, uint64(x))
		}
	case []int32:
		descr, count = "<i4", len(d)
		for _, x := range d {
			body = le.AppendUint32(body, uint32(x))
		}
	case []string:
		width := 1 // numpy's narrowest str dtype is <U1, even for empty strings
		for i, s := range d {
			if !utf8.ValidString(s) {
				return nil, fmt.Errorf("string %d (%q) is not valid UTF-8", i, s)
			}
			if strings.HasSuffix(s, "\x00") {
				return nil, fmt.Errorf("string %d (%q) ends with NUL, which numpy strips when reading", i, s)
			}
			width = max(width, utf8.RuneCountInString(s))
		}
		descr, count = "<U"+strconv.Itoa(width), len(d)
		for _, s := range d {
			k := 0
			for _, r := range s {
				body = le.AppendUint32(body, uint32(r))
				k++
			}
			body = append(body, make([]byte, 4*(width-k))...)
		}
	default:
		return nil, fmt.Errorf("unsupported data %T (want []float32, []float64, []int64, []int32 or []string)", data)
	}
	if count != n {
		return nil, fmt.Errorf("shape %v has %d elements but the data holds %d", shape, n, count)
	}
	h, err := header(descr, shape)
	if err != nil {
		return nil, err
	}
	return append(h, body...), nil
}

// epoch is the timestamp of every member: numpy.savez's (the earliest a ZIP header can hold), as the MS-DOS
// date and time fields of the ZIP headers (day | month<<5 | (year-1980)<<9; 00:00:00 is 0). CreateRaw writes
// them as given; it ignores FileHeader.Modified.
var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

const dosDate1980, dosTime0 = 1 | 1<<5 | 0<<9, 0

// WriteNPZ writes arrays as an .npz archive to w, in the given order.
func WriteNPZ(w io.Writer, arrays []Array) error {
	zw := zip.NewWriter(w)
	seen := map[string]bool{}
	for _, a := range arrays {
		if a.Name == "" {
			return errors.New("npy: an array of the archive has no name")
		}
		if seen[a.Name] {
			return fmt.Errorf("npy: array %q appears twice", a.Name)
		}
		seen[a.Name] = true
		b, err := encode(a.Shape, a.Data)
		if err != nil {
			return fmt.Errorf("npy: array %q: %w", a.Name, err)
		}
		// CreateRaw with sizes and checksum known: no data descriptor after the member, the plainest layout.
		fw, err := zw.CreateRaw(&zip.FileHeader{Name: a.Name + ".npy", Method: zip.Store,
			ModifiedDate: dosDate1980, ModifiedTime: dosTime0,
			CRC32: crc32.ChecksumIEEE(b), CompressedSize64: uint64(len(b)), UncompressedSize64: uint64(len(b))})
		if err != nil {
			return fmt.Errorf("npy: array %q: %w", a.Name, err)
		}
		if _, err := fw.Write(b); err != nil {
			return fmt.Errorf("npy: array %q: %w", a.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	return nil
}
