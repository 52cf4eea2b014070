package stories

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// Pair is one (emotion, topic) unit of work.
type Pair struct {
	Emotion, Topic string
}

// Path is the unit's file relative to the stage folder: "<emotion-slug>/<topic-id>.json".
func (p Pair) Path() string { return unitPath(p.Emotion, p.Topic) }

// Pairs lists every (emotion, topic) of cfg, sorted by Path: the order that Run works in and that shards
// are cut from. It does not depend on the order of the config's lists.
func Pairs(cfg *config.Config) []Pair {
	var out []Pair
	for _, e := range cfg.Emotions {
		for _, t := range cfg.Topics {
			out = append(out, Pair{e, t})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path() < out[j].Path() })
	return out
}

// Fingerprint is what makes the stage's outputs: the model file, the prompt and checks, and every setting
// that changes which stories are drawn or kept. batch_size is absent on purpose: results do not depend on it.
func Fingerprint(cfg *config.Config, modelID string) checkpoint.Fingerprint {
	g := cfg.Generation
	return checkpoint.Fingerprint{
		"model_sha256":           modelID,
		"prompt_version":         PromptVersion,
		"stories_per_topic":      strconv.Itoa(g.StoriesPerTopic),
		"stories_per_completion": strconv.Itoa(g.StoriesPerCompletion),
		"temperature":            strconv.FormatFloat(g.Temperature, 'g', -1, 64),
		"top_p":                  strconv.FormatFloat(g.TopP, 'g', -1, 64),
		"top_k":                  strconv.Itoa(g.TopK),
		"max_new_tokens":         strconv.Itoa(g.MaxNewTokens),
		"max_attempts":           strconv.Itoa(g.MaxAttempts),
		"seed":                   strconv.FormatInt(g.Seed, 10),
		"token_offset":           strconv.Itoa(cfg.Extraction.TokenOffset), // sets the too-short bound
		"synonyms_sha256":        synonymsHash(cfg.Synonyms),
	}
}

func synonymsHash(m map[string][]string) string {
	if m == nil {
		m = map[string][]string{} // nil and empty hash alike
	}
	data, _ := json.Marshal(m) // map keys are sorted by encoding/json
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// Run generates the stories of cfg's (emotion, topic) pairs in shard opts.Shard, writing one file per pair
// to <output>/stories/ as soon as that pair is finished (see Unit), and returns the counts over the shard.
//
// Each pair gets up to generation.stories_per_topic stories that pass the checks (Checker), drawing up to
// generation.max_attempts completions per wanted story. Completions of different pairs share batches of
// generation.batch_size. A rerun skips finished pairs, so an interrupted run (or a cancelled ctx, which
// stops after the batch in flight) loses only the pairs in flight; the result is the same as an
// uninterrupted run's, byte for byte. When every pair of cfg is done (all shards), the stage is marked
// complete.
//
// With stories.source: corpus nothing is generated: the corpus rows are checked and written as units instead
// (see runCorpus); eng only tokenizes.
func Run(ctx context.Context, eng generate.Engine, cfg *config.Config, opts generate.Options) (*generate.Summary, error) {
	if cfg.Stories.FromCorpus() {
		return runCorpus(ctx, eng, cfg, opts)
	}
	g := cfg.Generation
	if len(cfg.Emotions) == 0 || len(cfg.Topics) == 0 {
		return nil, fmt.Errorf("stories: the config has %d emotions and %d topics: load it with config.Load "+
			"(which reads the lists) and check data.emotions_file and data.topics_file", len(cfg.Emotions), len(cfg.Topics))
	}
	if g.StoriesPerTopic < 1 || g.StoriesPerCompletion < 1 || g.MaxAttempts < 1 || g.MaxNewTokens < 1 {
		return nil, fmt.Errorf("stories: generation.stories_per_topic (%d), stories_per_completion (%d), "+
			"max_attempts (%d) and max_new_tokens (%d) must all be >= 1", g.StoriesPerTopic, g.StoriesPerCompletion,
			g.MaxAttempts, g.MaxNewTokens)
	}
	book, err := generate.Open(cfg.OutputDir(), StageName, Fingerprint(cfg, opts.ModelID), opts, "stories", Reasons)
	if err != nil {
		return nil, err
	}
	all := Pairs(cfg)
	mine := generate.Shard(all, opts.Shard, opts.NumShards)
	bar := book.Bar("stories", len(mine)*g.StoriesPerTopic, opts.Progress)
	defer bar.Done()
	var jobs []generate.Job
	for _, p := range mine {
		if done, err := book.Resume(p.Path(), &Unit{}); err != nil {
			return nil, err
		} else if !done {
			jobs = append(jobs, newJob(eng, cfg, p, opts.ModelID, func() { bar.Add(1) }))
		}
	}
	book.Track(bar, len(mine)*g.StoriesPerTopic)
	drive := generate.DriveSettings(g, eng)
	drive.Finished = func(j generate.Job) error {
		u := &j.(*storyJob).unit
		if err := book.Write(u.path(), u); err != nil {
			return err
		}
		bar.Note(fmt.Sprintf("%d/%d pairs", book.Summary.Units, len(mine)))
		return nil
	}
	if err := generate.Drive(ctx, eng, jobs, drive); err != nil {
		return book.Summary, book.Stopped(err, len(mine), "pairs")
	}
	return book.Summary, book.Complete(paths(all), func() generate.Unit { return &Unit{} })
}

func (u *Unit) path() string { return unitPath(u.Emotion, u.Topic) }

// Tally is what the unit adds to a generation summary.
func (u *Unit) Tally() generate.Tally {
	t := generate.Tally{Name: u.Emotion + " / " + u.Topic, Requested: u.Requested, Kept: len(u.Kept), Attempts: u.Attempts}
	for _, r := range u.Rejected {
		t.Rejected = append(t.Rejected, r.Reason)
	}
	return t
}

// paths lists the unit files of pairs.
func paths(pairs []Pair) []string {
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.Path()
	}
	return out
}

// storyJob fills one Unit.
type storyJob struct {
	unit    Unit
	eng     generate.Engine
	perComp int
	budget  int // completions it may draw
	checker *Checker
	prompts [2][]int // by Person, tokenized on first use
	queue   []int    // attempt indices requested and not yet taken
	asked   int      // attempts requested; unit.Attempts counts those taken
	onKeep  func()
}

func newJob(eng generate.Engine, cfg *config.Config, p Pair, modelID string, onKeep func()) *storyJob {
	g := cfg.Generation
	per := g.StoriesPerCompletion
	return &storyJob{
		unit: Unit{
			Emotion: p.Emotion, Topic: p.Topic, TopicID: config.TopicID(p.Topic),
			Model: cfg.ModelName(), ModelSHA256: modelID, Seed: g.Seed, PromptVersion: PromptVersion,
			Requested: g.StoriesPerTopic, Kept: []Story{}, Rejected: []Reject{},
		},
		eng:     eng,
		perComp: per,
		budget:  g.MaxAttempts * ceilDiv(g.StoriesPerTopic, per),
		checker: &Checker{
			Banned:    NewBanned(p.Emotion, cfg.Synonyms[p.Emotion]),
			MinTokens: cfg.Extraction.TokenOffset + generate.MinExtraTokens,
			Tokens:    eng.ReadingTokens,
		},
		onKeep: onKeep,
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Pending counts the completions in flight as if each were kept.
func (j *storyJob) Pending() int {
	need := j.unit.Requested - len(j.unit.Kept)
	return max(0, min(ceilDiv(need, j.perComp)-len(j.queue), j.budget-j.asked))
}

// Spare is the attempts left while the unit still lacks stories: likely to be needed, since most
// completions of a small model are refused (see generate.Speculator).
func (j *storyJob) Spare() int {
	if len(j.unit.Kept) >= j.unit.Requested {
		return 0
	}
	return j.budget - j.asked
}

func (j *storyJob) person(attempt int) Person {
	if j.perComp > 1 {
		return FirstPerson // the prompt asks for a mix; the index is unused
	}
	return PersonFor(attempt)
}

func (j *storyJob) Request() ([]int, uint64, error) {
	a := j.asked
	j.asked++
	j.queue = append(j.queue, a)
	p := j.person(a)
	if j.prompts[p] == nil {
		ids, err := j.eng.ChatPrompt(Prompt(j.unit.Emotion, j.unit.Topic, j.perComp, p))
		if err != nil {
			return nil, 0, fmt.Errorf("stories: prompt for %s / %s: %w", j.unit.Emotion, j.unit.Topic, err)
		}
		j.prompts[p] = ids
	}
	return j.prompts[p], generate.Seed(j.unit.Seed, StageName, []string{j.unit.Emotion, j.unit.Topic}, a), nil
}

// Take judges the completion of attempt a, the oldest in flight. Once the unit has its stories, the
// attempts still in flight were spare ones: they are not counted, so the unit is the same as without them.
func (j *storyJob) Take(c lm.Completion) error {
	a := j.queue[0]
	j.queue = j.queue[1:]
	if len(j.unit.Kept) >= j.unit.Requested {
		return nil
	}
	j.unit.Attempts = a + 1
	pieces := Split(j.eng.Text(c.Tokens), c.Stopped)
	if len(pieces) == 0 {
		j.unit.Rejected = append(j.unit.Rejected, Reject{Reason: generate.Empty, Attempt: a})
		return nil
	}
	for i, p := range pieces {
		if len(j.unit.Kept) >= j.unit.Requested {
			break // surplus stories of a multi-story completion
		}
		part := 0
		if j.perComp > 1 {
			part = i
		}
		v := j.checker.Check(p)
		if v.Reason != "" {
			j.unit.Rejected = append(j.unit.Rejected, Reject{Text: v.Text, Reason: v.Reason, Detail: v.Detail, Attempt: a, Part: part})
			continue
		}
		s := Story{Text: v.Text, Attempt: a, Part: part, Tokens: v.Tokens, Cut: p.Cut}
		if j.perComp == 1 {
			s.Person = [...]string{"first", "third"}[j.person(a)]
		}
		j.unit.Kept = append(j.unit.Kept, s)
		j.onKeep()
	}
	return nil
}
