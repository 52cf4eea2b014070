package stories_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories/storiestest"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/progress"
)

// testConfig is 3 emotions x 2 topics x 3 stories (5 attempts each), writing to dir. Token offset 5: a story needs 35 reading
// tokens (the fake engine counts one per word, plus BOS).
func testConfig(dir string) *config.Config {
	c := config.Default()
	c.Emotions = []string{"afraid", "at ease", "happy"}
	c.Topics = []string{"A train is late", "Someone finds a letter"}
	c.Synonyms = map[string][]string{"afraid": {"fear"}, "happy": {"joy"}}
	c.Output.Dir = dir
	c.Generation.StoriesPerTopic = 3
	c.Generation.BatchSize = 4
	c.Generation.MaxAttempts = 5
	c.Generation.MaxNewTokens = 100
	c.Extraction.TokenOffset = 5
	return c
}

var emotionRE = regexp.MustCompile(`main character is (.+?), but`)

// words is a story vocabulary without any emotion word.
var words = strings.Fields("rain roof coins jar door train platform clock letter paper hands window street " +
	"walked counted opened closed waited looked read folded pocket bench station light morning evening")

// seededStory is a long enough story that depends only on the seed.
func seededStory(seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	for i := range 45 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[r.IntN(len(words))])
		if i%9 == 8 {
			b.WriteByte('.')
		}
	}
	return b.String() + "."
}

// randomScript draws, per seed, a good story or one of the faults the checks must catch.
func randomScript(prompt string, seed uint64) (string, bool) {
	emotion := emotionRE.FindStringSubmatch(prompt)[1]
	r := rand.New(rand.NewPCG(seed, 2))
	s := seededStory(seed)
	switch x := r.Float64(); {
	case x < 0.15:
		return s + " I was so " + emotion + ".", true
	case x < 0.25:
		return "Sure! Here is your story.\n" + s, true
	case x < 0.35:
		return s + " And then the", false // cut, still long enough: kept
	case x < 0.45:
		return "The door closed.", true
	case x < 0.55:
		return seededStory(7), true // the same text each time: after the first, a duplicate
	case x < 0.6:
		return s + " This story shows how it feels.", true
	}
	return s, true
}

// unitFiles reads every unit file under dir/stories (not the manifest or completion record).
func unitFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := filepath.Join(dir, stories.StageName)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == checkpoint.ManifestFile || rel == checkpoint.CompleteFile {
			return nil
		}
		data, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var quiet = generate.Options{ModelID: "sha-of-model", Progress: progress.Options{Quiet: true}}

func run(t *testing.T, cfg *config.Config, eng *storiestest.Engine, opts generate.Options) *generate.Summary {
	t.Helper()
	sum, err := stories.Run(context.Background(), eng, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestRunKeepsValidStoriesAndRecordsRejects(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	sum := run(t, cfg, &storiestest.Engine{Script: randomScript}, quiet)
	units, err := stories.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(units) != 6 || sum.Units != 6 {
		t.Fatalf("%d units on disk, summary %d; want 6", len(units), sum.Units)
	}
	reasons := map[generate.Reason]int{}
	cut := 0
	for _, u := range units {
		if len(u.Kept) != 3 {
			t.Errorf("%s / %s: kept %d, want 3 (top-up)", u.Emotion, u.Topic, len(u.Kept))
		}
		if u.Attempts != len(u.Kept)+countAttempts(u.Rejected) {
			t.Errorf("%s / %s: %d attempts, %d kept + %d rejected", u.Emotion, u.Topic, u.Attempts, len(u.Kept), len(u.Rejected))
		}
		// The run stops at the first attempt at which the unit has its stories: the last attempt is kept.
		if last := u.Kept[len(u.Kept)-1].Attempt; last != u.Attempts-1 {
			t.Errorf("%s / %s: last kept attempt %d of %d attempts", u.Emotion, u.Topic, last, u.Attempts)
		}
		for _, s := range u.Kept {
			if w := stories.NewBanned(u.Emotion, cfg.Synonyms[u.Emotion]).Find(s.Text); w != "" {
				t.Errorf("kept story holds %q: %s", w, s.Text)
			}
			wantPerson := [...]string{"first", "third"}[s.Attempt%2]
			if s.Person != wantPerson || s.Tokens < 35 || strings.HasSuffix(s.Text, "the") {
				t.Errorf("kept story %+v", s)
			}
			if s.Cut {
				cut++
			}
		}
		for _, r := range u.Rejected {
			reasons[r.Reason]++
		}
		if u.PromptVersion != stories.PromptVersion || u.ModelSHA256 != "sha-of-model" || u.TopicID != config.TopicID(u.Topic) {
			t.Errorf("unit header %+v", u)
		}
	}
	for _, r := range []generate.Reason{stories.EmotionWord, stories.Preamble, generate.TooShort, stories.Meta} {
		if reasons[r] == 0 {
			t.Errorf("no %s rejects in %v: the script draws them", r, reasons)
		}
	}
	if cut == 0 {
		t.Errorf("no kept story was cut back to its last sentence: the script draws them")
	}
	if !reflect.DeepEqual(sum.Rejected, reasons) || sum.Kept != 18 || sum.Requested != 18 {
		t.Errorf("summary %+v, rejects on disk %v", sum, reasons)
	}
	if err := checkpoint.Require(dir, stories.StageName, "stories"); err != nil {
		t.Errorf("stage not marked complete: %v", err)
	}
	t.Log(sum)
}

func countAttempts(rs []stories.Reject) int {
	seen := map[int]bool{}
	for _, r := range rs {
		seen[r.Attempt] = true
	}
	return len(seen)
}

func TestRunStopsAtMaxAttempts(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.Emotions = cfg.Emotions[:1]
	cfg.Topics = cfg.Topics[:1]
	cfg.Generation.MaxAttempts = 3
	n := 0
	eng := &storiestest.Engine{Script: func(prompt string, seed uint64) (string, bool) {
		n++
		if n%2 == 0 { // one good story, then copies of it; every other completion names the emotion
			return seededStory(1), true
		}
		return seededStory(seed) + " Fear.", true
	}}
	sum := run(t, cfg, eng, quiet)
	units, _ := stories.LoadEmotion(dir, "afraid")
	u := units[0]
	if u.Attempts != 9 || len(u.Kept) != 1 || len(u.Rejected) != 8 || u.Kept[0].Attempt != 1 {
		t.Errorf("attempts %d, kept %d (attempt %d), rejected %d; want 9 = 3 max_attempts x 3 stories, 1, 8",
			u.Attempts, len(u.Kept), u.Kept[0].Attempt, len(u.Rejected))
	}
	if r := sum.Rejected; r[generate.Duplicate] != 3 || r[stories.EmotionWord] != 5 {
		t.Errorf("rejects %v, want 3 duplicates and 5 emotion words", r)
	}
	if len(sum.Short) != 1 || !strings.Contains(sum.String(), "short (1 units): afraid / A train is late (1/3)") {
		t.Errorf("summary does not report the short unit:\n%s", sum)
	}
}

// TestResultsIndependentOfBatching: the files are the same whatever the batch size, since each completion's
// seed depends only on (seed, emotion, topic, attempt) and each unit stops at the same attempt.
func TestResultsIndependentOfBatching(t *testing.T) {
	var want map[string]string
	for _, bs := range []int{1, 3, 4, 16} {
		dir := t.TempDir()
		cfg := testConfig(dir)
		cfg.Generation.BatchSize = config.Slots(bs)
		eng := &storiestest.Engine{Script: randomScript}
		run(t, cfg, eng, quiet)
		for _, n := range eng.Calls {
			if n > bs {
				t.Errorf("batch size %d: a Generate call got %d prompts", bs, n)
			}
		}
		got := unitFiles(t, dir)
		if want == nil {
			want = got
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("batch size %d gives other files than batch size 1", bs)
		}
	}
	if len(want) != 6 {
		t.Errorf("%d unit files, want 6", len(want))
	}
}

// TestResumeAfterInterruption cancels the run after k batches, reruns it, and compares the files with an
// uninterrupted run's, byte for byte.
func TestResumeAfterInterruption(t *testing.T) {
	full := t.TempDir()
	run(t, testConfig(full), &storiestest.Engine{Script: randomScript}, quiet)
	want := unitFiles(t, full)

	for _, k := range []int{1, 2, 4} {
		dir := t.TempDir()
		cfg := testConfig(dir)
		ctx, cancel := context.WithCancel(context.Background())
		eng := &storiestest.Engine{Script: randomScript, BeforeGenerate: func(call, _ int) error {
			if call == k-1 {
				cancel() // "killed" during batch k: the batch finishes, no further one starts
			}
			return nil
		}}
		_, err := stories.Run(ctx, eng, cfg, quiet)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("k=%d: error %v, want context.Canceled", k, err)
		}
		if len(eng.Calls) != k {
			t.Errorf("k=%d: %d Generate calls before stopping", k, len(eng.Calls))
		}
		partial := unitFiles(t, dir)
		if len(partial) >= 6 {
			t.Errorf("k=%d: %d units written before the interruption; the test needs fewer", k, len(partial))
		}
		if checkpoint.Require(dir, stories.StageName, "stories") == nil {
			t.Errorf("k=%d: interrupted stage marked complete", k)
		}
		eng2 := &storiestest.Engine{Script: randomScript}
		sum := run(t, cfg, eng2, quiet)
		if sum.Resumed != len(partial) {
			t.Errorf("k=%d: resumed %d units, %d were on disk", k, sum.Resumed, len(partial))
		}
		if got := unitFiles(t, dir); !reflect.DeepEqual(got, want) {
			t.Errorf("k=%d: resumed run's files differ from an uninterrupted run's", k)
		}
		// A third run finds everything done and generates nothing.
		eng3 := &storiestest.Engine{Script: randomScript}
		run(t, cfg, eng3, quiet)
		if len(eng3.Calls) != 0 {
			t.Errorf("k=%d: a run over finished units made %d Generate calls", k, len(eng3.Calls))
		}
	}
}

func TestShardsSplitTheWork(t *testing.T) {
	full := t.TempDir()
	run(t, testConfig(full), &storiestest.Engine{Script: randomScript}, quiet)
	want := unitFiles(t, full)

	dir := t.TempDir()
	cfg := testConfig(dir)
	seen := map[string]bool{}
	for shard := range 3 {
		opts := quiet
		opts.Shard, opts.NumShards = shard, 3
		sum := run(t, cfg, &storiestest.Engine{Script: randomScript}, opts)
		if sum.Units != 2 {
			t.Errorf("shard %d has %d of 6 units, want 2", shard, sum.Units)
		}
		complete := checkpoint.Require(dir, stories.StageName, "stories") == nil
		if complete != (shard == 2) {
			t.Errorf("after shard %d: stage complete = %v", shard, complete)
		}
		for p := range unitFiles(t, dir) {
			seen[p] = true
		}
		if len(seen) != 2*(shard+1) {
			t.Errorf("after shard %d: %d unit files, want %d (shards overlap?)", shard, len(seen), 2*(shard+1))
		}
	}
	if got := unitFiles(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("sharded run's files differ from a single run's")
	}
	pairs := stories.Pairs(cfg)
	if s := generate.Shard(pairs, 1, 3); len(s) != 2 || s[0] != pairs[1] || s[1] != pairs[4] {
		t.Errorf("Shard(pairs, 1, 3) = %v", s)
	}
}

func TestFingerprintMismatchNeedsForce(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	run(t, cfg, &storiestest.Engine{Script: randomScript}, quiet)
	cfg.Generation.Temperature = 0.5
	_, err := stories.Run(context.Background(), &storiestest.Engine{Script: randomScript}, cfg, quiet)
	var mm *checkpoint.MismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("changed temperature: error %v, want a *checkpoint.MismatchError", err)
	}
	// Batch size is not part of the fingerprint: results do not depend on it.
	cfg.Generation.Temperature = 0.8
	cfg.Generation.BatchSize = 2
	run(t, cfg, &storiestest.Engine{Script: randomScript}, quiet)
	opts := quiet
	opts.Force = true
	cfg.Generation.Temperature = 0.5
	if sum := run(t, cfg, &storiestest.Engine{Script: randomScript}, opts); sum.Resumed != 0 {
		t.Errorf("force: %d units resumed, want 0", sum.Resumed)
	}
}

func TestSeveralStoriesPerCompletion(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.Emotions, cfg.Topics = cfg.Emotions[:1], cfg.Topics[:1]
	cfg.Generation.StoriesPerTopic = 5
	cfg.Generation.StoriesPerCompletion = 3
	eng := &storiestest.Engine{Script: func(prompt string, seed uint64) (string, bool) {
		if !strings.Contains(prompt, "Write 3 different") || !strings.Contains(prompt, stories.Delimiter) {
			return "", true
		}
		s := func(i int) string { return seededStory(seed + uint64(i)) }
		return fmt.Sprintf("Here are three stories:\n###\n%s\n###\nStory 2:\n%s\n\n###\n%s I was afraid.\n###\n%s", s(0), s(1), s(2), s(3)), true
	}}
	run(t, cfg, eng, quiet)
	u, _ := stories.LoadEmotion(dir, "afraid")
	kept, rej := u[0].Kept, u[0].Rejected
	if len(kept) != 5 || u[0].Attempts != 2 {
		t.Fatalf("kept %d from %d completions, want 5 from 2", len(kept), u[0].Attempts)
	}
	if kept[0].Attempt != 0 || kept[0].Part != 1 || kept[2].Part != 4 || kept[3].Attempt != 1 {
		t.Errorf("kept %+v", kept)
	}
	// Attempt 1: the preamble, then two stories make five; its other stories are surplus and not judged.
	if len(rej) != 3 || rej[2].Attempt != 1 || rej[0].Reason != stories.Preamble || rej[1].Reason != stories.EmotionWord {
		t.Errorf("rejected %+v", rej)
	}
}

func TestLoadEmotionMissing(t *testing.T) {
	if _, err := stories.LoadEmotion(t.TempDir(), "afraid"); err == nil || !strings.Contains(err.Error(), "run the stories stage") {
		t.Errorf("error %v", err)
	}
}

func TestLoadOrderAndTexts(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.Emotions = []string{"happy", "afraid"} // Load's order does not follow the config's
	first := map[uint64]bool{                  // attempt 0 of both afraid units tells the same story
		generate.Seed(cfg.Generation.Seed, stories.StageName, []string{"afraid", cfg.Topics[0]}, 0): true,
		generate.Seed(cfg.Generation.Seed, stories.StageName, []string{"afraid", cfg.Topics[1]}, 0): true,
	}
	run(t, cfg, &storiestest.Engine{Script: func(prompt string, seed uint64) (string, bool) {
		if first[seed] {
			return seededStory(99), true
		}
		return seededStory(seed), true
	}}, quiet)
	units, err := stories.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range units {
		got = append(got, config.Slug(u.Emotion)+"/"+u.TopicID)
	}
	want := []string{
		"afraid/" + min(config.TopicID(cfg.Topics[0]), config.TopicID(cfg.Topics[1])),
		"afraid/" + max(config.TopicID(cfg.Topics[0]), config.TopicID(cfg.Topics[1])),
		"happy/" + min(config.TopicID(cfg.Topics[0]), config.TopicID(cfg.Topics[1])),
		"happy/" + max(config.TopicID(cfg.Topics[0]), config.TopicID(cfg.Topics[1])),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load order %v, want %v", got, want)
	}
	afraid, err := stories.LoadEmotion(dir, "afraid")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(stories.Texts(afraid)); n != 5 {
		t.Errorf("Texts: %d stories, want 5 (6 kept, one copy across topics)", n)
	}
}

// writeCorpus writes a story corpus file into dir: rows of (emotion, topic, text).
func writeCorpus(t *testing.T, dir string, rows [][3]string) string {
	t.Helper()
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "{\"emotion\": %q, \"topic\": %q, \"text\": %q}\n", r[0], r[1], r[2])
	}
	p := filepath.Join(dir, "corpus.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// With stories.source: corpus nothing is generated: each (emotion, topic) of the corpus becomes a unit, a row
// that names its emotion is refused and reported with its file and line, a row of an unknown emotion is
// reported, a row of an emotion outside the run is skipped; a changed corpus stops a resumed run.
func TestRunFromCorpus(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.KnownEmotions = append(slices.Clone(cfg.Emotions), "sad")
	cfg.Stories.Source = config.SourceCorpus
	rows := [][3]string{
		{"afraid", "A train is late", seededStory(1)},
		{"afraid", "A train is late", seededStory(2) + " Fear came."}, // line 2: names its emotion
		{"at ease", "A new topic", seededStory(3)},
		{"happy", "A train is late", seededStory(4)},
		{"sad", "A train is late", seededStory(5)},  // outside the run
		{"hapy", "A train is late", seededStory(6)}, // line 6: unknown
		{"happy", "A train is late", "Too short."},  // line 7
		{"happy", "Someone finds a letter", seededStory(8)},
	}
	cfg.Stories.Corpus = writeCorpus(t, t.TempDir(), rows)
	eng := &storiestest.Engine{Script: randomScript}
	sum, err := stories.Run(context.Background(), eng, cfg, generate.Options{ModelID: "m", Progress: quiet.Progress})
	if err != nil {
		t.Fatal(err)
	}
	if len(eng.Calls) != 0 {
		t.Errorf("the engine generated %v: a corpus run must only tokenize", eng.Calls)
	}
	if sum.Units != 4 || sum.Kept != 4 || sum.Requested != 6 || sum.Skipped != 1 || len(sum.Problems) != 3 {
		t.Fatalf("summary %+v", sum)
	}
	for i, want := range []string{"corpus.jsonl:6: emotion: \"hapy\"", "corpus.jsonl:2: emotion-word Fear", "corpus.jsonl:7: too-short"} {
		if !strings.Contains(sum.Problems[i], want) {
			t.Errorf("problem %d = %q, want it to contain %q", i, sum.Problems[i], want)
		}
	}
	units, err := stories.LoadEmotion(cfg.OutputDir(), "afraid")
	if err != nil || len(units) != 1 || len(units[0].Kept) != 1 || units[0].Rejected[0].Row != cfg.Stories.Corpus+":2" {
		t.Fatalf("afraid's unit: %+v, %v", units, err)
	}
	if err := checkpoint.Require(cfg.OutputDir(), stories.StageName, "generate-stories"); err != nil {
		t.Fatalf("the stage is not marked complete: %v", err)
	}

	// A rerun resumes everything; an edited corpus is refused, naming the checksum.
	if sum, err = stories.Run(context.Background(), eng, cfg, generate.Options{ModelID: "m", Progress: quiet.Progress}); err != nil || sum.Resumed != 4 {
		t.Fatalf("rerun: %+v, %v", sum, err)
	}
	rows[0][2] = seededStory(9)
	writeCorpus(t, filepath.Dir(cfg.Stories.Corpus), rows)
	_, err = stories.Run(context.Background(), eng, cfg, generate.Options{ModelID: "m", Progress: quiet.Progress})
	var mm *checkpoint.MismatchError
	if !errors.As(err, &mm) || !strings.Contains(err.Error(), "corpus_sha256") {
		t.Errorf("a changed corpus: %v, want a mismatch naming corpus_sha256", err)
	}

	// An emotion of the run with no row is an error that names it.
	cfg2 := testConfig(t.TempDir())
	cfg2.KnownEmotions = cfg2.Emotions
	cfg2.Stories.Source = config.SourceCorpus
	cfg2.Stories.Corpus = writeCorpus(t, t.TempDir(), rows[:1])
	if _, err := stories.Run(context.Background(), eng, cfg2, generate.Options{Progress: quiet.Progress}); err == nil ||
		!strings.Contains(err.Error(), `no story for "at ease", "happy"`) {
		t.Errorf("emotions without stories: %v", err)
	}
}

// Try draws one story per pair, in one batch, and judges each with Run's checks; it writes nothing.
func TestTry(t *testing.T) {
	cfg := testConfig(t.TempDir())
	eng := &storiestest.Engine{Script: func(prompt string, seed uint64) (string, bool) {
		emotion := emotionRE.FindStringSubmatch(prompt)[1]
		if emotion == "afraid" {
			return seededStory(seed) + " I was so afraid.", true
		}
		return seededStory(seed), true
	}}
	units, err := stories.Try(eng, cfg, []stories.Pair{{"afraid", "A train is late"}, {"happy", "A train is late"}}, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(eng.Calls) != 1 || eng.Calls[0] != 2 {
		t.Errorf("Generate calls %v, want one batch of 2", eng.Calls)
	}
	if len(units) != 2 || len(units[0].Rejected) != 1 || units[0].Rejected[0].Reason != stories.EmotionWord ||
		len(units[1].Kept) != 1 || units[1].Kept[0].Person != "third" {
		t.Errorf("units %+v", units)
	}
	if _, err := os.Stat(filepath.Join(cfg.OutputDir(), stories.StageName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Try wrote the stage folder (%v)", err)
	}
}
