package neutral

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/corpus"
)

// Structure: a corpus dialogue that is not Human/Assistant turns in alternation, starting with Human and
// ending with Assistant, after at most one untagged system line.
const Structure generate.Reason = "structure"

// CorpusFingerprint is what makes the stage's outputs when the dialogues are read from a corpus: its bytes,
// the checks, the banned words (the run's emotions join them) and the reading tokenizer.
func CorpusFingerprint(cfg *config.Config, corpusSHA256, modelID string) checkpoint.Fingerprint {
	fp := Fingerprint(cfg, modelID)
	return checkpoint.Fingerprint{
		"source":        config.SourceCorpus,
		"corpus_sha256": corpusSHA256,
		"checks":        generate.CorpusVersion + "/" + PromptVersion,
		"model_sha256":  modelID,
		"token_offset":  fp["token_offset"],
		"extra_banned":  fp["extra_banned"],
	}
}

// runCorpus fills the stage from cfg.Neutral.Corpus instead of generating: one Unit per topic of the corpus,
// every dialogue judged by the Checker a generated one passes (each turn, then the length), a refused one
// kept in Rejected with its reason and its file:line.
func runCorpus(ctx context.Context, eng generate.Engine, cfg *config.Config, opts generate.Options) (*generate.Summary, error) {
	c, err := corpus.Read(cfg.Path(cfg.Neutral.Corpus), corpus.Dialogues)
	if err != nil {
		return nil, fmt.Errorf("neutral: neutral.corpus: %w", err)
	}
	sum := &generate.Summary{}
	for _, p := range c.Problems {
		sum.Problems = append(sum.Problems, p.Error())
	}
	byTopic := map[string][]corpus.Row{}
	for _, r := range c.Rows {
		byTopic[r.Topic] = append(byTopic[r.Topic], r)
	}
	topics := make([]string, 0, len(byTopic))
	for t := range byTopic {
		topics = append(topics, t)
	}
	sort.Slice(topics, func(i, j int) bool { return unitPath(topics[i]) < unitPath(topics[j]) })
	if len(topics) == 0 {
		return nil, fmt.Errorf("neutral: the corpus %s has no usable dialogue (%d rows left out): %s", c.Path, len(c.Problems), strings.Join(sum.Problems[:min(3, len(sum.Problems))], "; "))
	}
	book, err := generate.Open(cfg.OutputDir(), StageName, CorpusFingerprint(cfg, c.SHA256, opts.ModelID), opts, "dialogues", Reasons)
	if err != nil {
		return nil, err
	}
	ck := &Checker{Feelings: NewFeelings(cfg.Emotions), MinTokens: cfg.Extraction.TokenOffset + generate.MinExtraTokens,
		Tokens: eng.ReadingTokens}
	book.Summary.Problems = sum.Problems
	for i, t := range generate.Shard(topics, opts.Shard, opts.NumShards) {
		if err := ctx.Err(); err != nil {
			return book.Summary, fmt.Errorf("neutral: stopped after %d topics (rerun to resume): %w", i, err)
		}
		u := &Unit{}
		if done, err := book.Resume(unitPath(t), u); err != nil {
			return book.Summary, err
		} else if !done {
			*u = corpusUnit(ck, c.Path, t, byTopic[t])
			if err := book.Write(unitPath(t), u); err != nil {
				return book.Summary, err
			}
		}
		for _, r := range u.Rejected {
			book.Summary.Problems = append(book.Summary.Problems, fmt.Sprintf("%s: %s %s", r.Row, r.Reason, r.Detail))
		}
	}
	return book.Summary, book.Complete(paths(topics), func() generate.Unit { return &Unit{} })
}

// corpusUnit judges the dialogues of one topic.
func corpusUnit(ck *Checker, source, topic string, rows []corpus.Row) Unit {
	u := Unit{Topic: topic, TopicID: config.TopicID(topic), Model: "corpus:" + source, PromptVersion: generate.CorpusVersion,
		Requested: len(rows), Attempts: len(rows), Kept: []Dialog{}, Rejected: []Reject{}}
	seen := map[string]bool{}
	for i, r := range rows {
		reject := func(reason generate.Reason, detail string) {
			u.Rejected = append(u.Rejected, Reject{Text: r.Text, Reason: reason, Detail: detail, Attempt: i, Row: r.Where()})
		}
		system, turns := ParseTurns(r.Text)
		if reason, detail := checkStructure(system, turns); reason != "" {
			reject(reason, detail)
			continue
		}
		if w := ck.Feelings.Find(system); w != "" {
			reject(Emotional, w)
			continue
		}
		refused := false
		for _, t := range turns {
			if reason, detail := ck.Turn(t); reason != "" {
				reject(reason, detail)
				refused = true
				break
			}
		}
		if refused {
			continue
		}
		text := Format(system, turns)
		n, reason, detail := ck.Length(text, false)
		if reason != "" {
			reject(reason, detail)
			continue
		}
		if key := generate.Normalize(text); seen[key] {
			reject(generate.Duplicate, "")
			continue
		} else {
			seen[key] = true
		}
		u.Kept = append(u.Kept, Dialog{Text: text, Attempt: i, Tokens: n, Exchanges: len(turns) / 2, Row: r.Where()})
	}
	return u
}

// checkStructure judges the shape of a corpus dialogue: one line at most before the first turn, then Human
// and Assistant in turn, ending with Assistant.
func checkStructure(system string, turns []Turn) (generate.Reason, string) {
	switch {
	case len(turns) == 0:
		return Structure, "no \"Human:\" or \"Assistant:\" turn"
	case len(turns)%2 == 1:
		return Structure, "the last turn is not the Assistant's"
	case strings.Contains(system, "\n"):
		return Structure, "more than one line before the first turn (at most one untagged system line)"
	}
	for i, t := range turns {
		want := Human
		if i%2 == 1 {
			want = Assistant
		}
		if t.Speaker != want {
			return Structure, "turn " + strconv.Itoa(i+1) + " should be the " + want + "'s"
		}
	}
	return "", ""
}
