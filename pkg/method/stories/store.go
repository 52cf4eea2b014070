package stories

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
const StageName = "stories"

// Unit is one (emotion, topic) pair: the content of <output>/stories/<emotion-slug>/<topic-id>.json. It is
// written once, when the pair is finished, and never changed afterwards.
type Unit struct {
	Emotion       string   `json:"emotion"`
	Topic         string   `json:"topic"`
	TopicID       string   `json:"topic_id"` // config.TopicID(Topic)
	Model         string   `json:"model"`    // the model's name (config model.name, resolved)
	ModelSHA256   string   `json:"model_sha256,omitempty"`
	Seed          int64    `json:"seed"` // generation.seed; each attempt's seed is generate.Seed(...) of it
	PromptVersion string   `json:"prompt_version"`
	Requested     int      `json:"requested"` // generation.stories_per_topic
	Kept          []Story  `json:"kept"`      // in attempt order; at most Requested
	Rejected      []Reject `json:"rejected"`  // in attempt order
	Attempts      int      `json:"attempts"`  // completions drawn
}

// Story is a kept story.
type Story struct {
	Text    string `json:"text"`
	Attempt int    `json:"attempt"`          // the completion it came from (its seed's attempt index)
	Part    int    `json:"part,omitempty"`   // its place in that completion, when a completion holds several
	Tokens  int    `json:"tokens"`           // reading tokens (BOS included)
	Cut     bool   `json:"cut,omitempty"`    // cut back to its last sentence (the completion hit max_new_tokens)
	Person  string `json:"person,omitempty"` // "first" or "third": the person the prompt (or the corpus row) gives
	Row     string `json:"row,omitempty"`    // the corpus row it came from, "file:line" (stories.source: corpus)
}

// Reject is a candidate that was not kept.
type Reject struct {
	Text    string          `json:"text"`
	Reason  generate.Reason `json:"reason"`
	Detail  string          `json:"detail,omitempty"` // e.g. the banned word found
	Attempt int             `json:"attempt"`
	Part    int             `json:"part,omitempty"`
	Row     string          `json:"row,omitempty"` // the corpus row, "file:line" (stories.source: corpus)
}

// unitPath is a unit's file relative to the stage folder, with / separators.
func unitPath(emotion, topic string) string {
	return config.Slug(emotion) + "/" + config.TopicID(topic) + ".json"
}

// Load reads every unit written under <outputDir>/stories, sorted by emotion slug and then topic id (the
// order of the files on disk, independent of the config's list order). It does not check that the stage
// is complete: call checkpoint.Require(outputDir, StageName, ...) first where that matters.
func Load(outputDir string) ([]Unit, error) {
	return loadUnits(filepath.Join(outputDir, StageName), "*")
}

// LoadEmotion reads the units of one emotion, sorted by topic id. Texts gives their kept stories in order.
func LoadEmotion(outputDir, emotion string) ([]Unit, error) {
	units, err := loadUnits(filepath.Join(outputDir, StageName), config.Slug(emotion))
	if err != nil {
		return nil, err
	}
	if len(units) == 0 {
		return nil, fmt.Errorf("stories: no stories for emotion %q in %s: run the stories stage first",
			emotion, filepath.Join(outputDir, StageName, config.Slug(emotion)))
	}
	return units, nil
}

func loadUnits(dir, emotionGlob string) ([]Unit, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("stories: %s does not exist: run the stories stage first: %w", dir, err)
	}
	// Slugs and topic ids hold no '/', so sorted paths are sorted by (slug, id).
	units, err := checkpoint.ReadUnits[Unit](filepath.Join(dir, emotionGlob, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("stories: %w", err)
	}
	return units, nil
}

// Texts returns the kept stories of units, unit by unit, each in attempt order, without repeats: a story
// whose Normalize form equals an earlier one's is left out. (Run refuses duplicates within a unit only, so
// that a unit's result never depends on another's, and shards stay independent; copies across topics, rare
// since each prompt names its topic, are dropped here.)
func Texts(units []Unit) []string {
	var texts []string
	for _, u := range units {
		for _, st := range u.Kept {
			texts = append(texts, st.Text)
		}
	}
	return generate.Dedupe(texts)
}
