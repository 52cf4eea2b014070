package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/method/activations"
	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/method/geometry"
	"github.com/emotion-probes/emotion-probes/pkg/method/logitlens"
	"github.com/emotion-probes/emotion-probes/pkg/method/neutral"
	"github.com/emotion-probes/emotion-probes/pkg/method/report"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/env"
	"github.com/emotion-probes/emotion-probes/pkg/support/progress"
	"github.com/emotion-probes/emotion-probes/pkg/support/workers"
)

// The method's stages, one command each; run-all chains them.

func init() {
	register(command{name: "run-all", args: "--config C [--force] [--shard i/n]", summary: "every stage in order; a rerun resumes where it stopped", run: runAll})
	register(command{name: "generate-stories", args: "--config C [--force] [--shard i/n]", summary: "step 1: stories that show each emotion without naming it", run: stageCmd(genStories)})
	register(command{name: "generate-neutral", args: "--config C [--force] [--shard i/n]", summary: "step 2: emotionally neutral Human/Assistant dialogues", run: stageCmd(genNeutral)})
	register(command{name: "extract-activations", args: "--config C [--source stories|neutral|both] [--force] [--shard i/n]", summary: "step 3: read the texts back; mean residual stream per story, per emotion, per dialogue", run: stageCmd(extract)})
	register(command{name: "compute-vectors", args: "--config C [--force]", summary: "step 4: emotion vectors: means minus their average, neutral PCs projected out", run: stageCmd(computeVectors)})
	register(command{name: "analyze", args: "--config C [--force] [--layers L,...]", summary: "step 5: cosine similarity, PCA (valence, arousal), k-means, UMAP", run: stageCmd(analyze)})
	register(command{name: "logit-lens", args: "--config C [--emotions a,b] [--top-k K]", summary: "step 6: the tokens each vector promotes and suppresses, through the final norm", run: stageCmd(logitLens)})
	register(command{name: "visualize", args: "--config C", summary: "figures: heatmap, PCA scatter, UMAP, logit-lens table (PNG + HTML)", run: stageCmd(visualize)})
}

// stageFlags are the flags every stage takes.
type stageFlags struct {
	config string
	force  bool
	shard  string
	quiet  bool
	fs     *flag.FlagSet
}

func newStageFlags(name, synopsis string) *stageFlags {
	s := &stageFlags{fs: newFlags(name, synopsis)}
	s.fs.StringVar(&s.config, "config", "", "config file (YAML), e.g. config/small.yaml")
	s.fs.BoolVar(&s.force, "force", false, "discard this stage's earlier outputs and start over")
	s.fs.StringVar(&s.shard, "shard", "", "i/n: do only shard i of n of the work (default: $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX\n"+
		"of $EMOTION_PROBES_NUM_SHARDS (Slurm falls back to $SLURM_ARRAY_TASK_COUNT), else all of it)")
	s.fs.BoolVar(&s.quiet, "quiet", false, "no progress bar")
	return s
}

// shardOf parses --shard, falling back to the batch schedulers' variables.
func shardOf(flagValue string) (int, int, error) {
	parse := func(i, n, where string) (int, int, error) {
		a, err1 := strconv.Atoi(strings.TrimSpace(i))
		b, err2 := strconv.Atoi(strings.TrimSpace(n))
		if err1 != nil || err2 != nil || b < 1 || a < 0 || a >= b {
			return 0, 0, fmt.Errorf("%s: want shard i of n with 0 <= i < n, got %q of %q", where, i, n)
		}
		return a, b, nil
	}
	if flagValue != "" {
		i, n, ok := strings.Cut(flagValue, "/")
		if !ok {
			return 0, 0, fmt.Errorf("--shard %q: write it as i/n, e.g. 0/4", flagValue)
		}
		return parse(i, n, "--shard")
	}
	i, n, _, err := env.SchedulerShard()
	return i, n, err
}

// stageRun is what a stage needs: the config, the parsed flags, and the model loaded on demand.
type stageRun struct {
	ctx          context.Context
	cfg          *config.Config
	force        bool
	shard, count int
	progress     progress.Options
	model        *loadedModel
	writer       *namedModel      // stories.writer or neutral.writer, when set
	lock         *checkpoint.Lock // this run's (or shard's) hold on output.dir
}

func (r *stageRun) loadModel() (*loadedModel, error) {
	if r.model == nil {
		m, err := loadConfigModel(r.cfg)
		if err != nil {
			return nil, err
		}
		r.model = m
	}
	return r.model, nil
}

// writerModel loads the model that writes the texts of t (stories.writer or neutral.writer), or the
// config's model when t has no writer of its own. A corpus source needs only the reading model's tokenizer.
func (r *stageRun) writerModel(t config.Texts) (*loadedModel, error) {
	if t.Writer == "" || t.FromCorpus() {
		return r.loadModel()
	}
	name := r.cfg.WriterName(t)
	if r.writer == nil || r.writer.name != name {
		if r.writer != nil {
			r.writer.Close()
		}
		m, err := loadModelQuantized(name, r.cfg.Model.Backend, r.cfg.Model.Quantize)
		if err != nil {
			return nil, fmt.Errorf("the writer model %q (stories.writer or neutral.writer): %w", name, err)
		}
		r.writer = &namedModel{loadedModel: m, name: name}
	}
	return r.writer.loadedModel, nil
}

// namedModel is a writer model and the name it was loaded by.
type namedModel struct {
	*loadedModel
	name string
}

func (r *stageRun) close() {
	r.lock.Release()
	if r.model != nil {
		r.model.Close()
	}
	if r.writer != nil {
		r.writer.Close()
	}
}

type stageFunc struct {
	name, synopsis string
	extra          func(fs *flag.FlagSet) func(r *stageRun) error // adds flags; returns the stage body
}

// stageCmd turns a stage definition into a command.
func stageCmd(def stageFunc) func(ctx context.Context, args []string) error {
	return func(ctx context.Context, args []string) error {
		sf := newStageFlags(def.name, def.synopsis)
		body := def.extra(sf.fs)
		if err := parse(sf.fs, args); err != nil {
			return err
		}
		r, err := newStageRun(ctx, sf)
		if err != nil {
			return err
		}
		defer r.close()
		return timed(def.name, func() error { return body(r) })
	}
}

func newStageRun(ctx context.Context, sf *stageFlags) (*stageRun, error) {
	cfg, err := loadConfig(sf.config)
	if err != nil {
		return nil, err
	}
	i, n, err := shardOf(sf.shard)
	if err != nil {
		return nil, err
	}
	lock, err := lockOutput(cfg, i, n)
	if err != nil {
		return nil, err
	}
	return &stageRun{ctx: ctx, cfg: cfg, force: sf.force, shard: i, count: n, lock: lock,
		progress: progress.Options{Quiet: sf.quiet}}, nil
}

// lockOutput takes output.dir's lock for shard i of n (see checkpoint.Acquire): one run per folder, or one
// process per shard.
func lockOutput(cfg *config.Config, i, n int) (*checkpoint.Lock, error) {
	return checkpoint.Acquire(cfg.OutputDir(), checkpoint.LockName(i, n), func(msg string) {
		fmt.Fprintf(os.Stderr, "warning: %s\n", msg)
	})
}

func timed(name string, fn func() error) error {
	start := time.Now()
	err := fn()
	if err == nil {
		fmt.Fprintf(os.Stderr, "%s: done in %s\n", name, progress.FormatDuration(time.Since(start)))
	}
	return err
}

var genStories = stageFunc{
	name:     "generate-stories",
	synopsis: "Step 1: for each (emotion, topic) the model (or stories.writer) writes short stories in which a\ncharacter feels the emotion without it being named; each is checked (no emotion word or synonym, no\npreamble, long enough, no duplicate) and topped up until each pair has its stories. With\nstories.source: corpus the stories are read from stories.corpus instead, each row passing the same\nchecks. Writes <output.dir>/stories/.",
	extra: func(*flag.FlagSet) func(*stageRun) error {
		return func(r *stageRun) error {
			m, err := r.writerModel(r.cfg.Stories)
			if err != nil {
				return err
			}
			sum, err := stories.Run(r.ctx, m, r.cfg, generate.Options{Force: r.force, ModelID: m.SHA256, Shard: r.shard, NumShards: r.count, Progress: r.progress})
			if sum != nil {
				fmt.Fprintln(os.Stderr, sum.String())
			}
			return err
		}
	},
}

var genNeutral = stageFunc{
	name:     "generate-neutral",
	synopsis: "Step 2: emotionally neutral Human/Assistant dialogues on the same topics (code, facts, how-to),\nchecked for structure and for emotional words. Writes <output.dir>/neutral/.",
	extra: func(*flag.FlagSet) func(*stageRun) error {
		return func(r *stageRun) error {
			m, err := r.writerModel(r.cfg.Neutral)
			if err != nil {
				return err
			}
			sum, err := neutral.Run(r.ctx, m, r.cfg, generate.Options{Force: r.force, ModelID: m.SHA256, Shard: r.shard, NumShards: r.count, Progress: r.progress})
			if sum != nil {
				fmt.Fprintln(os.Stderr, sum.String())
			}
			return err
		}
	},
}

var extract = stageFunc{
	name: "extract-activations",
	synopsis: "Step 3: reads each story and dialogue back (raw text, BOS first) and averages the residual stream\n" +
		"after block L (hidden_states[L]) over positions from extraction.token_offset on, per text; then per\n" +
		"emotion (each story weighs the same). Writes <output.dir>/activations/.",
	extra: func(fs *flag.FlagSet) func(*stageRun) error {
		source := fs.String("source", "both", "which texts: stories, neutral or both")
		return func(r *stageRun) error {
			m, err := r.loadModel()
			if err != nil {
				return err
			}
			sum, err := activations.Run(r.ctx, m.Model, r.cfg, activations.Options{Source: *source, Force: r.force, ModelID: m.SHA256,
				Shard: r.shard, NumShards: r.count, Progress: r.progress})
			if sum != nil {
				fmt.Fprintln(os.Stderr, sum.String())
			}
			return err
		}
	},
}

var computeVectors = stageFunc{
	name: "compute-vectors",
	synopsis: "Step 4: raw vector = emotion mean - mean over emotions; the neutral dialogues' top principal\n" +
		"components (explaining vectors.pca_variance_threshold of their variance) are projected out.\n" +
		"Writes <output.dir>/vectors/ (safetensors, readable from Python).",
	extra: func(*flag.FlagSet) func(*stageRun) error {
		return func(r *stageRun) error {
			sum, err := vectors.Run(r.cfg, vectors.Options{Force: r.force})
			if sum != nil {
				fmt.Fprintln(os.Stderr, sum.String())
			}
			return err
		}
	},
}

// layersFlag parses "20,25" into layer indices; empty means the default layer.
func layersFlag(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		l, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || l < 0 {
			return nil, fmt.Errorf("--layers: %q is not a layer index", f)
		}
		out = append(out, l)
	}
	return out, nil
}

var analyze = stageFunc{
	name: "analyze",
	synopsis: "Step 5: the geometry of the emotion vectors: cosine similarity (in clustered order), PCA with PC1\n" +
		"oriented so that pleasant emotions score positive (decided from the data), k-means, and UMAP.\n" +
		"Writes <output.dir>/analysis/layer_L/.",
	extra: func(fs *flag.FlagSet) func(*stageRun) error {
		layers := fs.String("layers", "", "layers to analyse, e.g. 15,20 (default: the vectors' default layer)")
		return func(r *stageRun) error {
			ls, err := layersFlag(*layers)
			if err != nil {
				return err
			}
			res, err := geometry.Run(r.cfg, geometry.Options{Force: r.force, Layers: ls})
			for _, x := range res {
				fmt.Fprintln(os.Stderr, geometry.Summary(x))
			}
			return err
		}
	},
}

var logitLens = stageFunc{
	name: "logit-lens",
	synopsis: "Step 6: each emotion vector through the model's final norm and unembedding: the tokens it\n" +
		"promotes most and least. Writes <output.dir>/logit_lens/.",
	extra: func(fs *flag.FlagSet) func(*stageRun) error {
		emotions := fs.String("emotions", "", "only these emotions, comma-separated (default: all)")
		topK := fs.Int("top-k", 0, "tokens at each end (default: analysis.logit_lens_top_k)")
		keepSpecial := fs.Bool("keep-special", false, "keep special tokens such as <|im_start|>")
		keepUnreadable := fs.Bool("keep-unreadable", false, "keep tokens that are not readable text (bytes, whitespace, punctuation)")
		return func(r *stageRun) error {
			m, err := r.loadModel()
			if err != nil {
				return err
			}
			var only []string
			for _, e := range strings.Split(*emotions, ",") {
				if e = strings.TrimSpace(e); e != "" {
					only = append(only, e)
				}
			}
			res, err := logitlens.Run(m, m.Tokenizer, r.cfg, logitlens.Options{Force: r.force, Emotions: only, TopK: *topK,
				Filter: logitlens.Filter{KeepSpecial: *keepSpecial, KeepUnreadable: *keepUnreadable}, ModelID: m.SHA256})
			for _, x := range res {
				fmt.Fprintln(os.Stderr, logitlens.Markdown(x))
			}
			return err
		}
	},
}

var visualize = stageFunc{
	name:     "visualize",
	synopsis: "Draws the figures of the analysis into <output.dir>/figures/: each as a PNG and a self-contained\ninteractive HTML page (no network needed), with an index.html.",
	extra: func(*flag.FlagSet) func(*stageRun) error {
		return func(r *stageRun) error {
			files, err := report.Run(r.cfg, report.Options{})
			if err == nil {
				fmt.Fprintf(os.Stderr, "wrote %d files; open %s\n", len(files), filepath.Join(r.cfg.OutputDir(), "figures", "index.html"))
			}
			return err
		}
	},
}

// runAll chains the stages; each one skips what is already done.
func runAll(ctx context.Context, args []string) error {
	sf := newStageFlags("run-all", "Runs every stage in order: stories, neutral dialogues, activations, vectors, analysis, logit lens,\n"+
		"figures. Each stage resumes from its checkpoints, so rerunning after an interruption continues.\n"+
		"With --gpus N (or --workers N) it starts N local workers, each running its shard i/N of the\n"+
		"generation and extraction (worker i sees only GPU i), then runs the merge stages once.")
	gpus := sf.fs.Int("gpus", 0, "start this many local workers, one per GPU (CUDA_VISIBLE_DEVICES=i)")
	only := sf.fs.String("stages", "", "run only these stages, comma-separated (default: all, in order)")
	workers := sf.fs.Int("workers", 0, "start this many local workers sharing the machine (no GPU pinning)")
	if err := parse(sf.fs, args); err != nil {
		return err
	}
	if n := max(*gpus, *workers); n > 1 {
		if sf.shard != "" {
			return fmt.Errorf("--gpus/--workers start their own shards; do not combine them with --shard")
		}
		if sf.force {
			return fmt.Errorf("--force cannot be combined with --gpus/--workers: each worker would discard the others' outputs; " +
				"delete the stage folders under output.dir (or use another output.dir) and run again")
		}
		// Two phases: a worker's activations need stories that other shards write, so every worker
		// finishes generating before any starts reading.
		for _, phase := range []string{"generate-stories,generate-neutral", "extract-activations"} {
			if err := runWorkers(ctx, args, n, *gpus > 1, phase); err != nil {
				return err
			}
		}
	}
	r, err := newStageRun(ctx, sf)
	if err != nil {
		return err
	}
	defer r.close()
	selected, err := selectStages(*only)
	if err != nil {
		return err
	}
	for _, st := range pipeline {
		if (max(*gpus, *workers) > 1 && !merging(st.name)) || !selected[st.name] {
			continue // done by the workers, or not asked for
		}
		body := st.extra(flag.NewFlagSet(st.name, flag.ContinueOnError))
		fmt.Fprintf(os.Stderr, "== %s\n", st.name)
		if err := timed(st.name, func() error { return body(r) }); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		if r.count > 1 && st.name == "extract-activations" {
			fmt.Fprintf(os.Stderr, "shard %d/%d done; the merge stages (compute-vectors onwards) run once all shards have finished\n", r.shard, r.count)
			return nil
		}
	}
	return nil
}

// pipeline is run-all's order.
var pipeline = []stageFunc{genStories, genNeutral, extract, computeVectors, analyze, logitLens, visualize}

// selectStages parses --stages; empty selects them all.
func selectStages(list string) (map[string]bool, error) {
	sel := make(map[string]bool)
	var names []string
	for _, st := range pipeline {
		names = append(names, st.name)
		sel[st.name] = list == ""
	}
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if _, ok := sel[s]; !ok {
			return nil, fmt.Errorf("--stages: unknown stage %q; stages: %s", s, strings.Join(names, ", "))
		}
		sel[s] = true
	}
	return sel, nil
}

// merging says whether a stage reads every shard's output (and so runs once, after the workers).
func merging(stage string) bool {
	switch stage {
	case "compute-vectors", "analyze", "logit-lens", "visualize":
		return true
	}
	return false
}

// runWorkers runs `run-all --shard i/n` in n subprocesses of this binary (package workers) and waits
// for all of them.
func runWorkers(ctx context.Context, args []string, n int, pinGPU bool, stages string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var keep []string // the flags, without --gpus/--workers
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := strings.TrimLeft(strings.SplitN(a, "=", 2)[0], "-")
		if name == "gpus" || name == "workers" || name == "stages" {
			if !strings.Contains(a, "=") {
				i++
			}
			continue
		}
		keep = append(keep, a)
	}
	opts := workers.Options{
		Args: func(i int) []string {
			return append(append([]string{"run-all"}, keep...), "--quiet", "--stages", stages, "--shard", fmt.Sprintf("%d/%d", i, n))
		},
		Redo: func(i int) string {
			return fmt.Sprintf("rerun it alone with `emotion-probes run-all --config ... --shard %d/%d`, then run-all again to merge", i, n)
		},
	}
	if pinGPU {
		opts.Env = func(i int) []string { return []string{fmt.Sprintf("CUDA_VISIBLE_DEVICES=%d", i)} }
	}
	return workers.Run(ctx, self, n, opts)
}
