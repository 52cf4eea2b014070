// Package bench measures the project's speed and memory and writes the figures into BENCHMARKS.md, one
// section per command (`emotion-probes bench`, `bench-quantize`, `bench-workers`), each section rewritten in
// place by the command named in it. The commands run the work; this package times it (medians), reads the
// process's memory from /proc, and formats the tables, with the reference tool's figures from the same run
// beside ours wherever there is one.
package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

// EngineFigures are one tool's figures in `emotion-probes bench` (ours, or transformers' from
// tools/reference/bench_transformers.py, which prints the same JSON).
type EngineFigures struct {
	Tool          string             `json:"tool"`
	Extract       float64            `json:"extract_tokens_per_s"`
	Generate      map[string]float64 `json:"generate_tokens_per_s"`
	PeakRSSMB     float64            `json:"peak_rss_mb"`       // the whole run, loading included
	PhasePeakMB   map[string]float64 `json:"phase_peak_rss_mb"` // each phase's own: "extract", "1", "8", ...
	SgemmGFLOPS   float64            `json:"sgemm_gflops"`
	ExtractGFLOPS float64            `json:"-"`
	Note          string             `json:"-"` // how the tool's figures were taken, printed under the table
}

// Work is what the engine benchmark measures, the same for every tool: Texts texts of TextTokens tokens
// read through Layer in batches of ExtractRows, and NewTokens generated per sequence; medians of Reps runs.
type Work struct {
	Texts, TextTokens, ExtractRows, Layer, NewTokens, Reps int
}

// Median runs fn reps times and returns the median of its wall times, in seconds.
func Median(reps int, fn func() error) (float64, error) {
	var ts []float64
	for range reps {
		start := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		ts = append(ts, time.Since(start).Seconds())
	}
	slices.Sort(ts)
	return ts[len(ts)/2], nil
}

// ResetPeakRSS restarts the peak resident set (VmHWM) from the current one (Linux clear_refs 5),
// so that a phase's own peak can be read after it: a process keeps the programs compiled and the
// memory freed by earlier phases, and the whole-run peak alone would hide which phase needs what.
func ResetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// PeakRSSMB reads the process's peak resident set (VmHWM) from /proc.
func PeakRSSMB() float64 { return procStatusMB("VmHWM:") }

// procStatusMB reads one kB field of /proc/self/status ("VmHWM:", "VmRSS:") in MB.
func procStatusMB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseFloat(strings.Fields(rest)[0], 64)
			return kb / 1024
		}
	}
	return 0
}

// SettledRSSMB is the resident set (VmRSS) after a garbage collection that returns freed memory to
// the system, so that buffers dropped while loading are not counted.
func SettledRSSMB() float64 {
	runtime.GC()
	debug.FreeOSMemory()
	return procStatusMB("VmRSS:")
}

// machine is the line every section opens with: when, by which command, on what.
func machine(command, model string) string {
	load, _ := os.ReadFile("/proc/loadavg")
	avg := "unknown"
	if f := strings.Fields(string(load)); len(f) >= 3 {
		avg = strings.Join(f[:3], " ")
	}
	return fmt.Sprintf("Measured %s by `%s` on %s; %d CPU cores; load average at the end: %s.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), command, model, runtime.NumCPU(), avg)
}

// EngineSection is the engine section of BENCHMARKS.md: g (ours) beside each reference tool run on the same
// work in the same sitting (transformers, llama.cpp; none when not run), with the ratio of ours to the best
// of them on each row. stage, when not nil, adds the story stage's rate (see StageFigures).
func EngineSection(g EngineFigures, refs []EngineFigures, stage *StageFigures, batches []int, w Work, model string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Engine: %s\n\n%s", g.Tool, machine("emotion-probes bench", model))
	fmt.Fprintf(&b, "Medians of %d runs. Extraction: %d texts of %d tokens through layer %d, batches of %d. Generation: %d new\n"+
		"tokens per sequence (temperature 0.8, top-p 0.95, top-k 64), prompt of 20 tokens.\n\n", w.Reps, w.Texts, w.TextTokens, w.Layer,
		w.ExtractRows, w.NewTokens)
	if len(refs) == 0 {
		refs = []EngineFigures{{Tool: "transformers (not run: pass --python)"}}
	}
	b.WriteString("| | " + g.Tool)
	for _, r := range refs {
		b.WriteString(" | " + r.Tool)
	}
	b.WriteString(" | ours / best other | peak MB, ours")
	for range refs {
		b.WriteString(" | peak MB")
	}
	b.WriteString(" |\n|---|---|" + strings.Repeat("---|", 2*len(refs)+2) + "\n")
	num := func(v float64, format string) string {
		if v == 0 {
			return "-"
		}
		return fmt.Sprintf(format, v)
	}
	// row writes one line; of gives a tool's figure, phase names its peak memory ("" for none).
	row := func(label string, of func(EngineFigures) float64, phase string, lowerIsBetter bool) {
		ours := of(g)
		best := 0.0
		fmt.Fprintf(&b, "| %s | %s", label, num(ours, "%.1f"))
		for _, r := range refs {
			v := of(r)
			fmt.Fprintf(&b, " | %s", num(v, "%.1f"))
			if v > 0 && (best == 0 || (v > best) != lowerIsBetter) {
				best = v
			}
		}
		ratio := "-"
		if best > 0 && ours > 0 {
			ratio = fmt.Sprintf("%.2fx", ours/best)
		}
		fmt.Fprintf(&b, " | %s | %s", ratio, num(g.PhasePeakMB[phase], "%.0f"))
		for _, r := range refs {
			fmt.Fprintf(&b, " | %s", num(r.PhasePeakMB[phase], "%.0f"))
		}
		b.WriteString(" |\n")
	}
	row("extraction, tokens/s", func(f EngineFigures) float64 { return f.Extract }, "extract", false)
	for _, bs := range batches {
		k := strconv.Itoa(bs)
		row(fmt.Sprintf("generation at batch %d, new tokens/s", bs), func(f EngineFigures) float64 { return f.Generate[k] }, k, false)
	}
	row("peak resident memory of the whole run, MB", func(f EngineFigures) float64 { return f.PeakRSSMB }, "", true)
	b.WriteString("\n*Peak MB* is each phase's peak resident set, VmHWM restarted from the current resident set before it (rows\n" +
		"run in order in one process, so a row still holds what the rows above left: their compiled programs, and\n" +
		"memory freed but kept by the allocator). The last row is the whole run's peak, loading included. For the\n" +
		"memory row the best other is the smallest.\n")
	for _, r := range refs {
		if r.Note != "" {
			fmt.Fprintf(&b, "\n%s: %s\n", r.Tool, r.Note)
		}
	}
	fmt.Fprintf(&b, "\nExtraction does about %.1f GFLOP/s of matrix work", g.ExtractGFLOPS)
	for _, r := range refs {
		if r.SgemmGFLOPS > 0 {
			fmt.Fprintf(&b, ", %.0f%% of this machine's float32 peak as numpy's sgemm measured it in the same run (%.0f GFLOP/s)", 100*g.ExtractGFLOPS/r.SgemmGFLOPS, r.SgemmGFLOPS)
		}
	}
	b.WriteString(".\n")
	if stage != nil {
		best := g.Generate[strconv.Itoa(stage.Slots)]
		fmt.Fprintf(&b, "\nThe story stage (step 1, continuous batching) on %s: %d completions, %d new tokens in %.0f s, "+
			"**%.1f new tokens/s** with %d slots", stage.Config, stage.Completions, stage.NewTokens, stage.Seconds, stage.Rate(), stage.Slots)
		if best > 0 {
			fmt.Fprintf(&b, ", %.0f%% of the engine's rate at batch %d above", 100*stage.Rate()/best, stage.Slots)
		}
		b.WriteString(" (one run; its prompts, stop tokens and sampling are the config's).")
		if stage.Where != "" {
			fmt.Fprintf(&b, " Where its time went: %s.", stage.Where)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// StageFigures are one run of the story stage in `emotion-probes bench --stage-config`.
type StageFigures struct {
	Config                 string // the config file, and how many pairs of it ran
	Slots                  int
	Completions, NewTokens int
	Seconds                float64
	Where                  string // where the time went, in words (the engine's stream statistics)
}

// Rate is new tokens per second.
func (s StageFigures) Rate() float64 { return float64(s.NewTokens) / s.Seconds }

// ReplaceSection rewrites the part of path between <!-- NAME:begin --> and <!-- NAME:end -->
// (appending it when absent), so each bench command owns its own section.
func ReplaceSection(path, name, body string) error {
	begin, end := "<!-- "+name+":begin -->", "<!-- "+name+":end -->"
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	if text == "" {
		text = "# Benchmarks\n\nFigures measured on this project's machines, side by side with the reference tool in the same run.\n" +
			"These machines are noisy: read medians and ratios, not single numbers. Each section is rewritten by the\ncommand named in it.\n"
	}
	block := begin + "\n" + body + end
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i >= 0 && j > i {
		text = text[:i] + block + text[j+len(end):]
	} else {
		text = strings.TrimRight(text, "\n") + "\n\n" + block + "\n"
	}
	return checkpoint.WriteFileAtomic(path, []byte(text))
}

// QuantFigures is one (backend, quantize) run of bench-quantize, measured in a process of its own.
type QuantFigures struct {
	Backend, Quantize, Stored string
	WeightMB, Bits            float64 // the weights' bytes on the backend, and bits per weight
	RSSBeforeMB, RSSLoadedMB  float64 // VmRSS before and after loading (backend started before both)
	HeapLoadedMB              float64 // Go heap in use after loading
	PeakMB                    float64 // VmHWM at the end: loading and extraction, expansions included
	Extract                   float64 // tokens/s
}

// QuantizeSection is the section of `emotion-probes bench-quantize`.
func QuantizeSection(figs []QuantFigures, model string, texts, textTokens, layer, reps int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## In-graph quantization (model.quantize): memory and speed\n\n%s", machine("emotion-probes bench-quantize", model))
	fmt.Fprintf(&b, "Each row is a fresh process. *Weights* is the bytes of the weight tensors on the backend (and bits per weight);\n"+
		"*resident* is the growth of the process's resident set (VmRSS, after a GC that returns freed memory) from just before\n"+
		"loading (backend already started) to just after; *peak* is VmHWM at the end, after extraction, which includes the\n"+
		"float32 expansions made inside the graph; *Go heap* is HeapInuse after loading. Extraction: %d texts of %d tokens\n"+
		"through layer %d, batches of 8, median of %d runs.\n\n", texts, textTokens, layer, reps)
	b.WriteString("| backend | quantize | stored as | weights, MB | bits/weight | resident, MB | Go heap, MB | peak, MB | extraction, tokens/s |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, f := range figs {
		fmt.Fprintf(&b, "| %s | %s | %s | %.1f | %.2f | %.0f | %.0f | %.0f | %.1f |\n", f.Backend, f.Quantize, f.Stored,
			f.WeightMB, f.Bits, f.RSSLoadedMB-f.RSSBeforeMB, f.HeapLoadedMB, f.PeakMB, f.Extract)
	}
	return b.String()
}

// FullRunStories is the paper's full run: 171 emotions x 100 topics x 12 stories.
const FullRunStories = 171 * 100 * 12

// WorkersRun is one measured run-all.
type WorkersRun struct {
	Workers  int
	Wall     time.Duration
	Kept     int // stories kept
	Attempts int // completions drawn
}

// WorkersSection is the section of `emotion-probes bench-workers`.
func WorkersSection(cfg *config.Config, cfgPath string, runs []WorkersRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Scale-out: local workers (run-all --workers N)\n\n")
	fmt.Fprintf(&b, "Measured %s by `emotion-probes bench-workers --config %s` on this %d-core machine (backend %q, no GPU).\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), cfgPath, runtime.NumCPU(), cfg.Model.Backend)
	fmt.Fprintf(&b, "Each run generates the stories of %d emotions x %d topics x %d stories and reads them back at the default layer,\n",
		len(cfg.Data.Emotions), cfg.Data.NTopics, cfg.Generation.StoriesPerTopic)
	b.WriteString("into a fresh folder; N workers each take their shard i/N of the (emotion, topic) units.\n\n")
	b.WriteString("| workers | wall time | stories kept | attempts | stories/min | speed-up |\n|---|---|---|---|---|---|\n")
	var base float64
	for _, r := range runs {
		rate := float64(r.Kept) / r.Wall.Minutes()
		if base == 0 {
			base = rate
		}
		fmt.Fprintf(&b, "| %d | %.0f s | %d | %d | %.2f | %.2fx |\n", r.Workers, r.Wall.Seconds(), r.Kept, r.Attempts, rate, rate/base)
	}
	if len(runs) > 0 && base > 0 {
		best := runs[0]
		for _, r := range runs {
			if float64(r.Kept)/r.Wall.Minutes() > float64(best.Kept)/best.Wall.Minutes() {
				best = r
			}
		}
		rate := float64(best.Kept) / best.Wall.Minutes()
		hours := float64(FullRunStories) / rate / 60
		fmt.Fprintf(&b, "\nProjection: the full run's %d stories (and their extraction) at the best rate above (%d worker(s), %.2f\n"+
			"stories/min) take about %.0f hours (%.0f days) on this machine. On k machines or GPUs the stage splits into\n"+
			"independent units (deploy/), so the wall time is this divided by k times the per-device speed-up;\n"+
			"a GPU's figure is still to be measured (no GPU machine was lent to the sessions so far).\n",
			FullRunStories, best.Workers, rate, hours, hours/24)
	}
	return b.String()
}
