package corpus_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/emotion-probes/emotion-probes/pkg/support/corpus"
)

// Reading a corpus: good rows come back with their file and line, bad ones as problems that say what to fix.
func ExampleRead() {
	dir, _ := os.MkdirTemp("", "corpus")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "stories.jsonl")
	os.WriteFile(path, []byte(`{"emotion": "calm", "topic": "A train is late", "text": "She opened her book."}
{"emotion": "calm", "text": "No topic here."}
`), 0o644)
	c, _ := corpus.Read(path, corpus.Stories)
	for _, r := range c.Rows {
		fmt.Printf("line %d: %s / %s: %s\n", r.Line, r.Emotion, r.Topic, r.Text)
	}
	for _, p := range c.Problems {
		fmt.Printf("line %d: %s: %s\n", p.Line, p.Field, p.Msg)
	}
	// Output:
	// line 1: calm / A train is late: She opened her book.
	// line 2: topic: missing or empty: a story row needs emotion, topic, text
}
