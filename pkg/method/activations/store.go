package activations

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"gonum.org/v1/gonum/mat"
)

const (
	// StageName is the stage's folder below the run's output directory.
	StageName = "activations"
	// EmotionsStage and NeutralStage are its two checkpoint stages, folders below StageName.
	EmotionsStage = "emotions"
	NeutralStage  = "neutral"
	// PlanFile, in each of the two folders, lists the units the config asks for (see Plan).
	PlanFile = "plan.json"
	// Command is the CLI subcommand that runs this stage, named in error messages.
	Command = "extract-activations"
	// Format is the "format" metadata of every unit file.
	Format = "emotion-probes-go/activations/1"
)

// ErrNotExtracted is wrapped by the loaders' errors when a stage folder or its plan does not exist: the
// activations were never extracted (a later stage may then go on without them, saying so).
var ErrNotExtracted = errors.New("activations not extracted")

// Plan is the content of plan.json: what a run of the stage was asked to produce. The loaders compare it
// with the unit files on disk, so they can name what is missing.
type Plan struct {
	Source       string   `json:"source"`              // EmotionsStage or NeutralStage
	Emotions     []string `json:"emotions,omitempty"`  // the config's emotions, in config order
	Topics       []string `json:"topics,omitempty"`    // the config's topics, sorted by topic id
	TopicIDs     []string `json:"topic_ids,omitempty"` // config.TopicID of each topic
	Layers       []int    `json:"layers"`              // hidden_states indices, sorted
	NumLayers    int      `json:"num_layers"`          // the model's blocks
	DefaultLayer int      `json:"default_layer"`       // DefaultLayer(Layers, NumLayers)
	TokenOffset  int      `json:"token_offset"`
	PerToken     bool     `json:"per_token,omitempty"` // neutral rows are per token, not per dialogue
	Model        string   `json:"model"`
	ModelSHA256  string   `json:"model_sha256,omitempty"`
}

// DefaultLayer picks the layer that stands for a run with several: the paper's int(2/3 * numLayers) when it
// was extracted, else the first of layers.
func DefaultLayer(layers []int, numLayers int) int {
	if l := config.AutoLayer(numLayers); slices.Contains(layers, l) || len(layers) == 0 {
		return l
	}
	return layers[0]
}

// HasLayer reports whether the plan's units hold layer l.
func (p *Plan) HasLayer(l int) bool { return slices.Contains(p.Layers, l) }

// LoadPlan reads the plan of source (EmotionsStage or NeutralStage) under outputDir/activations.
func LoadPlan(outputDir, source string) (*Plan, error) {
	p := filepath.Join(outputDir, StageName, source, PlanFile)
	var plan Plan
	if err := checkpoint.ReadJSON(p, &plan); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("activations: %s does not exist: run `emotion-probes %s` first: %w", p, Command, ErrNotExtracted)
		}
		return nil, fmt.Errorf("activations: %w", err)
	}
	return &plan, nil
}

// MissingError says which units of a stage have no file yet.
type MissingError struct {
	Dir     string   // the stage folder
	Source  string   // EmotionsStage or NeutralStage
	Missing []string // emotions, or topics, without a file
	Total   int      // units in the plan
}

func (e *MissingError) Error() string {
	what := "emotions"
	if e.Source == NeutralStage {
		what = "topics"
	}
	shown := e.Missing
	more := ""
	if len(shown) > 8 {
		shown, more = shown[:8], fmt.Sprintf(" and %d more", len(e.Missing)-8)
	}
	return fmt.Sprintf("activations: %d of %d %s have no activations in %s yet (%s%s): run `emotion-probes %s` "+
		"(every shard) to finish them", len(e.Missing), e.Total, what, e.Dir, strings.Join(quoteAll(shown), ", "), more, Command)
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strconv.Quote(x)
	}
	return out
}

// Tensor names in the unit files.
func meanName(layer int) string     { return checkpoint.LayerName(layer) + ".mean" }
func perStoryName(layer int) string { return checkpoint.LayerName(layer) + ".per_story" }
func neutralName(layer int) string  { return checkpoint.LayerName(layer) }

func emotionUnit(emotion string) string { return config.Slug(emotion) + ".safetensors" }
func topicUnit(topicID string) string   { return topicID + ".safetensors" }

// checkUnits loads the plan of source, checks that it holds layer and that every unit file exists, and
// returns the plan and the unit files in plan order.
func checkUnits(outputDir, source string, layer int) (*Plan, []string, error) {
	plan, err := LoadPlan(outputDir, source)
	if err != nil {
		return nil, nil, err
	}
	if !plan.HasLayer(layer) {
		return nil, nil, fmt.Errorf("activations: layer %d was not extracted in %s (layers there: %v): add it to "+
			"extraction.layers and run `emotion-probes %s --force`", layer, filepath.Join(outputDir, StageName, source), plan.Layers, Command)
	}
	dir := filepath.Join(outputDir, StageName, source)
	names := plan.Emotions
	if source == NeutralStage {
		names = plan.TopicIDs
	}
	var files, missing []string
	for i, n := range names {
		f := filepath.Join(dir, emotionUnit(n))
		label := n
		if source == NeutralStage {
			f = filepath.Join(dir, topicUnit(n))
			label = plan.Topics[i]
		}
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, label)
			continue
		}
		files = append(files, f)
	}
	if len(missing) > 0 {
		return nil, nil, &MissingError{Dir: dir, Source: source, Missing: missing, Total: len(names)}
	}
	return plan, files, nil
}

// LoadEmotionMeans reads the mean activation of every emotion at layer from outputDir/activations/emotions:
// means [nEmotions, D] in float64, rows in the config's emotion order, and counts[i] the stories averaged
// for emotions[i]. An emotion with no usable story has no mean and is left out (compare emotions with the
// config's list to report it). A missing unit gives a *MissingError naming the emotions and the command to
// run; a stage never run wraps ErrNotExtracted.
func LoadEmotionMeans(outputDir string, layer int) (emotions []string, means *mat.Dense, counts []int, err error) {
	plan, files, err := checkUnits(outputDir, EmotionsStage, layer)
	if err != nil {
		return nil, nil, nil, err
	}
	var rows [][]float64
	for i, path := range files {
		n, row, err := readMean(path, layer)
		if err != nil {
			return nil, nil, nil, err
		}
		if n == 0 {
			continue
		}
		if len(rows) > 0 && len(row) != len(rows[0]) {
			return nil, nil, nil, fmt.Errorf("activations: %s: layer %d has width %d, other emotions %d: the folder mixes "+
				"models; rerun `emotion-probes %s --force`", path, layer, len(row), len(rows[0]), Command)
		}
		emotions = append(emotions, plan.Emotions[i])
		counts = append(counts, n)
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, nil, nil, fmt.Errorf("activations: no emotion in %s has a usable story (all shorter than token_offset "+
			"%d + 1 tokens?): check the stories stage", filepath.Join(outputDir, StageName, EmotionsStage), plan.TokenOffset)
	}
	means = mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		means.SetRow(i, r)
	}
	return emotions, means, counts, nil
}

func readMean(path string, layer int) (int, []float64, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return 0, nil, fmt.Errorf("activations: %w (delete the file and rerun `emotion-probes %s`)", err, Command)
	}
	defer f.Close()
	n, err := strconv.Atoi(f.Metadata()["n"])
	if err != nil {
		return 0, nil, fmt.Errorf("activations: %s: metadata \"n\" = %q is not a count: delete the file and rerun `emotion-probes %s`",
			path, f.Metadata()["n"], Command)
	}
	if n == 0 {
		return 0, nil, nil
	}
	v, _, err := f.ReadFloat64(meanName(layer))
	if err != nil {
		return 0, nil, fmt.Errorf("activations: %w", err)
	}
	return n, v, nil
}

// LoadPerStory reads the vector of each story of emotion at layer: vectors [N, D] (float32 values, widened)
// and the topic id of each row's story, for held-out validation (train on some topics, test on others).
func LoadPerStory(outputDir string, layer int, emotion string) (*mat.Dense, []string, error) {
	plan, err := LoadPlan(outputDir, EmotionsStage)
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(outputDir, StageName, EmotionsStage)
	if !plan.HasLayer(layer) {
		return nil, nil, fmt.Errorf("activations: layer %d was not extracted in %s (layers there: %v): add it to "+
			"extraction.layers and run `emotion-probes %s --force`", layer, dir, plan.Layers, Command)
	}
	if !slices.Contains(plan.Emotions, emotion) {
		return nil, nil, fmt.Errorf("activations: emotion %q is not among the %d extracted in %s: check the spelling "+
			"or add it to the config and run `emotion-probes %s`", emotion, len(plan.Emotions), dir, Command)
	}
	path := filepath.Join(dir, emotionUnit(emotion))
	if _, err := os.Stat(path); err != nil {
		return nil, nil, &MissingError{Dir: dir, Source: EmotionsStage, Missing: []string{emotion}, Total: len(plan.Emotions)}
	}
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("activations: %w", err)
	}
	defer f.Close()
	var ids []string
	if err := json.Unmarshal([]byte(f.Metadata()["topic_ids"]), &ids); err != nil {
		return nil, nil, fmt.Errorf("activations: %s: metadata \"topic_ids\": %w (delete the file and rerun `emotion-probes %s`)", path, err, Command)
	}
	if len(ids) == 0 {
		return nil, nil, fmt.Errorf("activations: %s: emotion %q has no usable story", path, emotion)
	}
	m, err := readMatrix(f, perStoryName(layer))
	if err != nil {
		return nil, nil, err
	}
	if r, _ := m.Dims(); r != len(ids) {
		return nil, nil, fmt.Errorf("activations: %s: %d story vectors but %d topic ids: delete the file and rerun `emotion-probes %s`",
			path, r, len(ids), Command)
	}
	return m, ids, nil
}

// LoadNeutral reads the neutral activations at layer from outputDir/activations/neutral: [rows, D], one row
// per dialogue (or per token, see Plan.PerToken), topics in topic-id order. A stage never run wraps
// ErrNotExtracted; a missing topic gives a *MissingError.
func LoadNeutral(outputDir string, layer int) (*mat.Dense, error) {
	_, files, err := checkUnits(outputDir, NeutralStage, layer)
	if err != nil {
		return nil, err
	}
	var parts []*mat.Dense
	rows, cols := 0, 0
	for _, path := range files {
		f, err := safetensors.Open(path)
		if err != nil {
			return nil, fmt.Errorf("activations: %w", err)
		}
		if !f.Has(neutralName(layer)) { // a topic whose dialogues were all too short
			f.Close()
			continue
		}
		m, err := readMatrix(f, neutralName(layer))
		f.Close()
		if err != nil {
			return nil, err
		}
		r, c := m.Dims()
		if cols != 0 && c != cols {
			return nil, fmt.Errorf("activations: %s: width %d, other topics %d: rerun `emotion-probes %s --force`", path, c, cols, Command)
		}
		rows, cols = rows+r, c
		parts = append(parts, m)
	}
	if rows == 0 {
		return nil, fmt.Errorf("activations: no neutral dialogue in %s was long enough to read (token_offset + 1 tokens): %w",
			filepath.Join(outputDir, StageName, NeutralStage), ErrNotExtracted)
	}
	out := mat.NewDense(rows, cols, nil)
	at := 0
	for _, m := range parts {
		r, _ := m.Dims()
		out.Slice(at, at+r, 0, cols).(*mat.Dense).Copy(m)
		at += r
	}
	return out, nil
}

// readMatrix reads a 2-D tensor as a float64 matrix.
func readMatrix(f *safetensors.File, name string) (*mat.Dense, error) {
	v, shape, err := f.ReadFloat32(name)
	if err != nil {
		return nil, fmt.Errorf("activations: %w", err)
	}
	if len(shape) != 2 || shape[0] < 1 {
		return nil, fmt.Errorf("activations: %s: tensor %q has shape %v, want [rows, D]", f.Path(), name, shape)
	}
	data := make([]float64, len(v))
	for i, x := range v {
		data[i] = float64(x)
	}
	return mat.NewDense(shape[0], shape[1], data), nil
}
