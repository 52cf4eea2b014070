package validate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/activations"
	"github.com/emotion-probes/emotion-probes/pkg/method/neutral"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/progress"
)

var (
	testEmotions = []string{"happy", "at ease", "afraid", "sad"}
	testTopics   = []string{"A day at the market", "Fixing a bicycle", "A letter arrives", "The last train home", "Moving house"}
	scenes       = map[string]string{
		"happy":   "She laughed and spun around, arms wide, and called everyone over to see.",
		"at ease": "He leaned back, breathing slowly, and let the warm afternoon pass without a thought.",
		"afraid":  "Her hands shook; she listened for the footsteps again and did not dare to move.",
		"sad":     "He sat alone by the window, the tea gone cold, and did not answer the phone.",
	}
)

// tinyRun writes hand-made stories and neutral dialogues into a fresh output folder and extracts their
// activations with the tiny random model at layer 1 only (of its 2), as a run would.
func tinyRun(t *testing.T) (*config.Config, *lm.Model) {
	t.Helper()
	cfg := config.Default()
	cfg.Name = "test"
	cfg.Emotions, cfg.Topics = testEmotions, testTopics
	cfg.Output.Dir = t.TempDir()
	cfg.Extraction.TokenOffset = 4
	cfg.Extraction.Layers = config.Layers{Indices: []int{1}}
	cfg.Validation.Bootstrap = 100
	cfg.Validation.RatingsFile = filepath.Join("..", "..", "..", "config", "data", "ratings_warriner2013.tsv")
	out := cfg.OutputDir()
	st, err := checkpoint.OpenStage(out, stories.StageName, checkpoint.Fingerprint{"v": "1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range testEmotions {
		for _, topic := range testTopics {
			u := stories.Unit{Emotion: e, Topic: topic, TopicID: config.TopicID(topic)}
			for k := 0; k < 2; k++ {
				text := fmt.Sprintf("%s. Story %d. %s", topic, k, scenes[e])
				u.Kept = append(u.Kept, stories.Story{Text: text, Attempt: k})
			}
			if err := st.WriteJSON(config.Slug(e)+"/"+config.TopicID(topic)+".json", u); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.MarkComplete(nil); err != nil {
		t.Fatal(err)
	}
	ns, err := checkpoint.OpenStage(out, neutral.StageName, checkpoint.Fingerprint{"v": "1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, topic := range testTopics {
		u := neutral.Unit{Topic: topic, TopicID: config.TopicID(topic)}
		for k := 0; k < 2; k++ {
			u.Kept = append(u.Kept, neutral.Dialog{Text: fmt.Sprintf("Human: What is %d plus %d?\nAssistant: It is %d, about %s.", i, k, i+k, topic), Attempt: k})
		}
		if err := ns.WriteJSON(config.TopicID(topic)+".json", u); err != nil {
			t.Fatal(err)
		}
	}
	if err := ns.MarkComplete(nil); err != nil {
		t.Fatal(err)
	}
	m, err := lm.Load(filepath.Join("..", "..", "engine", "lm", "testdata", "tiny-llama"), lm.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if _, err := activations.Run(context.Background(), m, cfg, activations.Options{Source: "both", Progress: progress.Options{Quiet: true}}); err != nil {
		t.Fatal(err)
	}
	return cfg, m
}

// The whole validation on the tiny model: the sweep needs layer 2, which the run did not extract, so Extract
// reads it into validation/sweep (and a second call does nothing); Run validates both layers; Write writes
// the report and every figure. The numbers mean nothing (random weights); the plumbing is what is tested.
func TestExtractRunWrite(t *testing.T) {
	cfg, m := tinyRun(t)
	out := cfg.OutputDir()
	if _, err := Run(cfg, Options{}); err == nil || !strings.Contains(err.Error(), "validate") {
		t.Fatalf("Run before Extract: got %v, want an error naming the command", err)
	}
	l, err := PlanLayers(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Sweep, []int{1, 2}) || !slices.Equal(l.Missing, []int{2}) || l.DefaultLayer != 1 {
		t.Fatalf("layers %+v: want sweep [1 2], missing [2], default 1", l)
	}
	opts := ExtractOptions{Progress: progress.Options{Quiet: true}}
	sum, err := Extract(context.Background(), m, cfg, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Emotions == nil || sum.Emotions.Texts != 40 || sum.Neutral == nil || !slices.Equal(sum.Layers, []int{2}) {
		t.Fatalf("extract summary %+v", sum)
	}
	if sum, err = Extract(context.Background(), m, cfg, l, opts); err != nil || sum.Emotions.Resumed != 4 || sum.Emotions.Texts != 0 {
		t.Fatalf("second Extract: %+v, %v; want everything resumed", sum, err)
	}
	if _, err := os.Stat(filepath.Join(out, activations.StageName, activations.EmotionsStage, "happy.safetensors")); err != nil {
		t.Fatal(err)
	}

	rep, err := Run(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The single split at the run's layer; a cross-validation by topic and by story at each of the 2 layers,
	// the run's layer's with the probe, the words baseline and the permutation null.
	if len(rep.HeldOut) != 1 || len(rep.CrossVal) != 4 || rep.Sweep == nil || rep.Ratings == nil {
		t.Fatalf("report: %d held-out layers, %d cross-validations, sweep %v, ratings %v", len(rep.HeldOut), len(rep.CrossVal), rep.Sweep, rep.Ratings)
	}
	for _, cv := range rep.CrossValAt(rep.Layers.DefaultLayer) {
		if cv.Probe == nil || cv.Words == nil || cv.Cosine.Null == nil || cv.Cosine.N != 40 {
			t.Errorf("cross-validation by %s at the run's layer: probe %v, words %v, null %v, %d stories; want all, 40 stories",
				cv.Split, cv.Probe, cv.Words, cv.Cosine.Null, cv.Cosine.N)
		}
	}
	h := rep.HeldOut[0]
	if len(h.Test) != 1 || len(h.Train) != 4 || h.NTest != 8 || h.NTrain != 32 || !h.Denoised {
		t.Errorf("held-out: %d test topics, %d train, %d/%d stories, denoised %v; want 1, 4, 8/32, true", len(h.Test), len(h.Train), h.NTest, h.NTrain, h.Denoised)
	}
	// The sweep's vectors at layer 1 (read from the run) and the ratings of "at ease" (not rated).
	if !slices.Contains(rep.Ratings.Missing, "at ease") || len(rep.Ratings.Emotions) != 3 {
		t.Errorf("ratings: shared %v, missing %v", rep.Ratings.Emotions, rep.Ratings.Missing)
	}
	rep.Sections = append(rep.Sections, &Section{Name: "extra", Title: "An extra check", Markdown: "It ran.", Data: map[string]int{"n": 1}})
	files, err := Write(filepath.Join(out, Folder), rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"report.json", "report.md", "figures/confusion_cosine.png", "figures/confusion_probe.html",
		"figures/layer_sweep_accuracy.png", "figures/layer_sweep_similarity.png", "figures/pc1_vs_valence.png", "figures/pc2_vs_arousal.html", "figures/pc1_vs_style.png"} {
		if !slices.Contains(files, filepath.Join(out, Folder, want)) {
			t.Errorf("Write did not write %s", want)
		}
	}
	var back Report
	data, err := os.ReadFile(filepath.Join(out, Folder, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("report.json does not read back: %v", err)
	}
	if back.Sweep.Recommended != rep.Sweep.Recommended || len(back.HeldOut) != 1 || len(back.CrossVal) != 4 || back.Sections[0].Name != "extra" {
		t.Errorf("report.json read back differs: %+v", back.Sweep)
	}
	if back.Style == nil || len(back.Style.Traits) != len(Traits) || back.Style.Partialled == nil || len(back.Style.PC1) != 4 {
		t.Errorf("report.json: what PC1 follows: %+v, want %d traits, 4 emotions and the partialled ratings", back.Style, len(Traits))
	}
	if keep := os.Getenv("EMOTION_PROBES_VALIDATE_OUT"); keep != "" { // to look at the report by hand
		if err := os.CopyFS(keep, os.DirFS(filepath.Join(out, Folder))); err != nil {
			t.Log(err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, Folder, "report.md"))
	for _, want := range []string{"## Cross-validated accuracy (layer 1)", "| by topic | bag of words", "Permutation null (by story",
		"## One held-out split (layer 1)", "## Layer sweep", "## Human ratings", "## What PC1 follows (layer 1)", "## An extra check", "figures/pc1_vs_valence.png"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
}

// Beside sets runs' headline numbers side by side, a column per run.
func TestBeside(t *testing.T) {
	acc := func(top1 float64) *Accuracy { return &Accuracy{Top1: top1, Chance1: 0.1, P1: 1e-9, N: 10} }
	mk := func(name, stories string, top1 float64) *Report {
		return &Report{Name: name, Stories: stories, Layers: Layers{DefaultLayer: 20}, CrossVal: []*CrossVal{
			{Layer: 20, Split: ByTopic, Emotions: make([]string, 10), Cosine: acc(top1)},
			{Layer: 20, Split: ByStory, Emotions: make([]string, 10), Cosine: acc(top1 + 0.1), Words: acc(0.2)},
		}}
	}
	md := Beside([]*Report{mk("small", "from corpus/stories", 0.5), mk("small-generate", "written by the model", 0.1)}).Markdown
	for _, want := range []string{"| small (stories from corpus/stories) | small-generate (stories written by the model) |",
		"| vectors, top-1 by topic | 0.500 (5x chance, p 1e-09) | 0.100 (1x chance, p 1e-09) |",
		"| bag of words, top-1 by story | 0.200 (2x chance, p 1e-09) | 0.200 (2x chance, p 1e-09) |", "| probe, top-1 by topic | - | - |"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}

// The report names a corpus by its folder and file, as a reader of config/small.yaml finds it.
func TestStorySource(t *testing.T) {
	cfg := config.Default()
	cfg.Dir = filepath.FromSlash("/repo/config")
	if got := storySource(cfg); got != "written by the model" {
		t.Errorf("generated: %q", got)
	}
	cfg.Stories.Source, cfg.Stories.Corpus = config.SourceCorpus, "data/corpus/stories"
	if got := storySource(cfg); got != "from corpus/stories" {
		t.Errorf("corpus: %q, want \"from corpus/stories\"", got)
	}
}
