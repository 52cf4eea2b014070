package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Resolved returns a self-contained copy of c: every path absolute, "{name}" filled in output.dir, and the
// emotion and topic lists written out (data.emotions, data.topics; n_emotions and n_topics cleared). Loading
// its Dump anywhere gives the same run. Layers stay "auto" until the model is known (Layers.Resolve).
func (c *Config) Resolved() *Config {
	r := *c
	r.lines = nil
	r.Model.Name = c.ModelName()
	r.Data.EmotionsFile = c.Path(c.Data.EmotionsFile)
	r.Data.TopicsFile = c.Path(c.Data.TopicsFile)
	r.Data.SynonymsFile = c.Path(c.Data.SynonymsFile)
	r.Validation.RatingsFile = c.Path(c.Validation.RatingsFile)
	r.Stories.Corpus = c.Path(c.Stories.Corpus)
	r.Neutral.Corpus = c.Path(c.Neutral.Corpus)
	r.Stories.Writer = c.modelName(c.Stories.Writer)
	r.Neutral.Writer = c.modelName(c.Neutral.Writer)
	if c.Emotions != nil {
		r.Data.Emotions = append([]string(nil), c.Emotions...)
		r.Data.NEmotions = 0
	}
	if c.Topics != nil {
		r.Data.Topics = append([]string(nil), c.Topics...)
		r.Data.NTopics = 0
	}
	r.Extraction.Layers.Indices = append([]int(nil), c.Extraction.Layers.Indices...)
	r.Validation.Layers.Indices = append([]int(nil), c.Validation.Layers.Indices...)
	r.Output.Dir = c.OutputDir()
	return &r
}

// ModelName is Model.Name with a local path made absolute (resolved against Dir). A name is a local path when
// it starts with "/", "./", "../" or "~/", ends in ".gguf", or exists relative to Dir; "default" and Hugging
// Face ids ("org/name") are returned unchanged.
func (c *Config) ModelName() string { return c.modelName(c.Model.Name) }

// WriterName is the model that writes the generated texts of t (c.Stories or c.Neutral): its Writer,
// resolved as ModelName resolves model.name, or ModelName when it has none.
func (c *Config) WriterName(t Texts) string {
	if t.Writer == "" {
		return c.ModelName()
	}
	return c.modelName(t.Writer)
}

// modelName resolves a model name as ModelName does.
func (c *Config) modelName(n string) string {
	switch {
	case n == "" || strings.EqualFold(n, DefaultModelName):
		return n
	case filepath.IsAbs(n), strings.HasPrefix(n, "./"), strings.HasPrefix(n, "../"), strings.HasPrefix(n, "~/"),
		strings.HasSuffix(strings.ToLower(n), ".gguf"):
		return c.Path(n)
	}
	if _, err := os.Stat(c.Path(n)); err == nil {
		return c.Path(n)
	}
	return n
}

// Dump writes the resolved config (Resolved) as YAML, with a header saying where it came from. The run
// directory keeps this file as the record of what was run.
func (c *Config) Dump() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c.Resolved()); err != nil {
		return nil, fmt.Errorf("config: dump %s: %w", c.File, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("config: dump %s: %w", c.File, err)
	}
	body := buf.Bytes()
	src := c.File
	if src == "" {
		src = "defaults"
	}
	head := fmt.Sprintf("# Resolved configuration (from %s): every path absolute, lists written out.\n", src)
	return append([]byte(head), body...), nil
}
