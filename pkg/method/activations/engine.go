package activations

import "github.com/emotion-probes/emotion-probes/pkg/engine/lm"

// Engine is what the activation stage needs from a language model. *lm.Model satisfies it; tests use the
// tiny model in pkg/engine/lm/testdata or a fake whose states are known by construction.
type Engine interface {
	// HiddenStates runs texts (token ids) through the model and returns the residual stream at the given
	// hidden_states indices, per layer [B, T, D], right-padded: At(i, b, t) is position t of text b.
	// A text's states must not depend on the other texts of the call, beyond float32 rounding.
	HiddenStates(texts [][]int, layers []int) (*lm.HiddenStates, error)
	// ReadingTokens tokenizes a text as it is read back: the raw text, BOS first (position 0).
	ReadingTokens(text string) []int
}

var _ Engine = (*lm.Model)(nil)
