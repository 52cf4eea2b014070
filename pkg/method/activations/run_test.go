package activations

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/progress"
)

func runOpts(source string) Options {
	return Options{Source: source, NumLayers: 3, ModelID: "abc", Progress: quiet()}
}

// Run writes one file per emotion and per topic; the loaders give back the config's order, the means equal
// the mean of the per-story vectors, and the neutral rows are one per dialogue.
func TestRunAndLoad(t *testing.T) {
	cfg := testConfig(t, testEmotions, testTopics)
	writeStages(t, cfg, 4)
	eng := &fakeEngine{d: 5, value: simpleValue}
	sum, err := Run(context.Background(), eng, cfg, runOpts("both"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sum.Layers, []int{1, 2}) || sum.Emotions.Units != 5 || sum.Neutral.Units != 3 {
		t.Fatalf("summary %+v, emotions %+v, neutral %+v", sum, sum.Emotions, sum.Neutral)
	}
	if sum.Emotions.Skipped == 0 || sum.Emotions.Rows+sum.Emotions.Skipped != sum.Emotions.Texts {
		t.Errorf("stories: %+v: want some too short, and rows + skipped = texts", sum.Emotions)
	}
	out := cfg.OutputDir()
	for _, layer := range []int{1, 2} {
		emotions, means, counts, err := LoadEmotionMeans(out, layer)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(emotions, testEmotions) {
			t.Errorf("emotions %q, want the config's order %q", emotions, testEmotions)
		}
		for i, e := range emotions {
			per, ids, err := LoadPerStory(out, layer, e)
			if err != nil {
				t.Fatal(err)
			}
			n, d := per.Dims()
			if n != counts[i] || len(ids) != n || d != 5 {
				t.Fatalf("%s: per-story [%d, %d] with %d ids, count %d", e, n, d, len(ids), counts[i])
			}
			for c := 0; c < d; c++ {
				s := 0.0
				for r := 0; r < n; r++ {
					s += per.At(r, c)
				}
				if g, w := means.At(i, c), s/float64(n); math.Abs(g-w) > 1e-5*math.Abs(w) {
					t.Errorf("%s layer %d coord %d: mean %v, mean of stories %v", e, layer, c, g, w)
				}
			}
		}
		neu, err := LoadNeutral(out, layer)
		if err != nil {
			t.Fatal(err)
		}
		if r, c := neu.Dims(); r != 9 || c != 5 {
			t.Errorf("neutral [%d, %d], want [9, 5] (3 topics x 3 dialogues)", r, c)
		}
	}
	if _, _, _, err := LoadEmotionMeans(out, 7); err == nil || !strings.Contains(err.Error(), "layer 7 was not extracted") {
		t.Errorf("layer 7: got %v", err)
	}
	if _, _, err := LoadPerStory(out, 1, "ecstatic"); err == nil || !strings.Contains(err.Error(), `"ecstatic" is not among`) {
		t.Errorf("unknown emotion: got %v", err)
	}
	if err := checkpoint.Require(filepath.Join(out, StageName), EmotionsStage, Command); err != nil {
		t.Errorf("after a full run: %v", err)
	}

	// A rerun does nothing.
	eng.calls = nil
	sum, err = Run(context.Background(), eng, cfg, runOpts("both"))
	if err != nil || len(eng.calls) != 0 || sum.Emotions.Resumed != 5 || sum.Neutral.Resumed != 3 {
		t.Errorf("rerun: %d model calls, summary %+v %+v, err %v", len(eng.calls), sum.Emotions, sum.Neutral, err)
	}
}

// Neutral per token: one row per position from the offset on.
func TestRunNeutralPerToken(t *testing.T) {
	cfg := testConfig(t, testEmotions[:2], testTopics)
	cfg.Extraction.NeutralPerToken = true
	writeStages(t, cfg, 1)
	eng := &fakeEngine{d: 2, value: simpleValue}
	if _, err := Run(context.Background(), eng, cfg, runOpts("neutral")); err != nil {
		t.Fatal(err)
	}
	want := 0
	for ti := range testTopics {
		for k := 0; k < 3; k++ {
			// BOS + "Human:" + words + "Assistant:" + 3 words, minus the offset.
			want += 1 + 1 + (4 + ti + k) + 1 + 3 - cfg.Extraction.TokenOffset
		}
	}
	neu, err := LoadNeutral(cfg.OutputDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := neu.Dims(); r != want {
		t.Errorf("%d per-token rows, want %d", r, want)
	}
	plan, err := LoadPlan(cfg.OutputDir(), NeutralStage)
	if err != nil || !plan.PerToken {
		t.Errorf("plan %+v, %v: want per_token", plan, err)
	}
}

// A run cancelled midway, then resumed, writes the same bytes as an uninterrupted run, and so does a run
// that recomputes one damaged unit, even with an engine whose states depend at rounding level on the pass
// they were read in: chunks are cut from all the shard's units, not from the pending ones, so the damaged
// unit is read with the units it was first read with.
func TestRunResumesAfterCancel(t *testing.T) {
	opts := runOpts("both")
	opts.ChunkTexts = 20 // chunks of two emotions (12 stories each) or of 7 topics (3 dialogues each)
	clean := testConfig(t, testEmotions, testTopics)
	writeStages(t, clean, 4)
	if _, err := Run(context.Background(), &fakeEngine{d: 4, value: simpleValue, rounding: true}, clean, opts); err != nil {
		t.Fatal(err)
	}

	cut := testConfig(t, testEmotions, testTopics)
	writeStages(t, cut, 4)
	ctx, cancel := context.WithCancel(context.Background())
	eng := &fakeEngine{d: 4, value: simpleValue, rounding: true, before: func(call int) error {
		if call == 9 { // in the second chunk of emotions
			cancel()
		}
		return nil
	}}
	_, err := Run(ctx, eng, cut, opts)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "rerun to resume") {
		t.Fatalf("cancelled run: got %v", err)
	}
	if _, _, _, err := LoadEmotionMeans(cut.OutputDir(), 1); !errorsAsMissing(err) {
		t.Fatalf("after the cancel, want a *MissingError, got %v", err)
	}
	eng.before = nil
	sum, err := Run(context.Background(), eng, cut, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Emotions.Resumed == 0 || sum.Emotions.Resumed == 5 {
		t.Errorf("resumed %d of 5 emotions: the cancel should fall midway", sum.Emotions.Resumed)
	}
	if sum.Emotions.Texts != 5*12-sum.Emotions.Resumed*12 {
		t.Errorf("the resumed run counts %d texts read, want the pending units' %d", sum.Emotions.Texts, 5*12-sum.Emotions.Resumed*12)
	}
	sameFiles(t, clean.OutputDir(), cut.OutputDir())

	// A damaged unit is recomputed with the chunk it belongs to: the same bytes again.
	victim := filepath.Join(cut.OutputDir(), StageName, EmotionsStage, "happy.safetensors")
	if err := os.Truncate(victim, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), eng, cut, opts); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, clean.OutputDir(), cut.OutputDir())
}

// sameFiles checks that the activation files of two runs are byte for byte the same.
func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	for _, sub := range []string{EmotionsStage, NeutralStage} {
		files, _ := filepath.Glob(filepath.Join(a, StageName, sub, "*.safetensors"))
		if len(files) == 0 {
			t.Fatalf("no files in %s", sub)
		}
		for _, f := range files {
			x, _ := os.ReadFile(f)
			y, err := os.ReadFile(filepath.Join(b, StageName, sub, filepath.Base(f)))
			if err != nil || !bytes.Equal(x, y) {
				t.Errorf("%s/%s: resumed run's file differs from the uninterrupted one's (%v)", sub, filepath.Base(f), err)
			}
		}
	}
}

func errorsAsMissing(err error) bool {
	var me *MissingError
	return errors.As(err, &me)
}

// A shard writes only its units; loading before every shard ran names the missing emotions and the command.
func TestShardsAndMissingUnits(t *testing.T) {
	cfg := testConfig(t, testEmotions, testTopics)
	writeStages(t, cfg, 2)
	out := cfg.OutputDir()
	if _, err := LoadNeutral(out, 1); !errors.Is(err, ErrNotExtracted) || !strings.Contains(err.Error(), "emotion-probes extract") {
		t.Errorf("before any run: got %v, want ErrNotExtracted naming the command", err)
	}
	eng := &fakeEngine{d: 3, value: simpleValue}
	o := runOpts("stories")
	o.Shard, o.NumShards = 0, 2
	if _, err := Run(context.Background(), eng, cfg, o); err != nil {
		t.Fatal(err)
	}
	// Sorted by slug: afraid, at-ease, happy, sad, self-conscious; shard 0 holds afraid, happy, self-conscious.
	_, _, _, err := LoadEmotionMeans(out, 2)
	var me *MissingError
	if !errors.As(err, &me) || !slices.Equal(me.Missing, []string{"at ease", "sad"}) ||
		!strings.Contains(err.Error(), "emotion-probes extract") || !strings.Contains(err.Error(), `"at ease"`) {
		t.Fatalf("half the shards: got %v", err)
	}
	if _, _, err := LoadPerStory(out, 2, "happy"); err != nil {
		t.Errorf("a present emotion while others are missing: %v", err)
	}
	if err := checkpoint.Require(filepath.Join(out, StageName), EmotionsStage, Command); err == nil {
		t.Errorf("the stage is marked complete after one of two shards")
	}
	o.Shard = 1
	if _, err := Run(context.Background(), eng, cfg, o); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := LoadEmotionMeans(out, 2); err != nil {
		t.Errorf("after both shards: %v", err)
	}
	if err := checkpoint.Require(filepath.Join(out, StageName), EmotionsStage, Command); err != nil {
		t.Errorf("after both shards: %v", err)
	}
}

// Other settings are refused with a *checkpoint.MismatchError; Force starts over.
func TestRunRefusesOtherSettings(t *testing.T) {
	cfg := testConfig(t, testEmotions[:2], testTopics)
	writeStages(t, cfg, 2)
	eng := &fakeEngine{d: 3, value: simpleValue}
	if _, err := Run(context.Background(), eng, cfg, runOpts("stories")); err != nil {
		t.Fatal(err)
	}
	cfg.Extraction.TokenOffset = 4
	_, err := Run(context.Background(), eng, cfg, runOpts("stories"))
	var mm *checkpoint.MismatchError
	if !errors.As(err, &mm) || !strings.Contains(err.Error(), "token_offset") {
		t.Fatalf("changed offset: got %v", err)
	}
	o := runOpts("stories")
	o.Force = true
	if _, err := Run(context.Background(), eng, cfg, o); err != nil {
		t.Fatal(err)
	}
	plan, _ := LoadPlan(cfg.OutputDir(), EmotionsStage)
	if plan.TokenOffset != 4 {
		t.Errorf("after --force, plan offset %d, want 4", plan.TokenOffset)
	}
}

// Missing inputs name the stage to run.
func TestRunNeedsItsInputs(t *testing.T) {
	cfg := testConfig(t, testEmotions[:2], testTopics)
	eng := &fakeEngine{d: 3, value: simpleValue}
	if _, err := Run(context.Background(), eng, cfg, runOpts("stories")); err == nil || !strings.Contains(err.Error(), "emotion-probes generate-stories") {
		t.Errorf("no stories: got %v", err)
	}
	writeStages(t, cfg, 1)
	cfg2 := *cfg
	cfg2.Emotions = append(slices.Clone(cfg.Emotions), "calm")
	if _, err := Run(context.Background(), eng, &cfg2, runOpts("stories")); err == nil || !strings.Contains(err.Error(), `"calm"`) {
		t.Errorf("an emotion without stories: got %v", err)
	}
	if _, err := Run(context.Background(), eng, cfg, Options{Source: "all", NumLayers: 3}); err == nil || !strings.Contains(err.Error(), `"all"`) {
		t.Errorf("bad source: got %v", err)
	}
	if _, err := Run(context.Background(), eng, cfg, Options{Source: "stories"}); err == nil || !strings.Contains(err.Error(), "NumLayers") {
		t.Errorf("no layer count: got %v", err)
	}
}

// The unit files carry the metadata the brief promises.
func TestUnitMetadata(t *testing.T) {
	cfg := testConfig(t, testEmotions[:2], testTopics)
	writeStages(t, cfg, 3)
	if _, err := Run(context.Background(), &fakeEngine{d: 3, value: simpleValue}, cfg, runOpts("stories")); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join(cfg.OutputDir(), StageName, EmotionsStage, config.Slug("at ease")+".safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := f.Metadata()
	for k, want := range map[string]string{"emotion": "at ease", "layers": "[1,2]", "token_offset": "3", "format": Format, "model_sha256": "abc"} {
		if m[k] != want {
			t.Errorf("metadata %q = %q, want %q", k, m[k], want)
		}
	}
	if dt, shape := f.Info("layer_2.mean"); dt != "F64" || !slices.Equal(shape, []int{3}) {
		t.Errorf("layer_2.mean: %s %v, want F64 [3]", dt, shape)
	}
	if dt, shape := f.Info("layer_1.per_story"); dt != "F32" || len(shape) != 2 || shape[1] != 3 || m["n"] == "" {
		t.Errorf("layer_1.per_story: %s %v (n = %s)", dt, shape, m["n"])
	}
}

// An emotion whose stories are all too short gets a unit with n = 0 and no tensors; LoadEmotionMeans leaves
// it out and says nothing is missing.
func TestEmotionWithNoUsableStory(t *testing.T) {
	cfg := testConfig(t, testEmotions[:3], testTopics)
	writeStages(t, cfg, 2)
	st, err := checkpoint.OpenStage(cfg.OutputDir(), "stories", checkpoint.Fingerprint{"v": "1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range testTopics {
		u := stories.Unit{Emotion: "at ease", Topic: topic, TopicID: config.TopicID(topic),
			Kept: []stories.Story{{Text: "too short"}}}
		if err := st.WriteJSON(config.Slug("at ease")+"/"+config.TopicID(topic)+".json", u); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := Run(context.Background(), &fakeEngine{d: 2, value: simpleValue}, cfg, runOpts("stories"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Emotions.Skipped < 2 {
		t.Errorf("skipped %d texts, want at least the 2 short ones", sum.Emotions.Skipped)
	}
	emotions, means, counts, err := LoadEmotionMeans(cfg.OutputDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := means.Dims(); !slices.Equal(emotions, []string{"happy", "afraid"}) || r != 2 || len(counts) != 2 {
		t.Errorf("emotions %q, %d rows, counts %v: want happy and afraid only", emotions, r, counts)
	}
	if _, _, err := LoadPerStory(cfg.OutputDir(), 1, "at ease"); err == nil || !strings.Contains(err.Error(), "no usable story") {
		t.Errorf("per-story vectors of an emotion without any: got %v", err)
	}
}

// A unit file cut short or overwritten after the run (a copy cut off, a disk fault) counts as not done: the
// next run recomputes exactly that unit, says so, and ends with the same files as before the damage.
func TestRunRecomputesDamagedUnits(t *testing.T) {
	cfg := testConfig(t, testEmotions, testTopics)
	writeStages(t, cfg, 4)
	eng := &fakeEngine{d: 4, value: simpleValue}
	if _, err := Run(context.Background(), eng, cfg, runOpts("both")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cfg.OutputDir(), StageName)
	before := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.safetensors"))
	for _, f := range files {
		before[f], _ = os.ReadFile(f)
	}
	cut := filepath.Join(dir, EmotionsStage, emotionUnit(testEmotions[1]))
	garbled := filepath.Join(dir, NeutralStage, topicUnit(config.TopicID(testTopics[0])))
	if err := os.WriteFile(cut, before[cut][:len(before[cut])-3], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(garbled, bytes.Repeat([]byte("x"), len(before[garbled])), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), eng, cfg, runOpts("both"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Emotions.Damaged != 1 || sum.Emotions.Resumed != len(testEmotions)-1 ||
		sum.Neutral.Damaged != 1 || sum.Neutral.Resumed != len(testTopics)-1 {
		t.Errorf("emotions %+v, neutral %+v: want one damaged unit each, the rest resumed", sum.Emotions, sum.Neutral)
	}
	if len(sum.Warnings) == 0 || !strings.Contains(strings.Join(sum.Warnings, "\n"), "1 unit files were truncated or corrupt") {
		t.Errorf("warnings %q: want one about the damaged units", sum.Warnings)
	}
	for f, want := range before {
		if got, _ := os.ReadFile(f); !bytes.Equal(got, want) {
			t.Errorf("%s differs from the first run's", f)
		}
	}
	if _, _, _, err := LoadEmotionMeans(cfg.OutputDir(), 1); err != nil {
		t.Errorf("loading after the recompute: %v", err)
	}
}

// The config's default budget is the engine's, and extraction.batch_size, when set, caps the rows.
func TestPackingFollowsConfig(t *testing.T) {
	cfg := config.Default()
	if got := Packing(cfg); got != (lm.Packing{BatchTokens: lm.DefaultBatchTokens}) {
		t.Errorf("Packing(Default()) = %+v, want the budget lm.DefaultBatchTokens = %d and no cap", got, lm.DefaultBatchTokens)
	}
	cfg.Extraction.BatchSize, cfg.Extraction.BatchTokens = 8, 1000
	if got := Packing(cfg); got != (lm.Packing{BatchTokens: 1000, MaxRows: 8}) {
		t.Errorf("Packing = %+v, want {1000 8}", got)
	}
}

// A rerun with every unit written reads nothing, yet still shows its bars, full, with every text counted
// as resumed: a notebook that resumes shows where the stage stands (and what the earlier run did).
func TestRunFinishedShowsFullBars(t *testing.T) {
	cfg := testConfig(t, testEmotions, testTopics)
	writeStages(t, cfg, 4)
	eng := &fakeEngine{d: 5, value: simpleValue}
	if _, err := Run(context.Background(), eng, cfg, runOpts("both")); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	opts := runOpts("both")
	opts.Progress = progress.Options{Writer: &log}
	sum, err := Run(context.Background(), eng, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Emotions.Texts != 0 || sum.Neutral.Texts != 0 {
		t.Fatalf("the rerun read texts: %+v, %+v", sum.Emotions, sum.Neutral)
	}
	for _, want := range []string{"activations: stories", "activations: neutral", "100%"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the rerun's progress lacks %q:\n%s", want, log.String())
		}
	}
}
