package lm

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
	"github.com/emotion-probes/emotion-probes/pkg/engine/tokenizer"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Model is a loaded language model on one GoMLX backend. It is safe for use by one goroutine
// at a time per call; calls are serialised.
type Model struct {
	Config    Config
	Tokenizer *tokenizer.Tokenizer
	Chat      *chat.Template // the model's own chat template, or a built-in one (Chat.Warning); nil when its own cannot be read (ChatPrompt says why)
	Path      string         // the file or folder it was loaded from

	chatErr error

	backend compute.Backend
	weights []*tensors.Tensor // one per graph input, in the order of the family's model.weights, on the backend's device

	mu    sync.Mutex
	execs map[string]*graph.Exec
}

// Close releases the backend's memory for the weights and compiled programs.
func (m *Model) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.execs {
		e.Finalize()
	}
	m.execs = nil
	for _, w := range m.weights {
		if w != nil { // nil: a weight a failed Load had not placed
			w.FinalizeAll()
		}
	}
	m.weights = nil
}

// Backend is the backend the model runs on.
func (m *Model) Backend() compute.Backend { return m.backend }

// exec returns the compiled program for key, building it on first use.
func (m *Model) exec(key string, build func() func(*graph.Graph, []*graph.Node) []*graph.Node) (*graph.Exec, error) {
	if e, ok := m.execs[key]; ok {
		return e, nil
	}
	e, err := graph.NewExec(m.backend, build())
	if err != nil {
		return nil, fmt.Errorf("lm: building program %s: %w", key, err)
	}
	e.SetMaxCache(64)
	if m.execs == nil {
		m.execs = make(map[string]*graph.Exec)
	}
	m.execs[key] = e
	return e, nil
}

// call runs e with the weights followed by data.
func (m *Model) call(e *graph.Exec, data ...any) ([]*tensors.Tensor, error) {
	args := make([]any, 0, len(m.weights)+len(data))
	for _, w := range m.weights {
		args = append(args, w)
	}
	args = append(args, data...)
	return e.Call(args...)
}

// bucket rounds n up to a multiple of step, so that few shapes get compiled.
func bucket(n, step int) int { return (n + step - 1) / step * step }

// Batch is a set of token sequences, right-padded into one rectangle.
type Batch struct {
	Tokens  []int32 // [B, T] row-major, padded with 0
	Lengths []int32 // [B] real lengths
	B, T    int
}

// NewBatch pads seqs to a common length rounded up to a multiple of padTo, and adds rows of
// length 1 until there are at least minRows (so that a last, partial batch reuses the program
// compiled for full ones).
func NewBatch(seqs [][]int, padTo, minRows int) Batch {
	t := 1
	for _, s := range seqs {
		t = max(t, len(s))
	}
	t = bucket(t, max(padTo, 1))
	b := max(len(seqs), minRows)
	out := Batch{Tokens: make([]int32, b*t), Lengths: make([]int32, b), B: b, T: t}
	for i := range b {
		out.Lengths[i] = 1
		if i < len(seqs) {
			out.Lengths[i] = int32(max(len(seqs[i]), 1))
			for j, id := range seqs[i] {
				out.Tokens[i*t+j] = int32(id)
			}
		}
	}
	return out
}

// HiddenStates holds the residual stream of a batch at some layers.
type HiddenStates struct {
	Layers  []int       // which hidden_states indices, as asked
	Data    [][]float32 // per layer: [B, T, D] row-major
	Lengths []int       // real length of each text; positions past it are padding
	B, T, D int
}

// At returns the hidden state of text b at position t for the i-th requested layer: [D].
func (h *HiddenStates) At(i, b, t int) []float32 {
	off := (b*h.T + t) * h.D
	return h.Data[i][off : off+h.D]
}

// HiddenStates runs texts (token ids, BOS included if wanted) through the model in one pass and
// returns the residual stream at the given layers (hidden_states indices: 0 = embeddings, L =
// after L blocks). The pass stops at the deepest layer asked for. Texts of different lengths are
// padded on the right to ReadLength of the longest and masked: a text's states do not depend on
// its neighbours. Read packs many texts into such passes.
func (m *Model) HiddenStates(texts [][]int, layers []int) (*HiddenStates, error) {
	if len(texts) == 0 {
		return nil, fmt.Errorf("lm: HiddenStates: no texts")
	}
	layers = append([]int(nil), layers...)
	sort.Ints(layers)
	for _, l := range layers {
		if l < 0 || l > m.Config.NumLayers {
			return nil, fmt.Errorf("lm: layer %d is out of range: this model has layers 0..%d (0 = embeddings)", l, m.Config.NumLayers)
		}
	}
	spec := forwardSpec{Layers: layers, SteerLayer: -1}
	outs, batch, err := m.forward(texts, spec, nil)
	if err != nil {
		return nil, err
	}
	h := &HiddenStates{Layers: layers, B: len(texts), T: batch.T, D: m.Config.HiddenSize}
	for i := range texts {
		h.Lengths = append(h.Lengths, len(texts[i]))
	}
	for _, o := range outs {
		flat, err := tensors.CopyFlatData[float32](o)
		if err != nil {
			return nil, err
		}
		h.Data = append(h.Data, flat[:h.B*h.T*h.D])
		o.FinalizeAll()
	}
	return h, nil
}

// forward runs forwardGraph over texts.
func (m *Model) forward(texts [][]int, spec forwardSpec, steer *Steering) ([]*tensors.Tensor, Batch, error) {
	for i, t := range texts {
		if len(t) == 0 {
			return nil, Batch{}, fmt.Errorf("lm: text %d has no tokens", i)
		}
		if m.Config.MaxPositions > 0 && len(t) > m.Config.MaxPositions {
			return nil, Batch{}, fmt.Errorf("lm: text %d has %d tokens, more than the model's context of %d", i, len(t), m.Config.MaxPositions)
		}
	}
	longest := 0
	for _, t := range texts {
		longest = max(longest, len(t))
	}
	batch := NewBatch(texts, readStep(longest), 0) // T = ReadLength(longest): the lengths Read plans for
	steerVec, steerScale := m.steerInputs(steer, batch.B, batch.T, func(b, t int) bool { return true })
	if steer != nil {
		spec.SteerLayer = steer.Layer
	}
	key := fmt.Sprintf("forward%v/all=%v/logits=%v/steer=%d", spec.Layers, spec.AllLayers, spec.Logits, spec.SteerLayer)
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.exec(key, func() func(*graph.Graph, []*graph.Node) []*graph.Node { return forwardGraph(m.Config, spec) })
	if err != nil {
		return nil, batch, err
	}
	outs, err := m.call(e,
		tensors.FromFlatDataAndDimensions(batch.Tokens, batch.B, batch.T),
		tensors.FromFlatDataAndDimensions(batch.Lengths, batch.B),
		steerVec, steerScale)
	if err != nil {
		return nil, batch, fmt.Errorf("lm: forward pass: %w", err)
	}
	return outs, batch, nil
}

// Steering adds Vector to the residual stream after Layer blocks (hidden_states[Layer]), at the
// positions Where says, while reading or generating.
type Steering struct {
	Layer  int
	Vector []float32 // [D], already scaled (alpha x norm x unit vector)
	// OnlyNew limits steering to generated tokens; by default the prompt is steered too.
	OnlyNew bool
}

// steerInputs makes the steer [D] and steerScale [B, T] inputs; zero when steer is nil.
func (m *Model) steerInputs(s *Steering, b, t int, at func(b, t int) bool) (*tensors.Tensor, *tensors.Tensor) {
	vec := make([]float32, m.Config.HiddenSize)
	scale := make([]float32, b*t)
	if s != nil {
		copy(vec, s.Vector)
		for i := range b {
			for j := range t {
				if at(i, j) {
					scale[i*t+j] = 1
				}
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(vec, len(vec)), tensors.FromFlatDataAndDimensions(scale, b, t)
}

func (s *Steering) check(c Config) error {
	if s == nil {
		return nil
	}
	if s.Layer < 0 || s.Layer >= c.NumLayers {
		return fmt.Errorf("lm: steering layer %d is out of range 0..%d", s.Layer, c.NumLayers-1)
	}
	if len(s.Vector) != c.HiddenSize {
		return fmt.Errorf("lm: steering vector has %d values, the model's hidden size is %d", len(s.Vector), c.HiddenSize)
	}
	return nil
}

// Unembed applies the final norm and the unembedding to vectors [N, D], giving logits [N, V]:
// the logit lens.
func (m *Model) Unembed(vectors [][]float32) ([][]float32, error) {
	n, d := len(vectors), m.Config.HiddenSize
	flat := make([]float32, 0, n*d)
	for i, v := range vectors {
		if len(v) != d {
			return nil, fmt.Errorf("lm: Unembed: vector %d has %d values, want %d", i, len(v), d)
		}
		flat = append(flat, v...)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	nw := numWeightInputs(m.Config)
	e, err := m.exec("unembed", func() func(*graph.Graph, []*graph.Node) []*graph.Node {
		return func(g *graph.Graph, in []*graph.Node) []*graph.Node {
			return []*graph.Node{bind(m.Config, in[:nw]).unembed(in[nw])}
		}
	})
	if err != nil {
		return nil, err
	}
	outs, err := m.call(e, tensors.FromFlatDataAndDimensions(flat, n, d))
	if err != nil {
		return nil, fmt.Errorf("lm: unembed: %w", err)
	}
	logits, err := tensors.CopyFlatData[float32](outs[0])
	if err != nil {
		return nil, err
	}
	v := len(logits) / max(n, 1)
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = logits[i*v : (i+1)*v]
	}
	return rows, nil
}

// Forward is one text's full pass, for comparing the engine with another one (the `forward`
// command): every hidden state and the logits.
type Forward struct {
	Tokens             []int
	Hidden             []float32 // [n_layers+1, T, D]; the last after the final norm, as transformers
	Logits             []float32 // [T, V]
	T, D, V, NumStates int
}

// AllHiddenStates runs one tokenized text and returns every hidden state and the logits,
// laid out as transformers' output_hidden_states (index n_layers has the final norm applied).
func (m *Model) AllHiddenStates(tokens []int) (*Forward, error) {
	spec := forwardSpec{AllLayers: true, Logits: true, SteerLayer: -1}
	outs, batch, err := m.forward([][]int{tokens}, spec, nil)
	if err != nil {
		return nil, err
	}
	t, d := len(tokens), m.Config.HiddenSize
	f := &Forward{Tokens: tokens, T: t, D: d, NumStates: m.Config.NumLayers + 1}
	for i, o := range outs {
		flat, err := tensors.CopyFlatData[float32](o)
		if err != nil {
			return nil, err
		}
		o.FinalizeAll()
		if i == len(outs)-1 {
			f.V = len(flat) / batch.T
			f.Logits = flat[:t*f.V]
			continue
		}
		f.Hidden = append(f.Hidden, flat[:t*d]...)
	}
	return f, nil
}

func describeShape(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(s, ", ") + "]"
}
