package corpus

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// Kind says which texts a corpus holds, and so which fields a row needs.
type Kind int

const (
	// Stories need emotion, topic and text.
	Stories Kind = iota
	// Dialogues need topic and text.
	Dialogues
)

func (k Kind) required() []string {
	if k == Stories {
		return []string{"emotion", "topic", "text"}
	}
	return []string{"topic", "text"}
}

// Row is one text of a corpus and where it came from.
type Row struct {
	Emotion string // "" for dialogues
	Topic   string
	TopicID string // config.TopicID(Topic)
	Person  string // "first", "third" or ""
	Text    string
	File    string // the file as read
	Line    int    // the row's line in File, from 1
}

// Where is "file:line", for messages and for the stage's records.
func (r Row) Where() string { return fmt.Sprintf("%s:%d", r.File, r.Line) }

// Problem is a row left out, and why.
type Problem struct {
	File  string
	Line  int
	Field string // "" when the row as a whole is at fault
	Msg   string
}

func (p Problem) Error() string {
	if p.Field == "" {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Field, p.Msg)
}

// Corpus is what Read found.
type Corpus struct {
	Path     string    // as given to Read
	Files    []string  // the files read, in order
	SHA256   string    // hex, over every file's base name and bytes
	Rows     []Row     // in file order, then line order
	Problems []Problem // rows left out
}

// MaxLine is the longest line (or CSV record) Read accepts: 1 MiB, far more than any story.
const MaxLine = 1 << 20

// Read reads the corpus at path (a .jsonl or .csv file, or a folder of them). It returns an error only when
// nothing can be read (no such path, a folder with no corpus file, an unreadable file); bad rows become
// Problems.
func Read(path string, kind Kind) (*Corpus, error) {
	files, err := corpusFiles(path)
	if err != nil {
		return nil, err
	}
	c := &Corpus{Path: path, Files: files}
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("corpus: %w", err)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(h, "%s\x00%x\x00", filepath.Base(f), sum)
		if strings.EqualFold(filepath.Ext(f), ".csv") {
			err = c.readCSV(f, data, kind)
		} else {
			err = c.readJSONL(f, data, kind)
		}
		if err != nil {
			return nil, err
		}
	}
	c.SHA256 = hex.EncodeToString(h.Sum(nil))
	return c, nil
}

func corpusFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("corpus: %s does not exist: give a .jsonl or .csv file, or a folder of them", path)
		}
		return nil, fmt.Errorf("corpus: %w", err)
	}
	if !info.IsDir() {
		if !isCorpusFile(path) {
			return nil, fmt.Errorf("corpus: %s: want a .jsonl or .csv file (or a folder of them)", path)
		}
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && isCorpusFile(e.Name()) {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("corpus: the folder %s holds no .jsonl or .csv file", path)
	}
	sort.Strings(files)
	return files, nil
}

func isCorpusFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".jsonl" || ext == ".csv"
}

func (c *Corpus) problem(file string, line int, field, format string, args ...any) {
	c.Problems = append(c.Problems, Problem{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (c *Corpus) readJSONL(file string, data []byte, kind Kind) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(text, &obj); err != nil {
			c.problem(file, line, "", "not a JSON object (%v): write one object per line", err)
			continue
		}
		fields := map[string]string{}
		ok := true
		for k, raw := range obj {
			if !known(k) {
				continue
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				c.problem(file, line, k, "must be a string, got %s", shorten(string(raw)))
				ok = false
				continue
			}
			fields[k] = s
		}
		if ok {
			c.add(file, line, fields, kind)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("corpus: %s:%d: a line longer than %d bytes: one text per line", file, line+1, MaxLine)
		}
		return fmt.Errorf("corpus: %s: %w", file, err)
	}
	return nil
}

func (c *Corpus) readCSV(file string, data []byte, kind Kind) error {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		if err == io.EOF {
			return nil
		}
		return fmt.Errorf("corpus: %s: header row: %w", file, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, f := range kind.required() {
		if _, ok := col[f]; !ok {
			return fmt.Errorf("corpus: %s:1: the header has no %q column (it has %s); a corpus of this kind needs %s",
				file, f, strings.Join(header, ", "), strings.Join(kind.required(), ", "))
		}
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		// A record that does not parse (a stray quote) ends the file: where it ends is unknown. Nothing of
		// it can be asked for either (FieldPos panics on a record Read refused).
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("corpus: %s: %w", file, err)
			}
			if pe.StartLine != pe.Line {
				return fmt.Errorf("corpus: %s:%d: %v (in the record that starts at line %d)", file, pe.Line, pe.Err, pe.StartLine)
			}
			return fmt.Errorf("corpus: %s:%d: %v", file, pe.Line, pe.Err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		fields := map[string]string{}
		for name, i := range col {
			if known(name) && i < len(rec) {
				fields[name] = rec[i]
			}
		}
		c.add(file, line, fields, kind)
	}
}

func known(field string) bool {
	switch field {
	case "emotion", "topic", "topic_id", "person", "text":
		return true
	}
	return false
}

// add checks one row's fields and keeps it, or records why not.
func (c *Corpus) add(file string, line int, f map[string]string, kind Kind) {
	for k, v := range f {
		f[k] = strings.TrimSpace(v)
	}
	for _, req := range kind.required() {
		if f[req] == "" {
			c.problem(file, line, req, "missing or empty: a %s row needs %s", kindName(kind), strings.Join(kind.required(), ", "))
			return
		}
	}
	id := config.TopicID(f["topic"])
	if got := f["topic_id"]; got != "" && got != id {
		c.problem(file, line, "topic_id", "%q does not match the topic (its id is %s): fix it or leave topic_id out", got, id)
		return
	}
	switch f["person"] {
	case "", "first", "third":
	default:
		c.problem(file, line, "person", "%q: must be first, third, or absent", f["person"])
		return
	}
	emotion := ""
	if kind == Stories {
		emotion = f["emotion"]
	}
	c.Rows = append(c.Rows, Row{Emotion: emotion, Topic: f["topic"], TopicID: id, Person: f["person"],
		Text: f["text"], File: file, Line: line})
}

func kindName(k Kind) string {
	if k == Stories {
		return "story"
	}
	return "dialogue"
}

func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
