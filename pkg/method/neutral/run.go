package neutral

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// Topics returns cfg's topics sorted by topic id: the order Run works in and shards are cut from.
func Topics(cfg *config.Config) []string {
	t := append([]string(nil), cfg.Topics...)
	sort.SliceStable(t, func(i, j int) bool { return config.TopicID(t[i]) < config.TopicID(t[j]) })
	return t
}

// Fingerprint is what makes the stage's outputs: the model file, the prompt and checks, and every setting
// that changes which dialogues are drawn or kept (not batch_size: results do not depend on it).
func Fingerprint(cfg *config.Config, modelID string) checkpoint.Fingerprint {
	g := cfg.Generation
	emotions := append([]string(nil), cfg.Emotions...) // they join the banned words
	sort.Strings(emotions)
	return checkpoint.Fingerprint{
		"model_sha256":      modelID,
		"prompt_version":    PromptVersion,
		"neutral_per_topic": strconv.Itoa(g.NeutralPerTopic),
		"temperature":       strconv.FormatFloat(g.Temperature, 'g', -1, 64),
		"top_p":             strconv.FormatFloat(g.TopP, 'g', -1, 64),
		"top_k":             strconv.Itoa(g.TopK),
		"max_new_tokens":    strconv.Itoa(g.MaxNewTokens),
		"max_attempts":      strconv.Itoa(g.MaxAttempts),
		"seed":              strconv.FormatInt(g.Seed, 10),
		"token_offset":      strconv.Itoa(cfg.Extraction.TokenOffset),
		"extra_banned":      fmt.Sprintf("%q", emotions),
	}
}

// Run generates generation.neutral_per_topic dialogues for each topic of shard opts.Shard and writes one
// file per topic to <output>/neutral/ as soon as the topic is finished (see Unit). It works like
// stories.Run: completions of different topics share batches, each completion's seed depends only on (seed,
// topic, attempt), a topic draws up to max_attempts completions per wanted dialogue, a rerun skips finished
// topics, and a cancelled ctx stops after the batch in flight.
//
// With neutral.source: corpus nothing is generated: the corpus dialogues are checked and written as units
// instead (see runCorpus); eng only tokenizes.
func Run(ctx context.Context, eng generate.Engine, cfg *config.Config, opts generate.Options) (*generate.Summary, error) {
	if cfg.Neutral.FromCorpus() {
		return runCorpus(ctx, eng, cfg, opts)
	}
	g := cfg.Generation
	if len(cfg.Topics) == 0 {
		return nil, fmt.Errorf("neutral: the config has no topics: load it with config.Load and check data.topics_file")
	}
	if g.NeutralPerTopic < 0 || g.MaxAttempts < 1 || g.MaxNewTokens < 1 {
		return nil, fmt.Errorf("neutral: generation.neutral_per_topic (%d) must be >= 0, max_attempts (%d) and "+
			"max_new_tokens (%d) >= 1", g.NeutralPerTopic, g.MaxAttempts, g.MaxNewTokens)
	}
	book, err := generate.Open(cfg.OutputDir(), StageName, Fingerprint(cfg, opts.ModelID), opts, "dialogues", Reasons)
	if err != nil {
		return nil, err
	}
	all := Topics(cfg)
	mine := generate.Shard(all, opts.Shard, opts.NumShards)
	feelings := NewFeelings(cfg.Emotions)
	bar := book.Bar("neutral dialogues", len(mine)*g.NeutralPerTopic, opts.Progress)
	defer bar.Done()
	var jobs []generate.Job
	for _, topic := range mine {
		if done, err := book.Resume(unitPath(topic), &Unit{}); err != nil {
			return nil, err
		} else if done {
			continue
		}
		jobs = append(jobs, &job{
			unit: Unit{Topic: topic, TopicID: config.TopicID(topic), Model: cfg.ModelName(), ModelSHA256: opts.ModelID,
				Seed: g.Seed, PromptVersion: PromptVersion, Requested: g.NeutralPerTopic, Kept: []Dialog{}, Rejected: []Reject{}},
			eng:     eng,
			maxNew:  g.MaxNewTokens,
			budget:  g.MaxAttempts * g.NeutralPerTopic,
			checker: &Checker{Feelings: feelings, MinTokens: cfg.Extraction.TokenOffset + generate.MinExtraTokens, Tokens: eng.ReadingTokens},
			onKeep:  func() { bar.Add(1) },
		})
	}
	book.Track(bar, len(mine)*g.NeutralPerTopic)
	drive := generate.DriveSettings(g, eng)
	drive.Finished = func(j generate.Job) error {
		u := &j.(*job).unit
		if err := book.Write(unitPath(u.Topic), u); err != nil {
			return err
		}
		bar.Note(fmt.Sprintf("%d/%d topics", book.Summary.Units, len(mine)))
		return nil
	}
	if err := generate.Drive(ctx, eng, jobs, drive); err != nil {
		return book.Summary, book.Stopped(err, len(mine), "topics")
	}
	return book.Summary, book.Complete(paths(all), func() generate.Unit { return &Unit{} })
}

// Tally is what the unit adds to a generation summary.
func (u *Unit) Tally() generate.Tally {
	t := generate.Tally{Name: u.Topic, Requested: u.Requested, Kept: len(u.Kept), Attempts: u.Attempts}
	for _, r := range u.Rejected {
		t.Rejected = append(t.Rejected, r.Reason)
	}
	return t
}

// paths lists the unit files of topics.
func paths(topics []string) []string {
	out := make([]string, len(topics))
	for i, t := range topics {
		out[i] = unitPath(t)
	}
	return out
}

// maxPromptTokens bounds the prompt of a turn: a dialogue whose history would pass it ends with the
// exchanges it has (the model's context holds the prompt and max_new_tokens).
const maxPromptTokens = 3072

// job fills one topic's Unit; see generate.Job. Its dialogues are built one turn per completion, several at
// a time: a dialogue in progress asks for its next turn as soon as it has its last, and new dialogues start
// while the dialogues kept and those in progress are fewer than wanted, or, when slots are free, as spare
// attempts (generate.Speculator). Attempt k's turn s is drawn with Seed(seed, "neutral", [topic, k], s), so
// each dialogue depends on its own seeds only. Dialogues end in any order, so their outcomes wait in results
// until they settle: the unit is the first attempts 0..A-1 that hold the wanted number of kept dialogues (or
// all of the budget), and attempts past A are dropped, finished or not. So the unit is the same whatever the
// batch size, the spare attempts or the order in which dialogues end.
type job struct {
	unit    Unit
	eng     generate.Engine
	maxNew  int
	budget  int
	checker *Checker
	results []*outcome  // by attempt, one per attempt started; nil while it is in progress
	kept    int         // dialogues kept among results, settled or not
	active  []*dialogue // in progress, by attempt
	queue   []*dialogue // requested, awaiting Take, in request order
	settled bool        // the unit is final: its attempts are fixed and the rest dropped
	onKeep  func()
}

// outcome is a finished attempt: a kept dialogue or a reject.
type outcome struct {
	kept   *Dialog
	reject *Reject
}

// dialogue is one attempt in progress.
type dialogue struct {
	attempt int
	plan    Plan
	turns   []Turn
	waiting bool // a request for its next turn is out
	dropped bool // past the settled attempts: its turns in flight are ignored
}

// Pending is the dialogues in progress that wait for no turn, and the new ones that could still be needed
// (those in progress counted as kept).
func (j *job) Pending() int {
	if j.settled {
		return 0
	}
	n := 0
	for _, d := range j.active {
		if !d.waiting {
			n++
		}
	}
	if start := min(j.unit.Requested-j.kept-len(j.active), j.budget-len(j.results)); start > 0 {
		n += start
	}
	return n
}

// Spare is the attempts left while the dialogues kept are fewer than wanted: a small model's dialogues are
// mostly refused, so they are likely to be needed, and a free slot costs a decode step almost as much as a
// busy one.
func (j *job) Spare() int {
	if j.settled || j.kept >= j.unit.Requested {
		return 0
	}
	return j.budget - len(j.results)
}

func (j *job) Request() ([]int, uint64, error) {
	var d *dialogue
	for _, a := range j.active {
		if !a.waiting {
			d = a
			break
		}
	}
	if d == nil {
		a := len(j.results)
		d = &dialogue{attempt: a, plan: PlanFor(a)}
		j.results = append(j.results, nil)
		j.active = append(j.active, d)
	}
	d.waiting = true
	j.queue = append(j.queue, d)
	var msgs = AssistantPrompt(d.plan, d.turns)
	if len(d.turns)%2 == 0 {
		msgs = HumanPrompt(j.unit.Topic, d.plan, d.turns)
	}
	ids, err := j.eng.ChatPrompt(msgs)
	if err != nil {
		return nil, 0, fmt.Errorf("neutral: prompt for %q: %w", j.unit.Topic, err)
	}
	seed := generate.Seed(j.unit.Seed, StageName, []string{j.unit.Topic, strconv.Itoa(d.attempt)}, len(d.turns))
	return ids, seed, nil
}

func (j *job) Take(c lm.Completion) error {
	d := j.queue[0]
	j.queue = j.queue[1:]
	d.waiting = false
	if d.dropped {
		return nil
	}
	speaker := Human
	if len(d.turns)%2 == 1 {
		speaker = Assistant
	}
	t := Turn{Speaker: speaker, Text: CleanTurn(j.eng.Text(c.Tokens), speaker)}
	if !c.Stopped {
		// The turn was cut by max_new_tokens. An answer keeps its whole sentences and ends the dialogue (a small
		// model's answers often run past the bound; dropping them lost most dialogues); a cut question is lost
		// and the dialogue ends with the exchanges before it.
		if speaker == Assistant {
			if t.Text = WholeSentences(t.Text); t.Text != "" {
				d.turns = append(d.turns, t)
				if r, detail := j.checker.Turn(t); r != "" {
					j.reject(d, r, detail, Format(d.plan.SystemLine, d.turns))
					return nil
				}
				j.finish(d, true, "")
				return nil
			}
			d.turns = d.turns[:len(d.turns)-1]
		}
		j.finish(d, true, t.Text)
		return nil
	}
	if r, detail := j.checker.Turn(t); r != "" {
		d.turns = append(d.turns, t)
		j.reject(d, r, detail, Format(d.plan.SystemLine, d.turns))
		return nil
	}
	d.turns = append(d.turns, t)
	if len(d.turns) == 2*d.plan.Exchanges {
		j.finish(d, false, "")
		return nil
	}
	if speaker == Assistant { // the next Human turn must fit in the prompt with the whole history
		if p, err := j.eng.ChatPrompt(HumanPrompt(j.unit.Topic, d.plan, d.turns)); err == nil && len(p)+j.maxNew > maxPromptTokens {
			j.finish(d, false, "")
		}
	}
	return nil
}

// finish judges a dialogue that has all its turns, or lost its last one (cut, with that turn's text).
func (j *job) finish(d *dialogue, cut bool, lost string) {
	if len(d.turns) == 0 {
		j.reject(d, generate.Truncated, "no complete exchange", lost)
		return
	}
	text := Format(d.plan.SystemLine, d.turns)
	n, r, detail := j.checker.Length(text, cut)
	if r != "" {
		j.reject(d, r, detail, text)
		return
	}
	j.end(d, outcome{kept: &Dialog{Text: text, Attempt: d.attempt, Tokens: n, Exchanges: len(d.turns) / 2,
		Kind: d.plan.Kind.Name, Cut: cut}})
}

func (j *job) reject(d *dialogue, r generate.Reason, detail, text string) {
	j.end(d, outcome{reject: &Reject{Text: text, Reason: r, Detail: detail, Attempt: d.attempt}})
}

// end records the outcome of a dialogue no longer in progress, and settles the unit if it can.
func (j *job) end(d *dialogue, o outcome) {
	for i, a := range j.active {
		if a == d {
			j.active = append(j.active[:i], j.active[i+1:]...)
			break
		}
	}
	j.results[d.attempt] = &o
	if o.kept != nil {
		if j.kept++; j.kept <= j.unit.Requested { // the unit keeps at least this many (see settle)
			j.onKeep()
		}
	}
	j.settle()
}

// settle fixes the unit once its first attempts 0..A-1 have all finished and hold the wanted dialogues (or
// are the whole budget): they are the unit, and the attempts after them are dropped.
func (j *job) settle() {
	kept := 0
	for a, o := range j.results {
		if o == nil {
			return
		}
		if o.kept != nil {
			kept++
		}
		if kept < j.unit.Requested && a+1 < j.budget {
			continue
		}
		j.unit.Attempts = a + 1
		for _, o := range j.results[:a+1] {
			if o.kept != nil {
				j.unit.Kept = append(j.unit.Kept, *o.kept)
			} else {
				j.unit.Rejected = append(j.unit.Rejected, *o.reject)
			}
		}
		for _, d := range j.active {
			d.dropped = true
		}
		j.active, j.settled = nil, true
		return
	}
}
