// Package config reads the YAML file that describes one run of the emotion-probe pipeline: which model,
// which emotions and topics, and the settings of each stage (stories, activations, vectors, analyses).
//
// It sits at the very start of the flow: the command line and the notebooks call Load, and every later stage
// reads its own section of the returned *Config. Nothing here touches a model.
//
// # The file
//
// Every key is optional; an absent key (or a YAML null) keeps the default. Defaults are the Python tool's
// (temperature 0.8, top_p 0.95, top_k 64, max_new_tokens 2048, token offset 50, seed 42, PCA variance 0.5,
// k-means k 10, UMAP n_neighbors 15 and min_dist 0.1, logit-lens top k 10) and the paper's sizes (171
// emotions x 100 topics x 12 stories). The shipped configs, in config/: tiny (CI smoke test, minutes on 2
// CPU cores), small (the README's example: the written corpus, 171 emotions, about 11 minutes), small-generate (the
// paper's protocol at a small scale: the model writes its own stories), medium (20 emotions), default (the
// paper's 171).
//
//	name: tiny                       # default: the file's name; fills {name} in output.dir
//	model:
//	  name: default                  # .gguf file | HF folder | HF id "org/name" | default (SmolLM2-135M-Instruct)
//	  backend: go                    # auto | go | xla:cpu | xla:cuda | xla:/abs/path/plugin.so
//	                                 # auto: XLA's CPU plugin when kernel-setup/xla-cpu.sh installed it, else go
//	  quantize: none                 # none (or null) | 8bit | 4bit
//	  dtype: float32                 # float32 | bfloat16
//	data:
//	  emotions_file: data/emotions_171.txt   # one per line; '#' lines and blank lines skipped
//	  topics_file: data/topics_100.txt
//	  emotions: [happy, sad]         # optional subset of emotions_file, in this order
//	  topics: ["A train is late"]    # optional explicit topics (then topics_file is not read)
//	  n_emotions: 0                  # optional: keep the first N (0 = all)
//	  n_topics: 0
//	  synonyms_file: synonyms.yaml   # emotion: [word, ...] banned from its stories; "" = none
//	stories:
//	  source: generate               # generate (the model writes them) | corpus (read from corpus)
//	  corpus: data/corpus/stories    # JSONL or CSV file, or a folder of them (source: corpus only)
//	  writer: ""                     # a model that writes in place of model.name (source: generate only)
//	neutral:                         # the same three keys, for the neutral dialogues
//	  source: generate
//	generation:
//	  stories_per_topic: 12          # >= 1
//	  stories_per_completion: 1      # 1 .. stories_per_topic
//	  neutral_per_topic: 12          # >= 0
//	  temperature: 0.8               # [0, 5]; 0 = greedy
//	  top_p: 0.95                    # (0, 1]
//	  top_k: 64                      # >= 0; 0 = off
//	  max_new_tokens: 2048           # [1, 32768]; a completion cut here is redrawn
//	  batch_size: auto               # auto | >= 1: slots of continuous batching (auto: from the free memory)
//	  max_attempts: 3                # >= 1 draws per wanted text
//	  seed: 42
//	extraction:
//	  layers: auto                   # auto = [int(2/3 * n_layers)] | 20 | [10, 20] (hidden_states indices)
//	  token_offset: 50               # >= 0, per text, counted from the first real token
//	  batch_tokens: 4096             # >= 16: rows x padded length of a pass (texts packed by length)
//	  batch_size: 0                  # >= 0: at most this many texts a pass; 0 = no cap
//	  neutral_per_token: false
//	vectors:
//	  pca_variance_threshold: 0.5    # [0, 1]; 0 projects nothing out
//	analysis:
//	  kmeans_k: 10                   # 1 .. number of emotions (lowered to it when not set)
//	  kmeans_metric: cosine          # cosine | euclidean
//	  kmeans_restarts: 10            # >= 1
//	  umap_n_neighbors: 15           # 2 .. emotions - 1 (lowered to it when not set)
//	  umap_min_dist: 0.1             # [0, 1]
//	  logit_lens_top_k: 10           # >= 1
//	  seed: 42
//	validation:
//	  layers: auto                   # layer sweep: auto = ~10 layers spread over the model | [5, 10, 15]
//	  test_fraction: 0.2             # (0, 1): share of topics held out
//	  ratings_file: data/ratings_warriner2013.tsv   # human valence/arousal ratings; "" = skip
//	  folds: 5                       # >= 2: k of the k-fold cross-validations (by story, by topic)
//	  permutations: 100              # >= 0 label shuffles of the permutation null; 0 = none
//	  bootstrap: 1000                # >= 2 resamples for confidence intervals
//	  seed: 42
//	output:
//	  dir: ../runs/{name}
//
// # Paths
//
// Relative paths (list files, output.dir, a local model.name) resolve against the directory that holds the
// config file, so config/tiny.yaml finds config/data/emotions_171.txt as "data/emotions_171.txt" and writes
// to runs/tiny at the repository root, from any working directory. Config.Path resolves one path;
// Config.Resolved and Config.Dump give the whole config with absolute paths and the emotion and topic lists
// written out: a self-contained record of the run.
//
// # Errors
//
// Load reports every problem it finds at once, as Problems; each names the file, line and key, the value,
// and the rule or the fix:
//
//	config/tiny.yaml:7: unknown key "temprature" in generation (did you mean "temperature"?); valid keys: ...
//	config/tiny.yaml:9: generation.top_p: 1.5: must be in (0, 1] (1 disables nucleus sampling)
//	config/tiny.yaml:12: data.emotions[1]: unknown emotion "hapy" (close: happy); the valid names are the lines of ...
//
// # Names
//
// Emotion words may hold spaces and hyphens ("at ease", "grief-stricken"): use Slug before putting one in a
// path. Topics are sentences: TopicID gives a short stable hex name.
package config
