package main

import (
	"fmt"
	"os"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/engine/hub"
	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// loadConfig reads and validates a config file; the error names the key and line at fault.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return nil, fmt.Errorf("--config is required, e.g. --config config/tiny.yaml")
	}
	return config.Load(path)
}

// loadedModel is a model with the file hash that fingerprints results made with it.
type loadedModel struct {
	*lm.Model
	Resolved *hub.Resolved
	SHA256   string
}

// loadModel resolves a model name (a GGUF file, a Hugging Face folder or id, or "default") and
// loads it on the backend, in float32.
func loadModel(name, backend string) (*loadedModel, error) {
	return loadModelQuantized(name, backend, string(lm.QuantizeNone))
}

// loadModelQuantized is loadModel with model.quantize: "none", "8bit" or "4bit" (see lm.Quantize).
func loadModelQuantized(name, backend, quantize string) (*loadedModel, error) {
	start := time.Now()
	r, err := hub.Resolve(name, hub.Options{Progress: os.Stderr})
	if err != nil {
		return nil, err
	}
	backend = lm.ResolveBackend(orDefault(backend, lm.DefaultBackend), hub.XLAPluginDirs()...)
	q, err := lm.ParseQuantize(quantize)
	if err != nil {
		return nil, err
	}
	m, err := lm.Load(r.Path, lm.LoadOptions{Backend: backend, Quantize: q})
	if err != nil {
		return nil, err
	}
	hashPath := r.Path
	if len(r.Weights) > 0 {
		hashPath = r.Weights[0]
	}
	sum, err := hub.FileSHA256(hashPath)
	if err != nil {
		return nil, err
	}
	stored := ""
	if q != lm.QuantizeNone {
		stored = ", weights " + m.Quantization()
	}
	fmt.Fprintf(os.Stderr, "model: %s (%s, %d layers, d_model %d%s) on backend %s, loaded in %.1fs\n",
		r.Describe(), m.Config.Architecture, m.Config.NumLayers, m.Config.HiddenSize, stored, backend, time.Since(start).Seconds())
	if w := m.ChatWarning(); w != "" {
		fmt.Fprintf(os.Stderr, "warning: %s: %s\n", r.Describe(), w)
	}
	return &loadedModel{Model: m, Resolved: r, SHA256: sum}, nil
}

// loadConfigModel loads the config's model.
func loadConfigModel(cfg *config.Config) (*loadedModel, error) {
	return loadModelQuantized(cfg.ModelName(), cfg.Model.Backend, cfg.Model.Quantize)
}
