package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxSafetensorsHeader bounds the header Verify reads, as the reference implementation does (100 MB), so
// that a garbage length cannot make it allocate gigabytes.
const maxSafetensorsHeader = 100 << 20

// checkSafetensors checks the framing of the safetensors file at path (size bytes): an 8-byte little-endian
// header length, a JSON object header, and tensors whose data_offsets end exactly at the end of the file.
// It reads only the header, so checking every unit at the start of a resumed run stays cheap.
//
// It is a local copy of the framing rules rather than a call to pkg/engine/safetensors because support
// packages must not import engine ones; the full reader still validates each tensor when a unit is loaded.
func checkSafetensors(path string, size int64) error {
	if size < 8 {
		return fmt.Errorf("%d bytes, too short for a safetensors file", size)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return err
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxSafetensorsHeader || n > uint64(size-8) {
		return fmt.Errorf("header length %d does not fit in the file (%d bytes)", n, size)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if raw == nil {
		return errors.New("header is not a JSON object")
	}
	var end uint64
	for name, msg := range raw {
		if name == "__metadata__" {
			continue
		}
		var t struct {
			Offsets []uint64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &t); err != nil || len(t.Offsets) != 2 || t.Offsets[0] > t.Offsets[1] {
			return fmt.Errorf("tensor %q: bad data_offsets", name)
		}
		end = max(end, t.Offsets[1])
	}
	if data := uint64(size) - 8 - n; data != end {
		return fmt.Errorf("tensor data is %d bytes, the header describes %d: truncated or overwritten", data, end)
	}
	return nil
}
