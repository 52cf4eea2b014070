// Package geometrytest writes small synthetic runs for the tests of the analysis, logit-lens and report
// stages: emotion vectors with a known structure, saved as the vectors stage saves them.
package geometrytest

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// Pleasant and Unpleasant are the two groups of the synthetic run; every word is in the lists the analysis
// orients PC1 with (numeric.PleasantEmotions, numeric.UnpleasantEmotions). HighArousal marks the words given
// a positive second coordinate (all in numeric.HighArousalEmotions); the others get a negative one.
var (
	Pleasant    = []string{"happy", "joyful", "calm", "relaxed", "excited", "thrilled"}
	Unpleasant  = []string{"sad", "lonely", "afraid", "angry", "gloomy", "furious"}
	HighArousal = map[string]bool{"excited": true, "thrilled": true, "afraid": true, "angry": true, "furious": true}
)

// Emotions is Unpleasant then Pleasant: unpleasant first so that an unoriented PCA is more likely to put them
// at the positive end.
func Emotions() []string { return append(append([]string(nil), Unpleasant...), Pleasant...) }

// Vectors returns [len(names)][d] vectors: valence on coordinate 0 (+3 pleasant, -3 unpleasant), arousal on
// coordinate 1 (+1.5 high, -1.5 otherwise), and Gaussian noise of standard deviation 0.3 everywhere, seeded. The
// sign argument multiplies everything (-1 flips the valence axis's raw direction).
func Vectors(names []string, d int, sign float64, seed uint64) [][]float32 {
	pleasant := map[string]bool{}
	for _, p := range Pleasant {
		pleasant[p] = true
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([][]float32, len(names))
	for i, n := range names {
		v := make([]float32, d)
		for j := range v {
			v[j] = float32(0.3 * rng.NormFloat64())
		}
		if pleasant[n] {
			v[0] += 3
		} else {
			v[0] -= 3
		}
		if HighArousal[n] {
			v[1] += 1.5
		} else {
			v[1] -= 1.5
		}
		for j := range v {
			v[j] *= float32(sign)
		}
		out[i] = v
	}
	return out
}

// WriteVectors writes one vectors file as the vectors stage does (read back by vectors.Load): a F32 [D] tensor per emotion, named by the
// word, with metadata "emotions" (JSON list), "layer" and "denoised".
func WriteVectors(path string, names []string, vecs [][]float32, layer int, denoised bool) error {
	ts := make([]safetensors.Tensor, len(names))
	for i, n := range names {
		ts[i] = safetensors.Tensor{Name: n, Shape: []int{len(vecs[i])}, Data: vecs[i]}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	list, err := json.Marshal(names)
	if err != nil {
		return err
	}
	return safetensors.Write(path, ts, map[string]string{
		"emotions": string(list), "layer": strconv.Itoa(layer), "denoised": strconv.FormatBool(denoised),
	})
}

// Run makes a config whose output folder is dir, holding a completed vectors stage with the given vectors at
// the given layer (both the denoised and the raw file), and returns the config. Analysis settings suit 12
// emotions: k = 2, n_neighbors 5, 10 restarts.
func Run(dir string, layer int, names []string, vecs [][]float32) (*config.Config, error) {
	cfg := config.Default()
	cfg.Name = "synthetic"
	cfg.Output.Dir = dir
	cfg.Emotions = names
	cfg.Extraction.Layers = config.Layers{Indices: []int{layer}}
	cfg.Analysis.KMeansK = 2
	cfg.Analysis.UMAPNeighbors = 5
	cfg.Analysis.LogitLensTopK = 5
	st, err := checkpoint.OpenStage(dir, vectors.StageName, checkpoint.Fingerprint{"synthetic": "1"}, false)
	if err != nil {
		return nil, err
	}
	if err := WriteVectors(vectors.LayerPath(dir, layer, false), names, vecs, layer, true); err != nil {
		return nil, err
	}
	if err := WriteVectors(vectors.LayerPath(dir, layer, true), names, vecs, layer, false); err != nil {
		return nil, err
	}
	// The fields of vectors.Summary that later stages read.
	return cfg, st.MarkComplete(map[string]any{"default_layer": layer, "layers": []map[string]any{{"layer": layer}}})
}
