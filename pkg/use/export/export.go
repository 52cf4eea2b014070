package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	"github.com/emotion-probes/emotion-probes/pkg/engine/hub"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/npy"
	"github.com/emotion-probes/emotion-probes/pkg/use/probe"
	"gonum.org/v1/gonum/mat"
)

// Format is a file format Write produces.
type Format string

// The formats.
const (
	LlamaCpp Format = "llama.cpp" // a control-vector GGUF for llama.cpp's --control-vector(-scaled)
	Repeng   Format = "repeng"    // the same GGUF, as repeng's ControlVector.import_gguf reads it
	NPZ      Format = "npz"       // a numpy archive of the vectors and what steering and scoring need
)

// FormatVersion is the "format" of the metadata this package writes.
const FormatVersion = "emotion-probes-export/1"

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case LlamaCpp, Repeng, NPZ:
		return f, nil
	case "llamacpp", "llama-cpp", "gguf":
		return LlamaCpp, nil
	}
	return "", fmt.Errorf("format %q: want llama.cpp, repeng or npz", s)
}

// Layer is one layer of a run's vectors, with what steering and scoring there need.
type Layer struct {
	Layer int          // the hidden_states index L
	Set   *vectors.Set // the vectors of layer L
	// Norm is the scale of this project's steering at L: the mean residual norm of the run's stories
	// (probe.MeanStoryNorm over all of Set's emotions), or the norm given to LoadLayers.
	Norm float64
	// Mean is the stories' mean state at L (probe.StoryMean), the centre of scoring; nil when the run's
	// activations are not there and a norm was given.
	Mean []float64
}

// LoadLayers reads the vectors of the given layers of the run in outputDir, and at each the mean story
// norm and the stories' mean from its activations. norm > 0 replaces the mean story norm (one layer only:
// a norm belongs to a layer); then missing activations only leave Mean nil.
func LoadLayers(outputDir string, layers []int, norm float64) ([]Layer, error) {
	if len(layers) == 0 {
		return nil, errors.New("export: no layers asked for")
	}
	if norm > 0 && len(layers) > 1 {
		return nil, fmt.Errorf("export: a norm (%g) was given for %d layers: the residual norm differs from layer to layer; "+
			"give one layer, or leave the norm to the run's activations", norm, len(layers))
	}
	if norm < 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return nil, fmt.Errorf("export: norm %g: want a positive residual norm, or 0 for the run's own", norm)
	}
	var out []Layer
	seen := map[int]bool{}
	for _, l := range layers {
		if seen[l] {
			return nil, fmt.Errorf("export: layer %d asked for twice", l)
		}
		seen[l] = true
		path := vectors.LayerPath(outputDir, l, false)
		set, err := vectors.Load(path)
		if errors.Is(err, fs.ErrNotExist) {
			have, _ := vectors.Layers(outputDir)
			return nil, fmt.Errorf("export: layer %d has no vectors in %s (it has layers %v): add it to extraction.layers, "+
				"then run `emotion-probes extract-activations` and `emotion-probes %s`", l, outputDir, have, vectors.Command)
		}
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		if set.Layer >= 0 && set.Layer != l {
			return nil, fmt.Errorf("export: %s says it holds layer %d, not %d: rerun `emotion-probes %s --force`", path, set.Layer, l, vectors.Command)
		}
		set.Layer = l
		ly := Layer{Layer: l, Set: set, Norm: norm}
		if norm <= 0 {
			if ly.Norm, err = probe.MeanStoryNorm(outputDir, l, set.Emotions); err != nil {
				return nil, fmt.Errorf("export: layer %d: %w (or give the norm to scale by)", l, err)
			}
		}
		if ly.Mean, err = probe.StoryMean(outputDir, l); err != nil {
			if norm <= 0 {
				return nil, fmt.Errorf("export: layer %d: %w", l, err)
			}
			ly.Mean = nil
		}
		out = append(out, ly)
	}
	slices.SortFunc(out, func(a, b Layer) int { return a.Layer - b.Layer })
	return out, nil
}

// DirectionIndex returns N, the index of the "direction.N" tensor that llama.cpp and repeng add where this
// project's layer L steers: N = L-1 (see the package documentation). Layer 0 cannot be expressed, nor layer 1
// for llama.cpp.
func DirectionIndex(f Format, layer int) (int, error) {
	switch {
	case layer < 0:
		return 0, fmt.Errorf("layer %d: layers are hidden_states indices, 0 or more", layer)
	case layer == 0:
		return 0, fmt.Errorf("layer 0 is hidden_states[0], the embeddings: a control vector adds to a block's output "+
			"(direction.N after block N, i.e. hidden_states[N+1]), so nothing can add there; export layer %d or later", minLayer(f))
	case layer == 1 && f == LlamaCpp:
		return 0, errors.New("layer 1 would be direction.0 (the output of block 0), which llama.cpp refuses " +
			"(\"invalid (zero) direction tensor layer index\"): its first steerable point is hidden_states[2]; " +
			"export layer 2 or later, or --format repeng, which accepts direction.0")
	}
	return layer - 1, nil
}

func minLayer(f Format) int {
	if f == LlamaCpp {
		return 2
	}
	return 1
}

// Options say what Write writes.
type Options struct {
	Format Format
	// Emotions to export. A control vector (llama.cpp, repeng) steers toward one emotion: exactly one. For
	// npz, nil means all of the run's, in its order.
	Emotions []string
	// Alpha is baked into a control vector: the file then steers like steer --alpha Alpha at the consumer's
	// scale 1. 0 means 1, so that the consumer's scale is steer's alpha. Not used by npz (which stores
	// the vectors unscaled) and must be 0 or 1 there.
	Alpha float64
	// ModelHint is controlvector.model_hint: the Hugging Face model_type ("llama") repeng's ControlVector
	// records (ModelType finds it); llama.cpp ignores it. Required for a control vector.
	ModelHint string
}

// LayerRow is what Write wrote for one layer.
type LayerRow struct {
	Layer      int     // hidden_states index L
	Direction  int     // the control vector's N (L-1); -1 for npz when L = 0
	Norm       float64 // the mean story norm at L
	VectorNorm float64 // the L2 norm of the exported vector of the first emotion (Alpha x Norm for a control vector)
}

// Summary is what Write wrote.
type Summary struct {
	Path     string
	Format   Format
	Emotions []string
	Alpha    float64
	Layers   []LayerRow
}

// Write writes layers in opts.Format to path, atomically (a temporary file renamed over path).
func Write(path string, layers []Layer, opts Options) (*Summary, error) {
	if len(layers) == 0 {
		return nil, errors.New("export: no layers to write")
	}
	var b bytes.Buffer
	var sum *Summary
	var err error
	switch opts.Format {
	case LlamaCpp, Repeng:
		var w *gguf.Writer
		if w, sum, err = ControlVector(layers, opts); err == nil {
			_, err = w.WriteTo(&b)
		}
	case NPZ:
		var arrays []npy.Array
		if arrays, sum, err = NPZArrays(layers, opts); err == nil {
			err = npy.WriteNPZ(&b, arrays)
		}
	default:
		err = fmt.Errorf("export: format %q: want llama.cpp, repeng or npz", opts.Format)
	}
	if err != nil {
		return nil, err
	}
	if err := checkpoint.WriteFileAtomic(path, b.Bytes()); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	sum.Path = path
	return sum, nil
}

// emotionsOf checks opts.Emotions against every layer and returns the emotions to export.
func emotionsOf(layers []Layer, want []string) ([]string, error) {
	if len(want) == 0 {
		want = layers[0].Set.Emotions
	}
	for _, ly := range layers {
		for _, e := range want {
			if !slices.Contains(ly.Set.Emotions, e) {
				return nil, fmt.Errorf("export: emotion %q: layer %d's vectors have no such emotion; they have %s",
					e, ly.Layer, strings.Join(ly.Set.Emotions, ", "))
			}
		}
	}
	return want, nil
}

// ControlVector builds the control-vector GGUF of one emotion (see the package documentation): one F32
// "direction.(L-1)" per layer holding Alpha x Norm x v/|v| as probe.Steer computes it, the keys llama.cpp's
// and repeng's tools write, and this project's own (prefixed "emotion_probes.", ignored by both).
func ControlVector(layers []Layer, opts Options) (*gguf.Writer, *Summary, error) {
	if len(opts.Emotions) != 1 {
		return nil, nil, fmt.Errorf("export: a control vector steers toward one emotion; %d given (%s): "+
			"export one file per emotion", len(opts.Emotions), strings.Join(opts.Emotions, ", "))
	}
	if strings.TrimSpace(opts.ModelHint) == "" {
		return nil, nil, errors.New("export: no model hint: repeng's import_gguf requires controlvector.model_hint " +
			"(the Hugging Face model_type, e.g. \"llama\")")
	}
	emotions, err := emotionsOf(layers, opts.Emotions)
	if err != nil {
		return nil, nil, err
	}
	e := emotions[0]
	alpha := opts.Alpha
	if alpha == 0 {
		alpha = 1
	}
	w := gguf.NewWriter()
	sum := &Summary{Format: opts.Format, Emotions: emotions, Alpha: alpha}
	var hs []int32
	var norms []float32
	dirs := make([][]float32, len(layers))
	for i, ly := range layers {
		n, err := DirectionIndex(opts.Format, ly.Layer)
		if err != nil {
			return nil, nil, fmt.Errorf("export: %w", err)
		}
		st, err := probe.Steer(ly.Set, e, alpha, ly.Norm, false)
		if err != nil {
			return nil, nil, fmt.Errorf("export: layer %d: %w", ly.Layer, err)
		}
		dirs[i] = st.Vector
		hs = append(hs, int32(ly.Layer))
		norms = append(norms, float32(ly.Norm))
		sum.Layers = append(sum.Layers, LayerRow{Layer: ly.Layer, Direction: n, Norm: ly.Norm, VectorNorm: norm32(st.Vector)})
	}
	meta := layers[0].Set.Meta
	errs := []error{
		w.AddString("general.architecture", "controlvector"),
		w.AddString("controlvector.model_hint", opts.ModelHint),
		w.AddUint32("controlvector.layer_count", uint32(len(layers))), // repeng writes the number of directions
		w.AddString("emotion_probes.format", FormatVersion),
		w.AddString("emotion_probes.emotion", e),
		w.AddFloat32("emotion_probes.alpha", float32(alpha)),
		w.Add("emotion_probes.hidden_states_layers", gguf.Value{Type: gguf.TypeArray, ElemType: gguf.TypeInt32, Data: hs}),
		w.Add("emotion_probes.residual_norms", gguf.Value{Type: gguf.TypeArray, ElemType: gguf.TypeFloat32, Data: norms}),
	}
	for _, k := range []string{"model", "model_sha256"} {
		if v := meta[k]; v != "" {
			errs = append(errs, w.AddString("emotion_probes."+k, v))
		}
	}
	if t, err := strconv.ParseUint(meta["token_offset"], 10, 32); err == nil {
		errs = append(errs, w.AddUint32("emotion_probes.token_offset", uint32(t)))
	}
	if d, err := strconv.ParseBool(meta["denoised"]); err == nil {
		errs = append(errs, w.Add("emotion_probes.denoised", gguf.Value{Type: gguf.TypeBool, Data: d}))
	}
	errs = append(errs, w.AddString("emotion_probes.note", fmt.Sprintf("direction.N = alpha x residual_norm x the unit "+
		"vector of %q, added at hidden_states[N+1] (after block N); at scale S it steers like "+
		"`emotion-probes steer --alpha` S x alpha", e)))
	if err := errors.Join(errs...); err != nil {
		return nil, nil, fmt.Errorf("export: %w", err)
	}
	for i, ly := range layers {
		if err := w.AddF32(fmt.Sprintf("direction.%d", ly.Layer-1), []int{len(dirs[i])}, dirs[i]); err != nil {
			return nil, nil, fmt.Errorf("export: %w", err)
		}
	}
	return w, sum, nil
}

// NPZArrays returns the arrays of the .npz export (see the package documentation).
func NPZArrays(layers []Layer, opts Options) ([]npy.Array, *Summary, error) {
	if opts.Alpha != 0 && opts.Alpha != 1 {
		return nil, nil, fmt.Errorf("export: alpha %g: the npz holds the vectors unscaled, with residual_norm to scale "+
			"them by; alpha is for control vectors", opts.Alpha)
	}
	emotions, err := emotionsOf(layers, opts.Emotions)
	if err != nil {
		return nil, nil, err
	}
	d := layers[0].Set.Vectors.RawMatrix().Cols
	sum := &Summary{Format: NPZ, Emotions: emotions, Alpha: 1}
	var vecs []float32
	var means []float64
	var ls []int64
	var norms []float64
	var dirIdx []int
	var files []map[string]string
	haveMeans := true
	for _, ly := range layers {
		if c := ly.Set.Vectors.RawMatrix().Cols; c != d {
			return nil, nil, fmt.Errorf("export: layer %d's vectors have %d values, layer %d's %d", ly.Layer, c, layers[0].Layer, d)
		}
		for _, e := range emotions {
			for _, x := range ly.Set.Vector(e) {
				vecs = append(vecs, float32(x)) // exact: the stored values are float32
			}
		}
		if ly.Mean == nil {
			haveMeans = false
		}
		means = append(means, ly.Mean...)
		ls = append(ls, int64(ly.Layer))
		norms = append(norms, ly.Norm)
		n := ly.Layer - 1
		dirIdx = append(dirIdx, n)
		files = append(files, ly.Set.Meta)
		first := mat.NewVecDense(d, ly.Set.Vector(emotions[0]))
		sum.Layers = append(sum.Layers, LayerRow{Layer: ly.Layer, Direction: n, Norm: ly.Norm, VectorNorm: mat.Norm(first, 2)})
	}
	vshape := []int{len(emotions), d}
	mshape := []int{d}
	if len(layers) > 1 {
		vshape = append([]int{len(layers)}, vshape...)
		mshape = append([]int{len(layers)}, mshape...)
	}
	meta0 := layers[0].Set.Meta
	md := map[string]any{
		"format":       FormatVersion,
		"model":        meta0["model"],
		"model_sha256": meta0["model_sha256"],
		"model_hint":   opts.ModelHint,
		"denoised":     meta0["denoised"] == "true",
		"layer_convention": "layers[i] is a Hugging Face hidden_states index: the residual stream entering block layers[i] " +
			"(0-based blocks); hidden_states[0] is the embeddings",
		"steering": "emotion-probes steer --alpha A adds A * residual_norm[i] * v / |v| to hidden_states[layers[i]] " +
			"at every position; scoring uses cos(h - story_mean[i], v)",
		"control_vector_direction": dirIdx,
		"vector_files":             files,
	}
	if t, err := strconv.Atoi(meta0["token_offset"]); err == nil {
		md["token_offset"] = t
	}
	if th, err := strconv.ParseFloat(meta0["pca_variance_threshold"], 64); err == nil {
		md["pca_variance_threshold"] = th
	}
	if !haveMeans {
		md["note"] = "story_mean is absent: the run's activations were not there"
	}
	js, err := json.Marshal(md)
	if err != nil {
		return nil, nil, fmt.Errorf("export: metadata: %w", err)
	}
	arrays := []npy.Array{
		{Name: "vectors", Shape: vshape, Data: vecs},
		{Name: "emotions", Shape: []int{len(emotions)}, Data: emotions},
		{Name: "layers", Shape: []int{len(ls)}, Data: ls},
		{Name: "residual_norm", Shape: []int{len(norms)}, Data: norms},
	}
	if haveMeans {
		arrays = append(arrays, npy.Array{Name: "story_mean", Shape: mshape, Data: means})
	}
	arrays = append(arrays, npy.Array{Name: "metadata", Data: []string{string(js)}})
	return arrays, sum, nil
}

func norm32(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// ModelType returns the model's architecture name as a model hint: config.json's model_type for a Hugging
// Face folder (what repeng records), general.architecture for a GGUF file (llama.cpp's name, the same for
// the common families: llama, qwen2, gemma2, phi3, mistral ...).
func ModelType(r *hub.Resolved) (string, error) {
	switch r.Kind {
	case hub.GGUF:
		f, err := gguf.Open(r.Path)
		if err != nil {
			return "", fmt.Errorf("export: model hint: %w", err)
		}
		defer f.Close()
		if a := f.Architecture(); a != "" {
			return a, nil
		}
		return "", fmt.Errorf("export: model hint: %s has no general.architecture", r.Path)
	case hub.HFFolder:
		b, err := os.ReadFile(filepath.Join(r.Path, "config.json"))
		if err != nil {
			return "", fmt.Errorf("export: model hint: %w", err)
		}
		var c struct {
			ModelType string `json:"model_type"`
		}
		if err := json.Unmarshal(b, &c); err != nil || c.ModelType == "" {
			return "", fmt.Errorf("export: model hint: %s/config.json has no model_type", r.Path)
		}
		return c.ModelType, nil
	}
	return "", fmt.Errorf("export: model hint: unknown model kind %v", r.Kind)
}

// String says what was written and how to use it.
func (s *Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wrote %s (%s): ", s.Path, s.Format)
	if s.Format == NPZ {
		fmt.Fprintf(&b, "%d emotions x %d layer(s)\n", len(s.Emotions), len(s.Layers))
		fmt.Fprintf(&b, "%-6s %-10s %14s %14s\n", "layer", "direction", "residual_norm", "|v| ("+s.Emotions[0]+")")
		for _, r := range s.Layers {
			fmt.Fprintf(&b, "%-6d %-10d %14.4f %14.4f\n", r.Layer, r.Direction, r.Norm, r.VectorNorm)
		}
		b.WriteString("numpy: z = numpy.load(FILE); steer at strength A with A * z[\"residual_norm\"][i] * v / |v| at hidden_states[z[\"layers\"][i]]")
		return b.String()
	}
	fmt.Fprintf(&b, "%q, baked alpha %g\n", s.Emotions[0], s.Alpha)
	fmt.Fprintf(&b, "%-6s %-14s %14s %12s\n", "layer", "tensor", "residual_norm", "|direction|")
	var ns []string
	for _, r := range s.Layers {
		fmt.Fprintf(&b, "%-6d %-14s %14.4f %12.4f\n", r.Layer, fmt.Sprintf("direction.%d", r.Direction), r.Norm, r.VectorNorm)
		ns = append(ns, strconv.Itoa(r.Direction))
	}
	fmt.Fprintf(&b, "layer L (hidden_states[L], entering block L) = direction.(L-1), added after block L-1.\n")
	fmt.Fprintf(&b, "llama.cpp: llama-cli -m MODEL.gguf --control-vector-scaled %s:S   (older builds: --control-vector-scaled %s S)\n", s.Path, s.Path)
	fmt.Fprintf(&b, "repeng:    ControlModel(model, [%s]).set_control(ControlVector.import_gguf(%q), S)\n", strings.Join(ns, ", "), s.Path)
	if s.Alpha == 1 {
		b.WriteString("scale S steers like `emotion-probes steer --alpha S` (the paper shows 0.5)")
	} else {
		fmt.Fprintf(&b, "scale S steers like `emotion-probes steer --alpha` S x %g (alpha %g is baked in)", s.Alpha, s.Alpha)
	}
	return b.String()
}
