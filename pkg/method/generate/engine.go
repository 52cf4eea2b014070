package generate

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
)

// Engine is what the generation stages need from a language model. *lm.Model satisfies it; tests use a
// scripted fake.
type Engine interface {
	// ChatPrompt formats messages with the model's chat template, ending with the assistant's header.
	ChatPrompt(msgs []chat.Message) ([]int, error)
	// Stream continues requests as they come (see lm.Model.Stream); a completion must depend only on its
	// prompt and seed, not on the batch it ran in or the order completions finish in.
	lm.Streamer
	// StopTokens are the ids that end a completion.
	StopTokens() []int
	// Text decodes generated ids.
	Text(ids []int) string
	// ReadingTokens tokenizes a text the way the activation stage reads it (BOS first, no template).
	ReadingTokens(text string) []int
}

var _ Engine = (*lm.Model)(nil)

// Seed derives the sampling seed of one completion from the run's seed and the completion's identity: the
// first 8 bytes (big-endian) of SHA-256 over the fields, each followed by a zero byte. Because it depends on
// nothing else, a completion is the same whatever batch it ran in, whichever machine ran its shard, and
// whether the run was interrupted. stage separates the stages ("stories", "neutral"); key names the unit
// (emotion and topic, or topic).
func Seed(runSeed int64, stage string, key []string, attempt int) uint64 {
	h := sha256.New()
	write := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	write(strconv.FormatInt(runSeed, 10))
	write(stage)
	for _, k := range key {
		write(k)
	}
	write(strconv.Itoa(attempt))
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}
