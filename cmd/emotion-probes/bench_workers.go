package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"gopkg.in/yaml.v3"
)

func init() {
	register(command{name: "bench-workers", args: "[--config C] [--workers 1,2,4] [--out BENCHMARKS.md]",
		summary: "measure run-all's throughput with 1, 2, 4 local workers and project the full run", run: runBenchWorkers})
}

// fullRunStories is the paper's full run: 171 emotions x 100 topics x 12 stories.
const fullRunStories = 171 * 100 * 12

// workersRun is one measured run-all.
type workersRun struct {
	Workers  int
	Wall     time.Duration
	Kept     int // stories kept
	Attempts int // completions drawn
}

func runBenchWorkers(ctx context.Context, args []string) error {
	fs := newFlags("bench-workers", "Runs the generation and extraction stages of a config (run-all --workers N --stages\n"+
		"generate-stories,generate-neutral,extract-activations) once per worker count, each into a fresh output folder, and\n"+
		"writes the wall times, the stories per minute and the speed-up over one worker into the workers\n"+
		"section of BENCHMARKS.md, with the projected wall time of the full run (205,200 stories).")
	cfgPath := fs.String("config", "config/bench-workers.yaml", "config to run (its output.dir is replaced by a temporary folder)")
	list := fs.String("workers", "1,2,4", "worker counts to measure")
	out := fs.String("out", "BENCHMARKS.md", "file whose workers section is rewritten")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var runs []workersRun
	for _, s := range strings.Split(*list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("--workers: %q is not a positive integer", s)
		}
		dir, err := os.MkdirTemp("", "bench-workers-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		tmpCfg, err := withOutputDir(*cfgPath, dir)
		if err != nil {
			return err
		}
		defer os.Remove(tmpCfg)
		fmt.Fprintf(os.Stderr, "== %d worker(s) into %s\n", n, dir)
		cmd := exec.CommandContext(ctx, self, "run-all", "--config", tmpCfg, "--workers", strconv.Itoa(n),
			"--stages", "generate-stories,generate-neutral,extract-activations", "--quiet")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("run-all with %d workers: %w", n, err)
		}
		r := workersRun{Workers: n, Wall: time.Since(start)}
		var done struct {
			Summary generate.Summary `json:"summary"`
		}
		if err := checkpoint.ReadJSON(filepath.Join(dir, stories.StageName, checkpoint.CompleteFile), &done); err != nil {
			return err
		}
		r.Kept, r.Attempts = done.Summary.Kept, done.Summary.Attempts
		fmt.Fprintf(os.Stderr, "%d worker(s): %s, %d stories kept of %d attempts\n", n, r.Wall.Round(time.Second), r.Kept, r.Attempts)
		runs = append(runs, r)
	}
	section := workersSection(cfg, *cfgPath, runs)
	fmt.Print(section)
	return replaceSection(*out, "workers", section)
}

// withOutputDir writes a copy of the config at path, beside it (its relative paths still resolve), with
// output.dir set to dir, and returns the copy's path.
func withOutputDir(path, dir string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	output, _ := doc["output"].(map[string]any)
	if output == nil {
		output = map[string]any{}
	}
	output["dir"] = dir
	doc["output"] = output
	data, err = yaml.Marshal(doc)
	if err != nil {
		return "", err
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	copyPath := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s-%s.yaml", base, filepath.Base(dir)))
	return copyPath, os.WriteFile(copyPath, data, 0o644)
}

func workersSection(cfg *config.Config, cfgPath string, runs []workersRun) string {
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
		hours := float64(fullRunStories) / rate / 60
		fmt.Fprintf(&b, "\nProjection: the full run's %d stories (and their extraction) at the best rate above (%d worker(s), %.2f\n"+
			"stories/min) take about %.0f hours (%.0f days) on this machine. On k machines or GPUs the stage splits into\n"+
			"independent units (deploy/), so the wall time is this divided by k times the per-device speed-up;\n"+
			"a GPU's figure is still to be measured (no GPU machine was lent to the sessions so far).\n",
			fullRunStories, best.Workers, rate, hours, hours/24)
	}
	return b.String()
}
