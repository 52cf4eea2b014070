package stories

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

// CorpusFingerprint is what makes the stage's outputs when the stories are read from a corpus: the corpus's
// bytes, the checks, the synonyms, and the reading tokenizer (token counts decide "too short").
func CorpusFingerprint(cfg *config.Config, corpusSHA256, modelID string) checkpoint.Fingerprint {
	return checkpoint.Fingerprint{
		"source":          config.SourceCorpus,
		"corpus_sha256":   corpusSHA256,
		"checks":          generate.CorpusVersion,
		"model_sha256":    modelID,
		"token_offset":    strconv.Itoa(cfg.Extraction.TokenOffset),
		"synonyms_sha256": synonymsHash(cfg.Synonyms),
	}
}

// runCorpus fills the stage from cfg.Stories.Corpus instead of generating. Each (emotion, topic) of the
// corpus becomes a Unit, as a generated pair does, so the later stages read both alike. Every row passes
// the Checker a generated story passes; a refused row is kept in its unit's Rejected with its reason and
// its file:line. Rows that cannot be placed (an emotion the emotion list does not know) are reported in
// Summary.Problems; rows of emotions outside the run are counted in Summary.Skipped.
func runCorpus(ctx context.Context, eng generate.Engine, cfg *config.Config, opts generate.Options) (*generate.Summary, error) {
	c, err := corpus.Read(cfg.Path(cfg.Stories.Corpus), corpus.Stories)
	if err != nil {
		return nil, fmt.Errorf("stories: stories.corpus: %w", err)
	}
	sum := &generate.Summary{}
	for _, p := range c.Problems {
		sum.Problems = append(sum.Problems, p.Error())
	}
	pairs, byPair, err := corpusPairs(cfg, c, sum)
	if err != nil {
		return nil, err
	}
	book, err := generate.Open(cfg.OutputDir(), StageName, CorpusFingerprint(cfg, c.SHA256, opts.ModelID), opts, "stories", Reasons)
	if err != nil {
		return nil, err
	}
	book.Summary.Problems, book.Summary.Skipped = sum.Problems, sum.Skipped
	for i, p := range generate.Shard(pairs, opts.Shard, opts.NumShards) {
		if err := ctx.Err(); err != nil {
			return book.Summary, fmt.Errorf("stories: stopped after %d pairs (rerun to resume): %w", i, err)
		}
		u := &Unit{}
		if done, err := book.Resume(p.Path(), u); err != nil {
			return book.Summary, err
		} else if !done {
			*u = corpusUnit(eng, cfg, c.Path, p, byPair[p])
			if err := book.Write(p.Path(), u); err != nil {
				return book.Summary, err
			}
		}
		for _, r := range u.Rejected {
			book.Summary.Problems = append(book.Summary.Problems, fmt.Sprintf("%s: %s %s", r.Row, r.Reason, r.Detail))
		}
	}
	return book.Summary, book.Complete(paths(pairs), func() generate.Unit { return &Unit{} })
}

// corpusPairs groups the corpus rows of the run's emotions by (emotion, topic), sorted by Path. Every emotion
// of the run needs at least one row.
func corpusPairs(cfg *config.Config, c *corpus.Corpus, sum *generate.Summary) ([]Pair, map[Pair][]corpus.Row, error) {
	inRun := map[string]string{} // lower case -> the run's spelling
	for _, e := range cfg.Emotions {
		inRun[strings.ToLower(e)] = e
	}
	isKnown := map[string]bool{}
	for _, e := range cfg.KnownEmotions {
		isKnown[strings.ToLower(e)] = true
	}
	byPair := map[Pair][]corpus.Row{}
	for _, r := range c.Rows {
		e, ok := inRun[strings.ToLower(r.Emotion)]
		switch {
		case ok:
			p := Pair{e, r.Topic}
			byPair[p] = append(byPair[p], r)
		case isKnown[strings.ToLower(r.Emotion)]:
			sum.Skipped++
		default:
			sum.Problems = append(sum.Problems, corpus.Problem{File: r.File, Line: r.Line, Field: "emotion",
				Msg: fmt.Sprintf("%q is not in %s: fix the row, or add the emotion to the list", r.Emotion, cfg.Data.EmotionsFile)}.Error())
		}
	}
	var missing []string
	has := map[string]bool{}
	for p := range byPair {
		has[p.Emotion] = true
	}
	for _, e := range cfg.Emotions {
		if !has[e] {
			missing = append(missing, strconv.Quote(e))
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("stories: the corpus %s has no story for %s: add rows for them, or leave them out of data.emotions",
			c.Path, strings.Join(missing, ", "))
	}
	pairs := make([]Pair, 0, len(byPair))
	for p := range byPair {
		pairs = append(pairs, p)
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].Path() < pairs[j].Path() })
	return pairs, byPair, nil
}

// corpusUnit judges the rows of one pair.
func corpusUnit(eng generate.Engine, cfg *config.Config, source string, p Pair, rows []corpus.Row) Unit {
	u := Unit{
		Emotion: p.Emotion, Topic: p.Topic, TopicID: config.TopicID(p.Topic), Model: "corpus:" + source,
		PromptVersion: generate.CorpusVersion, Requested: len(rows), Attempts: len(rows), Kept: []Story{}, Rejected: []Reject{},
	}
	ck := &Checker{
		Banned:    NewBanned(p.Emotion, cfg.Synonyms[p.Emotion]),
		MinTokens: cfg.Extraction.TokenOffset + generate.MinExtraTokens,
		Tokens:    eng.ReadingTokens,
	}
	for i, r := range rows {
		v := ck.Check(Piece{Text: r.Text})
		if v.Reason != "" {
			u.Rejected = append(u.Rejected, Reject{Text: r.Text, Reason: v.Reason, Detail: v.Detail, Attempt: i, Row: r.Where()})
			continue
		}
		u.Kept = append(u.Kept, Story{Text: v.Text, Attempt: i, Tokens: v.Tokens, Person: r.Person, Row: r.Where()})
	}
	return u
}
