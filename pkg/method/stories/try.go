package stories

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// Try asks the model for one story on each pair, as Run asks for a pair's stories (the same prompt,
// persons alternating by pair, the config's sampling settings, at most maxNewTokens new tokens), and judges
// each with the same checks. Nothing is written. It shows what a model writes when it tries, for instance
// beside a corpus that a run reads instead (notebook 01); each result is a Unit holding the one story, kept
// or rejected.
func Try(eng generate.Engine, cfg *config.Config, pairs []Pair, maxNewTokens int) ([]Unit, error) {
	g := cfg.Generation
	prompts := make([][]int, len(pairs))
	seeds := make([]uint64, len(pairs))
	for i, p := range pairs {
		ids, err := eng.ChatPrompt(Prompt(p.Emotion, p.Topic, 1, PersonFor(i)))
		if err != nil {
			return nil, fmt.Errorf("stories: prompt for %s / %s: %w", p.Emotion, p.Topic, err)
		}
		prompts[i], seeds[i] = ids, generate.Seed(g.Seed, "try", []string{p.Emotion, p.Topic}, i)
	}
	outs, err := lm.GenerateWith(eng, prompts, lm.GenerateOptions{
		Sampling:     lm.Sampling{Temperature: g.Temperature, TopK: g.TopK, TopP: g.TopP},
		MaxNewTokens: maxNewTokens, Seeds: seeds, StopTokens: eng.StopTokens(), BatchSize: len(prompts),
	})
	if err != nil {
		return nil, fmt.Errorf("stories: %w", err)
	}
	units := make([]Unit, len(pairs))
	for i, p := range pairs {
		u := Unit{Emotion: p.Emotion, Topic: p.Topic, TopicID: config.TopicID(p.Topic), Model: cfg.ModelName(),
			Seed: g.Seed, PromptVersion: PromptVersion, Requested: 1, Attempts: 1, Kept: []Story{}, Rejected: []Reject{}}
		ck := &Checker{Banned: NewBanned(p.Emotion, cfg.Synonyms[p.Emotion]),
			MinTokens: cfg.Extraction.TokenOffset + generate.MinExtraTokens, Tokens: eng.ReadingTokens}
		pieces := Split(eng.Text(outs[i].Tokens), outs[i].Stopped)
		if len(pieces) == 0 {
			u.Rejected = append(u.Rejected, Reject{Reason: generate.Empty})
		} else if v := ck.Check(pieces[0]); v.Reason != "" {
			u.Rejected = append(u.Rejected, Reject{Text: v.Text, Reason: v.Reason, Detail: v.Detail})
		} else {
			u.Kept = append(u.Kept, Story{Text: v.Text, Tokens: v.Tokens, Cut: pieces[0].Cut,
				Person: [...]string{"first", "third"}[PersonFor(i)]})
		}
		units[i] = u
	}
	return units, nil
}
