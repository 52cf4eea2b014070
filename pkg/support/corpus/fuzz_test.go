package corpus

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// FuzzRead feeds arbitrary bytes to the JSONL and CSV readers, as stories and dialogues of either kind:
// nothing may panic; an error names the file; every problem names the file, a line inside it and what
// is wrong; every row kept has the fields its kind needs, a topic id that matches its topic, and a line
// inside the file, in file order. Seeds: the first lines of the shipped corpus (config/data/corpus) and
// small CSV files. Run longer with:
// go test ./pkg/support/corpus -run '^$' -fuzz FuzzRead -fuzztime 60s -fuzzminimizetime 1s
func FuzzRead(f *testing.F) {
	for _, name := range []string{"neutral.jsonl", "stories/afraid.jsonl", "stories/happy.jsonl"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "config", "data", "corpus", filepath.FromSlash(name)))
		if err != nil {
			f.Fatal(err)
		}
		lines := bytes.SplitAfter(b, []byte("\n"))
		f.Add(bytes.Join(lines[:min(3, len(lines))], nil), false, !strings.HasPrefix(name, "neutral"))
	}
	f.Add([]byte("emotion,topic,text,person\nhappy,A train is late,\"She smiled.\nThen she ran.\",first\n,,\n"), true, true)
	f.Add([]byte("\ufefftopic,text,topic_id\n\"A train is late\",\"Human: when?\",x\nonly one field\n"), true, false)
	f.Add([]byte("{\"topic\": 1}\n\n{\"topic\": \"T\", \"text\": \"x\", \"person\": \"second\"}\nnot json\n"), false, false)
	f.Fuzz(func(t *testing.T, data []byte, isCSV, stories bool) {
		kind, file := Dialogues, "fuzz.jsonl"
		if stories {
			kind = Stories
		}
		if isCSV {
			file = "fuzz.csv"
		}
		c := &Corpus{Path: file, Files: []string{file}}
		var err error
		if isCSV {
			err = c.readCSV(file, data, kind)
		} else {
			err = c.readJSONL(file, data, kind)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "corpus: "+file+":") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, p := range c.Problems {
			if p.File != file || p.Line < 1 || p.Line > lines || strings.TrimSpace(p.Msg) == "" {
				t.Fatalf("problem %q does not name the file, a line of its %d, and what is wrong", p.Error(), lines)
			}
		}
		prev := 0
		for _, r := range c.Rows {
			if r.File != file || r.Line < prev || r.Line > lines {
				t.Fatalf("row at %s: line out of order (after %d) or outside the file's %d lines", r.Where(), prev, lines)
			}
			prev = r.Line
			if r.Topic == "" || r.Text == "" || (kind == Stories) != (r.Emotion != "") {
				t.Fatalf("row at %s lacks a field its kind needs: %+v", r.Where(), r)
			}
			if r.TopicID != config.TopicID(r.Topic) {
				t.Fatalf("row at %s: topic id %q does not match its topic", r.Where(), r.TopicID)
			}
		}
	})
}

// TestCSVBadQuote: a record that does not parse is an error at its line (it crashed the reader, which asked
// the refused record for its position: regression seed csv-bad-quote).
func TestCSVBadQuote(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(path, []byte("topic,text\nT,ok\n\"T\"x,bad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Read(path, Dialogues)
	if err == nil || !strings.Contains(err.Error(), path+":3: ") {
		t.Fatalf("error %v, want one at %s:3", err, path)
	}
}
