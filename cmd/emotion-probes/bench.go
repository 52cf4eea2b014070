package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/engine/hub"
	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/support/bench"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/env"
	"github.com/emotion-probes/emotion-probes/pkg/support/progress"
)

func init() {
	register(command{name: "bench", args: "[--python P] [--llama-bench DIR] [--stage-config C] [--batches 1,8,32,64] [--new-tokens 150] [--extract-rows 8] [--out BENCHMARKS.md]",
		summary: "measure the engine beside transformers and llama.cpp on the same machine and write BENCHMARKS.md", run: runBench})
}

// benchText is what both engines read and continue (tools/reference/bench_transformers.py has the same).
var benchText = strings.Repeat("She opened the letter slowly, her hands shaking, and read the first line twice. "+
	"Outside, the rain kept on, and the kettle began to whistle in the kitchen. ", 12)

func runBench(ctx context.Context, args []string) error {
	fs := newFlags("bench", "Measures the engine on the default model (extraction through layer L of 32 texts of 150 tokens;\n"+
		"generation of N new tokens at several batch sizes; peak resident memory), runs\n"+
		"tools/reference/bench_transformers.py with --python for the same work in transformers, and llama.cpp's own\n"+
		"llama-bench and llama-batched-bench from the build given with --llama-bench on the same GGUF file, and writes\n"+
		"all of them, side by side with ours / the best other, into the engine section of BENCHMARKS.md. With\n"+
		"--stage-config it also runs that config's story stage (continuous batching at the largest batch) and\n"+
		"reports its new tokens/s against the engine's own rate. Medians of --reps runs.")
	shared := addBenchFlags(fs, 32, "engine")
	model, texts, textTokens, layer, reps, out, sectionName := shared.model, shared.texts, shared.textTokens,
		shared.layer, shared.reps, shared.out, shared.section
	extractRows := fs.Int("extract-rows", 8, "texts per extraction pass, for both engines (the pipeline packs passes of "+
		"extraction.batch_tokens, 4096 by default: 27 texts of 150 tokens)")
	backend := fs.String("backend", "", "GoMLX backend (default: go)")
	python := fs.String("python", "", "Python with torch+transformers for the reference (tools/reference/requirements.txt); empty: skip it")
	batchesFlag := fs.String("batches", "1,8,32,64", "generation batch sizes")
	newTokens := fs.Int("new-tokens", 150, "new tokens per sequence")
	llama := fs.String("llama-bench", "", "a llama.cpp build's folder (llama-bench, llama-batched-bench): measure llama.cpp on the same work and file; empty: skip it")
	stageConfig := fs.String("stage-config", "", "also run the story stage of this config at the largest --batches size and report its rate against the engine's (empty: skip)")
	stagePairs := fs.Int("stage-pairs", 16, "(emotion, topic) pairs of --stage-config to run")
	if err := parse(fs, args); err != nil {
		return err
	}
	var batches []int
	for _, s := range strings.Split(*batchesFlag, ",") {
		b, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || b <= 0 {
			return fmt.Errorf("--batches: %q is not a positive integer", s)
		}
		batches = append(batches, b)
	}
	if *extractRows <= 0 {
		return fmt.Errorf("--extract-rows: %d: want at least 1 text per pass", *extractRows)
	}
	m, err := loadModel(*model, *backend)
	if err != nil {
		return err
	}
	resolved := lm.ResolveBackend(orDefault(*backend, lm.DefaultBackend), hub.XLAPluginDirs()...)
	if strings.HasPrefix(resolved, "xla:/") {
		resolved = "xla (CPU plugin)"
	}
	tool := fmt.Sprintf("emotion-probes, GoMLX %s backend", resolved)
	if flags := env.Get(env.XLAFlags); flags != "" && strings.HasPrefix(resolved, "xla") {
		tool += ", XLA_FLAGS=" + flags // e.g. --xla_cpu_use_xnnpack=false: see docs/xla.md
	}
	goFig := bench.EngineFigures{Tool: tool, Generate: map[string]float64{},
		PhasePeakMB: map[string]float64{}}
	loadPeak := bench.PeakRSSMB()

	extract := extraction(m.Model, *texts, *textTokens, *extractRows, *layer)
	bench.ResetPeakRSS()
	if err := extract(); err != nil { // compile and warm up
		return err
	}
	t, err := bench.Median(*reps, extract)
	if err != nil {
		return err
	}
	goFig.Extract = float64(*texts**textTokens) / t
	goFig.PhasePeakMB["extract"] = bench.PeakRSSMB()
	fmt.Fprintf(os.Stderr, "go: extraction %.0f tokens/s\n", goFig.Extract)

	prompt := m.ReadingTokens(benchText)[:20]
	for _, b := range batches {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		prompts, seeds := make([][]int, b), make([]uint64, b)
		for i := range prompts {
			prompts[i], seeds[i] = prompt, uint64(i)
		}
		bench.ResetPeakRSS()
		// No stop tokens: every sequence makes exactly N tokens. The first run compiles the
		// programs for this batch and cache length (as a pipeline does once), and is not timed.
		opts := lm.GenerateOptions{Sampling: lm.Sampling{Temperature: 0.8, TopP: 0.95, TopK: 64}, MaxNewTokens: *newTokens, Seeds: seeds, BatchSize: b}
		if _, err := m.Generate(prompts, opts); err != nil {
			return err
		}
		t, err := bench.Median(max(1, *reps-1), func() error { _, err := m.Generate(prompts, opts); return err })
		if err != nil {
			return err
		}
		goFig.Generate[strconv.Itoa(b)] = float64(b**newTokens) / t
		goFig.PhasePeakMB[strconv.Itoa(b)] = bench.PeakRSSMB()
		fmt.Fprintf(os.Stderr, "go: generation at batch %d: %.1f tokens/s\n", b, goFig.Generate[strconv.Itoa(b)])
	}
	var stage *bench.StageFigures
	if *stageConfig != "" {
		if stage, err = storyStage(ctx, m.Model, *stageConfig, *stagePairs, slices.Max(batches)); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "go: story stage: %.1f new tokens/s\n", stage.Rate())
	}
	goFig.PeakRSSMB = loadPeak
	for _, p := range goFig.PhasePeakMB {
		goFig.PeakRSSMB = max(goFig.PeakRSSMB, p)
	}
	c := m.Config
	perToken := 2 * float64(*layer) * float64(c.HiddenSize*(c.NumHeads+2*c.NumKVHeads)*c.HeadDim+c.NumHeads*c.HeadDim*c.HiddenSize+3*c.HiddenSize*c.IntermediateSize)
	goFig.ExtractGFLOPS = goFig.Extract * perToken / 1e9
	m.Close()

	var refs []bench.EngineFigures
	if *python != "" {
		fmt.Fprintln(os.Stderr, "reference: running transformers on the same work...")
		cmd := exec.CommandContext(ctx, *python, "tools/reference/bench_transformers.py", m.Resolved.Path,
			"--texts", strconv.Itoa(*texts), "--text-tokens", strconv.Itoa(*textTokens), "--layer", strconv.Itoa(*layer),
			"--extract-batch", strconv.Itoa(*extractRows), "--batches", *batchesFlag, "--new-tokens", strconv.Itoa(*newTokens), "--reps", strconv.Itoa(*reps))
		cmd.Stderr = os.Stderr
		outJSON, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("reference run failed: %w", err)
		}
		lines := bytes.Split(bytes.TrimSpace(outJSON), []byte("\n"))
		var ref bench.EngineFigures
		if err := json.Unmarshal(lines[len(lines)-1], &ref); err != nil {
			return fmt.Errorf("reference output: %w", err)
		}
		refs = append(refs, ref)
	}
	if *llama != "" {
		fmt.Fprintln(os.Stderr, "reference: running llama.cpp on the same work...")
		f, err := bench.LlamaCpp(ctx, *llama, m.Resolved.Path, batches, *textTokens, *newTokens, *reps)
		if err != nil {
			return err
		}
		refs = append(refs, *f)
	}
	work := bench.Work{Texts: *texts, TextTokens: *textTokens, ExtractRows: *extractRows, Layer: *layer, NewTokens: *newTokens, Reps: *reps}
	section := bench.EngineSection(goFig, refs, stage, batches, work, m.Resolved.Describe())
	fmt.Print(section)
	return bench.ReplaceSection(*out, *sectionName, section)
}

// storyStage runs the story stage (step 1) of the config at path on its first pairs, with slots
// sequences decoding together, into a scratch folder, and counts the new tokens it drew.
func storyStage(ctx context.Context, m *lm.Model, path string, pairs, slots int) (*bench.StageFigures, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if cfg.Stories.FromCorpus() {
		return nil, fmt.Errorf("--stage-config %s: its stories come from a corpus (stories.source: corpus); give a config whose model writes them, e.g. config/small-generate.yaml", path)
	}
	dir, err := os.MkdirTemp("", "emotion-probes-bench-stage-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cfg.Output.Dir = dir
	cfg.Generation.BatchSize = config.Slots(slots)
	cfg.Emotions = cfg.Emotions[:min(len(cfg.Emotions), max(1, pairs/max(1, len(cfg.Topics))))]
	cfg.Topics = cfg.Topics[:min(len(cfg.Topics), max(1, pairs/len(cfg.Emotions)))]
	eng := &countingEngine{Model: m}
	start := time.Now()
	if _, err := stories.Run(ctx, eng, cfg, generate.Options{ModelID: "bench", Progress: progress.Options{Quiet: true}}); err != nil {
		return nil, err
	}
	return &bench.StageFigures{Config: fmt.Sprintf("%s (%d emotions x %d topics)", path, len(cfg.Emotions), len(cfg.Topics)),
		Slots: slots, Completions: eng.completions, NewTokens: eng.tokens, Seconds: time.Since(start).Seconds(),
		Where: eng.stats.String()}, nil
}

// countingEngine counts what the model generates for a stage, and where the time went.
type countingEngine struct {
	*lm.Model
	completions, tokens int
	stats               lm.StreamStats
}

func (c *countingEngine) Stream(ctx context.Context, next func() (lm.Request, bool), done func(lm.Request, lm.Completion) error, opts lm.GenerateOptions) error {
	opts.Stats = &c.stats
	return c.Model.Stream(ctx, next, func(r lm.Request, out lm.Completion) error {
		c.completions++
		c.tokens += len(out.Tokens)
		return done(r, out)
	}, opts)
}

// benchFlags are the flags bench and bench-quantize share: the model, the extraction benchmark
// (see extraction), the repetitions, and the section of --out they rewrite.
type benchFlags struct {
	model, out, section            *string
	texts, textTokens, layer, reps *int
}

func addBenchFlags(fs *flag.FlagSet, texts int, section string) benchFlags {
	return benchFlags{
		model:      fs.String("model", "default", "model: a .gguf file, a Hugging Face folder or id, or \"default\""),
		texts:      fs.Int("texts", texts, "texts read in the extraction benchmark"),
		textTokens: fs.Int("text-tokens", 150, "tokens per text"),
		layer:      fs.Int("layer", 20, "extraction stops after this layer"),
		reps:       fs.Int("reps", 3, "repetitions (median)"),
		out:        fs.String("out", "BENCHMARKS.md", "file whose section is rewritten"),
		section:    fs.String("section", section, "name of the section of --out to rewrite (one per backend or setting, say)"),
	}
}

// extraction is the extraction benchmark's work: texts of textTokens tokens (benchText, each with
// its own number in front) read through layer by lm.Read, in passes of rows texts whatever their
// length, because tools/reference/bench_transformers.py reads batches of that many and the figures
// are compared.
func extraction(m *lm.Model, texts, textTokens, rows, layer int) func() error {
	var ids [][]int
	for i := range texts {
		t := m.ReadingTokens(strconv.Itoa(i) + benchText)
		ids = append(ids, t[:min(textTokens, len(t))])
	}
	passes := lm.Packing{BatchTokens: rows * lm.ReadLength(textTokens), MaxRows: rows}
	return func() error {
		return lm.Read(context.Background(), m, ids, []int{layer}, passes, func(int, lm.TextStates) error { return nil })
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func init() {
	register(command{name: "bench-quantize", args: "[--model default] [--backends go,auto] [--texts 16] [--out BENCHMARKS.md]",
		summary: "measure memory and speed of model.quantize none/8bit/4bit and write BENCHMARKS.md", run: runBenchQuantize})
}

func runBenchQuantize(ctx context.Context, args []string) error {
	fs := newFlags("bench-quantize", "Loads the model once per backend and model.quantize setting (none, 8bit, 4bit), each in a fresh\n"+
		"process, and measures the weights' memory (the backend's buffers, and the process's resident set before\n"+
		"and after loading) and the extraction speed (texts of --text-tokens through layer --layer, batches of 8;\n"+
		"median of --reps). Writes the figures into the section --section of --out.")
	shared := addBenchFlags(fs, 16, "quantize")
	model, texts, textTokens, layer, reps, out, sectionName := shared.model, shared.texts, shared.textTokens,
		shared.layer, shared.reps, shared.out, shared.section
	backends := fs.String("backends", "go,auto", "backends to measure, comma-separated (auto: XLA's CPU plugin when installed; skipped otherwise)")
	modes := fs.String("quantize", "none,8bit,4bit", "settings to measure")
	one := fs.String("one", "", "internal: measure one backend/quantize pair in this process and print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *one != "" {
		i := strings.LastIndex(*one, "/") // the backend may be a plugin path
		f, err := benchQuantizeOne(*model, (*one)[:max(i, 0)], (*one)[i+1:], *texts, *textTokens, *layer, *reps)
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(f)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var figs []bench.QuantFigures
	seen := map[string]bool{}
	for _, b := range strings.Split(*backends, ",") {
		b = lm.ResolveBackend(strings.TrimSpace(b), hub.XLAPluginDirs()...)
		if seen[b] {
			continue
		}
		seen[b] = true
		for _, q := range strings.Split(*modes, ",") {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(os.Stderr, "bench-quantize: %s, quantize %s...\n", b, q)
			cmd := exec.CommandContext(ctx, self, "bench-quantize", "--one", b+"/"+strings.TrimSpace(q), "--model", *model,
				"--texts", strconv.Itoa(*texts), "--text-tokens", strconv.Itoa(*textTokens), "--layer", strconv.Itoa(*layer),
				"--reps", strconv.Itoa(*reps))
			cmd.Stderr = os.Stderr
			outJSON, err := cmd.Output()
			if err != nil {
				return fmt.Errorf("bench-quantize: %s, quantize %s: %w", b, q, err)
			}
			var f bench.QuantFigures
			if err := json.Unmarshal(outJSON, &f); err != nil {
				return fmt.Errorf("bench-quantize: %s, quantize %s: output %q: %w", b, q, outJSON, err)
			}
			figs = append(figs, f)
		}
	}
	r, err := hub.Resolve(*model, hub.Options{})
	if err != nil {
		return err
	}
	section := bench.QuantizeSection(figs, r.Describe(), *texts, *textTokens, *layer, *reps)
	fmt.Print(section)
	return bench.ReplaceSection(*out, *sectionName, section)
}

// benchQuantizeOne loads the model with one setting and measures it.
func benchQuantizeOne(model, backend, quantize string, texts, textTokens, layer, reps int) (*bench.QuantFigures, error) {
	// Start the backend first (XLA maps its plugin, 260 MB of code), so that the resident set
	// measured around loading holds the weights and not the backend's own start-up.
	b, err := lm.NewBackend(backend)
	if err != nil {
		return nil, err
	}
	defer b.Finalize()
	before := bench.SettledRSSMB()
	m, err := loadModelQuantized(model, backend, quantize)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	f := &bench.QuantFigures{Backend: backend, Quantize: quantize, Stored: m.Quantization(), RSSBeforeMB: before, RSSLoadedMB: bench.SettledRSSMB()}
	if strings.HasPrefix(backend, "xla:/") {
		f.Backend = "xla (CPU plugin)"
	}
	bytes, params := m.WeightBytes()
	f.WeightMB, f.Bits = float64(bytes)/(1<<20), float64(bytes*8)/float64(params)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f.HeapLoadedMB = float64(ms.HeapInuse) / (1 << 20)

	extract := extraction(m.Model, texts, textTokens, 8, min(layer, m.Config.NumLayers))
	if err := extract(); err != nil { // compile and warm up
		return nil, err
	}
	t, err := bench.Median(reps, extract)
	if err != nil {
		return nil, err
	}
	f.Extract = float64(texts*textTokens) / t
	f.PeakMB = bench.PeakRSSMB()
	fmt.Fprintf(os.Stderr, "  %s: %.1f MB of weights (%.2f bits/weight), resident %+.0f MB, %.0f tokens/s\n",
		f.Stored, f.WeightMB, f.Bits, f.RSSLoadedMB-f.RSSBeforeMB, f.Extract)
	return f, nil
}
