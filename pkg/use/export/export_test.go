package export

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/gguf"
	"github.com/emotion-probes/emotion-probes/pkg/engine/hub"
	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
	"github.com/emotion-probes/emotion-probes/pkg/method/activations"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/support/npy"
	"github.com/emotion-probes/emotion-probes/pkg/use/probe"
)

// fakeLayer is one layer of a hand-made run: story vectors per emotion and the emotion vectors.
type fakeLayer struct {
	stories map[string][][]float32
	vectors map[string][]float32
}

// The run used by most tests, D = 3, emotions sad and calm (vector files list sad first).
//
//	layer 2: story norms 1, 1 (calm), 2 (sad): mean norm 4/3; story mean ((0.5,0.5,0) + (0,0,2)) / 2 = (0.25, 0.25, 1)
//	         sad's vector (0, 0, -2): unit (0, 0, -1)
//	layer 3: story norms 5, 2 (calm), 6 (sad): mean norm 13/3; story mean ((1.5,3,0) + (0,-6,0)) / 2 = (0.75, -1.5, 0)
//	         sad's vector (0, 3, 4): unit (0, 0.6, 0.8)
var fakeRun = map[int]fakeLayer{
	2: {stories: map[string][][]float32{"calm": {{1, 0, 0}, {0, 1, 0}}, "sad": {{0, 0, 2}}},
		vectors: map[string][]float32{"sad": {0, 0, -2}, "calm": {2, 0, 0}}},
	3: {stories: map[string][][]float32{"calm": {{3, 4, 0}, {0, 2, 0}}, "sad": {{0, -6, 0}}},
		vectors: map[string][]float32{"sad": {0, 3, 4}, "calm": {1, 0, 0}}},
}

// writeRun writes the activations and vectors folders of a run by hand, as the stages store them.
func writeRun(t *testing.T, run map[int]fakeLayer, withActivations bool) string {
	t.Helper()
	out := t.TempDir()
	var layers []int
	for l := range run {
		layers = append(layers, l)
	}
	slices.Sort(layers)
	emotions := []string{"sad", "calm"}
	if withActivations {
		dir := filepath.Join(out, activations.StageName, activations.EmotionsStage)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		plan, _ := json.Marshal(activations.Plan{Source: activations.EmotionsStage, Emotions: []string{"calm", "sad"},
			Layers: layers, NumLayers: 30})
		if err := os.WriteFile(filepath.Join(dir, activations.PlanFile), plan, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, e := range emotions {
			var tensors []safetensors.Tensor
			n := 0
			for _, l := range layers {
				rows := run[l].stories[e]
				n = len(rows)
				mean := make([]float64, len(rows[0]))
				var flat []float32
				for _, r := range rows {
					flat = append(flat, r...)
					for j, x := range r {
						mean[j] += float64(x) / float64(len(rows))
					}
				}
				tensors = append(tensors,
					safetensors.Tensor{Name: fmt.Sprintf("layer_%d.mean", l), DType: "F64", Shape: []int{len(mean)}, Data: mean},
					safetensors.Tensor{Name: fmt.Sprintf("layer_%d.per_story", l), DType: "F32", Shape: []int{len(rows), len(mean)}, Data: flat})
			}
			ids, _ := json.Marshal(slices.Repeat([]string{"topic"}, n))
			if err := safetensors.Write(filepath.Join(dir, e+".safetensors"), tensors,
				map[string]string{"n": fmt.Sprint(n), "topic_ids": string(ids)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, l := range layers {
		path := vectors.LayerPath(out, l, false)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		var tensors []safetensors.Tensor
		for _, e := range emotions {
			v := run[l].vectors[e]
			tensors = append(tensors, safetensors.Tensor{Name: e, Shape: []int{len(v)}, Data: v})
		}
		em, _ := json.Marshal(emotions)
		err := safetensors.Write(path, tensors, map[string]string{"format": vectors.Format, "emotions": string(em),
			"layer": fmt.Sprint(l), "model": "default", "model_sha256": "abc123", "token_offset": "50",
			"denoised": "true", "pca_variance_threshold": "0.5"})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*max(1, math.Abs(b)) }

func TestDirectionIndex(t *testing.T) {
	for _, c := range []struct {
		f     Format
		layer int
		want  int
		err   string
	}{
		{LlamaCpp, 20, 19, ""},
		{Repeng, 20, 19, ""},
		{LlamaCpp, 2, 1, ""},
		{Repeng, 1, 0, ""},
		{LlamaCpp, 1, 0, "direction.0"},
		{LlamaCpp, 0, 0, "embeddings"},
		{Repeng, 0, 0, "embeddings"},
		{NPZ, -1, 0, "0 or more"},
	} {
		n, err := DirectionIndex(c.f, c.layer)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s layer %d: error %v, want one mentioning %q", c.f, c.layer, err, c.err)
			}
			continue
		}
		if err != nil || n != c.want {
			t.Errorf("%s layer %d: direction.%d (%v), want direction.%d", c.f, c.layer, n, err, c.want)
		}
	}
}

// The control vector holds, for each layer L, direction.(L-1) = alpha x mean story norm x sad's unit vector,
// with the hand-computed values of fakeRun; and the metadata llama.cpp's and repeng's loaders look for.
func TestControlVectorFile(t *testing.T) {
	out := writeRun(t, fakeRun, true)
	layers, err := LoadLayers(out, []int{3, 2}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if layers[0].Layer != 2 || !near(layers[0].Norm, 4.0/3) || !near(layers[1].Norm, 13.0/3) {
		t.Fatalf("layers %d, %d with norms %v, %v: want 2 (4/3) and 3 (13/3)", layers[0].Layer, layers[1].Layer, layers[0].Norm, layers[1].Norm)
	}
	for _, alpha := range []float64{0, 0.5} { // 0 means 1
		a := alpha
		if a == 0 {
			a = 1
		}
		path := filepath.Join(t.TempDir(), "sad.gguf")
		sum, err := Write(path, layers, Options{Format: LlamaCpp, Emotions: []string{"sad"}, Alpha: alpha, ModelHint: "llama"})
		if err != nil {
			t.Fatal(err)
		}
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if f.Architecture() != "controlvector" {
			t.Errorf("general.architecture %q", f.Architecture())
		}
		if h, _ := f.String("controlvector.model_hint"); h != "llama" {
			t.Errorf("model_hint %q", h)
		}
		if v, _ := f.Value("controlvector.layer_count"); v.Type != gguf.TypeUint32 || v.Data != uint32(2) {
			t.Errorf("layer_count %+v, want UINT32 2 (the number of directions, as repeng writes it)", v)
		}
		if e, _ := f.String("emotion_probes.emotion"); e != "sad" {
			t.Errorf("emotion_probes.emotion %q", e)
		}
		if o, _ := f.Uint("emotion_probes.token_offset"); o != 50 {
			t.Errorf("emotion_probes.token_offset %d", o)
		}
		if d, ok := f.Bool("emotion_probes.denoised"); !d || !ok {
			t.Errorf("emotion_probes.denoised %v (%v)", d, ok)
		}
		if ls, _ := f.Ints("emotion_probes.hidden_states_layers"); !slices.Equal(ls, []int64{2, 3}) {
			t.Errorf("emotion_probes.hidden_states_layers %v", ls)
		}
		want := map[string][]float64{
			"direction.1": {0, 0, -a * 4.0 / 3},
			"direction.2": {0, a * 13.0 / 3 * 0.6, a * 13.0 / 3 * 0.8},
		}
		var names []string
		for _, ti := range f.Tensors() {
			names = append(names, ti.Name)
			if ti.Type != gguf.F32 || len(ti.Shape) != 1 || ti.Shape[0] != 3 {
				t.Errorf("%s: %s %v, llama.cpp wants F32 of one dimension", ti.Name, ti.Type, ti.Shape)
			}
			got, _, err := f.ReadFloat32(ti.Name)
			if err != nil {
				t.Fatal(err)
			}
			for j, w := range want[ti.Name] {
				if !near(float64(got[j]), w) {
					t.Errorf("alpha %g: %s[%d] = %g, want %g", alpha, ti.Name, j, got[j], w)
				}
			}
		}
		f.Close()
		if !slices.Equal(names, []string{"direction.1", "direction.2"}) {
			t.Errorf("tensors %v", names)
		}
		if sum.Layers[1].Direction != 2 || !near(sum.Layers[1].VectorNorm, a*13.0/3) {
			t.Errorf("summary %+v", sum.Layers[1])
		}
		if s := sum.String(); !strings.Contains(s, "--control-vector-scaled "+path+":S") || !strings.Contains(s, "ControlModel(model, [1, 2])") {
			t.Errorf("summary text lacks the usage lines:\n%s", s)
		}
	}
}

// The exported direction is, bit for bit, the vector `steer` adds (probe.Steer with the run's norm).
func TestControlVectorIsSteer(t *testing.T) {
	out := writeRun(t, fakeRun, true)
	layers, err := LoadLayers(out, []int{3}, 0)
	if err != nil {
		t.Fatal(err)
	}
	set, err := vectors.Load(vectors.LayerPath(out, 3, false))
	if err != nil {
		t.Fatal(err)
	}
	norm, err := probe.MeanStoryNorm(out, 3, set.Emotions)
	if err != nil {
		t.Fatal(err)
	}
	st, err := probe.Steer(set, "sad", 0.25, norm, false)
	if err != nil {
		t.Fatal(err)
	}
	w, _, err := ControlVector(layers, Options{Format: Repeng, Emotions: []string{"sad"}, Alpha: 0.25, ModelHint: "llama"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cv.gguf")
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, b.Bytes(), 0o644)
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _, err := f.ReadFloat32("direction.2")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, st.Vector) || st.Layer != 3 {
		t.Errorf("direction.2 = %v, steer adds %v at layer %d", got, st.Vector, st.Layer)
	}
}

// Layer 1 is direction.0: repeng takes it, llama.cpp refuses it.
func TestLayerOne(t *testing.T) {
	run := map[int]fakeLayer{1: fakeRun[2]}
	out := writeRun(t, run, true)
	layers, err := LoadLayers(out, []int{1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.gguf")
	if _, err := Write(path, layers, Options{Format: Repeng, Emotions: []string{"sad"}, ModelHint: "llama"}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Tensor("direction.0"); !ok {
		t.Errorf("repeng file lacks direction.0: %v", f.Tensors())
	}
	f.Close()
	_, err = Write(filepath.Join(t.TempDir(), "l.gguf"), layers, Options{Format: LlamaCpp, Emotions: []string{"sad"}, ModelHint: "llama"})
	if err == nil || !strings.Contains(err.Error(), "llama.cpp refuses") || !strings.Contains(err.Error(), "--format repeng") {
		t.Errorf("llama.cpp at layer 1: %v", err)
	}
}

// npyMember returns an .npz member's bytes.
func npyMember(t *testing.T, path, name string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == name+".npy" {
			rc, _ := f.Open()
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	return nil
}

// decodeU0 reads a 0-d '<U' .npy: the header's length is at bytes 8-9, then UTF-32LE code points.
func decodeU0(b []byte) string {
	data := b[10+int(binary.LittleEndian.Uint16(b[8:])):]
	var r []rune
	for i := 0; i+4 <= len(data); i += 4 {
		if c := rune(binary.LittleEndian.Uint32(data[i:])); c != 0 {
			r = append(r, c)
		}
	}
	return string(r)
}

// The .npz holds the vectors as stored, the layers, the norms and the story means (hand-computed), and JSON
// metadata; each member is the .npy that npy.Encode makes of the expected array.
func TestNPZ(t *testing.T) {
	out := writeRun(t, fakeRun, true)
	path := filepath.Join(t.TempDir(), "v.npz")
	check := func(name string, shape []int, data any) {
		t.Helper()
		want, err := npy.Encode(shape, data)
		if err != nil {
			t.Fatal(err)
		}
		if got := npyMember(t, path, name); !bytes.Equal(got, want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}

	layers, err := LoadLayers(out, []int{3}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(path, layers, Options{Format: NPZ, ModelHint: "llama"}); err != nil {
		t.Fatal(err)
	}
	check("vectors", []int{2, 3}, []float32{0, 3, 4, 1, 0, 0})
	check("emotions", []int{2}, []string{"sad", "calm"})
	check("layers", []int{1}, []int64{3})
	check("residual_norm", []int{1}, []float64{13.0 / 3})
	check("story_mean", []int{3}, []float64{0.75, -1.5, 0})
	var md struct {
		Format    string `json:"format"`
		Model     string `json:"model"`
		SHA       string `json:"model_sha256"`
		Hint      string `json:"model_hint"`
		Offset    int    `json:"token_offset"`
		Direction []int  `json:"control_vector_direction"`
		Files     []map[string]string
	}
	if err := json.Unmarshal([]byte(decodeU0(npyMember(t, path, "metadata"))), &md); err != nil {
		t.Fatal(err)
	}
	if md.Format != FormatVersion || md.Model != "default" || md.SHA != "abc123" || md.Hint != "llama" || md.Offset != 50 ||
		!slices.Equal(md.Direction, []int{2}) {
		t.Errorf("metadata %+v", md)
	}

	// Two layers and one emotion: vectors [2, 1, 3], story_mean [2, 3].
	layers, err = LoadLayers(out, []int{2, 3}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(path, layers, Options{Format: NPZ, Emotions: []string{"calm"}}); err != nil {
		t.Fatal(err)
	}
	check("vectors", []int{2, 1, 3}, []float32{2, 0, 0, 1, 0, 0})
	check("emotions", []int{1}, []string{"calm"})
	check("layers", []int{2}, []int64{2, 3})
	check("residual_norm", []int{2}, []float64{4.0 / 3, 13.0 / 3})
	check("story_mean", []int{2, 3}, []float64{0.25, 0.25, 1, 0.75, -1.5, 0})
}

// With a norm given, the activations are not needed; the npz then has no story_mean and says so.
func TestNormWithoutActivations(t *testing.T) {
	out := writeRun(t, fakeRun, false)
	if _, err := LoadLayers(out, []int{3}, 0); err == nil || !strings.Contains(err.Error(), "or give the norm") {
		t.Errorf("no activations, no norm: %v", err)
	}
	layers, err := LoadLayers(out, []int{3}, 10)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v.npz")
	if _, err := Write(path, layers, Options{Format: NPZ}); err != nil {
		t.Fatal(err)
	}
	if npyMember(t, path, "story_mean") != nil {
		t.Error("story_mean written without activations")
	}
	if md := decodeU0(npyMember(t, path, "metadata")); !strings.Contains(md, "story_mean is absent") {
		t.Errorf("metadata does not say why story_mean is absent: %s", md)
	}
	cv := filepath.Join(t.TempDir(), "v.gguf")
	sum, err := Write(cv, layers, Options{Format: LlamaCpp, Emotions: []string{"sad"}, ModelHint: "llama"})
	if err != nil || !near(sum.Layers[0].VectorNorm, 10) {
		t.Errorf("control vector with norm 10: %v, %+v", err, sum)
	}
}

func TestErrors(t *testing.T) {
	out := writeRun(t, fakeRun, true)
	layers, err := LoadLayers(out, []int{3}, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		opts Options
		want string
	}{
		{"unknown emotion", Options{Format: LlamaCpp, Emotions: []string{"angry"}, ModelHint: "llama"}, "they have sad, calm"},
		{"two emotions", Options{Format: LlamaCpp, Emotions: []string{"sad", "calm"}, ModelHint: "llama"}, "one file per emotion"},
		{"no emotion", Options{Format: Repeng, ModelHint: "llama"}, "0 given"},
		{"no hint", Options{Format: Repeng, Emotions: []string{"sad"}}, "model_hint"},
		{"npz alpha", Options{Format: NPZ, Alpha: 0.5}, "alpha is for control vectors"},
		{"format", Options{Format: "onnx"}, "want llama.cpp, repeng or npz"},
	} {
		if _, err := Write(filepath.Join(dir, "x"), layers, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("a failed export left a file")
	}
	if _, err := LoadLayers(out, []int{7}, 0); err == nil || !strings.Contains(err.Error(), "has layers [2 3]") ||
		!strings.Contains(err.Error(), "extract-activations") {
		t.Errorf("missing layer: %v", err)
	}
	if _, err := LoadLayers(out, []int{2, 3}, 5); err == nil || !strings.Contains(err.Error(), "differs from layer to layer") {
		t.Errorf("one norm for two layers: %v", err)
	}
	if _, err := ParseFormat("GGUF"); err != nil {
		t.Errorf("ParseFormat(GGUF): %v", err)
	}
}

func TestModelType(t *testing.T) {
	got, err := ModelType(&hub.Resolved{Kind: hub.GGUF, Path: filepath.Join("..", "..", "engine", "gguf", "testdata", "synthetic.gguf")})
	if err != nil || got != "testarch" {
		t.Errorf("GGUF: %q, %v; want its general.architecture testarch", got, err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"}`), 0o644)
	if got, err := ModelType(&hub.Resolved{Kind: hub.HFFolder, Path: dir}); err != nil || got != "qwen2" {
		t.Errorf("HF folder: %q, %v; want config.json's model_type qwen2", got, err)
	}
}
