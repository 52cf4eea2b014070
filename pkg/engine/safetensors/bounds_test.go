package safetensors

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestHugeClaimsRefusedBeforeAllocating: a header that claims more than the file holds (a header of 10^12
// bytes, a tensor of 10^12 elements) is refused with an error naming the file and the tensor, quickly, and
// without allocating for the claim.
func TestHugeClaimsRefusedBeforeAllocating(t *testing.T) {
	hugeHeader := make([]byte, 64)
	binary.LittleEndian.PutUint64(hugeHeader, 1e12)
	cases := []struct {
		name string
		data []byte
		want []string
	}{
		{"header of 1e12 bytes", hugeHeader, []string{"header length 1000000000000 exceeds the file (64 bytes)"}},
		{"header of 2^64-1 bytes", append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "{}"...), []string{"header length 18446744073709551615"}},
		{"tensor of 1e12 elements", file(`{"w":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4000000000000]}}`, make([]byte, 16)),
			[]string{`tensor "w"`, "data_offsets [0, 4000000000000] outside the 16 bytes of data"}},
		{"shape of 1e12 for 4 bytes", file(`{"w":{"dtype":"F32","shape":[1000000000000],"data_offsets":[0,4]}}`, make([]byte, 4)),
			[]string{`tensor "w"`, "needs 4000000000000 bytes"}},
		{"shape that overflows", file(`{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, make([]byte, 8)),
			[]string{`tensor "w"`, "overflows"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "big.safetensors")
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			f, err := Open(path)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil {
				f.Close()
				t.Fatal("Open accepted the file")
			}
			for _, w := range append(c.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("refusing a %d-byte file allocated %d MB", len(c.data), alloc>>20)
			}
			if elapsed > 2*time.Second {
				t.Errorf("refusing the file took %v", elapsed)
			}
		})
	}
}
