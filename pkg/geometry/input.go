package geometry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/config"
	"github.com/emotion-probes/emotion-probes/pkg/vectors"
)

// LayerDir is the folder name of one layer in every per-layer stage: "layer_20".
func LayerDir(layer int) string { return "layer_" + strconv.Itoa(layer) }

// ReadVectors reads one layer's denoised emotion vectors, <outDir>/vectors/layer_{L}/emotion_vectors.safetensors,
// with vectors.Load.
func ReadVectors(outDir string, layer int) (*vectors.Set, error) {
	s, err := vectors.Load(vectors.LayerPath(outDir, layer, false))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("geometry: layer %d: %w: extract this layer and run `emotion-probes %s` first",
			layer, err, vectors.Command)
	}
	if err != nil {
		return nil, fmt.Errorf("geometry: layer %d: %w", layer, err)
	}
	return s, nil
}

// Layers returns the layers to work on when none are asked for: the vectors stage's default layer (recorded in
// its completion summary, int(2/3 n_layers) unless the config chose layers). If the summary does not say, the
// config's explicit extraction.layers, or else every layer folder under <out>/vectors that holds vectors.
func Layers(cfg *config.Config) ([]int, error) {
	out := cfg.OutputDir()
	var done struct {
		Summary struct {
			DefaultLayer *int `json:"default_layer"`
		} `json:"summary"`
	}
	err := checkpoint.ReadJSON(filepath.Join(out, vectors.StageName, checkpoint.CompleteFile), &done)
	if err == nil && done.Summary.DefaultLayer != nil {
		return []int{*done.Summary.DefaultLayer}, nil
	}
	if !cfg.Extraction.Layers.Auto && len(cfg.Extraction.Layers.Indices) > 0 {
		return append([]int(nil), cfg.Extraction.Layers.Indices...), nil
	}
	found, err := VectorLayers(out)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("geometry: no emotion vectors under %s: run `emotion-probes %s` first",
			filepath.Join(out, vectors.StageName), vectors.Command)
	}
	return found, nil
}

// VectorLayers lists the layers L for which <outDir>/vectors/layer_L/emotion_vectors.safetensors exists, in
// increasing order. A missing vectors folder gives an empty list.
func VectorLayers(outDir string) ([]int, error) {
	return layerFolders(filepath.Join(outDir, vectors.StageName), vectors.File)
}

// layerFolders lists L for the folders dir/layer_L that hold file.
func layerFolders(dir, file string) ([]int, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("geometry: listing layers in %s: %w", dir, err)
	}
	var out []int
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "layer_")
		if !ok || !e.IsDir() {
			continue
		}
		l, err := strconv.Atoi(rest)
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), file)); err == nil {
			out = append(out, l)
		}
	}
	sort.Ints(out)
	return out, nil
}
