package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/support/bench"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"gopkg.in/yaml.v3"
)

func init() {
	register(command{name: "bench-workers", args: "[--config C] [--workers 1,2,4] [--out BENCHMARKS.md]",
		summary: "measure run-all's throughput with 1, 2, 4 local workers and project the full run", run: runBenchWorkers})
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
	var runs []bench.WorkersRun
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
		r := bench.WorkersRun{Workers: n, Wall: time.Since(start)}
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
	section := bench.WorkersSection(cfg, *cfgPath, runs)
	fmt.Print(section)
	return bench.ReplaceSection(*out, "workers", section)
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
