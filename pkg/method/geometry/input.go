package geometry

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
)

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
