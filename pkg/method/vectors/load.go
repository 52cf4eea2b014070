package vectors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"

	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"gonum.org/v1/gonum/mat"
)

// Set is a file of emotion vectors, as Load reads it.
type Set struct {
	Emotions []string          // row order
	Vectors  *mat.Dense        // [E, D], float32 values widened to float64
	Layer    int               // the hidden_states index they were read at
	Denoised bool              // neutral components were projected out
	Meta     map[string]string // the file's metadata, as stored
}

// Vector returns the vector of emotion [D], or nil if the set lacks it.
func (s *Set) Vector(emotion string) []float64 {
	for i, e := range s.Emotions {
		if e == emotion {
			return mat.Row(nil, i, s.Vectors)
		}
	}
	return nil
}

// Load reads a vector file written by Run (or any safetensors file of [D] tensors with an "emotions" list in
// its metadata; without one, the tensors are taken in name order).
func Load(path string) (*Set, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	defer f.Close()
	meta := f.Metadata()
	s := &Set{Meta: meta, Denoised: meta["denoised"] == "true", Layer: -1}
	if js, ok := meta["emotions"]; ok {
		if err := json.Unmarshal([]byte(js), &s.Emotions); err != nil {
			return nil, fmt.Errorf("vectors: %s: metadata \"emotions\" is not a JSON list of words: %w "+
				"(rerun `emotion-probes %s --force`)", path, err, Command)
		}
	} else {
		s.Emotions = f.Names()
	}
	if ls, ok := meta["layer"]; ok {
		if s.Layer, err = strconv.Atoi(ls); err != nil {
			return nil, fmt.Errorf("vectors: %s: metadata \"layer\" = %q is not a layer index", path, ls)
		}
	}
	if len(s.Emotions) == 0 {
		return nil, fmt.Errorf("vectors: %s holds no emotion vectors", path)
	}
	var data []float64
	d := -1
	for _, e := range s.Emotions {
		v, shape, err := f.ReadFloat32(e)
		if err != nil {
			return nil, fmt.Errorf("vectors: %w", err)
		}
		if len(shape) != 1 || (d >= 0 && shape[0] != d) {
			return nil, fmt.Errorf("vectors: %s: tensor %q has shape %v, want [%d] like the others", path, e, shape, max(d, 0))
		}
		d = shape[0]
		for _, x := range v {
			data = append(data, float64(x))
		}
	}
	s.Vectors = mat.NewDense(len(s.Emotions), d, data)
	return s, nil
}

// LoadDefault reads the denoised vectors of the default layer of a run: <outputDir>/vectors/emotion_vectors.safetensors.
func LoadDefault(outputDir string) (*Set, error) {
	s, err := Load(filepath.Join(outputDir, StageName, File))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: run `emotion-probes %s` first", err, Command)
	}
	return s, err
}

// LayerPath is the denoised (raw: the raw) vector file of layer in a run's output directory.
func LayerPath(outputDir string, layer int, raw bool) string {
	name := File
	if raw {
		name = RawFile
	}
	return filepath.Join(outputDir, StageName, checkpoint.LayerName(layer), name)
}
