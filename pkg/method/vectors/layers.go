package vectors

import (
	"fmt"
	"path/filepath"

	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// DefaultLayers returns the layers to work on when none are asked for: the vectors stage's default layer (recorded in
// its completion summary, int(2/3 n_layers) unless the config chose layers). If the summary does not say, the
// config's explicit extraction.layers, or else every layer folder under <out>/vectors that holds vectors.
func DefaultLayers(cfg *config.Config) ([]int, error) {
	out := cfg.OutputDir()
	var done struct {
		Summary struct {
			DefaultLayer *int `json:"default_layer"`
		} `json:"summary"`
	}
	err := checkpoint.ReadJSON(filepath.Join(out, StageName, checkpoint.CompleteFile), &done)
	if err == nil && done.Summary.DefaultLayer != nil {
		return []int{*done.Summary.DefaultLayer}, nil
	}
	if !cfg.Extraction.Layers.Auto && len(cfg.Extraction.Layers.Indices) > 0 {
		return append([]int(nil), cfg.Extraction.Layers.Indices...), nil
	}
	found, err := Layers(out)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("vectors: no emotion vectors under %s: run `emotion-probes %s` first",
			filepath.Join(out, StageName), Command)
	}
	return found, nil
}

// Layers lists the layers L for which <outDir>/vectors/layer_L/emotion_vectors.safetensors exists, in
// increasing order. A missing vectors folder gives an empty list.
func Layers(outDir string) ([]int, error) {
	return checkpoint.LayersWith(filepath.Join(outDir, StageName), File)
}
