package gguf

import (
	"os"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to the parser and reads every tensor it accepts: nothing may panic, and a
// file that parses must yield readable tensors. Seeds: the fixtures, truncations of them, and a hand-built
// file. Run longer with: go test ./pkg/engine/gguf -run '^$' -fuzz FuzzOpen -fuzztime 60s
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
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parse("fuzz", data)
		if err != nil {
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
