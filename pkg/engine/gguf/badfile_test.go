package gguf

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// builder assembles small GGUF files by hand, so the tests can make files that no writer would.
type builder struct {
	version   uint32
	kv        bytes.Buffer
	nKV       uint64
	infos     bytes.Buffer
	nTensors  uint64
	data      []byte
	alignment int
}

func newBuilder() *builder { return &builder{version: 3, alignment: 32} }

func putStr(b *bytes.Buffer, s string) {
	binary.Write(b, binary.LittleEndian, uint64(len(s)))
	b.WriteString(s)
}

func (b *builder) kvU32(key string, v uint32) *builder {
	putStr(&b.kv, key)
	binary.Write(&b.kv, binary.LittleEndian, uint32(TypeUint32))
	binary.Write(&b.kv, binary.LittleEndian, v)
	b.nKV++
	return b
}

// tensor appends a tensor info with GGUF-order dims (innermost first) and its data at the next aligned offset
// (or at offset, when offset >= 0).
func (b *builder) tensor(name string, typ uint32, dims []uint64, data []byte, offset int64) *builder {
	putStr(&b.infos, name)
	binary.Write(&b.infos, binary.LittleEndian, uint32(len(dims)))
	for _, d := range dims {
		binary.Write(&b.infos, binary.LittleEndian, d)
	}
	binary.Write(&b.infos, binary.LittleEndian, typ)
	for len(b.data)%b.alignment != 0 {
		b.data = append(b.data, 0)
	}
	if offset < 0 {
		offset = int64(len(b.data))
	}
	binary.Write(&b.infos, binary.LittleEndian, uint64(offset))
	b.data = append(b.data, data...)
	b.nTensors++
	return b
}

func (b *builder) bytes() []byte {
	var out bytes.Buffer
	out.WriteString("GGUF")
	binary.Write(&out, binary.LittleEndian, b.version)
	binary.Write(&out, binary.LittleEndian, b.nTensors)
	binary.Write(&out, binary.LittleEndian, b.nKV)
	out.Write(b.kv.Bytes())
	out.Write(b.infos.Bytes())
	for out.Len()%b.alignment != 0 {
		out.WriteByte(0)
	}
	out.Write(b.data)
	return out.Bytes()
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.gguf")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func f32bytes(vals ...float32) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, vals)
	return b.Bytes()
}

func TestHandBuilt(t *testing.T) {
	for _, version := range []uint32{2, 3} {
		b := newBuilder()
		b.version = version
		b.kvU32("general.alignment", 32).tensor("w", uint32(F32), []uint64{3, 2}, f32bytes(1, 2, 3, 4, 5, 6), -1)
		f, err := Open(writeTemp(t, b.bytes()))
		if err != nil {
			t.Fatalf("version %d: %v", version, err)
		}
		v, shape, err := f.ReadFloat32("w")
		if err != nil || len(shape) != 2 || shape[0] != 2 || shape[1] != 3 || v[5] != 6 || f.Version() != version {
			t.Errorf("version %d: %v %v %v", version, v, shape, err)
		}
		f.Close()
	}
}

func TestBadFiles(t *testing.T) {
	good, err := os.ReadFile("testdata/synthetic.gguf")
	if err != nil {
		t.Fatal(err)
	}
	ok := newBuilder().tensor("w", uint32(F32), []uint64{4}, f32bytes(1, 2, 3, 4), -1).bytes()

	withVersion := func(v uint32) []byte {
		b := append([]byte(nil), ok...)
		binary.LittleEndian.PutUint32(b[4:], v)
		return b
	}
	cases := []struct {
		name string
		data []byte
		want []string // substrings the error must hold
	}{
		{"empty", nil, []string{"0 bytes", "too short"}},
		{"bad magic", append([]byte("GGUX"), good[4:]...), []string{"bad magic", "GGUX"}},
		{"version 1", withVersion(1), []string{"version 1"}},
		{"version 99", withVersion(99), []string{"version 99"}},
		{"big-endian", withVersion(0x03000000), []string{"big-endian"}},
		// synthetic.gguf's last tensor, real.q8_0, ends at the end of the file.
		{"truncated data", good[:len(good)-100], []string{`tensor "real.q8_0"`, "truncated", "file has 7836 bytes", "7912)"}},
		{"truncated header", good[:700], []string{"need", "left"}},
		{"unknown type", newBuilder().tensor("blk.0.w", 77, []uint64{4}, f32bytes(1, 2, 3, 4), -1).bytes(),
			[]string{`tensor "blk.0.w"`, "unknown ggml type id 77"}},
		{"removed type Q4_2", newBuilder().tensor("q", 4, []uint64{32}, make([]byte, 20), -1).bytes(),
			[]string{`tensor "q"`, "type id 4"}},
		{"out of bounds", newBuilder().tensor("far", uint32(F32), []uint64{4}, f32bytes(1, 2, 3, 4), 1<<20).bytes(),
			[]string{`tensor "far"`, "file has", "[1048640, 1048656)"}},
		{"misaligned", newBuilder().tensor("odd", uint32(F32), []uint64{1}, f32bytes(1, 2, 3, 4), 4).bytes(),
			[]string{`tensor "odd"`, "not a multiple of the alignment 32"}},
		{"partial block", newBuilder().tensor("qq", uint32(Q8_0), []uint64{40}, make([]byte, 68), -1).bytes(),
			[]string{`tensor "qq"`, "row length 40", "block size 32"}},
		{"rank 5", newBuilder().tensor("r5", uint32(F32), []uint64{1, 1, 1, 1, 1}, f32bytes(1), -1).bytes(),
			[]string{`tensor "r5"`, "rank 5"}},
		{"dims overflow", newBuilder().tensor("huge", uint32(F32), []uint64{1 << 40, 1 << 40}, nil, -1).bytes(),
			[]string{`tensor "huge"`, "overflow"}},
		{"duplicate tensor", newBuilder().tensor("w", uint32(F32), []uint64{1}, f32bytes(1), -1).
			tensor("w", uint32(F32), []uint64{1}, f32bytes(1), -1).bytes(), []string{`tensor "w" appears twice`}},
		{"duplicate key", newBuilder().kvU32("a", 1).kvU32("a", 2).bytes(), []string{`"a" appears twice`}},
		{"bad alignment", newBuilder().kvU32("general.alignment", 48).bytes(), []string{"general.alignment = 48"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, c.data)
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatalf("Open succeeded")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "gguf: ") || !strings.Contains(msg, path) {
				t.Errorf("error %q does not name the package and the file", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestUnsupportedTypeReadsRaw(t *testing.T) {
	// An IQ4_NL tensor (known layout, no kernel): Open and ReadRaw work, ReadFloat32 says why not.
	data := newBuilder().tensor("iq", uint32(IQ4_NL), []uint64{32}, make([]byte, 18), -1).bytes()
	f, err := Open(writeTemp(t, data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if raw, _, err := f.ReadRaw("iq"); err != nil || len(raw) != 18 {
		t.Errorf("ReadRaw: %d bytes, %v", len(raw), err)
	}
	_, _, err = f.ReadFloat32("iq")
	if err == nil || !strings.Contains(err.Error(), `tensor "iq"`) || !strings.Contains(err.Error(), "IQ4_NL") {
		t.Errorf("ReadFloat32 error = %v", err)
	}
}
