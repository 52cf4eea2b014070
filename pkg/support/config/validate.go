package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Validate checks every value against its rule and returns all violations as Problems, each with the value,
// the rule, and (for a loaded file) the line. Checks that need the emotion count (kmeans_k, umap_n_neighbors)
// run only once Emotions is filled (LoadLists); umap_n_neighbors is checked only for 3 or more emotions.
func (c *Config) Validate() error {
	var ps Problems
	bad := func(key, format string, args ...any) { ps = append(ps, c.problemf(key, format, args...)) }
	oneOf := func(key, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		bad(key, "%q is not one of: %s", v, strings.Join(allowed, ", "))
	}
	atLeast := func(key string, v, lo int) {
		if v < lo {
			bad(key, "%d: must be >= %d", v, lo)
		}
	}

	if !nameRE.MatchString(c.Name) {
		bad("name", "%q: use letters, digits, '.', '_' and '-' only (it names the run directory)", c.Name)
	}

	// model
	if strings.TrimSpace(c.Model.Name) == "" {
		bad("model.name", `empty: give a .gguf file, a Hugging Face folder or id ("org/name"), or "default"`)
	}
	switch b := c.Model.Backend; {
	case b == "auto" || b == "go" || b == "xla:cpu" || b == "xla:cuda":
	case strings.HasPrefix(b, "xla:/"):
		if !strings.HasSuffix(b, ".so") {
			bad("model.backend", "%q: a plugin path must name a PJRT plugin file ending in .so", b)
		}
	case strings.HasPrefix(b, "xla:") && strings.Contains(b, "/"):
		bad("model.backend", "%q: a plugin path must be absolute (xla:/abs/path/pjrt_c_api_cuda_plugin.so)", b)
	default:
		bad("model.backend", `%q is not one of: auto, go, xla:cpu, xla:cuda, xla:/abs/path/plugin.so`, b)
	}
	oneOf("model.quantize", c.Model.Quantize, "none", "8bit", "4bit")
	oneOf("model.dtype", c.Model.DType, "float32", "bfloat16")

	// data
	if c.Data.NEmotions < 0 {
		bad("data.n_emotions", "%d: must be >= 0 (0 keeps all)", c.Data.NEmotions)
	}
	if c.Data.NTopics < 0 {
		bad("data.n_topics", "%d: must be >= 0 (0 keeps all)", c.Data.NTopics)
	}

	// stories, neutral
	for _, t := range []struct {
		key string
		v   Texts
	}{{"stories", c.Stories}, {"neutral", c.Neutral}} {
		oneOf(t.key+".source", t.v.Source, SourceGenerate, SourceCorpus)
		switch {
		case t.v.FromCorpus() && t.v.Corpus == "":
			bad(t.key+".corpus", "empty, but %s.source is corpus: give a JSONL or CSV file, or a folder of them "+
				"(the project ships config/data/corpus)", t.key)
		case t.v.FromCorpus():
			if _, err := os.Stat(c.Path(t.v.Corpus)); err != nil {
				bad(t.key+".corpus", "%q: no such file or folder (looked for %s)", t.v.Corpus, c.Path(t.v.Corpus))
			}
		case t.v.Corpus != "":
			bad(t.key+".corpus", "%q is set but %s.source is %q: set %s.source: corpus to read it", t.v.Corpus, t.key, t.v.Source, t.key)
		}
		if t.v.FromCorpus() && t.v.Writer != "" {
			bad(t.key+".writer", "%q is set but %s.source is corpus: a writer only writes generated texts", t.v.Writer, t.key)
		}
	}

	// generation
	g := c.Generation
	atLeast("generation.stories_per_topic", g.StoriesPerTopic, 1)
	atLeast("generation.stories_per_completion", g.StoriesPerCompletion, 1)
	if g.StoriesPerCompletion > g.StoriesPerTopic && g.StoriesPerTopic >= 1 {
		bad("generation.stories_per_completion", "%d: must be <= stories_per_topic (%d)", g.StoriesPerCompletion, g.StoriesPerTopic)
	}
	atLeast("generation.neutral_per_topic", g.NeutralPerTopic, 0)
	if g.Temperature < 0 || g.Temperature > 5 {
		bad("generation.temperature", "%g: must be in [0, 5] (0 = greedy)", g.Temperature)
	}
	if g.TopP <= 0 || g.TopP > 1 {
		bad("generation.top_p", "%g: must be in (0, 1] (1 disables nucleus sampling)", g.TopP)
	}
	atLeast("generation.top_k", g.TopK, 0)
	if g.MaxNewTokens < 1 || g.MaxNewTokens > 32768 {
		bad("generation.max_new_tokens", "%d: must be in [1, 32768]", g.MaxNewTokens)
	}
	if g.BatchSize < 0 {
		bad("generation.batch_size", "%d: must be auto or >= 1", g.BatchSize)
	}
	atLeast("generation.max_attempts", g.MaxAttempts, 1)

	// extraction
	e := c.Extraction
	if !e.Layers.Auto {
		if len(e.Layers.Indices) == 0 {
			bad("extraction.layers", "empty: give layer indices or auto")
		}
		seen := map[int]bool{}
		for i, x := range e.Layers.Indices {
			key := fmt.Sprintf("extraction.layers[%d]", i)
			if c.lines[key] == 0 {
				key = "extraction.layers"
			}
			if x < 0 {
				bad(key, "%d: must be >= 0 (0 = embeddings, n_layers = last block's output)", x)
			}
			if seen[x] {
				bad(key, "layer %d listed twice", x)
			}
			seen[x] = true
		}
	}
	atLeast("extraction.token_offset", e.TokenOffset, 0)
	if e.BatchTokens < 16 {
		bad("extraction.batch_tokens", "%d: must be >= 16, one text of the shortest padded length (the default is 4096)", e.BatchTokens)
	}
	atLeast("extraction.batch_size", e.BatchSize, 0)

	// vectors
	if t := c.Vectors.PCAVarianceThreshold; t < 0 || t > 1 {
		bad("vectors.pca_variance_threshold", "%g: must be in [0, 1] (0 projects nothing out)", t)
	}

	// analysis
	a := c.Analysis
	atLeast("analysis.kmeans_k", a.KMeansK, 1)
	oneOf("analysis.kmeans_metric", a.KMeansMetric, "cosine", "euclidean")
	atLeast("analysis.kmeans_restarts", a.KMeansRestarts, 1)
	atLeast("analysis.umap_n_neighbors", a.UMAPNeighbors, 2)
	if a.UMAPMinDist < 0 || a.UMAPMinDist > 1 {
		bad("analysis.umap_min_dist", "%g: must be in [0, 1] (UMAP's spread is 1)", a.UMAPMinDist)
	}
	atLeast("analysis.logit_lens_top_k", a.LogitLensTopK, 1)
	if n := len(c.Emotions); n > 0 {
		if a.KMeansK > n {
			bad("analysis.kmeans_k", "%d: must be <= the number of emotions (%d)", a.KMeansK, n)
		}
		// With fewer than 3 emotions there is no UMAP to draw; the analysis skips it.
		if n >= 3 && a.UMAPNeighbors >= n {
			bad("analysis.umap_n_neighbors", "%d: must be < the number of emotions (%d); use at most %d", a.UMAPNeighbors, n, n-1)
		}
	}

	// validation
	v := c.Validation
	if !v.Layers.Auto {
		for i, x := range v.Layers.Indices {
			if x < 0 {
				key := fmt.Sprintf("validation.layers[%d]", i)
				if c.lines[key] == 0 {
					key = "validation.layers"
				}
				bad(key, "%d: must be >= 0 (0 = embeddings, n_layers = last block's output)", x)
			}
		}
	}
	if v.TestFraction <= 0 || v.TestFraction >= 1 {
		bad("validation.test_fraction", "%g: must be in (0, 1) (0.2 holds out a fifth of the topics)", v.TestFraction)
	}
	atLeast("validation.bootstrap", v.Bootstrap, 2)
	atLeast("validation.folds", v.Folds, 2)
	atLeast("validation.permutations", v.Permutations, 0)

	// output
	if c.Output.Dir == "" {
		bad("output.dir", `empty: give the run directory, e.g. "../runs/{name}"`)
	} else if filepath.Clean(c.OutputDir()) == filepath.Clean(c.dirOrDot()) {
		bad("output.dir", "%q is the config's own directory; give a directory of its own, e.g. \"../runs/{name}\"", c.Output.Dir)
	}

	return ps.errOrNil()
}

func (c *Config) dirOrDot() string {
	if c.Dir == "" {
		return c.Path(".")
	}
	return c.Dir
}
