package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/engine/hub"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/env"
	"github.com/emotion-probes/emotion-probes/pkg/support/jupyter"
	"github.com/emotion-probes/emotion-probes/pkg/support/progress"
)

func init() {
	register(command{name: "notebooks", args: "run [--config C] [--from NN] [--only NN] [--jobs N] [--html] [--report] [--out DIR] | report [--config C] [--out DIR]",
		summary: "run the notebooks headless through the GoNB kernel, each once those it reads from are done; or make the run's HTML report", run: runNotebooks})
}

const notebooksUsage = `usage: emotion-probes notebooks run [--config C] [--from NN] [--only NN] [--jobs N] [--html] [--report] [--out DIR]
       emotion-probes notebooks report [--config C] [--out DIR]`

func runNotebooks(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "report" {
		return reportNotebooks(args[1:])
	}
	if len(args) == 0 || args[0] != "run" {
		return fmt.Errorf(notebooksUsage)
	}
	fs := newFlags("notebooks", "Runs notebooks/NN-*.ipynb, each in a fresh GoNB kernel driven over the Jupyter protocol (no Python\n"+
		"needed) as soon as the notebooks it reads from are done (--jobs at once), stops at the first failing\n"+
		"cell, and writes the executed notebooks (with their figures) to --out; --report then writes\n"+
		"<out>/report.html, the whole run on one page. The config reaches the notebooks as\n"+
		"$EMOTION_PROBES_CONFIG, and $EMOTION_PROBES_HEADLESS=1 tells the interactive cells to show a static\n"+
		"example. Install the kernel first: kernel-setup/setup.sh (or make setup).")
	cfgPath := fs.String("config", "config/small.yaml", "config the notebooks run on")
	dir := fs.String("notebooks", "notebooks", "folder holding NN-name.ipynb notebooks")
	from := fs.String("from", "", "start at notebook NN (e.g. 03)")
	only := fs.String("only", "", "run only notebook NN")
	html := fs.Bool("html", false, "also write an HTML rendering beside each executed notebook")
	report := fs.Bool("report", false, "after the notebooks ran, write one HTML report of every executed notebook in --out to <out>/report.html")
	out := fs.String("out", "", "folder for the executed notebooks (default: <output.dir>/notebooks)")
	kernel := fs.String("kernel", ".jupyter/kernels/gonb", "GoNB kernel spec (folder or kernel.json), as kernel-setup/setup.sh registers it")
	cellTimeout := fs.Duration("cell-timeout", 60*time.Minute, "interrupt a cell that runs longer than this")
	jobs := fs.Int("jobs", 0, "notebooks run at once, each as soon as the notebooks it reads from are done (0: two when the\n"+
		"model's files take under 1 GB and the backend is not CUDA, else one; each holds its own copy of the model)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	// The notebooks' cells run the stages: hold output.dir for them, as a stage command would.
	lock, err := lockOutput(cfg, 0, 1)
	if err != nil {
		return err
	}
	defer lock.Release()
	absCfg, _ := filepath.Abs(*cfgPath)
	if *out == "" {
		*out = filepath.Join(cfg.OutputDir(), "notebooks")
	}
	paths, err := filepath.Glob(filepath.Join(*dir, "[0-9][0-9]-*.ipynb"))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	var selected []string
	for _, p := range paths {
		nn := filepath.Base(p)[:2]
		if (*only != "" && nn != *only) || (*from != "" && nn < *from) {
			continue
		}
		selected = append(selected, p)
	}
	if len(selected) == 0 {
		return fmt.Errorf("no notebooks selected in %s (from=%q only=%q); they are named NN-name.ipynb", *dir, *from, *only)
	}
	if _, err := os.Stat(*kernel); err != nil {
		return fmt.Errorf("GoNB kernel spec %s not found: run kernel-setup/setup.sh (make setup) first", *kernel)
	}
	if *jobs < 0 {
		return fmt.Errorf("--jobs %d: give how many notebooks may run at once (1: one after another), or 0 for the default", *jobs)
	}
	if len(selected) > 1 && *jobs != 1 {
		// Fetched once here, so that kernels side by side do not each download it.
		n, err := notebookJobs(cfg, *jobs)
		if err != nil {
			return err
		}
		*jobs = n
	}
	root, _ := filepath.Abs(".")
	at := ""
	if *jobs > 1 {
		at = fmt.Sprintf(", up to %d at once", *jobs)
	}
	fmt.Fprintf(os.Stderr, "running %d notebook(s) on %s%s; executed notebooks go to %s\n", len(selected), *cfgPath, at, *out)
	start := time.Now()
	err = jupyter.Run(ctx, jupyter.Options{
		Notebooks: selected, KernelSpec: *kernel, OutputDir: *out, CellTimeout: *cellTimeout, HTML: *html, Jobs: *jobs,
		// Headless: no browser answers the interactive cells' widgets; they show a static example (package nb).
		Env:      map[string]string{env.Config: absCfg, env.Root: root, env.Headless: "1"},
		Progress: os.Stderr,
	})
	if err != nil {
		return err
	}
	names := make([]string, len(selected))
	for i, p := range selected {
		names[i] = jupyter.NotebookName(p)
	}
	fmt.Fprintf(os.Stderr, "all %d notebook(s) ran in %s: %s\n", len(selected), progress.FormatDuration(time.Since(start)), strings.Join(names, ", "))
	if !*report {
		return nil
	}
	// Every executed notebook in --out, not only this call's: a run resumed with --from reports whole.
	executed, err := executedNotebooks(*out)
	if err != nil {
		return err
	}
	return writeNotebooksReport(cfg, *cfgPath, *out, executed)
}

// notebookJobs resolves the config's models (downloading what is missing, once) and returns jobs, or when it
// is 0 the default: two notebooks at once when the models' files take under 1 GB and the backend is not
// CUDA (each kernel holds its own copy of the model, and XLA on a GPU claims most of the device's memory),
// else one.
func notebookJobs(cfg *config.Config, jobs int) (int, error) {
	names := []string{cfg.ModelName()}
	for _, t := range []config.Texts{cfg.Stories, cfg.Neutral} {
		if name := cfg.WriterName(t); !t.FromCorpus() && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	var size int64
	for _, name := range names {
		r, err := hub.Resolve(name, hub.Options{Progress: os.Stderr})
		if err != nil {
			return 0, fmt.Errorf("the notebooks' model %q (model.name, stories.writer or neutral.writer in %s): %w", name, cfg.File, err)
		}
		size += r.Size()
	}
	if jobs > 0 {
		return jobs, nil
	}
	if size < 1<<30 && !strings.Contains(strings.ToLower(cfg.Model.Backend), "cuda") {
		return 2, nil
	}
	return 1, nil
}

// executedNotebooks lists the executed notebooks NN-name.ipynb in dir, in order.
func executedNotebooks(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "[0-9][0-9]-*.ipynb"))
	sort.Strings(paths)
	return paths, err
}

// reportNotebooks renders the notebooks a run already executed into <out>/report.html: no
// kernel, no lock, nothing run, so it is cheap to re-make (after a renderer change, say).
func reportNotebooks(args []string) error {
	fs := newFlags("notebooks report", "Writes <out>/report.html: one self-contained HTML page (figures inline, charts interactive,\n"+
		"nothing fetched from the network) of the executed notebooks NN-name.ipynb found in --out, in order.\n"+
		"Runs nothing: run them first with `notebooks run`.")
	cfgPath := fs.String("config", "config/small.yaml", "config the notebooks ran on")
	out := fs.String("out", "", "folder of the executed notebooks (default: <output.dir>/notebooks)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Join(cfg.OutputDir(), "notebooks")
	}
	executed, err := executedNotebooks(*out)
	if err != nil {
		return err
	}
	if len(executed) == 0 {
		return fmt.Errorf("no executed notebooks NN-name.ipynb in %s: run `emotion-probes notebooks run --config %s` first", *out, *cfgPath)
	}
	return writeNotebooksReport(cfg, *cfgPath, *out, executed)
}

// writeNotebooksReport writes <out>/report.html from the executed notebooks and prints its path.
func writeNotebooksReport(cfg *config.Config, cfgPath, out string, executed []string) error {
	path := filepath.Join(out, "report.html")
	err := jupyter.WriteReport(path, "emotion-probes run: "+cfg.Name, executed, jupyter.ReportOptions{
		Details: []string{"config: " + cfgPath, "model: " + cfg.ModelName(), "output: " + cfg.OutputDir()},
	})
	if err != nil {
		return err
	}
	fmt.Println(path)
	return nil
}
