package vectors

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
	"github.com/emotion-probes/emotion-probes/pkg/method/activations"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"gonum.org/v1/gonum/mat"
)

const (
	// StageName is the stage's folder below the run's output directory.
	StageName = "vectors"
	// Command is the CLI subcommand that runs this stage.
	Command = "compute-vectors"
	// Format is the "format" metadata of the vector files.
	Format = "emotion-probes-go/1"
	// File and RawFile are the names of the denoised and raw vector files.
	File    = "emotion_vectors.safetensors"
	RawFile = "emotion_vectors_raw.safetensors"
	// PCsFile holds the neutral components removed.
	PCsFile = "neutral_pcs.safetensors"
	// SummaryFile is each layer's LayerSummary.
	SummaryFile = "summary.json"
)

// Options controls Run.
type Options struct {
	// Force recomputes even when the stage finished with the same inputs.
	Force bool
}

// Summary is what Run made: one entry per extracted layer.
type Summary struct {
	Layers       []LayerSummary `json:"layers"`
	DefaultLayer int            `json:"default_layer"`
	// Resumed: the stage had finished with the same inputs and was not recomputed.
	Resumed bool `json:"-"`
}

// LayerSummary describes the vectors of one layer (also its summary.json).
type LayerSummary struct {
	Layer             int            `json:"layer"`
	Emotions          []string       `json:"emotions"`
	NStories          map[string]int `json:"n_stories"`
	LeftOut           []string       `json:"left_out,omitempty"` // emotions with no usable story
	Denoised          bool           `json:"denoised"`
	NComponents       int            `json:"n_components_removed"`
	ExplainedVariance []float64      `json:"explained_variance"`
	NeutralRows       int            `json:"neutral_rows"`
	Threshold         float64        `json:"pca_variance_threshold"`
	// RawNorm and Norm are the mean L2 norms of the raw and denoised vectors: their ratio is the share of the
	// vectors that lay in the neutral directions.
	RawNorm float64  `json:"mean_norm_raw"`
	Norm    float64  `json:"mean_norm"`
	Note    string   `json:"note,omitempty"`
	Files   []string `json:"files"` // relative to the output directory
}

// String is the short report printed after the stage.
func (s *Summary) String() string {
	var b strings.Builder
	for i, l := range s.Layers {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "layer %d: %d emotion vectors", l.Layer, len(l.Emotions))
		if l.Denoised {
			total := 0.0
			for _, v := range l.ExplainedVariance {
				total += v
			}
			fmt.Fprintf(&b, ", %d neutral components removed (%.0f%% of the neutral variance, %d rows)", l.NComponents, 100*total, l.NeutralRows)
		} else {
			fmt.Fprintf(&b, ", not denoised: %s", l.Note)
		}
		if len(l.LeftOut) > 0 {
			fmt.Fprintf(&b, "; left out (no usable story): %s", strings.Join(l.LeftOut, ", "))
		}
		if l.Layer == s.DefaultLayer {
			b.WriteString(" [default]")
		}
	}
	return b.String()
}

// Run makes the emotion vectors of every layer that the activation stage extracted, from
// <output>/activations, and writes them to <output>/vectors (see the package comment). The emotion
// activations must be complete; the neutral ones are used when they were extracted (all of them).
func Run(cfg *config.Config, opts Options) (*Summary, error) {
	out := cfg.OutputDir()
	actDir := filepath.Join(out, activations.StageName)
	if err := checkpoint.Require(actDir, activations.EmotionsStage, activations.Command); err != nil {
		// When some units are missing (a shard not finished), name them rather than the stage.
		if plan, perr := activations.LoadPlan(out, activations.EmotionsStage); perr == nil {
			var missing *activations.MissingError
			if _, _, _, lerr := activations.LoadEmotionMeans(out, plan.DefaultLayer); errors.As(lerr, &missing) {
				return nil, fmt.Errorf("vectors: %w", lerr)
			}
		}
		return nil, fmt.Errorf("vectors: %w", err)
	}
	plan, err := activations.LoadPlan(out, activations.EmotionsStage)
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	em, err := checkpoint.ReadManifest(actDir, activations.EmotionsStage)
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	neutralHash := "none"
	if nm, err := checkpoint.ReadManifest(actDir, activations.NeutralStage); err == nil {
		if err := checkpoint.Require(actDir, activations.NeutralStage, activations.Command+" --source neutral"); err != nil {
			return nil, fmt.Errorf("vectors: the neutral activations were started but not finished: %w", err)
		}
		neutralHash = nm.Fingerprint.Hash()
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	th := cfg.Vectors.PCAVarianceThreshold
	sum := sha256.Sum256([]byte(strings.Join(plan.Emotions, "\n")))
	fp := checkpoint.Fingerprint{
		"emotions_activations":   em.Fingerprint.Hash(),
		"neutral_activations":    neutralHash,
		"emotions_sha256":        hex.EncodeToString(sum[:8]),
		"pca_variance_threshold": strconv.FormatFloat(th, 'g', -1, 64),
		"format":                 Format,
	}
	st, err := checkpoint.OpenStage(out, StageName, fp, opts.Force)
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	if st.Complete() {
		var s Summary
		if err := st.Summary(&s); err == nil {
			s.Resumed = true
			return &s, nil
		}
	}
	if err := st.Unmark(); err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}

	res := &Summary{DefaultLayer: plan.DefaultLayer}
	for _, layer := range plan.Layers {
		ls, err := runLayer(st, out, plan, layer, th, neutralHash != "none")
		if err != nil {
			return nil, err
		}
		res.Layers = append(res.Layers, *ls)
	}
	if err := st.MarkComplete(res); err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	return res, nil
}

func runLayer(st *checkpoint.Stage, out string, plan *activations.Plan, layer int, th float64, haveNeutral bool) (*LayerSummary, error) {
	emotions, means, counts, err := activations.LoadEmotionMeans(out, layer)
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	var neutral *mat.Dense
	noRows := ""
	if haveNeutral && th > 0 {
		neutral, err = activations.LoadNeutral(out, layer)
		if errors.Is(err, activations.ErrNotExtracted) {
			neutral, noRows, err = nil, err.Error(), nil
		}
		if err != nil {
			return nil, fmt.Errorf("vectors: %w", err)
		}
	}
	r, err := Compute(means, neutral, th)
	if err != nil {
		return nil, fmt.Errorf("vectors: layer %d: %w", layer, err)
	}
	if noRows != "" {
		r.Note = noRows + ": no neutral component was projected out"
	}
	ls := &LayerSummary{
		Layer: layer, Emotions: emotions, NStories: map[string]int{}, Denoised: r.Denoised,
		NComponents: r.K(), ExplainedVariance: r.Explain, Threshold: th, Note: r.Note,
		RawNorm: meanNorm(r.Raw), Norm: meanNorm(r.Vectors),
	}
	for i, e := range emotions {
		ls.NStories[e] = counts[i]
	}
	for _, e := range plan.Emotions {
		if _, ok := ls.NStories[e]; !ok {
			ls.LeftOut = append(ls.LeftOut, e)
		}
	}
	if neutral != nil {
		ls.NeutralRows, _ = neutral.Dims()
	}

	meta := map[string]string{
		"format":                 Format,
		"emotions":               safetensors.MetaJSON(emotions),
		"layer":                  strconv.Itoa(layer),
		"site":                   lm.Site{Layer: layer}.String(), // TransformerLens's name of the same point
		"model":                  plan.Model,
		"denoised":               strconv.FormatBool(r.Denoised),
		"n_components_removed":   strconv.Itoa(r.K()),
		"explained_variance":     safetensors.MetaJSON(r.Explain),
		"pca_variance_threshold": strconv.FormatFloat(th, 'g', -1, 64),
		"token_offset":           strconv.Itoa(plan.TokenOffset),
		"n_stories":              safetensors.MetaJSON(ls.NStories),
	}
	if plan.ModelSHA256 != "" {
		meta["model_sha256"] = plan.ModelSHA256
	}
	if r.Note != "" {
		meta["note"] = r.Note
	}
	dir := checkpoint.LayerName(layer)
	if err := os.MkdirAll(st.Path(dir), 0o755); err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	write := func(name string, v *mat.Dense, kind string) error {
		m := cloneMap(meta)
		m["kind"] = kind
		if kind == "raw" { // the metadata describes the file's own vectors
			m["denoised"], m["n_components_removed"], m["explained_variance"] = "false", "0", "[]"
			delete(m, "note")
		}
		if err := writeVectors(st.Path(name), emotions, v, m); err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, st.Path(name))
		ls.Files = append(ls.Files, filepath.ToSlash(rel))
		return nil
	}
	if err := write(dir+"/"+File, r.Vectors, "denoised"); err != nil {
		return nil, err
	}
	if err := write(dir+"/"+RawFile, r.Raw, "raw"); err != nil {
		return nil, err
	}
	if layer == plan.DefaultLayer {
		if err := write(File, r.Vectors, "denoised"); err != nil {
			return nil, err
		}
		if err := write(RawFile, r.Raw, "raw"); err != nil {
			return nil, err
		}
	}
	if r.K() > 0 {
		k, d := r.C.Dims()
		pm := cloneMap(meta)
		delete(pm, "emotions")
		delete(pm, "n_stories")
		ts := []safetensors.Tensor{
			{Name: "components", Shape: []int{k, d}, Data: r.C.RawMatrix().Data},
			{Name: "explained_variance", Shape: []int{k}, Data: r.Explain},
		}
		if err := safetensors.Write(st.Path(dir, PCsFile), ts, pm); err != nil {
			return nil, fmt.Errorf("vectors: %w", err)
		}
		ls.Files = append(ls.Files, StageName+"/"+dir+"/"+PCsFile)
	}
	if err := st.WriteJSON(dir+"/"+SummaryFile, ls); err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	return ls, nil
}

// writeVectors writes one F32 [D] tensor per emotion, named by the emotion word.
func writeVectors(path string, emotions []string, v *mat.Dense, meta map[string]string) error {
	ts := make([]safetensors.Tensor, len(emotions))
	for i, e := range emotions {
		row := v.RawRowView(i)
		f := make([]float32, len(row))
		for c, x := range row {
			f[c] = float32(x)
		}
		ts[i] = safetensors.Tensor{Name: e, Shape: []int{len(f)}, Data: f}
	}
	if err := safetensors.Write(path, ts, meta); err != nil {
		return fmt.Errorf("vectors: %w", err)
	}
	return nil
}

func meanNorm(v *mat.Dense) float64 {
	n, _ := v.Dims()
	s := 0.0
	for i := 0; i < n; i++ {
		s += mat.Norm(v.RowView(i), 2)
	}
	return s / float64(n)
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
