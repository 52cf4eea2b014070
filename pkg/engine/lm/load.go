package lm

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	"github.com/emotion-probes/emotion-probes/pkg/engine/tokenizer"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// LoadOptions controls Load.
type LoadOptions struct {
	Backend string // see NewBackend; "" is the pure-Go CPU backend; resolve "auto" with ResolveBackend first
	// Quantize stores the weight matrices quantized, expanded inside the graph at use (quant.go):
	// QuantizeNone ("" too) is float32, Quantize8Bit and Quantize4Bit are blocks of 8 or 4 bits.
	Quantize Quantize
}

// Load reads a model from a GGUF file or a Hugging Face folder (config.json, tokenizer.json,
// *.safetensors) and places its weights on the backend. Every tensor the architecture needs
// must be present with the shape its config implies.
func Load(path string, opts LoadOptions) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("lm: model %q: %w (give a .gguf file or a Hugging Face model folder)", path, err)
	}
	var (
		src      weightSource
		cfg      Config
		tok      *tokenizer.Tokenizer
		template chatSource
	)
	if st.IsDir() {
		cfg, src, tok, template, err = openHFFolder(path)
	} else {
		cfg, src, tok, template, err = openGGUF(path)
	}
	if err != nil {
		return nil, err
	}
	defer src.Close()
	if v := tok.VocabSize(); v > cfg.VocabSize {
		return nil, fmt.Errorf("lm: %s: the tokenizer has %d tokens but the embedding only %d rows: tokenizer and model do not fit", path, v, cfg.VocabSize)
	}

	name := opts.Backend
	if name == "" {
		name = DefaultBackend
	}
	backend, err := NewBackend(name)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, Tokenizer: tok, Path: path, backend: backend}
	m.Chat, m.chatErr = chatTemplate(template, tok)
	quantize, err := ParseQuantize(string(opts.Quantize))
	if err != nil {
		return nil, err
	}
	loaded := false
	defer func() {
		if !loaded {
			m.Close() // frees the weights already placed
		}
	}()
	// The graph inputs are read, arranged (packWeight) and placed on the device as many at a time as
	// there are CPUs, each dropping its host copies once placed: the weights are independent, and the
	// process holds only those few twice, never the whole model.
	ws := modelOf(cfg).weights()
	m.weights = make([]*tensors.Tensor, len(ws))
	errs := make([]error, len(ws))
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, w := range ws {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			m.weights[i], errs[i] = m.placeWeight(src, w, quantize)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	// The host copies are garbage now: hand their pages back to the OS at once rather than when
	// the GC's scavenger gets to them, so that they do not add to the process's resident memory.
	debug.FreeOSMemory()
	loaded = true
	return m, nil
}

// placeWeight reads the checkpoint tensors of one graph input from src, arranges them (packWeight) and
// places the result on the model's backend.
func (m *Model) placeWeight(src weightSource, w weight, quantize Quantize) (*tensors.Tensor, error) {
	parts := make([]*tensors.Tensor, len(w.parts))
	for k, p := range w.parts {
		t, shape, err := readWeight(src, p.key, quantize)
		if err != nil {
			return nil, err
		}
		if !equalInts(shape, p.shape) {
			return nil, fmt.Errorf("lm: %s: tensor %s has shape %v, the config implies %v", m.Path, p.key, shape, p.shape)
		}
		parts[k] = t
	}
	t := packWeight(w, parts)
	if err := t.ToDevice(m.backend, 0); err != nil {
		return nil, fmt.Errorf("lm: %s: placing weight %s %s on backend %s: %w", m.Path, w.parts[0].key, t.Shape(), m.backend.Name(), err)
	}
	return t, nil
}

// weightSource reads float32 weights by their Hugging Face name. Its Read is safe for concurrent use.
type weightSource interface {
	Read(hfName string) ([]float32, []int, error)
	Close() error
}

// packWeight arranges one graph input from its checkpoint tensors: several are stacked along the
// rows (q, k, v; gate and up), and float32 matrices are stored as hostLayout says. The parts' host
// memory is released.
func packWeight(w weight, parts []*tensors.Tensor) *tensors.Tensor {
	if w.table || isBlocks(parts[0]) || parts[0].DType() != dtypes.Float32 || parts[0].Rank() != 2 {
		t := parts[0]
		if len(parts) > 1 {
			t = stackRows(parts...)
			for _, p := range parts {
				p.FinalizeAll()
			}
		}
		return t
	}
	return hostLayout(w.parts[0].key, parts...)
}

// hostLayout stores float32 matrices stacked along their rows and transposed, [in, out] instead of
// PyTorch's [out, in]: linear then multiplies x [..., in] by it as it lies, which XLA on the CPU runs up
// to twice as fast at the few rows of a decoding step (it copied the transpose of each [out, in] weight
// at every call). The embedding table counts as the unembedding's weight, [D, V]: the logits are a
// plain product (XLA repacked the whole [V, D] table at every decoding step), and lookup reads tokens'
// columns. A table that is only looked up (weight.table) is not passed here: it stays [V, n].
// Quantized blocks stay [out, in]: their blocks run along the input axis. key names the weight.
//
// The parts are written straight into the result's own memory, transposed, and released: one pass
// over the weights, where stacking and then transposing copied each of them four times.
func hostLayout(key string, parts ...*tensors.Tensor) *tensors.Tensor {
	cols := parts[0].Shape().Dimensions[1]
	rows := 0
	for _, p := range parts {
		if d := p.Shape().Dimensions; p.DType() != dtypes.Float32 || len(d) != 2 || d[1] != cols {
			panic(fmt.Errorf("lm: %s: cannot stack %s under a [*, %d] float32 matrix", key, p.Shape(), cols)) // made by Load
		}
		rows += p.Shape().Dimensions[0]
	}
	out := tensors.FromShape(shapes.Make(dtypes.Float32, cols, rows))
	const tile = 64 // transpose in tiles, for the caches
	err := tensors.MutableFlatData(out, func(tr []float32) {
		offset := 0 // the first row of the part being written
		for _, p := range parts {
			n := p.Shape().Dimensions[0]
			err := tensors.ConstFlatData(p, func(flat []float32) {
				for r0 := 0; r0 < n; r0 += tile {
					for c0 := 0; c0 < cols; c0 += tile {
						for r := r0; r < min(r0+tile, n); r++ {
							for c := c0; c < min(c0+tile, cols); c++ {
								tr[c*rows+offset+r] = flat[r*cols+c]
							}
						}
					}
				}
			})
			if err != nil {
				panic(fmt.Errorf("lm: %s: %w", key, err)) // float32 host tensors made by Load
			}
			offset += n
			p.FinalizeAll()
		}
	})
	if err != nil {
		panic(fmt.Errorf("lm: %s: %w", key, err))
	}
	return out
}

// stackRows concatenates tensors along their first axis.
func stackRows(parts ...*tensors.Tensor) *tensors.Tensor {
	if isBlocks(parts[0]) {
		return stackBlocks(parts...) // quantized weights (quant.go)
	}
	var data []float32
	dims := slices.Clone(parts[0].Shape().Dimensions)
	dims[0] = 0
	for _, p := range parts {
		flat, err := tensors.CopyFlatData[float32](p)
		if err != nil {
			panic(err) // float32 host tensors made by Load
		}
		data = append(data, flat...)
		dims[0] += p.Shape().Dimensions[0]
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ggufNames maps Hugging Face checkpoint keys to llama.cpp's GGUF tensor names (llama.cpp
// gguf-py/gguf/tensor_mapping.py, the same for every architecture); {i} is the block index.
var ggufNames = map[string]string{
	"model.embed_tokens.weight":                        "token_embd.weight",
	"model.norm.weight":                                "output_norm.weight",
	"lm_head.weight":                                   "output.weight",
	"model.layers.{i}.input_layernorm.weight":          "blk.{i}.attn_norm.weight",
	"model.layers.{i}.self_attn.q_proj.weight":         "blk.{i}.attn_q.weight",
	"model.layers.{i}.self_attn.k_proj.weight":         "blk.{i}.attn_k.weight",
	"model.layers.{i}.self_attn.v_proj.weight":         "blk.{i}.attn_v.weight",
	"model.layers.{i}.self_attn.q_proj.bias":           "blk.{i}.attn_q.bias",
	"model.layers.{i}.self_attn.q_norm.weight":         "blk.{i}.attn_q_norm.weight",
	"model.layers.{i}.self_attn.k_norm.weight":         "blk.{i}.attn_k_norm.weight",
	"model.layers.{i}.self_attn.k_proj.bias":           "blk.{i}.attn_k.bias",
	"model.layers.{i}.self_attn.v_proj.bias":           "blk.{i}.attn_v.bias",
	"model.layers.{i}.self_attn.o_proj.weight":         "blk.{i}.attn_output.weight",
	"model.layers.{i}.post_attention_layernorm.weight": "blk.{i}.ffn_norm.weight",
	"model.layers.{i}.mlp.gate_proj.weight":            "blk.{i}.ffn_gate.weight",
	"model.layers.{i}.mlp.up_proj.weight":              "blk.{i}.ffn_up.weight",
	"model.layers.{i}.mlp.down_proj.weight":            "blk.{i}.ffn_down.weight",
}

// ggufNaming maps Hugging Face keys to a file's GGUF tensor names: ggufNames, with the entries
// of a family that llama.cpp names otherwise (ggufRenamer) replaced.
type ggufNaming map[string]string

// ggufRenamer is implemented by a family whose tensors llama.cpp names differently from Llama's
// (Gemma's sandwich norms); its map replaces those entries of ggufNames.
type ggufRenamer interface{ ggufNames() map[string]string }

// namingOf is the GGUF naming of a family's files.
func namingOf(fam family) ggufNaming {
	n := ggufNaming(maps.Clone(ggufNames))
	if r, ok := fam.(ggufRenamer); ok {
		maps.Copy(n, r.ggufNames())
	}
	return n
}

// name translates one Hugging Face key.
func (n ggufNaming) name(hf string) (string, bool) {
	pattern, index := hf, ""
	if rest, ok := strings.CutPrefix(hf, "model.layers."); ok {
		index, rest, _ = strings.Cut(rest, ".")
		pattern = "model.layers.{i}." + rest
	}
	g, ok := n[pattern]
	return strings.ReplaceAll(g, "{i}", index), ok
}

type ggufSource struct {
	f        *gguf.File
	cfg      Config
	names    ggufNaming
	permuted bool // llama.cpp's converter reordered q_proj's and k_proj's rows (family.readGGUF)
}

func (s ggufSource) Close() error { return s.f.Close() }

// Read dequantizes one tensor and undoes llama.cpp's reordering of the Q and K rows (its
// converter interleaves the two rotary halves of each head; transformers' GGUF loader undoes it
// the same way).
func (s ggufSource) Read(hf string) ([]float32, []int, error) {
	name, ok := s.names.name(hf)
	if !ok {
		return nil, nil, fmt.Errorf("lm: %s: no GGUF name for %s", s.f.Path(), hf)
	}
	data, shape, err := s.f.ReadFloat32(name)
	if err != nil {
		return nil, nil, fmt.Errorf("lm: %s: tensor %s (%s): %w", s.f.Path(), name, hf, err)
	}
	if heads := s.permutedHeads(hf); heads > 0 {
		data = unpermuteRows(data, shape, heads)
	}
	return data, shape, nil
}

// permutedHeads is the number of heads whose rows llama.cpp's converter reordered in tensor hf
// (Q and K, in the families that say so), or 0.
func (s ggufSource) permutedHeads(hf string) int {
	if s.permuted {
		switch {
		case strings.HasSuffix(hf, "q_proj.weight"), strings.HasSuffix(hf, "q_proj.bias"):
			return s.cfg.NumHeads
		case strings.HasSuffix(hf, "k_proj.weight"), strings.HasSuffix(hf, "k_proj.bias"):
			return s.cfg.NumKVHeads
		}
	}
	return 0
}

// unpermuteRows maps llama.cpp's row order back to Hugging Face's: within each head, GGUF row
// 2i+j holds Hugging Face row j*hd/2+i. T is float32, or byte for rows of quantized blocks.
func unpermuteRows[T any](data []T, shape []int, heads int) []T {
	rows := shape[0]
	cols := len(data) / rows
	hd := rows / heads
	half := hd / 2
	out := make([]T, len(data))
	for h := range heads {
		for i := range half {
			for j := range 2 {
				src := (h*hd + 2*i + j) * cols
				dst := (h*hd + j*half + i) * cols
				copy(out[dst:dst+cols], data[src:src+cols])
			}
		}
	}
	return out
}

// openGGUF reads the hyper-parameters, tokenizer and weights of a GGUF file.
func openGGUF(path string) (Config, weightSource, *tokenizer.Tokenizer, chatSource, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return Config{}, nil, nil, chatSource{}, fmt.Errorf("lm: %w", err)
	}
	cfg, fam, permuted, err := ggufConfig(f)
	var names ggufNaming
	if err == nil {
		names = namingOf(fam)
		err = checkGGUFTensors(f, cfg, names)
	}
	var tok *tokenizer.Tokenizer
	if err == nil {
		tok, err = ggufTokenizer(f)
	}
	if err != nil {
		f.Close()
		return Config{}, nil, nil, chatSource{}, err
	}
	// llama.cpp's converter stores the template under this key (named extras, such as tool_use, under
	// tokenizer.chat_template.<name>; transformers' default is the plain one).
	template := chatSource{origin: path + " (tokenizer.chat_template)"}
	template.text, _ = f.String("tokenizer.chat_template")
	return cfg, ggufSource{f: f, cfg: cfg, names: names, permuted: permuted}, tok, template, nil
}

// ggufConfig reads hyper-parameters from the {arch}.* metadata keys (llama.cpp's LLM_KV names),
// then the family's own (family.readGGUF), which also says whether Q and K rows are permuted.
func ggufConfig(f *gguf.File) (Config, family, bool, error) {
	arch := f.Architecture() // the prefix of the file's keys
	modelType := arch
	if text, ok := multimodal[arch]; ok {
		modelType = text // llama.cpp keeps a Gemma 3/4 file's vision tower apart (mmproj): this is the language model
	}
	fam, err := familyOf(modelType, f.Path())
	if err != nil {
		return Config{}, nil, false, err
	}
	geti := func(key string) int { v, _ := f.Uint(arch + "." + key); return int(v) }
	getf := func(key string, def float64) float64 { return ggufFloat(f, key, def) }
	c := Config{
		Architecture:     modelType,
		NumLayers:        geti("block_count"),
		HiddenSize:       geti("embedding_length"),
		IntermediateSize: geti("feed_forward_length"),
		NumHeads:         geti("attention.head_count"),
		NumKVHeads:       geti("attention.head_count_kv"),
		HeadDim:          geti("attention.key_length"),
		MaxPositions:     geti("context_length"),
		RMSNormEps:       getf("attention.layer_norm_rms_epsilon", 0),
		RopeTheta:        getf("rope.freq_base", 10000),
	}
	if c.NumKVHeads == 0 {
		c.NumKVHeads = c.NumHeads
	}
	if c.HeadDim == 0 && c.NumHeads > 0 {
		c.HeadDim = c.HiddenSize / c.NumHeads
	}
	if t, ok := f.Tensor("token_embd.weight"); ok && len(t.Shape) == 2 {
		c.VocabSize = t.Shape[0]
	}
	_, hasOutput := f.Tensor("output.weight")
	c.TieWordEmbeddings = !hasOutput
	permuted, err := fam.readGGUF(&c, f)
	if err != nil {
		return Config{}, nil, false, err
	}
	if _, ok := f.Tensor("rope_freqs.weight"); ok {
		return Config{}, nil, false, fmt.Errorf("lm: %s: Llama 3.1-style rope_freqs scaling in GGUF is not supported yet; load the Hugging Face folder instead", f.Path())
	}
	return c, fam, permuted, c.validate(f.Path())
}

// ggufFloat reads the float key {arch}.key of a GGUF file (llama.cpp's LLM_KV names), or def.
func ggufFloat(f *gguf.File, key string, def float64) float64 {
	if v, ok := f.Float(f.Architecture() + "." + key); ok {
		return v
	}
	return def
}

// checkGGUFTensors reports missing tensors by name, before any is read.
func checkGGUFTensors(f *gguf.File, c Config, names ggufNaming) error {
	var missing []string
	for _, slot := range weightSlots(c) {
		for _, hf := range slot {
			name, _ := names.name(hf)
			if _, ok := f.Tensor(name); !ok {
				missing = append(missing, name)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("lm: %s: missing tensor(s) %s for a %s model with %d blocks: the file is incomplete or of another architecture",
			f.Path(), strings.Join(missing, ", "), c.Architecture, c.NumLayers)
	}
	return nil
}

// isGGUF says whether path names a GGUF file by its extension.
func isGGUF(path string) bool { return strings.EqualFold(filepath.Ext(path), ".gguf") }
