package lm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph code reads like maths
)

// The engine by architecture family (see "Families" in doc.go): each family file implements
// family, the registry below names it by model_type, and the loader and the graphs (load.go,
// graphs.go) go through these interfaces only.

// family is one architecture family: it reads a model file's hyper-parameters and builds the
// model they describe.
type family interface {
	// readConfig reads a config.json as the family's transformers configuration class does: h
	// holds the fields every family has, and decodes the family's own.
	readConfig(h *hfConfig, path string) (Config, error)
	// readGGUF completes c, which holds what every GGUF file says alike (llama.cpp's {arch}.*
	// keys), or refuses the file. permuted says that llama.cpp's converter reordered the rows of
	// q_proj and k_proj, which ggufSource puts back in Hugging Face's order.
	readGGUF(c *Config, f *gguf.File) (permuted bool, err error)
	// newModel returns the model of config c, its weights not yet bound: its weights method
	// lists them, for Load to read and for bind to point at a graph's inputs.
	newModel(c Config) model
}

// model is one family's forward pass, as the graphs (graphs.go) run it: embed, each block in
// turn, then unembed (or finalNorm alone, for the last hidden state).
type model interface {
	// weights lists the model's weights in the order the graphs take them as inputs.
	weights() []weight
	// embed turns tokens [B, T] into the residual stream [B, T, D].
	embed(tokens *Node) *Node
	// block runs decoder block layer on the residual stream x [B, T, D]; kv stores the block's
	// keys and values and says what it attends over (graphs.go).
	block(layer int, x *Node, at attnInputs, kv kvWriter) *Node
	// finalNorm is the norm after the last block: x [..., D] -> [..., D].
	finalNorm(x *Node) *Node
	// unembed is the final norm and the unembedding: x [..., D] -> logits [..., V].
	unembed(x *Node) *Node
}

// registry maps each model_type (config.json's, or a GGUF file's general.architecture) to the
// family that runs it. Adding a family is a file that implements family, and a line here.
var registry = []struct {
	modelType string
	family    family
}{
	{"llama", llama{}},                // Llama 2 and 3, SmolLM2: llama.go
	{"mistral", llama{mistral: true}}, // llama.go
	{"qwen2", qwen{biases: true}},     // qwen.go
	{"qwen3", qwen{qkNorm: true}},     // qwen.go
	{"gemma2", gemma2},                // gemma.go
	{"gemma3_text", gemma3},           // gemma.go
	{"gemma4_text", gemma4{}},         // gemma4.go
}

// multimodal maps the model_type of a multimodal checkpoint to that of its language model, whose
// config is the file's text_config (the vision and audio towers are ignored).
var multimodal = map[string]string{"gemma3": "gemma3_text", "gemma4": "gemma4_text"}

// familyOf finds the family of a model_type; source names the model file in the error.
func familyOf(modelType, source string) (family, error) {
	var names []string
	for _, f := range registry {
		if f.modelType == modelType {
			return f.family, nil
		}
		names = append(names, f.modelType)
	}
	hint := ""
	if _, ok := multimodal[modelType]; ok {
		hint = " (a multimodal checkpoint needs its text_config)"
	}
	return nil, fmt.Errorf("%s: architecture %q is not supported%s; supported: %s", source, modelType, hint, strings.Join(names, ", "))
}

// modelOf is the model of config c (read by Load, so its architecture is known), unbound.
func modelOf(c Config) model {
	f, err := familyOf(c.Architecture, "lm")
	if err != nil {
		panic(err)
	}
	return f.newModel(c)
}

// bind is the model of config c on a graph's weight inputs in (weights order).
func bind(c Config, in []*Node) model {
	m := modelOf(c)
	for k, w := range m.weights() {
		*w.to = in[k]
	}
	return m
}

// weight is one weight input of the graphs: one checkpoint tensor, or several stacked along the
// rows (q, k and v; gate and up: one matrix product then reads the input once), each with the
// shape the config implies (Load checks it), and the model's field that holds it in a graph.
type weight struct {
	to    **Node
	parts []part
	table bool // only looked up, never multiplied: stored as the checkpoint has it (see hostLayout)
}

// part is one checkpoint tensor of a weight.
type part struct {
	key   string // its Hugging Face name
	shape []int
}

// param is a weight made of one checkpoint tensor.
func param(to **Node, key string, shape ...int) weight {
	return weight{to: to, parts: []part{{key, shape}}}
}

// lookupTable is a weight that is only looked up (an embedding table that is not the
// unembedding too).
func lookupTable(to **Node, key string, shape ...int) weight {
	w := param(to, key, shape...)
	w.table = true
	return w
}

// and stacks one more checkpoint tensor below w's rows.
func (w weight) and(key string, shape ...int) weight {
	w.parts = append(slices.Clip(w.parts), part{key, shape})
	return w
}

// layerKeys names the checkpoint keys of block i: key("input_layernorm.weight") is
// "model.layers.{i}.input_layernorm.weight".
func layerKeys(i int) func(key string) string {
	return func(key string) string { return fmt.Sprintf("model.layers.%d.%s", i, key) }
}

// weightSlots lists the graphs' weight inputs in order, each as the checkpoint keys it is made of.
func weightSlots(c Config) [][]string {
	var slots [][]string
	for _, w := range modelOf(c).weights() {
		var keys []string
		for _, p := range w.parts {
			keys = append(keys, p.key)
		}
		slots = append(slots, keys)
	}
	return slots
}

// numWeightInputs is how many weight inputs the graphs take.
func numWeightInputs(c Config) int { return len(modelOf(c).weights()) }

// ends holds what every family's model has around its blocks, and their plain use: the token
// embedding, the final norm and the unembedding. A family's model embeds it, and replaces the
// methods its family changes (Gemma's gemmaEnds scales the embeddings and soft-caps the logits).
type ends struct {
	c           Config
	EmbedTokens *Node // model.embed_tokens: [D, V] in float32 (hostLayout), blocks [V, D/32, bytes] when quantized
	Norm        *Node // model.norm [D]
	LMHead      *Node // lm_head, laid out as EmbedTokens; nil when tied to the embedding
}

// around lists a model's weights: the embedding, then inner (the blocks', and any of the
// family's own), then the final norm and the unembedding.
func (e *ends) around(inner []weight) []weight {
	c := e.c
	ws := append([]weight{param(&e.EmbedTokens, "model.embed_tokens.weight", c.VocabSize, c.HiddenSize)}, inner...)
	ws = append(ws, param(&e.Norm, "model.norm.weight", c.HiddenSize))
	if !c.TieWordEmbeddings {
		ws = append(ws, param(&e.LMHead, "lm_head.weight", c.VocabSize, c.HiddenSize))
	}
	return ws
}

func (e *ends) embed(tokens *Node) *Node { return lookup(e.EmbedTokens, tokens, e.c.HiddenSize) }

func (e *ends) finalNorm(x *Node) *Node { return rmsNorm(x, e.Norm, e.c.RMSNormEps) }

func (e *ends) unembed(x *Node) *Node {
	head := e.LMHead
	if head == nil { // tied: the embedding matrix, [D, V] as hostLayout keeps it
		head = e.EmbedTokens
	}
	return linear(e.finalNorm(x), head, nil) // a projection from D to V
}
