package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// decoder reads little-endian fields from the file's bytes, remembering the first error.
type decoder struct {
	b   []byte
	pos int
}

var errShort = errors.New("unexpected end of file")

func (d *decoder) need(n uint64, what string) error {
	if n > uint64(len(d.b)-d.pos) {
		return fmt.Errorf("reading %s at offset %d: need %d bytes, %d left: %w", what, d.pos, n, len(d.b)-d.pos, errShort)
	}
	return nil
}

func (d *decoder) u32(what string) (uint32, error) {
	if err := d.need(4, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint32(d.b[d.pos:])
	d.pos += 4
	return v, nil
}

func (d *decoder) u64(what string) (uint64, error) {
	if err := d.need(8, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint64(d.b[d.pos:])
	d.pos += 8
	return v, nil
}

func (d *decoder) str(what string) (string, error) {
	n, err := d.u64(what + " length")
	if err != nil {
		return "", err
	}
	if err := d.need(n, what); err != nil {
		return "", err
	}
	s := string(d.b[d.pos : d.pos+int(n)])
	d.pos += int(n)
	return s, nil
}

// scalar decodes one fixed-size value; the caller has checked that the bytes are there.
func (d *decoder) scalar(t ValueType) any {
	b := d.b[d.pos:]
	d.pos += t.fixedSize()
	switch t {
	case TypeUint8:
		return b[0]
	case TypeInt8:
		return int8(b[0])
	case TypeBool:
		return b[0] != 0
	case TypeUint16:
		return binary.LittleEndian.Uint16(b)
	case TypeInt16:
		return int16(binary.LittleEndian.Uint16(b))
	case TypeUint32:
		return binary.LittleEndian.Uint32(b)
	case TypeInt32:
		return int32(binary.LittleEndian.Uint32(b))
	case TypeFloat32:
		return math.Float32frombits(binary.LittleEndian.Uint32(b))
	case TypeUint64:
		return binary.LittleEndian.Uint64(b)
	case TypeInt64:
		return int64(binary.LittleEndian.Uint64(b))
	case TypeFloat64:
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
	panic("gguf: scalar of non-scalar type " + t.String())
}

// value decodes a value of type t (the tag has been read).
func (d *decoder) value(t ValueType, what string, depth int) (Value, error) {
	if sz := t.fixedSize(); sz > 0 {
		if err := d.need(uint64(sz), what); err != nil {
			return Value{}, err
		}
		return Value{Type: t, Data: d.scalar(t)}, nil
	}
	switch t {
	case TypeString:
		s, err := d.str(what)
		return Value{Type: t, Data: s}, err
	case TypeArray:
		return d.array(what, depth)
	}
	return Value{}, fmt.Errorf("%s at offset %d: unknown value type %d (known: 0-12)", what, d.pos-4, uint32(t))
}

func (d *decoder) array(what string, depth int) (Value, error) {
	if depth >= maxArrayDepth {
		return Value{}, fmt.Errorf("%s: arrays nested deeper than %d", what, maxArrayDepth)
	}
	et32, err := d.u32(what + " element type")
	if err != nil {
		return Value{}, err
	}
	et := ValueType(et32)
	n, err := d.u64(what + " length")
	if err != nil {
		return Value{}, err
	}
	// Every element takes at least minSize bytes: check before allocating, so a bogus count fails cleanly.
	minSize := uint64(et.fixedSize())
	switch et {
	case TypeString:
		minSize = 8
	case TypeArray:
		minSize = 12
	}
	if minSize == 0 {
		return Value{}, fmt.Errorf("%s at offset %d: unknown array element type %d (known: 0-12)", what, d.pos-12, et32)
	}
	if n > uint64(len(d.b)-d.pos)/minSize {
		return Value{}, fmt.Errorf("%s: array of %d %s needs at least %d bytes, %d left: %w", what, n, et, n*minSize, len(d.b)-d.pos, errShort)
	}
	v := Value{Type: TypeArray, ElemType: et}
	count := int(n)
	switch et {
	case TypeString:
		s := make([]string, count)
		for i := range s {
			if s[i], err = d.str(what); err != nil {
				return Value{}, err
			}
		}
		v.Data = s
	case TypeArray:
		s := make([]Value, count)
		for i := range s {
			if s[i], err = d.array(what, depth+1); err != nil {
				return Value{}, err
			}
		}
		v.Data = s
	default:
		v.Data = d.scalars(et, count)
	}
	return v, nil
}

// scalars decodes count fixed-size values into a typed slice; the bytes have been checked.
func (d *decoder) scalars(t ValueType, count int) any {
	b := d.b[d.pos:]
	d.pos += count * t.fixedSize()
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return append([]uint8(nil), b[:count]...)
	case TypeInt8:
		s := make([]int8, count)
		for i := range s {
			s[i] = int8(b[i])
		}
		return s
	case TypeBool:
		s := make([]bool, count)
		for i := range s {
			s[i] = b[i] != 0
		}
		return s
	case TypeUint16:
		s := make([]uint16, count)
		for i := range s {
			s[i] = le.Uint16(b[2*i:])
		}
		return s
	case TypeInt16:
		s := make([]int16, count)
		for i := range s {
			s[i] = int16(le.Uint16(b[2*i:]))
		}
		return s
	case TypeUint32:
		s := make([]uint32, count)
		for i := range s {
			s[i] = le.Uint32(b[4*i:])
		}
		return s
	case TypeInt32:
		s := make([]int32, count)
		for i := range s {
			s[i] = int32(le.Uint32(b[4*i:]))
		}
		return s
	case TypeFloat32:
		s := make([]float32, count)
		for i := range s {
			s[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return s
	case TypeUint64:
		s := make([]uint64, count)
		for i := range s {
			s[i] = le.Uint64(b[8*i:])
		}
		return s
	case TypeInt64:
		s := make([]int64, count)
		for i := range s {
			s[i] = int64(le.Uint64(b[8*i:]))
		}
		return s
	case TypeFloat64:
		s := make([]float64, count)
		for i := range s {
			s[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
		return s
	}
	panic("gguf: scalars of non-scalar type " + t.String())
}
