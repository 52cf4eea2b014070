package nb

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/engine/hub"
	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// Loaded is a loaded language model with what identifies it: where it came from and the SHA-256 of its
// weights, which every stage puts in its checkpoint fingerprint (pass SHA256 as the stage's ModelID).
// It embeds *lm.Model, so it is a generate.Engine as it stands; pass m.Model itself to activations.Run,
// which reads the model's depth and context length from an *lm.Model.
type Loaded struct {
	*lm.Model
	Resolved *hub.Resolved
	SHA256   string
	Backend  string        // the GoMLX backend it runs on ("go", "xla:cpu", ...)
	LoadTime time.Duration // how long loading took
}

var modelCache struct {
	sync.Mutex
	key string
	m   *Loaded
}

// LoadModel resolves and loads cfg's model (model.name on model.backend, weights stored as model.quantize
// says) as the command-line tool does: hub.Resolve (a GGUF file, a Hugging Face folder or id, or
// "default", fetched into the cache once), lm.Load, then hub.FileSHA256 of the weights. The model is kept
// for later calls with the same name, backend and quantize; in GoNB that means for the rest of the cell
// (each cell is a new program).
func LoadModel(cfg *config.Config) (*Loaded, error) {
	name, backend := cfg.ModelName(), cfg.Model.Backend
	key := name + "\x00" + backend + "\x00" + cfg.Model.Quantize
	modelCache.Lock()
	defer modelCache.Unlock()
	if modelCache.m != nil && modelCache.key == key {
		return modelCache.m, nil
	}
	start := time.Now()
	r, err := hub.Resolve(name, hub.Options{Progress: os.Stderr})
	if err != nil {
		return nil, fmt.Errorf("nb: model %q (config model.name): %w", name, err)
	}
	backend = lm.ResolveBackend(backend, hub.XLAPluginDirs()...) // "auto": XLA's CPU plugin when installed
	q, err := lm.ParseQuantize(cfg.Model.Quantize)
	if err != nil {
		return nil, fmt.Errorf("nb: config model.quantize: %w", err)
	}
	m, err := lm.Load(r.Path, lm.LoadOptions{Backend: backend, Quantize: q})
	if err != nil {
		return nil, fmt.Errorf("nb: loading %s on backend %q (config model.backend, model.quantize %s): %w", r.Path, backend, q, err)
	}
	hashPath := r.Path
	if len(r.Weights) > 0 {
		hashPath = r.Weights[0]
	}
	sum, err := hub.FileSHA256(hashPath)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("nb: hashing %s: %w", hashPath, err)
	}
	if backend == "" {
		backend = lm.DefaultBackend
	}
	modelCache.key = key
	modelCache.m = &Loaded{Model: m, Resolved: r, SHA256: sum, Backend: backend, LoadTime: time.Since(start)}
	return modelCache.m, nil
}

// Model loads cfg's model (see LoadModel) and prints one line describing it. It panics, as a failed
// cell, if the model cannot be found or loaded.
//
//	m := nb.Model(cfg)
//	sum := nb.Must1(stories.Run(nb.Context(), m, cfg, generate.Options{ModelID: m.SHA256}))
func Model(cfg *config.Config) *Loaded {
	m := Must1(LoadModel(cfg))
	c := m.Config
	fmt.Printf("model: %s (%s, %d layers, d_model %d) on backend %s, loaded in %.1fs\n",
		m.Resolved.Describe(), c.Architecture, c.NumLayers, c.HiddenSize, m.Backend, m.LoadTime.Seconds())
	if w := m.ChatWarning(); w != "" {
		fmt.Printf("warning: %s\n", w)
	}
	return m
}

// Context returns a context that is cancelled when the cell is interrupted (Jupyter's "interrupt
// kernel" reaches the cell's program as SIGINT). The stages stop after the batch in flight, keep what
// they finished, and resume from there when the cell is run again.
func Context() context.Context {
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return ctx
}
