package lm

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
)

// NextTokenLogits reads texts (token ids) and returns, for each, the logits of the token that
// would follow its last one: [len(texts)][V]. With steer, the vector is added at every position
// of the text (hidden_states[steer.Layer]), as Generate does for a prompt; steer.OnlyNew makes no
// sense here (a reading has no generated tokens) and is an error. This is what the steering check
// of package probe compares: the next token's log-probabilities with and without a vector.
func (m *Model) NextTokenLogits(texts [][]int, steer *Steering) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, fmt.Errorf("lm: NextTokenLogits: no texts")
	}
	if err := steer.check(m.Config); err != nil {
		return nil, err
	}
	if steer != nil && steer.OnlyNew {
		return nil, fmt.Errorf("lm: NextTokenLogits: Steering.OnlyNew steers generated tokens only, and a reading generates none: unset it")
	}
	spec := forwardSpec{Logits: true, SteerLayer: -1}
	outs, batch, err := m.forward(texts, spec, steer)
	if err != nil {
		return nil, err
	}
	logits := outs[len(outs)-1] // [B, T, V]
	flat, err := tensors.CopyFlatData[float32](logits)
	for _, o := range outs {
		o.FinalizeAll()
	}
	if err != nil {
		return nil, err
	}
	v := len(flat) / (batch.B * batch.T)
	res := make([][]float32, len(texts))
	for i, t := range texts {
		off := (i*batch.T + len(t) - 1) * v
		res[i] = append([]float32(nil), flat[off:off+v]...)
	}
	return res, nil
}
