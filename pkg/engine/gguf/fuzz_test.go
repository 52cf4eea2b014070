package gguf

import (
	"os"
	"strings"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to the parser and reads every tensor it accepts: nothing may panic, a
// refused file gets an error naming the file, and a file that parses must yield readable tensors. Seeds: the
// fixtures, truncations of them, and hand-built files. Run longer with:
// go test ./pkg/engine/gguf -run '^$' -fuzz FuzzOpen -fuzztime 60s -fuzzminimizetime 1s
func FuzzOpen(f *testing.F) {
	for _, name := range []string{"testdata/synthetic.gguf", "testdata/align64.gguf"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		for _, n := range []int{4, 8, 24, 60, 200, 500, 1000, len(b) / 2, len(b) - 1} {
			if n < len(b) {
				f.Add(b[:n])
			}
		}
	}
	f.Add(newBuilder().kvU32("general.alignment", 64).tensor("w", uint32(Q4_K), []uint64{256}, make([]byte, 144), -1).bytes())
	// Metadata of every shape a tokenizer uses (strings, arrays of strings and numbers, arrays of arrays),
	// so that mutations reach the value decoder, where lengths and counts are read.
	f.Add(newBuilder().kvRaw("general.name", TypeString, le(uint64(3), []byte("abc"))).
		kvRaw("tokenizer.ggml.tokens", TypeArray, le(uint32(TypeString), uint64(2), uint64(1), []byte("a"), uint64(2), []byte("bc"))).
		kvRaw("tokenizer.ggml.scores", TypeArray, le(uint32(TypeFloat32), uint64(2), float32(0.5), float32(-1))).
		kvRaw("nested", TypeArray, le(uint32(TypeArray), uint64(1), uint32(TypeInt16), uint64(2), int16(-1), int16(7))).
		kvRaw("flag", TypeBool, []byte{1}).
		tensor("t", uint32(F16), []uint64{2, 2}, make([]byte, 8), -1).bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parse("fuzz", data)
		if err != nil {
			// Every refusal names the package and the file, then says what is wrong where.
			if msg := err.Error(); !strings.HasPrefix(msg, "gguf: fuzz: ") || len(msg) < len("gguf: fuzz: ")+10 {
				t.Fatalf("error %q does not name the file and the fault", msg)
			}
			return
		}
		for _, ti := range file.Tensors() {
			if ti.Offset < 0 || ti.Offset+ti.Size > int64(len(data)) {
				t.Fatalf("tensor %q at [%d, %d) outside %d bytes", ti.Name, ti.Offset, ti.Offset+ti.Size, len(data))
			}
			if _, _, err := file.ReadRaw(ti.Name); err != nil {
				t.Fatalf("ReadRaw(%q): %v", ti.Name, err)
			}
			if !ti.Type.CanDequantize() || ti.Elements() > 1<<22 {
				continue
			}
			if _, _, err := file.ReadFloat32(ti.Name); err != nil {
				t.Fatalf("ReadFloat32(%q): %v", ti.Name, err)
			}
		}
	})
}
