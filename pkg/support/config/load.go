package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Load reads a config file, fills absent keys from Default, reads the emotion, topic and synonym lists it names
// (LoadLists) and checks every value (Validate). All problems found are returned together as Problems, each
// naming the file, line and key.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: cannot read %s: %w (the shipped configs are config/tiny.yaml, small.yaml, "+
			"medium.yaml, default.yaml)", path, err)
	}
	c, ps, err := parse(data, path)
	if err != nil {
		return nil, err
	}
	// Keys that failed to decode kept their defaults, so the lists and the other values can still be checked:
	// report everything at once.
	for _, step := range []func() error{c.LoadLists, c.Validate} {
		var more Problems
		if err := step(); errors.As(err, &more) {
			ps = append(ps, more...)
		} else if err != nil {
			return nil, err
		}
	}
	if len(ps) > 0 {
		sortProblems(ps)
		return nil, ps
	}
	return c, nil
}

// sortProblems orders problems by file, then line (problems without a line last within their file).
func sortProblems(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if (a.Line == 0) != (b.Line == 0) {
			return a.Line != 0
		}
		return a.Line < b.Line
	})
}

// Parse decodes YAML data over Default. file names the source in messages and sets Dir (relative paths
// resolve against file's directory) and the default Name (file's base name without extension). Parse reads
// no list files and does not validate: Load does both.
func Parse(data []byte, file string) (*Config, error) {
	c, ps, err := parse(data, file)
	if err != nil {
		return nil, err
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return c, nil
}

// parse is Parse that also returns the config when keys failed to decode (they keep their defaults); err is
// set only when nothing could be decoded.
func parse(data []byte, file string) (*Config, Problems, error) {
	c := Default()
	c.File = file
	c.lines = map[string]int{}
	if file != "" {
		abs, err := filepath.Abs(filepath.Dir(file))
		if err != nil {
			return nil, nil, fmt.Errorf("config: %s: cannot resolve its directory: %w", file, err)
		}
		c.Dir = abs
		c.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, nil, Problems{SyntaxProblem(file, data, err)}
	}
	d := &decoder{file: file, lines: c.lines}
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		d.decodeStruct(root.Content[0], reflect.ValueOf(c).Elem(), "")
	}
	return c, d.problems, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// SyntaxProblem turns yaml.v3's "yaml: line 7: did not find expected key" into a Problem at line 7. When
// yaml.v3 gives no line, the line is found in data (locateYAMLError). The other readers of YAML that a
// person writes (the scenarios file) use it too, so that every YAML error names its line.
func SyntaxProblem(file string, data []byte, err error) Problem {
	msg := err.Error()
	p := Problem{File: file, Msg: "YAML syntax: " + strings.TrimPrefix(msg, "yaml: ")}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = "YAML syntax: " + m[2] + " (check indentation and that each key ends with ':')"
		return p
	}
	p.Line = locateYAMLError(data, msg)
	return p
}

var yamlAnchorRE = regexp.MustCompile(`anchor '([^']*)'`)

// locateYAMLError finds the line of a yaml.v3 error whose message has none. Three kinds of error lack one:
// the reader's (bytes that are not UTF-8, or control characters), found here as the first such byte; the
// decoder's about anchors and aliases (an alias to an unknown anchor, an anchor that contains itself, too
// much aliasing), found as the first line that uses the anchor or an alias; and the scanner's and parser's
// on the first line, which yaml.v3 counts from 0 and leaves out when it is 0.
func locateYAMLError(data []byte, msg string) int {
	lineAt := func(off int) int { return 1 + bytes.Count(data[:off], []byte("\n")) }
	if off := firstNonYAMLByte(data); off >= 0 {
		return lineAt(off)
	}
	find := func(marks ...string) int {
		for _, m := range marks {
			if i := bytes.Index(data, []byte(m)); i >= 0 {
				return lineAt(i)
			}
		}
		return 1
	}
	if m := yamlAnchorRE.FindStringSubmatch(msg); m != nil {
		if strings.Contains(msg, "contains itself") {
			return find("&"+m[1], "*"+m[1])
		}
		return find("*"+m[1], "&"+m[1])
	}
	if strings.Contains(msg, "alias") {
		return find("*")
	}
	return 1
}

// firstNonYAMLByte is the offset of the first byte that is not valid UTF-8 or is a character YAML does not
// allow in a document (C0 controls other than tab and line breaks, DEL, C1 controls other than NEL,
// surrogates, U+FFFE, U+FFFF); -1 when there is none.
func firstNonYAMLByte(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		printable := r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0x7E) || r == 0x85 ||
			(r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD && r != utf8.RuneError) ||
			(r == utf8.RuneError && size == 3) || r >= 0x10000
		if !printable {
			return i
		}
		i += size
	}
	return -1
}

// LoadLists fills Emotions, Topics and Synonyms from the Data section, reading the files it names (relative to
// Dir). It reports unknown emotion names with close matches and missing files with the path tried.
func (c *Config) LoadLists() error {
	if c.lines == nil {
		c.lines = map[string]int{}
	}
	var ps Problems
	ps = append(ps, c.loadEmotions()...)
	ps = append(ps, c.loadTopics()...)
	ps = append(ps, c.loadSynonyms()...)
	return ps.errOrNil()
}

func (c *Config) loadEmotions() Problems {
	d := c.Data
	if d.EmotionsFile == "" {
		if len(d.Emotions) == 0 {
			return Problems{c.problemf("data.emotions_file", "empty, and data.emotions lists no emotions: "+
				"set one of them (the project ships config/data/emotions_171.txt)")}
		}
		return Problems{c.problemf("data.emotions_file", "empty: data.emotions must be checked against a list "+
			"file; set data.emotions_file (the project ships config/data/emotions_171.txt)")}
	}
	path := c.Path(d.EmotionsFile)
	all, ps := readList(path, "emotion")
	if ps != nil {
		return c.fileProblems("data.emotions_file", path, "one emotion per line", ps)
	}
	list := all
	if len(d.Emotions) > 0 {
		known := map[string]bool{}
		for _, e := range all {
			known[e] = true
		}
		seen := map[string]bool{}
		list = nil
		for i, e := range d.Emotions {
			key := fmt.Sprintf("data.emotions[%d]", i)
			switch {
			case !known[e]:
				hint := "no close match"
				if cm := closeMatches(e, all, 3); len(cm) > 0 {
					hint = "close: " + strings.Join(cm, ", ")
				}
				ps = append(ps, c.problemf(key, "unknown emotion %q (%s); the valid names are the lines of %s "+
					"(add it there, or point data.emotions_file at your own list)", e, hint, path))
			case seen[e]:
				ps = append(ps, c.problemf(key, "emotion %q listed twice", e))
			default:
				seen[e] = true
				list = append(list, e)
			}
		}
	}
	if n := d.NEmotions; n > len(list) {
		ps = append(ps, c.problemf("data.n_emotions", "%d, but only %d emotions are listed; use at most %d, or 0 for all",
			n, len(list), len(list)))
	} else if n > 0 {
		list = list[:n]
	}
	slugs := map[string]string{}
	for _, e := range list {
		s := Slug(e)
		if other, dup := slugs[s]; dup {
			ps = append(ps, c.problemf("data.emotions_file", "emotions %q and %q share the file name %q; rename one", other, e, s))
		}
		slugs[s] = e
	}
	c.Emotions = list
	c.KnownEmotions = all
	c.fitDefaultsToEmotions()
	return ps
}

// fitDefaultsToEmotions lowers analysis.kmeans_k and analysis.umap_n_neighbors to what the emotion count
// allows, when the file did not set them: the defaults (10, 15) suit 171 emotions, not 5. Values set in the
// file are left for Validate to judge.
func (c *Config) fitDefaultsToEmotions() {
	n := len(c.Emotions)
	if n == 0 {
		return
	}
	if c.lines["analysis.kmeans_k"] == 0 && c.Analysis.KMeansK > n {
		c.Analysis.KMeansK = n
	}
	if c.lines["analysis.umap_n_neighbors"] == 0 && c.Analysis.UMAPNeighbors >= n {
		c.Analysis.UMAPNeighbors = max(n-1, 2)
	}
}

func (c *Config) loadTopics() Problems {
	d := c.Data
	var list []string
	var ps Problems
	if len(d.Topics) > 0 {
		seen := map[string]bool{}
		for i, t := range d.Topics {
			t = strings.TrimSpace(t)
			key := fmt.Sprintf("data.topics[%d]", i)
			switch {
			case t == "":
				ps = append(ps, c.problemf(key, "empty topic"))
			case seen[t]:
				ps = append(ps, c.problemf(key, "topic %q listed twice", t))
			default:
				seen[t] = true
				list = append(list, t)
			}
		}
	} else {
		if d.TopicsFile == "" {
			return Problems{c.problemf("data.topics_file", "empty, and data.topics lists no topics: set one of them "+
				"(the project ships config/data/topics_100.txt)")}
		}
		path := c.Path(d.TopicsFile)
		var fps Problems
		list, fps = readList(path, "topic")
		if fps != nil {
			return c.fileProblems("data.topics_file", path, "one topic per line", fps)
		}
	}
	if n := d.NTopics; n > len(list) {
		ps = append(ps, c.problemf("data.n_topics", "%d, but only %d topics are listed; use at most %d, or 0 for all",
			n, len(list), len(list)))
	} else if n > 0 {
		list = list[:n]
	}
	c.Topics = list
	return ps
}

// fileProblems wraps problems found while reading a list file: a missing file is reported at the config key
// that names it, with what to do.
func (c *Config) fileProblems(key, path, format string, ps Problems) Problems {
	for i := range ps {
		if ps[i].File == "" { // could not read the file at all
			p := c.problemf(key, "%s; create it (%s) or set %s to an existing file (paths are relative to %s)",
				ps[i].Msg, format, key, c.dirForMessages())
			ps[i] = p
		}
	}
	return ps
}

func (c *Config) dirForMessages() string {
	if c.Dir == "" {
		return "the working directory"
	}
	return c.Dir
}

// readList reads a list file: one entry per line, surrounding spaces trimmed, blank lines and lines starting
// with '#' skipped. A missing or empty file, or an entry given twice, is a Problem.
func readList(path, what string) ([]string, Problems) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, Problems{{Msg: fmt.Sprintf("no %s list at %s", what, path)}}
		}
		return nil, Problems{{Msg: fmt.Sprintf("cannot read %s list %s: %v", what, path, err)}}
	}
	var out []string
	var ps Problems
	seen := map[string]int{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if first, dup := seen[line]; dup {
			ps = append(ps, Problem{File: path, Line: i + 1, Msg: fmt.Sprintf("%s %q listed twice (first at line %d)", what, line, first)})
			continue
		}
		seen[line] = i + 1
		out = append(out, line)
	}
	if len(out) == 0 && ps == nil {
		ps = Problems{{File: path, Msg: fmt.Sprintf("no %ss in the file (want one per line)", what)}}
	}
	return out, ps
}

func (c *Config) loadSynonyms() Problems {
	if c.Data.SynonymsFile == "" {
		c.Synonyms = nil
		return nil
	}
	path := c.Path(c.Data.SynonymsFile)
	syn, err := LoadSynonyms(path)
	if err != nil {
		var ps Problems
		if errors.As(err, &ps) {
			return ps
		}
		return Problems{c.problemf("data.synonyms_file", "%v; create it (emotion: [word, ...] per line), "+
			"or set data.synonyms_file: \"\" to check only the emotion word itself", err)}
	}
	c.Synonyms = syn
	return nil
}

// LoadSynonyms reads a synonyms file: a YAML mapping from emotion to the words its stories must not contain,
//
//	happy: [joy, joyful, glad, cheerful]
//	afraid: [fear, scared, frightened]
//
// Words are lower-cased and trimmed. Emotions absent from the file simply have no synonyms.
func LoadSynonyms(path string) (map[string][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no synonyms file at %s", path)
		}
		return nil, fmt.Errorf("cannot read synonyms file %s: %w", path, err)
	}
	return parseSynonyms(data, path)
}

// parseSynonyms is LoadSynonyms on the file's bytes; path names the file in problems.
func parseSynonyms(data []byte, path string) (map[string][]string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Problems{SyntaxProblem(path, data, err)}
	}
	out := map[string][]string{}
	if len(root.Content) == 0 || isNull(root.Content[0]) {
		return out, nil
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, Problems{{File: path, Line: m.Line, Msg: "expected a mapping emotion: [word, ...], got " + describeNode(m)}}
	}
	var ps Problems
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		emotion := strings.TrimSpace(k.Value)
		if _, dup := out[emotion]; dup {
			ps = append(ps, Problem{File: path, Line: k.Line, Key: emotion, Msg: "emotion given twice; merge the lists"})
			continue
		}
		var words []string
		switch {
		case isNull(v):
		case v.Kind == yaml.SequenceNode:
			for _, w := range v.Content {
				if w.Kind != yaml.ScalarNode {
					ps = append(ps, Problem{File: path, Line: w.Line, Key: emotion, Msg: "expected a word, got " + describeNode(w)})
					continue
				}
				if s := strings.ToLower(strings.TrimSpace(w.Value)); s != "" {
					words = append(words, s)
				}
			}
		default:
			ps = append(ps, Problem{File: path, Line: v.Line, Key: emotion, Msg: "expected a list of words like [joy, glad], got " + describeNode(v)})
			continue
		}
		out[emotion] = words
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return out, nil
}
