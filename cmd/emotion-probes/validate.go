package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/use/probe"
	"github.com/emotion-probes/emotion-probes/pkg/use/validate"
)

// validate: do the vectors work? Held-out stories, the layer sweep, human ratings, implicit scenarios.

func init() {
	register(command{name: validate.Command, args: "--config C [--layers L,...] [--ratings F|-] [--scenarios F|-] [--force]",
		summary: "step 7: held-out accuracy, layer sweep, human ratings, implicit scenarios: a report (JSON, markdown, figures)",
		run:     stageCmd(validateStage)})
}

var validateStage = stageFunc{
	name: validate.Command,
	synopsis: "Checks that the emotion vectors work, and writes <output.dir>/validation/report.{json,md} and figures/:\n" +
		"  held-out stories: vectors and a logistic probe made from 80% of the topics classify the stories of\n" +
		"    the others (top-1, top-3 against chance, confusion matrix), at every layer of the sweep;\n" +
		"  layer sweep: validation.layers (default ~10 layers over the model; those the run did not extract are\n" +
		"    read here, into <output.dir>/validation/sweep/, resumable), the similarity of the layers' geometry,\n" +
		"    a recommended layer;\n" +
		"  human ratings: PC1 against valence and PC2 against arousal (validation.ratings_file), with bootstrap\n" +
		"    intervals;\n" +
		"  implicit scenarios (data/scenarios.yaml beside the config): short messages that imply an emotion,\n" +
		"    read at the end of the assistant's header, and the numeric sweep of that file.",
	extra: func(fs *flag.FlagSet) func(*stageRun) error {
		layers := fs.String("layers", "", "layers of the sweep, e.g. 5,10,20 (default: validation.layers)")
		ratings := fs.String("ratings", "", "ratings table (CSV or TSV: emotion, valence, arousal); default validation.ratings_file; - skips")
		scenarios := fs.String("scenarios", "", "implicit scenarios file (default: "+probe.DefaultScenariosFile+" beside the config); - skips")
		beside := fs.String("beside", "", "configs of other runs whose validation reports go side by side with this one, comma-separated\n"+
			"(e.g. config/small-generate.yaml beside config/small.yaml: the same model on its own stories and on a corpus)")
		return func(r *stageRun) error {
			ls, err := layersFlag(*layers)
			if err != nil {
				return err
			}
			plan, err := validate.PlanLayers(r.cfg, ls)
			if err != nil {
				return err
			}
			if len(plan.Missing) > 0 && (r.force || !plan.SweepReady(r.cfg.OutputDir())) {
				m, err := r.loadModel()
				if err != nil {
					return err
				}
				fmt.Fprintf(os.Stderr, "layer sweep: reading the stories at layers %v (the run extracted %v)\n", plan.Missing, plan.Extracted)
				sum, err := validate.Extract(r.ctx, m.Model, r.cfg, plan, validate.ExtractOptions{ModelID: m.SHA256, Force: r.force, Progress: r.progress})
				if sum != nil {
					fmt.Fprintln(os.Stderr, sum.String())
				}
				if err != nil {
					return err
				}
			}
			rep, err := validate.Run(r.cfg, validate.Options{Layers: ls, RatingsFile: *ratings})
			if err != nil {
				return err
			}
			if *scenarios != "-" {
				path := r.cfg.Path(probe.DefaultScenariosFile)
				if *scenarios != "" {
					path = *scenarios
				}
				m, err := r.loadModel()
				if err != nil {
					return err
				}
				sections, err := validate.ScenarioSections(m.Model, r.cfg.OutputDir(), path)
				if err != nil {
					return err
				}
				rep.Sections = append(rep.Sections, sections...)
			}
			if *beside != "" {
				reports := []*validate.Report{rep}
				for _, c := range strings.Split(*beside, ",") {
					other, err := loadConfig(strings.TrimSpace(c))
					if err != nil {
						return err
					}
					o, err := validate.Load(other.OutputDir())
					if err != nil {
						return fmt.Errorf("--beside %s: %w", c, err)
					}
					reports = append(reports, o)
				}
				rep.Sections = append(rep.Sections, validate.Beside(reports))
			}
			dir := filepath.Join(r.cfg.OutputDir(), validate.Folder)
			files, err := validate.Write(dir, rep)
			if err != nil {
				return err
			}
			fmt.Fprintln(os.Stderr, summaryLines(rep))
			fmt.Fprintf(os.Stderr, "wrote %d files; read %s\n", len(files), filepath.Join(dir, "report.md"))
			return nil
		}
	},
}

// summaryLines are the report's headline numbers.
func summaryLines(rep *validate.Report) string {
	s := ""
	for _, cv := range rep.CrossValAt(rep.Layers.DefaultLayer) {
		s += fmt.Sprintf("%d-fold by %s (layer %d, %d stories, %d emotions): vectors top-1 %.3f (chance %.3f, p %.2g), top-3 %.3f",
			cv.Folds, cv.Split, cv.Layer, cv.Cosine.N, len(cv.Emotions), cv.Cosine.Top1, cv.Cosine.Chance1, cv.Cosine.P1, cv.Cosine.Top3)
		if cv.Probe != nil {
			s += fmt.Sprintf("; probe %.3f", cv.Probe.Top1)
		}
		if cv.Words != nil {
			s += fmt.Sprintf("; bag of words %.3f", cv.Words.Top1)
		}
		s += "\n"
	}
	if sw := rep.Sweep; sw != nil {
		s += fmt.Sprintf("layer sweep %v: recommended layer %d\n", sw.Layers, sw.Recommended)
	}
	if rr := rep.Ratings; rr != nil {
		s += fmt.Sprintf("human ratings (%d emotions): PC1 vs valence r = %.2f [%.2f, %.2f]; PC2 vs arousal r = %.2f [%.2f, %.2f]\n",
			len(rr.Emotions), rr.Valence.Pearson.Estimate, rr.Valence.Pearson.Lo, rr.Valence.Pearson.Hi,
			rr.Arousal.Pearson.Estimate, rr.Arousal.Pearson.Lo, rr.Arousal.Pearson.Hi)
		for _, ro := range rr.Readouts {
			s += fmt.Sprintf("  %s read from the first %d PCs (leave-one-out): r = %.2f\n", ro.Rating, ro.Components, float64(ro.R))
		}
	}
	for _, sec := range rep.Sections {
		s += sec.Title + "\n"
	}
	return s
}
