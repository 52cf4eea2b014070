package neutral

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// StageName is the stage's folder below the run's output directory.
const StageName = "neutral"

// Unit is one topic's dialogues: the content of <output>/neutral/<topic-id>.json, written once, when the
// topic is finished.
type Unit struct {
	Topic         string   `json:"topic"`
	TopicID       string   `json:"topic_id"`
	Model         string   `json:"model"`
	ModelSHA256   string   `json:"model_sha256,omitempty"`
	Seed          int64    `json:"seed"`
	PromptVersion string   `json:"prompt_version"`
	Requested     int      `json:"requested"` // generation.neutral_per_topic
	Kept          []Dialog `json:"kept"`      // in attempt order
	Rejected      []Reject `json:"rejected"`
	Attempts      int      `json:"attempts"`
}

// Dialog is a kept dialogue.
type Dialog struct {
	Text      string `json:"text"` // Format: optional system line, then "Human: ..." / "Assistant: ..." turns
	Attempt   int    `json:"attempt"`
	Tokens    int    `json:"tokens"` // reading tokens (BOS included)
	Exchanges int    `json:"exchanges"`
	Kind      string `json:"kind"`          // the task the prompt asked for (Kind.Name: code, fact, ...)
	Cut       bool   `json:"cut,omitempty"` // a turn hit max_new_tokens: a cut answer was kept to its last whole sentence, a cut question dropped
	Row       string `json:"row,omitempty"` // the corpus row it came from, "file:line" (neutral.source: corpus)
}

// Reject is a completion that was not kept.
type Reject struct {
	Text    string          `json:"text"`
	Reason  generate.Reason `json:"reason"`
	Detail  string          `json:"detail,omitempty"`
	Attempt int             `json:"attempt"`
	Row     string          `json:"row,omitempty"` // the corpus row, "file:line" (neutral.source: corpus)
}

func unitPath(topic string) string { return config.TopicID(topic) + ".json" }

// Load reads every topic's dialogues under <outputDir>/neutral, sorted by topic id. It does not check that
// the stage is complete: call checkpoint.Require(outputDir, StageName, ...) first where that matters.
func Load(outputDir string) ([]Unit, error) {
	dir := filepath.Join(outputDir, StageName)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("neutral: %s does not exist: run the neutral stage first: %w", dir, err)
	}
	units, err := checkpoint.ReadUnits[Unit](filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("neutral: %w", err)
	}
	return units, nil
}

// Texts returns the kept dialogues of units, unit by unit, each in attempt order, leaving out repeats of an
// earlier dialogue (generate.Normalize form).
func Texts(units []Unit) []string {
	var texts []string
	for _, u := range units {
		for _, d := range u.Kept {
			texts = append(texts, d.Text)
		}
	}
	return generate.Dedupe(texts)
}
