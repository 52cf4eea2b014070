package neutral_test

import (
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/method/neutral"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories/storiestest"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/progress"
)

func testConfig(dir string) *config.Config {
	c := config.Default()
	c.Emotions = []string{"afraid", "happy"}
	c.Topics = []string{"A train is late", "Someone finds a letter", "A neighbor starts a renovation project"}
	c.Output.Dir = dir
	c.Generation.NeutralPerTopic = 3
	c.Generation.BatchSize = 4
	c.Generation.MaxAttempts = 4
	c.Generation.MaxNewTokens = 100
	c.Extraction.TokenOffset = 5
	return c
}

var vocab = strings.Fields("open the file read each line count the lines return the total use a loop call the " +
	"function with the path print the result check the error close the file")

func sentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(vocab[r.IntN(len(vocab))])
	}
	return b.String() + "."
}

// script answers the two kinds of prompt: the Human's next message, and the Assistant's answer. Per seed
// it draws a good turn or one of the faults the checks must catch.
func script(prompt string, seed uint64) (string, bool) {
	r := rand.New(rand.NewPCG(seed, 3))
	human := strings.Contains(prompt, "Reply with the question only")
	x := r.Float64()
	switch {
	case x < 0.05:
		return "Thanks! " + sentence(r, 8), true
	case x < 0.1:
		return "I feel that " + sentence(r, 8), true
	case x < 0.15:
		return sentence(r, 30) + " and the", false // cut: the dialogue ends before this turn
	case human && x < 0.3:
		return "Sure! Here is the message:\n\nHuman: " + sentence(r, 8), true
	case human:
		return sentence(r, 8), true
	}
	return "Sure! " + sentence(r, 25), true
}

var quiet = generate.Options{ModelID: "sha", Progress: progress.Options{Quiet: true}}

func unitFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := filepath.Join(dir, neutral.StageName)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == checkpoint.ManifestFile || d.Name() == checkpoint.CompleteFile {
			return err
		}
		data, err := os.ReadFile(p)
		out[d.Name()] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.Generation.NeutralPerTopic = 6
	sum, err := neutral.Run(context.Background(), &storiestest.Engine{Script: script}, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	units, err := neutral.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(units) != 3 || sum.Kept != 18 {
		t.Fatalf("%d units, summary %s", len(units), sum)
	}
	reasons := map[generate.Reason]int{}
	exchanges := map[int]bool{}
	for _, u := range units {
		if len(u.Kept) != 6 || u.TopicID != config.TopicID(u.Topic) {
			t.Errorf("%s: kept %d", u.Topic, len(u.Kept))
		}
		for _, d := range u.Kept {
			plan := neutral.PlanFor(d.Attempt)
			if !strings.HasPrefix(d.Text, plan.SystemLine) || d.Kind != plan.Kind.Name {
				t.Errorf("dialogue %+v does not follow plan %+v", d, plan)
			}
			body := strings.TrimPrefix(d.Text, plan.SystemLine)
			if !strings.HasPrefix(strings.TrimSpace(body), "Human: ") || strings.Contains(d.Text, "Thanks") ||
				strings.Contains(d.Text, "and the") || strings.Contains(d.Text, "Sure") || strings.Contains(d.Text, "Here is") {
				t.Errorf("kept %q", d.Text)
			}
			if turns := strings.Count(d.Text, "Human: ") + strings.Count(d.Text, "Assistant: "); turns != 2*d.Exchanges ||
				d.Exchanges > plan.Exchanges || (d.Exchanges < plan.Exchanges && !d.Cut) {
				t.Errorf("dialogue of %d turns, %d exchanges, plan %d, cut %v", turns, d.Exchanges, plan.Exchanges, d.Cut)
			}
			exchanges[d.Exchanges] = true
		}
		for _, r := range u.Rejected {
			reasons[r.Reason]++
		}
	}
	for _, r := range []generate.Reason{neutral.Pleasantry, neutral.Emotional, generate.Truncated} {
		if reasons[r] == 0 {
			t.Errorf("no %s rejects in %v", r, reasons)
		}
	}
	if len(exchanges) < 3 {
		t.Errorf("kept dialogues have %d distinct lengths, want several", len(exchanges))
	}
	if err := checkpoint.Require(dir, neutral.StageName, "neutral"); err != nil {
		t.Error(err)
	}
	if n := len(neutral.Texts(units)); n != 18 {
		t.Errorf("Texts: %d", n)
	}
	t.Log(sum)
}

func TestResumeAndBatching(t *testing.T) {
	full := t.TempDir()
	if _, err := neutral.Run(context.Background(), &storiestest.Engine{Script: script}, testConfig(full), quiet); err != nil {
		t.Fatal(err)
	}
	want := unitFiles(t, full)
	// 1 slot: no spare attempts; 5: a few; 64: every attempt of the budget can start at once.
	for _, bs := range []int{1, 5, 64} {
		dir := t.TempDir()
		cfg := testConfig(dir)
		cfg.Generation.BatchSize = config.Slots(bs)
		ctx, cancel := context.WithCancel(context.Background())
		eng := &storiestest.Engine{Script: script, BeforeGenerate: func(call, _ int) error {
			if call == 1 {
				cancel()
			}
			return nil
		}}
		if _, err := neutral.Run(ctx, eng, cfg, quiet); !errors.Is(err, context.Canceled) {
			t.Fatalf("batch %d: %v, want context.Canceled", bs, err)
		}
		if len(unitFiles(t, dir)) == 3 {
			t.Fatalf("batch %d: all units done before the interruption", bs)
		}
		sum, err := neutral.Run(context.Background(), &storiestest.Engine{Script: script}, cfg, quiet)
		if err != nil {
			t.Fatal(err)
		}
		if got := unitFiles(t, dir); !reflect.DeepEqual(got, want) {
			t.Errorf("batch %d, interrupted and resumed (%d units resumed): files differ from a plain run's", bs, sum.Resumed)
		}
	}
	// Shards: together they write what one run writes.
	dir := t.TempDir()
	cfg := testConfig(dir)
	for s := range 2 {
		opts := quiet
		opts.Shard, opts.NumShards = s, 2
		if _, err := neutral.Run(context.Background(), &storiestest.Engine{Script: script}, cfg, opts); err != nil {
			t.Fatal(err)
		}
	}
	if got := unitFiles(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("two shards: files differ from a plain run's")
	}
}

// With neutral.source: corpus, each topic's dialogues are judged as generated ones are: a well-formed
// dialogue (with or without a system line) is kept, one that names a feeling or does not alternate
// Human/Assistant is refused and reported by its file and line; nothing is generated.
func TestRunFromCorpus(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Neutral.Source = config.SourceCorpus
	answer := "Open the file with a loop, read each line, count the lines and return the total. Check the error " +
		"when the file does not open, and close it when the loop ends, so that the count is the number of lines."
	rows := []string{
		`{"topic": "A train is late", "text": "Human: How do I count the lines of a file?\n\nAssistant: ` + answer + `"}`,
		`{"topic": "A train is late", "text": "Answer briefly.\n\nHuman: And the words?\n\nAssistant: ` + answer + `"}`,
		`{"topic": "A train is late", "text": "Human: I am so happy. How do I count lines?\n\nAssistant: ` + answer + `"}`,
		`{"topic": "Someone finds a letter", "text": "Assistant: ` + answer + `\n\nHuman: Thanks."}`,
	}
	p := filepath.Join(t.TempDir(), "neutral.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Neutral.Corpus = p
	eng := &storiestest.Engine{}
	sum, err := neutral.Run(context.Background(), eng, cfg, generate.Options{ModelID: "m", Progress: progress.Options{Quiet: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(eng.Calls) != 0 || sum.Units != 2 || sum.Kept != 2 || len(sum.Problems) != 2 {
		t.Fatalf("generated %v; summary %+v", eng.Calls, sum)
	}
	for i, want := range []string{"neutral.jsonl:3: emotional happy", "neutral.jsonl:4: structure"} {
		if !strings.Contains(sum.Problems[i], want) {
			t.Errorf("problem %d = %q, want %q", i, sum.Problems[i], want)
		}
	}
	units, err := neutral.Load(cfg.OutputDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		if u.Topic == "A train is late" && (len(u.Kept) != 2 || !strings.HasPrefix(u.Kept[1].Text, "Answer briefly.\n\nHuman: And the words?")) {
			t.Errorf("kept %+v", u.Kept)
		}
	}
}

// With free slots, a topic starts spare dialogues beyond those it needs; those past its settled attempts are
// dropped. The files are the same as with one slot, where no attempt is ever started early, and the attempts
// recorded are the same.
func TestSpareDialogues(t *testing.T) {
	run := func(slots int) (map[string]string, int) {
		dir := t.TempDir()
		cfg := testConfig(dir)
		cfg.Generation.BatchSize = config.Slots(slots)
		eng := &storiestest.Engine{Script: script}
		if _, err := neutral.Run(context.Background(), eng, cfg, quiet); err != nil {
			t.Fatal(err)
		}
		started := 0
		for _, c := range eng.Calls {
			started += c
		}
		return unitFiles(t, dir), started
	}
	one, turnsOne := run(1)
	many, turnsMany := run(64)
	if !reflect.DeepEqual(one, many) {
		t.Errorf("64 slots wrote other files than 1 slot")
	}
	if turnsMany <= turnsOne {
		t.Errorf("64 slots drew %d turns, 1 slot %d: no spare dialogue was started", turnsMany, turnsOne)
	}
}
