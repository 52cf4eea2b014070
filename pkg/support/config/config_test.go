package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// writeFiles makes a temp dir holding the given files and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	testEmotions = "afraid\nat ease\nhappy\nhope\nhopeful\nsad\nself-confident\n"
	testTopics   = "A neighbor starts a renovation project\nSomeone finds a letter\nA train is late\n"
	testSynonyms = "happy: [joy, Glad]\nafraid: [fear]\n"
)

// load writes cfg as run.yaml beside the test lists and loads it.
func load(t *testing.T, cfg string) (*Config, error) {
	t.Helper()
	dir := writeFiles(t, map[string]string{
		"run.yaml":              cfg,
		"data/emotions_171.txt": testEmotions,
		"data/topics_100.txt":   testTopics,
		"synonyms.yaml":         testSynonyms,
	})
	return Load(filepath.Join(dir, "run.yaml"))
}

func TestShippedConfigsLoad(t *testing.T) {
	for _, tc := range []struct {
		file               string
		emotions, topics   int
		stories, maxTokens int
	}{
		{"tiny.yaml", 3, 2, 2, 160},
		{"small.yaml", 171, 100, 12, 2048}, // reads the corpus: the generation keys keep their defaults
		{"small-generate.yaml", 10, 4, 3, 224},
		{"small-gemma3.yaml", 171, 100, 12, 2048}, // small.yaml with Gemma 3 270M
		{"medium.yaml", 20, 100, 12, 384},
		{"default.yaml", 171, 100, 12, 512},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := Load(filepath.Join("..", "..", "..", "config", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Emotions) != tc.emotions || len(c.Topics) != tc.topics {
				t.Errorf("got %d emotions x %d topics, want %d x %d", len(c.Emotions), len(c.Topics), tc.emotions, tc.topics)
			}
			if c.Generation.StoriesPerTopic != tc.stories || c.Generation.MaxNewTokens != tc.maxTokens {
				t.Errorf("stories_per_topic %d, max_new_tokens %d; want %d, %d",
					c.Generation.StoriesPerTopic, c.Generation.MaxNewTokens, tc.stories, tc.maxTokens)
			}
			wantName := strings.TrimSuffix(tc.file, ".yaml")
			if c.Name != wantName || filepath.Base(c.OutputDir()) != wantName || !filepath.IsAbs(c.OutputDir()) {
				t.Errorf("name %q, output dir %q", c.Name, c.OutputDir())
			}
			// Every emotion of the shipped configs has an entry in the synonyms file (the 20 of medium a
			// non-empty one), and no synonym list names its own emotion (the pipeline adds the word itself).
			for _, e := range c.Emotions {
				if list, ok := c.Synonyms[e]; !ok || tc.emotions <= 20 && len(list) == 0 {
					t.Errorf("emotion %q has no synonyms in config/synonyms.yaml", e)
				}
			}
			for e, words := range c.Synonyms {
				for _, w := range words {
					if w == e {
						t.Errorf("synonyms of %q list the word itself", e)
					}
				}
			}
		})
	}
}

func TestDefaultsFillAbsentKeys(t *testing.T) {
	c, err := load(t, "generation:\n  temperature: 0.5\n")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Generation.Temperature = 0.5
	want.Analysis.KMeansK = 7       // lowered to the 7 emotions: not set in the file
	want.Analysis.UMAPNeighbors = 6 // below the 7 emotions
	if !reflect.DeepEqual(c.Generation, want.Generation) || !reflect.DeepEqual(c.Analysis, want.Analysis) ||
		!reflect.DeepEqual(c.Model, want.Model) || !reflect.DeepEqual(c.Extraction, want.Extraction) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	if c.Name != "run" {
		t.Errorf("name = %q, want the file's stem %q", c.Name, "run")
	}
	if len(c.Emotions) != 7 || c.Emotions[1] != "at ease" || len(c.Topics) != 3 {
		t.Errorf("lists: %q %q", c.Emotions, c.Topics)
	}
	if !reflect.DeepEqual(c.Synonyms["happy"], []string{"joy", "glad"}) {
		t.Errorf("synonyms: %v", c.Synonyms)
	}
}

func TestEmptyFileIsAllDefaults(t *testing.T) {
	c, err := load(t, "# nothing\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Generation.Seed != 42 || c.Vectors.PCAVarianceThreshold != 0.5 || !c.Extraction.Layers.Auto {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestValuesDecode(t *testing.T) {
	c, err := load(t, `
name: my-run
model:
  name: ./models/x.gguf
  backend: xla:/opt/pjrt/pjrt_c_api_cuda_plugin.so
  quantize: null
data:
  emotions: [sad, "at ease", happy]
  n_emotions: 2
  topics: ["A train is late", "Custom topic"]
  synonyms_file: ""
generation:
  temperature: 1       # an integer is a fine number
  seed: -7
extraction:
  layers: [3, 10]
  neutral_per_token: true
output:
  dir: out/{name}
`)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Emotions, []string{"sad", "at ease"}) {
		t.Errorf("emotions %q", c.Emotions)
	}
	if !reflect.DeepEqual(c.Topics, []string{"A train is late", "Custom topic"}) {
		t.Errorf("topics %q", c.Topics)
	}
	if c.Model.Quantize != "none" || c.Generation.Temperature != 1 || c.Generation.Seed != -7 {
		t.Errorf("model %+v generation %+v", c.Model, c.Generation)
	}
	if !reflect.DeepEqual(c.Extraction.Layers, Layers{Indices: []int{3, 10}}) || !c.Extraction.NeutralPerToken {
		t.Errorf("extraction %+v", c.Extraction)
	}
	if c.Synonyms != nil {
		t.Errorf("synonyms_file \"\" should disable synonyms, got %v", c.Synonyms)
	}
	if got, want := c.OutputDir(), filepath.Join(c.Dir, "out", "my-run"); got != want {
		t.Errorf("output dir %q, want %q", got, want)
	}
	if got, want := c.ModelName(), filepath.Join(c.Dir, "models", "x.gguf"); got != want {
		t.Errorf("model name %q, want %q", got, want)
	}
}

// TestBadConfigs: each kind of mistake gives a message naming the file, the line and the problem.
func TestBadConfigs(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  string
		want []string // substrings of the error
	}{
		{"unknown key", "generation:\n  seed: 1\n  temprature: 0.3\n",
			[]string{"run.yaml:3:", `unknown key "temprature" in generation`, `did you mean "temperature"`, "valid keys: stories_per_topic"}},
		{"unknown section", "\n\nanalyis:\n  kmeans_k: 3\n",
			[]string{"run.yaml:3:", `unknown key "analyis" in the top level`, `did you mean "analysis"`}},
		{"string for number", "generation:\n  top_p: high\n",
			[]string{"run.yaml:2:", "generation.top_p", `expected a number, got the string "high"`}},
		{"float for int", "generation:\n  top_k: 6.5\n",
			[]string{"run.yaml:2:", "generation.top_k", "expected an integer, got the number 6.5"}},
		{"number for string", "model:\n  backend: 3\n",
			[]string{"run.yaml:2:", "model.backend", "expected a string", `"3" in quotes`}},
		{"list for bool", "extraction:\n  neutral_per_token: [1]\n",
			[]string{"run.yaml:2:", "extraction.neutral_per_token", "expected true or false, got a list"}},
		{"scalar for section", "generation: 5\n",
			[]string{"run.yaml:1:", "generation", "expected a mapping"}},
		{"bad layers", "extraction:\n  layers: middle\n",
			[]string{"run.yaml:2:", "extraction.layers", `"auto", a layer index`}},
		{"duplicate key", "generation:\n  seed: 1\n  seed: 2\n",
			[]string{"run.yaml:3:", "generation.seed", "given twice (first at line 2)"}},
		{"yaml syntax", "generation:\n  seed: 1\n bad\n",
			[]string{"run.yaml:", "YAML syntax"}},
		{"out of range", "\ngeneration:\n  top_p: 1.5\n",
			[]string{"run.yaml:3:", "generation.top_p", "1.5: must be in (0, 1]"}},
		{"negative", "extraction:\n  token_offset: -1\n",
			[]string{"run.yaml:2:", "extraction.token_offset", "-1: must be >= 0"}},
		{"token budget below a row", "extraction:\n  batch_tokens: 8\n",
			[]string{"run.yaml:2:", "extraction.batch_tokens", "8: must be >= 16"}},
		{"no slots", "generation:\n  batch_size: 0\n",
			[]string{"run.yaml:2:", "generation.batch_size", "expected auto or a number of slots (>= 1), got the integer 0"}},
		{"slots in words", "generation:\n  batch_size: many\n",
			[]string{"run.yaml:2:", "generation.batch_size", `expected auto or a number of slots (>= 1), got the string "many"`}},
		{"negative batch size", "extraction:\n  batch_size: -1\n",
			[]string{"run.yaml:2:", "extraction.batch_size", "-1: must be >= 0"}},
		{"validation out of range", "validation:\n  test_fraction: 1\n  layers: [3, -2]\n  bootstrap: 1\n",
			[]string{"run.yaml:2:", "validation.test_fraction", "1: must be in (0, 1)", "run.yaml:3:", "validation.layers[1]", "-2: must be >= 0",
				"run.yaml:4:", "validation.bootstrap", "1: must be >= 2"}},
		{"corpus source without a corpus", "stories:\n  source: corpus\n",
			[]string{"run.yaml: stories.corpus", "empty, but stories.source is corpus"}},
		{"missing corpus", "neutral:\n  source: corpus\n  corpus: nowhere.jsonl\n",
			[]string{"run.yaml:3:", "neutral.corpus", `"nowhere.jsonl": no such file or folder`}},
		{"corpus but generate", "stories:\n  corpus: data/topics_100.txt\n",
			[]string{"run.yaml:2:", "stories.corpus", "set stories.source: corpus to read it"}},
		{"writer of a corpus", "stories:\n  source: corpus\n  corpus: data\n  writer: org/model\n",
			[]string{"run.yaml:4:", "stories.writer", "a writer only writes generated texts"}},
		{"bad source", "stories:\n  source: file\n",
			[]string{"run.yaml:2:", "stories.source", `"file" is not one of: generate, corpus`}},
		{"bad enum", "analysis:\n  kmeans_metric: manhattan\n",
			[]string{"run.yaml:2:", "analysis.kmeans_metric", `"manhattan" is not one of: cosine, euclidean`}},
		{"bad backend", "model:\n  backend: cuda\n",
			[]string{"run.yaml:2:", "model.backend", `"cuda" is not one of: auto, go, xla:cpu, xla:cuda`}},
		{"bad quantize", "model:\n  name: default\n  quantize: int4\n",
			[]string{"run.yaml:3:", "model.quantize", `"int4" is not one of: none, 8bit, 4bit`}},
		{"relative plugin", "model:\n  backend: xla:lib/p.so\n",
			[]string{"run.yaml:2:", "must be absolute"}},
		{"kmeans above emotions", "data:\n  emotions: [happy, sad, hope]\nanalysis:\n  kmeans_k: 4\n  umap_n_neighbors: 3\n",
			[]string{"run.yaml:4:", "analysis.kmeans_k", "4: must be <= the number of emotions (3)", "run.yaml:5:", "umap_n_neighbors: 3: must be < the number of emotions (3); use at most 2"}},
		{"unknown emotion", "data:\n  emotions:\n    - happy\n    - hopefull\n",
			[]string{"run.yaml:4:", "data.emotions[1]", `unknown emotion "hopefull"`, "close: hopeful, hope", "emotions_171.txt"}},
		{"emotion listed twice", "data:\n  emotions: [sad, sad]\n",
			[]string{"run.yaml:2:", "data.emotions[1]", `"sad" listed twice`}},
		{"too many emotions", "data:\n  emotions: [sad, happy]\n  n_emotions: 3\n",
			[]string{"run.yaml:3:", "data.n_emotions", "only 2 emotions"}},
		{"missing emotions file", "data:\n  emotions_file: lists/none.txt\n",
			[]string{"run.yaml:2:", "data.emotions_file", "no emotion list at", filepath.Join("lists", "none.txt"), "create it (one emotion per line)"}},
		{"missing topics file (default)", "data:\n  topics_file: data/topics.txt\n",
			[]string{"run.yaml:2:", "data.topics_file", "no topic list at"}},
		{"missing synonyms file", "data:\n  synonyms_file: syn.yaml\n",
			[]string{"run.yaml:2:", "data.synonyms_file", "no synonyms file at", `synonyms_file: ""`}},
		{"bad name", "name: my run\n",
			[]string{"run.yaml:1:", "name", `"my run": use letters`}},
		{"several problems", "generation:\n  top_p: 0\n  top_k: -1\n",
			[]string{"2 problems", "run.yaml:2:", "run.yaml:3:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.cfg)
			if err == nil {
				t.Fatalf("no error for:\n%s", tc.cfg)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
		})
	}
}

func TestProblemsAreReachable(t *testing.T) {
	_, err := load(t, "generation:\n  top_p: 2\n")
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 1 {
		t.Fatalf("want one Problem, got %v", err)
	}
	p := ps[0]
	if p.Line != 2 || p.Key != "generation.top_p" || !strings.HasSuffix(p.File, "run.yaml") {
		t.Errorf("problem %+v", p)
	}
}

func TestBadListFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"run.yaml":              "data:\n  emotions_file: e.txt\n",
		"e.txt":                 "happy\nsad\n\n# comment\nhappy\n",
		"data/topics_100.txt":   testTopics,
		"synonyms.yaml":         "happy: joy\n",
		"data/emotions_171.txt": testEmotions,
	})
	_, err := Load(filepath.Join(dir, "run.yaml"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"e.txt:5:", `emotion "happy" listed twice (first at line 1)`, "synonyms.yaml:1:", "expected a list of words"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q:\n%s", w, err)
		}
	}
}

func TestLayersResolve(t *testing.T) {
	for _, tc := range []struct {
		l       Layers
		n       int
		want    []int
		wantErr string
	}{
		{Layers{Auto: true}, 30, []int{20}, ""},
		{Layers{Auto: true}, 32, []int{21}, ""},
		{Layers{Indices: []int{0, 30}}, 30, []int{0, 30}, ""},
		{Layers{Indices: []int{31}}, 30, nil, "outside [0, 30]"},
		{Layers{Auto: true}, 0, nil, "0 layers"},
	} {
		got, err := tc.l.Resolve(tc.n)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v.Resolve(%d): err %v, want %q", tc.l, tc.n, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v.Resolve(%d) = %v, %v; want %v", tc.l, tc.n, got, err, tc.want)
		}
	}
}

// TestDumpRoundTrip: the dump of a loaded config loads, from another directory, to the same run.
func TestDumpRoundTrip(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "..", "config", "small-generate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Dump()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"name: small-generate", "layers: auto", "  - lonely", "dir: /"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("dump lacks %q:\n%s", w, out)
		}
	}
	p := filepath.Join(t.TempDir(), "elsewhere.yaml")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	c2, err := Load(p)
	if err != nil {
		t.Fatalf("reloading the dump: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(c.Emotions, c2.Emotions) || !reflect.DeepEqual(c.Topics, c2.Topics) ||
		c.OutputDir() != c2.OutputDir() || !reflect.DeepEqual(c.Generation, c2.Generation) ||
		!reflect.DeepEqual(c.Analysis, c2.Analysis) || !reflect.DeepEqual(c.Synonyms, c2.Synonyms) ||
		!reflect.DeepEqual(c.Extraction, c2.Extraction) || c.Model != c2.Model {
		t.Errorf("round trip differs:\n%+v\n%+v", c, c2)
	}
}

// A config of before batch_tokens loads: its extraction.batch_size caps the texts of a pass, within the
// default budget; a new one packs by the budget alone.
func TestExtractionBatchSizeStillLoads(t *testing.T) {
	c, err := load(t, "extraction:\n  batch_size: 8\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Extraction.BatchSize != 8 || c.Extraction.BatchTokens != 4096 {
		t.Errorf("extraction %+v: want batch_size 8 kept, batch_tokens 4096", c.Extraction)
	}
	if c, err = load(t, "extraction:\n  batch_tokens: 2048\n"); err != nil || c.Extraction.BatchSize != 0 || c.Extraction.BatchTokens != 2048 {
		t.Errorf("extraction %+v (%v): want batch_tokens 2048, no cap", c.Extraction, err)
	}
}

func TestValidateDefault(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Errorf("Default() is invalid: %v", err)
	}
	c := Default()
	c.Generation.BatchSize = -1
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "generation.batch_size: -1: must be auto or >= 1") {
		t.Errorf("got %v", err)
	}
}

// generation.batch_size is auto (the engine's choice) unless a number is given, and prints as it reads.
func TestSlots(t *testing.T) {
	for yml, want := range map[string]Slots{"": AutoSlots, "generation:\n  batch_size: auto\n": AutoSlots,
		"generation:\n  batch_size: 24\n": 24} {
		c, err := load(t, yml)
		if err != nil {
			t.Fatalf("%q: %v", yml, err)
		}
		if c.Generation.BatchSize != want {
			t.Errorf("%q: batch_size %d, want %d", yml, c.Generation.BatchSize, want)
		}
		out, err := yaml.Marshal(c.Generation)
		if err != nil {
			t.Fatal(err)
		}
		wantLine := "batch_size: auto\n"
		if want != AutoSlots {
			wantLine = fmt.Sprintf("batch_size: %d\n", want)
		}
		if !strings.Contains(string(out), wantLine) {
			t.Errorf("%q: marshalled as\n%s\nwant the line %q", yml, out, wantLine)
		}
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"at ease":        "at-ease",
		"grief-stricken": "grief-stricken",
		"Self-Confident": "self-confident",
		"worn  out ":     "worn-out",
		"../etc/passwd":  "etc-passwd",
		"café":           "café",
		"???":            "x-", // prefix; the rest is a hash
	} {
		got := Slug(in)
		if got != want && !(want == "x-" && strings.HasPrefix(got, "x-") && len(got) == 10) {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
	// All 171 emotions have distinct slugs.
	c, err := Load(filepath.Join("..", "..", "..", "config", "default.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range c.Emotions {
		s := Slug(e)
		if seen[s] || strings.ContainsAny(s, " /\\") {
			t.Errorf("slug %q of %q repeats or is unsafe", s, e)
		}
		seen[s] = true
	}
}

func TestTopicID(t *testing.T) {
	// Golden values: printf '%s' TOPIC | sha256sum | cut -c1-12 (GNU coreutils).
	for topic, want := range map[string]string{
		"A neighbor starts a renovation project":              "1295a29ccd4b",
		"An artist discovers someone has tattooed their work": "1c175b86aded",
	} {
		if got := TopicID(topic); got != want {
			t.Errorf("TopicID(%q) = %s, want %s", topic, got, want)
		}
		if got := TopicID("  " + topic + "\n"); got != want {
			t.Errorf("TopicID ignores surrounding spaces: got %s", got)
		}
	}
}

// TestDumpBrief: long lists are cut with a note of how many items are left out; short ones stay whole.
func TestDumpBrief(t *testing.T) {
	c, err := Parse([]byte("name: brief\ndata:\n  emotions: [happy, sad, afraid, calm, proud]\n  topics: [a walk, a meal]\n"), filepath.Join(t.TempDir(), "brief.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.DumpBrief(3)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"- happy\n", "- afraid # ... and 2 more\n", "- a walk\n", "- a meal\n", "long lists shortened"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("DumpBrief lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "calm") || strings.Contains(string(out), "proud") {
		t.Errorf("DumpBrief kept items past the third:\n%s", out)
	}
}
