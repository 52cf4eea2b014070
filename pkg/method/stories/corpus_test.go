package stories_test

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/emotion-probes/emotion-probes/pkg/engine/hub"
	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/corpus"
	"github.com/emotion-probes/emotion-probes/pkg/use/validate"
)

var (
	smolOnce  sync.Once
	smolModel *lm.Model
	smolErr   error
)

// smollm2 loads the default model (from the models cache, fetched once as the CLI does; `make test` fetches
// it before the tests): its tokenizer decides which stories are long enough to read.
func smollm2(t *testing.T) *lm.Model {
	t.Helper()
	smolOnce.Do(func() {
		r, err := hub.Resolve("default", hub.Options{})
		if err != nil {
			smolErr = err
			return
		}
		smolModel, smolErr = lm.Load(r.Path, lm.LoadOptions{Backend: "go"})
	})
	if smolErr != nil {
		t.Fatalf("the default model is needed for this test: %v", smolErr)
	}
	return smolModel
}

// The shipped corpus, as config/small.yaml reads it: every row passes the checks a generated story passes
// (no emotion word or listed synonym, no preamble or talk about the task, no loop, long enough to leave 30
// tokens after the 50 the mean skips, no duplicate), and it has the shape its README promises: 12 stories
// per emotion on 12 different topics, 6 in the first person and 6 in the third, 60 to 140 words, every
// topic used about 20 times.
func TestShippedCorpus(t *testing.T) {
	cfg, c := readShippedCorpus(t, "small.yaml")
	type count struct{ rows, first, third int }
	per := map[string]*count{}
	topicsOf := map[string]map[string]bool{}
	uses := map[string]int{}
	for _, r := range c.Rows {
		if per[r.Emotion] == nil {
			per[r.Emotion], topicsOf[r.Emotion] = &count{}, map[string]bool{}
		}
		n := per[r.Emotion]
		n.rows++
		switch r.Person {
		case "first":
			n.first++
		case "third":
			n.third++
		default:
			t.Errorf("%s: person %q, want first or third", r.Where(), r.Person)
		}
		if topicsOf[r.Emotion][r.Topic] {
			t.Errorf("%s: %s has a second story on %q", r.Where(), r.Emotion, r.Topic)
		}
		topicsOf[r.Emotion][r.Topic] = true
		uses[r.Topic]++
		if w := len(strings.Fields(r.Text)); w < 60 || w > 140 {
			t.Errorf("%s: %d words, want 60-140", r.Where(), w)
		}
		if want := config.Slug(r.Emotion) + ".jsonl"; filepath.Base(r.File) != want {
			t.Errorf("%s: a story of %q belongs in %s", r.Where(), r.Emotion, want)
		}
	}
	for _, e := range cfg.Emotions {
		if n := per[e]; n == nil || n.rows != 12 || n.first != 6 || n.third != 6 {
			t.Errorf("%s: %+v, want 12 stories, 6 first person and 6 third", e, n)
		}
	}
	if len(per) != len(cfg.Emotions) || len(uses) != len(cfg.Topics) {
		t.Errorf("%d emotions and %d topics in the corpus, want %d and %d", len(per), len(uses), len(cfg.Emotions), len(cfg.Topics))
	}
	for topic, n := range uses {
		if n < 18 || n > 23 {
			t.Errorf("topic %q has %d stories, want about 20", topic, n)
		}
	}

	keepsEveryRow(t, cfg, 171*12)
}

// readShippedCorpus loads config/<file> and reads its stories corpus, each problem an error of t.
func readShippedCorpus(t *testing.T, file string) (*config.Config, *corpus.Corpus) {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "..", "..", "config", file))
	if err != nil {
		t.Fatal(err)
	}
	c, err := corpus.Read(cfg.Path(cfg.Stories.Corpus), corpus.Stories)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.Problems {
		t.Errorf("%v", p)
	}
	return cfg, c
}

// keepsEveryRow runs the stories stage of cfg on its corpus: every one of the n rows kept, none left out.
func keepsEveryRow(t *testing.T, cfg *config.Config, n int) {
	t.Helper()
	m := smollm2(t)
	cfg.Output.Dir = t.TempDir()
	opts := generate.Options{ModelID: "test"}
	opts.Progress.Writer = io.Discard
	sum, err := stories.Run(context.Background(), m, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Kept != n || sum.Requested != sum.Kept || len(sum.Problems) > 0 || sum.Skipped != 0 {
		t.Errorf("the stories stage on %s: %s, want all %d rows kept", cfg.Stories.Corpus, sum, n)
	}
}

// The corpus without the body (config/small-no-body.yaml): every row passes the same checks; each emotion has
// 4 stories, on the topics and in the person of its first 4 stories in the main corpus, so that the two
// differ only in how they are told; and no story holds a word that validate.BodyWords counts.
func TestShippedCorpusWithoutBody(t *testing.T) {
	cfg, c := readShippedCorpus(t, "small-no-body.yaml")
	main, err := corpus.Read(filepath.Join("..", "..", "..", "config", "data", "corpus", "stories"), corpus.Stories)
	if err != nil {
		t.Fatal(err)
	}
	type slot struct{ topic, person string }
	want := map[string][]slot{} // the first 4 stories of each emotion in the main corpus
	for _, r := range main.Rows {
		if len(want[r.Emotion]) < 4 {
			want[r.Emotion] = append(want[r.Emotion], slot{r.Topic, r.Person})
		}
	}
	got := map[string][]slot{}
	body := map[string]bool{}
	for _, w := range validate.BodyWords {
		body[w] = true
	}
	for _, r := range c.Rows {
		got[r.Emotion] = append(got[r.Emotion], slot{r.Topic, r.Person})
		if w := len(strings.Fields(r.Text)); w < 100 || w > 140 {
			t.Errorf("%s: %d words, want 100-140", r.Where(), w)
		}
		for _, w := range strings.FieldsFunc(strings.ToLower(r.Text), func(c rune) bool { return !unicode.IsLetter(c) }) {
			if body[w] {
				t.Errorf("%s: %q is a body word", r.Where(), w)
			}
		}
	}
	for _, e := range cfg.Emotions {
		if !slices.Equal(got[e], want[e]) {
			t.Errorf("%s: topics and persons %v, want the main corpus's first 4: %v", e, got[e], want[e])
		}
	}
	keepsEveryRow(t, cfg, 171*4)
}
