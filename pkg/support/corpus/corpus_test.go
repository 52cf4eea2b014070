package corpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Good rows are kept with their file and line; each bad row is left out with a Problem naming its line and
// field, and reading goes on past it.
func TestReadJSONL(t *testing.T) {
	dir := t.TempDir()
	topic := "A train is late"
	p := write(t, dir, "s.jsonl", strings.Join([]string{
		`{"emotion": "sad", "topic": "A train is late", "text": "She waited.", "person": "third", "extra": 1}`,
		``,
		`{"emotion": "sad", "topic": "A train is late"}`,
		`{"emotion": "happy", "topic": "A train is late", "text": 7}`,
		`{"emotion": "happy", "topic": "A train is late", "text": "x", "topic_id": "000000000000"}`,
		`{"emotion": "happy", "topic": "A train is late", "text": "x", "person": "second"}`,
		`not json`,
		`{"emotion": "happy", "topic": "A train is late", "text": "He ran.", "topic_id": "` + config.TopicID(topic) + `"}`,
	}, "\n"))
	c, err := Read(p, Stories)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rows) != 2 || c.Rows[0].Line != 1 || c.Rows[1].Line != 8 || c.Rows[0].Person != "third" ||
		c.Rows[1].TopicID != config.TopicID(topic) || c.Rows[1].Emotion != "happy" {
		t.Fatalf("rows %+v", c.Rows)
	}
	want := []struct {
		line  int
		field string
	}{{3, "text"}, {4, "text"}, {5, "topic_id"}, {6, "person"}, {7, ""}}
	if len(c.Problems) != len(want) {
		t.Fatalf("problems %v, want %d", c.Problems, len(want))
	}
	for i, w := range want {
		if got := c.Problems[i]; got.Line != w.line || got.Field != w.field || got.File != p {
			t.Errorf("problem %d: %+v, want line %d field %q", i, got, w.line, w.field)
		}
	}
	if !strings.Contains(c.Problems[0].Error(), "s.jsonl:3: text: missing") {
		t.Errorf("message %q should name the file, line and field", c.Problems[0].Error())
	}
}

// A CSV file needs a header with the required columns; rows keep the line they start on, quoted text
// may hold line breaks, and a dialogue corpus needs no emotion column.
func TestReadCSV(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "d.csv", "topic,text\n\"A train is late\",\"Human: When is the next train?\n\nAssistant: At 9:40.\"\n,missing topic\n")
	c, err := Read(p, Dialogues)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rows) != 1 || c.Rows[0].Line != 2 || !strings.Contains(c.Rows[0].Text, "\n\nAssistant:") {
		t.Fatalf("rows %+v", c.Rows)
	}
	if len(c.Problems) != 1 || c.Problems[0].Line != 5 || c.Problems[0].Field != "topic" {
		t.Errorf("problems %v: want the row of line 5, field topic", c.Problems)
	}
	if _, err := Read(p, Stories); err == nil || !strings.Contains(err.Error(), `no "emotion" column`) {
		t.Errorf("a story corpus without an emotion column: %v", err)
	}
}

// A folder is read file by file in name order (other files ignored); its checksum changes with any byte
// of any file; a missing path or an empty folder is an error that says what to give.
func TestReadFolder(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "b.jsonl", `{"emotion": "sad", "topic": "T", "text": "two"}`+"\n")
	write(t, dir, "a.csv", "emotion,topic,text\nhappy,T,one\n")
	write(t, dir, "notes.txt", "not a corpus")
	c, err := Read(dir, Stories)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 2 || len(c.Rows) != 2 || c.Rows[0].Text != "one" || c.Rows[1].Text != "two" {
		t.Fatalf("files %v, rows %+v", c.Files, c.Rows)
	}
	before := c.SHA256
	write(t, dir, "b.jsonl", `{"emotion": "sad", "topic": "T", "text": "two!"}`+"\n")
	if c, _ := Read(dir, Stories); c.SHA256 == before {
		t.Error("the checksum did not change with the corpus")
	}
	if _, err := Read(filepath.Join(dir, "nope"), Stories); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing path: %v", err)
	}
	if _, err := Read(t.TempDir(), Stories); err == nil || !strings.Contains(err.Error(), "no .jsonl or .csv") {
		t.Errorf("empty folder: %v", err)
	}
}
