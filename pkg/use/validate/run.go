package validate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/emotion-probes/emotion-probes/pkg/method/activations"
	"github.com/emotion-probes/emotion-probes/pkg/method/neutral"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/numeric"
	"github.com/emotion-probes/emotion-probes/pkg/support/progress"
	"gonum.org/v1/gonum/mat"
)

const (
	// Folder is the validation's folder under the run's output directory.
	Folder = "validation"
	// SweepFolder, under Folder, is a run folder of its own for the layer sweep's activations: its stories
	// and neutral entries link to the run's, its activations/ holds the layers the run did not extract.
	SweepFolder = "sweep"
	// Command is the CLI subcommand.
	Command = "validate"
)

// Layers says which layers a validation covers and where each one's activations are.
type Layers struct {
	NumLayers    int   `json:"num_layers"`
	DefaultLayer int   `json:"default_layer"` // the run's (activations.Plan.DefaultLayer)
	Sweep        []int `json:"sweep"`         // every layer validated, sorted
	Extracted    []int `json:"extracted"`     // of which the run's activation stage holds these
	Missing      []int `json:"missing"`       // and Extract must read these
}

// PlanLayers resolves validation.layers against the run's activations (which give the model's depth and
// the layers already extracted); layers overrides the config when not nil.
func PlanLayers(cfg *config.Config, layers []int) (*Layers, error) {
	plan, err := activations.LoadPlan(cfg.OutputDir(), activations.EmotionsStage)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	want := cfg.Validation.Layers
	if layers != nil {
		want = config.Layers{Indices: layers}
	}
	sweep, err := SweepLayers(want, plan.NumLayers, plan.Layers)
	if err != nil {
		return nil, err
	}
	l := &Layers{NumLayers: plan.NumLayers, DefaultLayer: plan.DefaultLayer, Sweep: sweep, Extracted: plan.Layers}
	for _, x := range sweep {
		if !plan.HasLayer(x) {
			l.Missing = append(l.Missing, x)
		}
	}
	return l, nil
}

// SweepReady reports whether every layer of l.Missing is already in SweepDir(outputDir), complete: Extract
// would then read nothing, and no model is needed.
func (l *Layers) SweepReady(outputDir string) bool {
	dir := SweepDir(outputDir)
	if checkpoint.Require(filepath.Join(dir, activations.StageName), activations.EmotionsStage, Command) != nil {
		return false
	}
	p, err := activations.LoadPlan(dir, activations.EmotionsStage)
	if err != nil {
		return false
	}
	for _, x := range l.Missing {
		if !p.HasLayer(x) {
			return false
		}
	}
	return true
}

// SweepDir is the run folder of the layer sweep's own activations.
func SweepDir(outputDir string) string { return filepath.Join(outputDir, Folder, SweepFolder) }

// ExtractOptions controls Extract.
type ExtractOptions struct {
	ModelID   string // the model file's SHA-256, part of the activations' fingerprint
	NumLayers int    // the model's blocks; 0 reads it from an *lm.Model
	Force     bool   // discard the sweep's earlier activations
	Progress  progress.Options
}

// Extract reads the run's stories (and neutral dialogues, when generated) at the layers of l.Missing, with
// package activations itself (same reading, offset, batching, checkpoints and progress bar), into
// SweepDir(output): a folder laid out like a run, whose "stories" and "neutral" are symbolic links to the
// run's. The run's own folders are not written. Interrupted, it resumes; done, a rerun does nothing. It
// returns nil, nil when no layer is missing.
func Extract(ctx context.Context, eng activations.Engine, cfg *config.Config, l *Layers, opts ExtractOptions) (*activations.Summary, error) {
	if len(l.Missing) == 0 {
		return nil, nil
	}
	out := cfg.OutputDir()
	dir := SweepDir(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	for _, stage := range []string{stories.StageName, neutral.StageName} {
		src, link := filepath.Join(out, stage), filepath.Join(dir, stage)
		if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		abs, err := filepath.Abs(src)
		if err != nil {
			return nil, fmt.Errorf("validate: %w", err)
		}
		if cur, err := os.Readlink(link); err == nil && cur == abs {
			continue
		}
		os.Remove(link)
		if err := os.Symlink(abs, link); err != nil {
			return nil, fmt.Errorf("validate: linking %s to the run's %s: %w", link, stage, err)
		}
	}
	sub := *cfg
	sub.Output.Dir = dir
	sub.Extraction.Layers = config.Layers{Indices: l.Missing}
	sum, err := activations.Run(ctx, eng, &sub, activations.Options{ModelID: opts.ModelID, NumLayers: opts.NumLayers,
		Force: opts.Force, Progress: opts.Progress})
	if err != nil {
		return sum, fmt.Errorf("validate: layer sweep: %w", err)
	}
	return sum, nil
}

// Options controls Run.
type Options struct {
	// Layers overrides validation.layers (nil: the config's).
	Layers []int
	// RatingsFile overrides validation.ratings_file ("" keeps the config's; "-" skips the ratings).
	RatingsFile string
}

// Run validates a run from its files: for every layer of the sweep, the held-out check (Evaluate) and the
// emotion vectors of all topics (vectors.Compute, as the vectors stage makes them); the human ratings against
// the PCA of each layer's vectors; what the run's layer's PC1 follows in the stories' writing (CompareStyle);
// and the comparison of layers (NewLayerSweep). Layers the run did not
// extract must have been read by Extract first. It writes nothing: Write does.
func Run(cfg *config.Config, opts Options) (*Report, error) {
	out := cfg.OutputDir()
	if err := checkpoint.Require(filepath.Join(out, activations.StageName), activations.EmotionsStage, activations.Command); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	l, err := PlanLayers(cfg, opts.Layers)
	if err != nil {
		return nil, err
	}
	if len(l.Missing) > 0 {
		if err := checkpoint.Require(filepath.Join(SweepDir(out), activations.StageName), activations.EmotionsStage, "validate"); err != nil {
			return nil, fmt.Errorf("validate: layers %v were not extracted by the run: %w", l.Missing, err)
		}
		sp, err := activations.LoadPlan(SweepDir(out), activations.EmotionsStage)
		if err != nil {
			return nil, fmt.Errorf("validate: %w", err)
		}
		for _, x := range l.Missing {
			if !sp.HasLayer(x) {
				return nil, fmt.Errorf("validate: layer %d is in neither %s nor %s: run `emotion-probes validate` (it extracts them)",
					x, filepath.Join(out, activations.StageName), filepath.Join(SweepDir(out), activations.StageName))
			}
		}
	}
	v := cfg.Validation
	rep := &Report{Name: cfg.Name, Model: cfg.ModelName(), Stories: storySource(cfg), Layers: *l, TestFraction: v.TestFraction, Seed: v.Seed}

	ratingsFile := cfg.Path(v.RatingsFile)
	if opts.RatingsFile != "" {
		ratingsFile = opts.RatingsFile
	}
	var rt *Ratings
	if ratingsFile != "" && ratingsFile != "-" {
		if rt, err = ReadRatings(ratingsFile); err != nil {
			return nil, err
		}
	} else {
		rep.Notes = append(rep.Notes, "no ratings file (validation.ratings_file is \"\"): the comparison with human ratings was skipped")
	}

	words, err := storyWords(cfg)
	if err != nil {
		return nil, err
	}
	var cos []*mat.SymDense
	var rats []*RatingsResult
	var byTopic, byStory []*CrossVal
	var emotions []string
	for _, layer := range l.Sweep {
		dir := out
		if slices.Contains(l.Missing, layer) {
			dir = SweepDir(out)
		}
		ld, err := loadLayer(dir, layer, cfg.Vectors.PCAVarianceThreshold)
		if err != nil {
			return nil, err
		}
		if emotions == nil {
			emotions = ld.emotions
		} else if !slices.Equal(emotions, ld.emotions) {
			return nil, fmt.Errorf("validate: layer %d has emotions %v, layer %d %v: rerun `emotion-probes validate --force`",
				layer, ld.emotions, l.Sweep[0], emotions)
		}
		// At the run's layer: the single held-out split (its confusion matrices), the probe, the words and
		// the permutation null; at every layer, the vectors' cross-validated accuracy.
		run := layer == l.DefaultLayer
		if run {
			split, err := SplitTopics(ld.stories.Topic, v.TestFraction, uint64(v.Seed))
			if err != nil {
				return nil, err
			}
			h, err := Evaluate(ld.stories, HeldOutOptions{Split: split, Neutral: ld.neutral, Threshold: cfg.Vectors.PCAVarianceThreshold})
			if err != nil {
				return nil, err
			}
			rep.HeldOut = append(rep.HeldOut, h)
		}
		for _, split := range []string{ByTopic, ByStory} {
			opts := CVOptions{Folds: v.Folds, Seed: uint64(v.Seed), Bootstrap: v.Bootstrap, Neutral: ld.neutral,
				Threshold: cfg.Vectors.PCAVarianceThreshold}
			if run {
				opts.Probe, opts.Permutations = true, v.Permutations
				if len(words) == len(ld.stories.Label) {
					opts.Words = words
				}
			}
			cv, err := CrossValidate(ld.stories, split, opts)
			if err != nil {
				return nil, err
			}
			rep.CrossVal = append(rep.CrossVal, cv)
			if split == ByTopic {
				byTopic = append(byTopic, cv)
			} else {
				byStory = append(byStory, cv)
			}
		}
		if run && len(words) != len(ld.stories.Label) {
			rep.Notes = append(rep.Notes, fmt.Sprintf("the bag-of-words baseline was skipped: %d story texts for %d "+
				"activation rows (stories too short to read are not in the activations)", len(words), len(ld.stories.Label)))
		}
		c, err := numeric.CosineMatrix(ld.vectors.Vectors)
		if err != nil {
			return nil, fmt.Errorf("validate: layer %d: %w", layer, err)
		}
		cos = append(cos, c)
		var rr *RatingsResult
		if rt != nil {
			rr, err = CompareRatings(ld.emotions, ld.vectors.Vectors, layer, rt, v.Bootstrap, uint64(v.Seed))
			if err != nil {
				if layer == l.DefaultLayer {
					return nil, err
				}
				rr = nil
			}
		}
		rats = append(rats, rr)
		if layer == l.DefaultLayer {
			rep.Ratings = rr
			if len(words) == len(ld.stories.Label) {
				st, err := CompareStyle(ld.stories, ld.vectors.Vectors, words, rt, v.Bootstrap, uint64(v.Seed))
				if err != nil {
					rep.Notes = append(rep.Notes, "what PC1 follows was not measured: "+err.Error())
				}
				rep.Style = st
			}
		}
	}
	rep.Sweep, err = NewLayerSweep(l.Sweep, cos, byTopic, byStory, rats, l.DefaultLayer, config.AutoLayer(l.NumLayers))
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// storySource says where cfg's stories come from, for the report.
func storySource(cfg *config.Config) string {
	switch {
	case cfg.Stories.FromCorpus():
		path := cfg.Path(cfg.Stories.Corpus)
		return "from " + filepath.ToSlash(filepath.Join(filepath.Base(filepath.Dir(path)), filepath.Base(path)))
	case cfg.Stories.Writer != "":
		return "written by " + cfg.WriterName(cfg.Stories)
	}
	return "written by the model"
}

// storyWords returns the text of every story as the activation stage read them, emotion by emotion in the
// config's order: row for row with loadLayer's stories, for the bag-of-words baseline.
func storyWords(cfg *config.Config) ([]string, error) {
	var all []string
	for _, e := range cfg.Emotions {
		texts, _, err := activations.StoryTexts(cfg, e)
		if err != nil {
			return nil, fmt.Errorf("validate: %w", err)
		}
		all = append(all, texts...)
	}
	return all, nil
}

// layerData is what Run reads of one layer.
type layerData struct {
	emotions []string
	stories  *Stories
	neutral  *mat.Dense // nil when not extracted
	vectors  *vectors.Result
}

// loadLayer reads one layer of the run folder dir: each emotion's stories and mean, the neutral rows, and
// makes the vectors of all topics.
func loadLayer(dir string, layer int, threshold float64) (*layerData, error) {
	emotions, means, _, err := activations.LoadEmotionMeans(dir, layer)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	ld := &layerData{emotions: emotions, stories: &Stories{Layer: layer, Emotions: emotions}}
	var parts []*mat.Dense
	for i, e := range emotions {
		x, topics, err := activations.LoadPerStory(dir, layer, e)
		if err != nil {
			return nil, fmt.Errorf("validate: %w", err)
		}
		parts = append(parts, x)
		for range topics {
			ld.stories.Label = append(ld.stories.Label, i)
		}
		ld.stories.Topic = append(ld.stories.Topic, topics...)
	}
	ld.stories.X = stack(parts)
	if threshold > 0 {
		ld.neutral, err = activations.LoadNeutral(dir, layer)
		if errors.Is(err, activations.ErrNotExtracted) {
			ld.neutral, err = nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("validate: %w", err)
		}
	}
	if ld.vectors, err = vectors.Compute(means, ld.neutral, threshold); err != nil {
		return nil, fmt.Errorf("validate: layer %d: %w", layer, err)
	}
	return ld, nil
}

// stack puts matrices of one width on top of each other.
func stack(parts []*mat.Dense) *mat.Dense {
	n, d := 0, 0
	for _, p := range parts {
		r, c := p.Dims()
		n, d = n+r, c
	}
	out := mat.NewDense(n, d, nil)
	at := 0
	for _, p := range parts {
		r, _ := p.Dims()
		out.Slice(at, at+r, 0, d).(*mat.Dense).Copy(p)
		at += r
	}
	return out
}
