package lm

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
)

// The number of slots of continuous batching (GenerateOptions.BatchSize), when the caller leaves it
// to the engine.

// MaxAutoSlots is the most slots AutoSlots picks: the largest batch measured on a CPU, where the
// engine's rate still grew from 32 to 64 (BENCHMARKS.md). A stream's cache holds only the rows its
// sequences need, so a cap above the work costs nothing.
const MaxAutoSlots = 64

// DefaultSlots is the number of slots where the free memory is unknown (a GPU's, say).
const DefaultSlots = 8

// autoPromptTokens is what AutoSlots allows for a prompt beside its completion: a story's prompt is
// about 100 tokens, the last turn of a neutral dialogue several hundred.
const autoPromptTokens = 1024

// KVBytesPerPosition is what one position of one slot takes in the KV cache: the keys and values,
// float32, of every block that keeps its own.
func (c Config) KVBytesPerPosition() int64 {
	var n int64
	for l := range c.NumLayers {
		if c.kvSource(l) == l {
			n += 2 * int64(c.kvHeads(l)) * int64(c.headDim(l)) * 4
		}
	}
	return n
}

// AutoSlots is the number of slots for completions of up to maxNew tokens when free bytes of memory
// are free: as many as fit in a quarter of it, each slot counting its KV cache (a prompt of
// autoPromptTokens and the completion, within the model's context) and its row of logits, between 1
// and MaxAutoSlots. free <= 0 (unknown) gives DefaultSlots.
func AutoSlots(c Config, maxNew int, free int64) int {
	if free <= 0 {
		return DefaultSlots
	}
	positions := maxNew + autoPromptTokens
	if c.MaxPositions > 0 {
		positions = min(positions, c.MaxPositions)
	}
	perSlot := int64(positions)*c.KVBytesPerPosition() + int64(c.VocabSize)*4
	return int(min(max(free/4/perSlot, 1), MaxAutoSlots))
}

// autoSlots is AutoSlots for this model: the host's free memory when the backend computes on the
// host (the pure-Go backend, XLA's CPU plugin); otherwise the device's free memory is not known
// here, and it is DefaultSlots.
func (m *Model) autoSlots(maxNew int) int {
	free := int64(0)
	if onHost(m.backend) {
		free = FreeMemory()
	}
	return AutoSlots(m.Config, maxNew, free)
}

func onHost(b compute.Backend) bool {
	return b.String() == DefaultBackend || strings.Contains(strings.ToLower(b.Description()), "cpu")
}

// FreeMemory is the memory the system can give without swapping, in bytes: MemAvailable of
// /proc/meminfo on Linux; 0 where it is not known.
func FreeMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
