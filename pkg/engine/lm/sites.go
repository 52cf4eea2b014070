package lm

import "fmt"

// Site names one activation site of the residual stream, TransformerLens style.
//
// Layer counts blocks the way the method does: Layer L is the residual stream after L blocks,
// Hugging Face's hidden_states[L]. Layer 0 is the token embeddings; Layer n_layers is the
// output of the last block (before the final norm).
type Site struct{ Layer int }

// String gives the TransformerLens name: blocks.{L-1}.hook_resid_post, or hook_embed for L=0.
func (s Site) String() string {
	if s.Layer == 0 {
		return "hook_embed"
	}
	return fmt.Sprintf("blocks.%d.hook_resid_post", s.Layer-1)
}
