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

// Dump writes the resolved config (Resolved) as YAML, with a header saying where it came from. Loaded again,
// from any directory, it gives the same run.
func (c *Config) Dump() ([]byte, error) { return c.dump(0) }

// DumpBrief is Dump for reading, not for loading: a list of more than keep+1 items (the 171 emotions, the
// 100 topics) shows its first keep items and a comment saying how many more there are and where they come
// from.
func (c *Config) DumpBrief(keep int) ([]byte, error) { return c.dump(max(keep, 1)) }

// dump writes the resolved config; keep > 0 shortens long lists to keep items.
func (c *Config) dump(keep int) ([]byte, error) {
	var doc yaml.Node
	if err := doc.Encode(c.Resolved()); err != nil {
		return nil, fmt.Errorf("config: dump %s: %w", c.File, err)
	}
	if keep > 0 {
		shortenLists(&doc, keep)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
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
	what := "every path absolute, lists written out"
	if keep > 0 {
		what = "every path absolute, long lists shortened (emotion-probes config prints them whole)"
	}
	head := fmt.Sprintf("# Resolved configuration (from %s): %s.\n", src, what)
	return append([]byte(head), body...), nil
}

// shortenLists cuts every sequence of more than keep+1 items below n to its first keep, noting the rest.
func shortenLists(n *yaml.Node, keep int) {
	if n.Kind == yaml.SequenceNode && len(n.Content) > keep+1 {
		more := len(n.Content) - keep
		n.Content = n.Content[:keep]
		n.Content[keep-1].LineComment = fmt.Sprintf("... and %d more", more)
	}
	for _, c := range n.Content {
		shortenLists(c, keep)
	}
}
