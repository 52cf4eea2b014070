package geometry

import (
	"fmt"
	"path"
	"slices"
	"strconv"

	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// Stage is the name of this stage's folder under the run folder.
const (
	Stage = "analysis"
	// Command is the CLI subcommand that runs this stage (named in other stages' errors).
	Command = "analyze"
	// Version changes when the stage's outputs change meaning; it is part of the fingerprint.
	Version = "1"
)

// Options controls Run.
type Options struct {
	// Force discards the stage's earlier outputs (every layer's) and recomputes.
	Force bool
	// Layers are the hidden_states indices to analyse; nil means vectors.DefaultLayers(cfg): the vectors stage's default layer.
	Layers []int
}

// Fingerprint is what makes the stage's outputs: the vectors they were computed from (the vectors stage's
// fingerprint hash) and every analysis setting.
func Fingerprint(cfg *config.Config, vectorsHash string) checkpoint.Fingerprint {
	a := cfg.Analysis
	return checkpoint.Fingerprint{
		"version":          Version,
		"vectors":          vectorsHash,
		"kmeans_k":         strconv.Itoa(a.KMeansK),
		"kmeans_metric":    a.KMeansMetric,
		"kmeans_restarts":  strconv.Itoa(a.KMeansRestarts),
		"umap_n_neighbors": strconv.Itoa(a.UMAPNeighbors),
		"umap_min_dist":    strconv.FormatFloat(a.UMAPMinDist, 'g', -1, 64),
		"seed":             strconv.FormatInt(a.Seed, 10),
	}
}

// summary is the stage's completion summary: the layers analysed so far.
type summary struct {
	Layers []int `json:"layers"`
}

// Run analyses the denoised emotion vectors of each layer and writes <out>/analysis/layer_{L}/: cosine.json,
// pca.json, kmeans.json, umap.json and summary.md. A layer whose results exist (from a run with the same
// fingerprint) is read back, not recomputed, unless opts.Force. It returns the results in layer order.
func Run(cfg *config.Config, opts Options) ([]*Result, error) {
	out := cfg.OutputDir()
	if err := checkpoint.Require(out, vectors.StageName, vectors.Command); err != nil {
		return nil, fmt.Errorf("geometry: %w", err)
	}
	vm, err := checkpoint.ReadManifest(out, vectors.StageName)
	if err != nil {
		return nil, fmt.Errorf("geometry: %w", err)
	}
	layers := opts.Layers
	if layers == nil {
		if layers, err = vectors.DefaultLayers(cfg); err != nil {
			return nil, err
		}
	}
	st, err := checkpoint.OpenStage(out, Stage, Fingerprint(cfg, vm.Fingerprint.Hash()), opts.Force)
	if err != nil {
		return nil, fmt.Errorf("geometry: %w", err)
	}
	var done summary
	_ = st.Summary(&done) // absent on the first run: nothing done yet
	params := ParamsFrom(cfg)
	var results []*Result
	for _, layer := range layers {
		unit := func(name string) string { return path.Join(checkpoint.LayerName(layer), name) }
		if st.Done(unit(SummaryFile)) {
			r, err := Load(out, layer)
			if err == nil {
				results = append(results, r)
				continue
			}
			// A damaged file: recompute the layer.
		}
		v, err := ReadVectors(out, layer)
		if err != nil {
			return nil, err
		}
		r, err := Analyze(v.Emotions, v.Vectors, layer, params)
		if err != nil {
			return nil, err
		}
		for _, f := range []struct {
			name string
			v    any
		}{{CosineFile, r.Cosine}, {PCAFile, r.PCA}, {KMeansFile, r.KMeans}, {UMAPFile, r.UMAP}} {
			if err := st.WriteJSON(unit(f.name), f.v); err != nil {
				return nil, fmt.Errorf("geometry: %w", err)
			}
		}
		// summary.md last: its presence marks the layer done.
		if err := st.WriteFile(unit(SummaryFile), []byte(Summary(r))); err != nil {
			return nil, fmt.Errorf("geometry: %w", err)
		}
		results = append(results, r)
	}
	for _, l := range layers {
		if !slices.Contains(done.Layers, l) {
			done.Layers = append(done.Layers, l)
		}
	}
	slices.Sort(done.Layers)
	if err := st.MarkComplete(done); err != nil {
		return nil, fmt.Errorf("geometry: %w", err)
	}
	return results, nil
}
