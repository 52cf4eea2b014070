package lm

import (
	"runtime"
	"testing"
)

// SmolLM2-135M's shape: 30 blocks, 3 key/value heads of 64, 49,152 tokens. Per position of a slot:
// 30 x 2 (keys, values) x 3 x 64 x 4 bytes = 46,080. A slot for 224 new tokens and a prompt of
// 1,024: 1,248 x 46,080 + 49,152 x 4 (its logits) = 57,704,448 bytes.
func TestAutoSlots(t *testing.T) {
	c := Config{NumLayers: 30, NumKVHeads: 3, HeadDim: 64, VocabSize: 49152, MaxPositions: 8192}
	if got := c.KVBytesPerPosition(); got != 46080 {
		t.Errorf("KVBytesPerPosition = %d, want 46080", got)
	}
	for _, tc := range []struct {
		free int64
		want int
	}{
		{24 << 30, 64}, // a quarter of 24 GiB holds 111 slots: capped
		{2 << 30, 9},   // 536,870,912 / 57,704,448 = 9.3
		{100 << 20, 1}, // not one slot's worth: still one
		{0, 8},         // unknown: DefaultSlots
	} {
		if got := AutoSlots(c, 224, tc.free); got != tc.want {
			t.Errorf("AutoSlots(free %d) = %d, want %d", tc.free, got, tc.want)
		}
	}
	// A short context bounds the positions: 512 x 46,080 + 196,608 = 23,789,568 bytes a slot.
	c.MaxPositions = 512
	if got := AutoSlots(c, 224, 1<<30); got != 11 { // 268,435,456 / 23,789,568 = 11.3
		t.Errorf("AutoSlots with a 512-token context = %d, want 11", got)
	}
	if runtime.GOOS == "linux" && FreeMemory() <= 0 {
		t.Errorf("FreeMemory() = %d on this machine; want /proc/meminfo's MemAvailable", FreeMemory())
	}
}
