package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/hub"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/use/export"
)

// The command that writes the vectors for other tools.

func init() {
	register(command{name: "export", args: "--config C --format llama.cpp|repeng|npz [--emotion E] [--layers L,...] --out F",
		summary: "the vectors for other tools: a llama.cpp/repeng control vector (GGUF), or an .npz for numpy", run: runExport})
}

func runExport(_ context.Context, args []string) error {
	f := newFlags("export", "Writes a run's emotion vectors for other tools (see pkg/use/export).\n\n"+
		"llama.cpp, repeng: a control-vector GGUF for one emotion. This project's layer L (hidden_states[L], the residual\n"+
		"stream entering block L) is the file's direction.(L-1): both tools add direction.N to the output of block N.\n"+
		"Layer 0 cannot be exported; layer 1 only for repeng (llama.cpp refuses direction.0). Each direction is\n"+
		"alpha x norm x the emotion's unit vector, norm the mean story norm at that layer, exactly what\n"+
		"`emotion-probes steer --alpha` adds: so at --alpha 1 (the default)\n"+
		"    llama-cli -m MODEL.gguf --control-vector-scaled FILE:S     (older llama.cpp: --control-vector-scaled FILE S)\n"+
		"    repeng: ControlModel(model, [L-1]).set_control(ControlVector.import_gguf(FILE), S)\n"+
		"steer like `emotion-probes steer --alpha S` (the paper shows 0.5). The two formats are the same file.\n\n"+
		"npz: numpy.load(FILE) gives vectors [E, D] (or [n_layers, E, D]), emotions, layers (hidden_states indices),\n"+
		"residual_norm (the steering scale per layer), story_mean (the centre of `score`) and metadata (JSON).")
	cfgPath := f.String("config", "", "config file (YAML) of the run whose vectors are exported")
	format := f.String("format", "", "llama.cpp, repeng or npz")
	emotion := f.String("emotion", "", "the emotion (llama.cpp, repeng: required, one); npz: comma-separated, default all")
	layers := f.String("layers", "", "layers to export, e.g. 12,20 (default: the vectors' default layer). A control vector of\n"+
		"several layers steers at all of them at once, each scaled by its own layer's norm")
	alpha := f.Float64("alpha", 1, "strength baked into a control vector, in units of the mean residual norm; leave 1 so that\n"+
		"the scale given to llama.cpp or repeng is steer's alpha")
	norm := f.Float64("norm", 0, "the residual norm to scale by, one layer only (default: the run's mean story norm, as steer)")
	hint := f.String("model-hint", "", "controlvector.model_hint, the Hugging Face model_type repeng records (default: read from\n"+
		"the run's model files: config.json's model_type or the GGUF's general.architecture)")
	out := f.String("out", "", "the file to write (.gguf, .npz)")
	if err := parse(f, args); err != nil {
		return err
	}
	if *format == "" || *out == "" {
		return fmt.Errorf("give --format (llama.cpp, repeng or npz) and --out FILE")
	}
	fm, err := export.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	var emotions []string
	for _, e := range strings.Split(*emotion, ",") {
		if e = strings.TrimSpace(e); e != "" {
			emotions = append(emotions, e)
		}
	}
	if fm != export.NPZ && len(emotions) != 1 {
		return fmt.Errorf("--emotion: a control vector steers toward one emotion: give exactly one (one file per emotion)")
	}
	if fm == export.NPZ && *alpha != 1 {
		return fmt.Errorf("--alpha is for control vectors: the npz holds the vectors unscaled, with residual_norm to scale them by")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	ls, err := layersFlag(*layers)
	if err != nil {
		return err
	}
	if len(ls) == 0 {
		if ls, err = vectors.DefaultLayers(cfg); err != nil {
			return err
		}
	}
	loaded, err := export.LoadLayers(cfg.OutputDir(), ls, *norm)
	if err != nil {
		return err
	}
	if *hint == "" {
		*hint = modelHint(cfg.ModelName(), loaded[0].Set.Meta["model"], fm != export.NPZ)
	}
	sum, err := export.Write(*out, loaded, export.Options{Format: fm, Emotions: emotions, Alpha: *alpha, ModelHint: *hint})
	if err != nil {
		return err
	}
	fmt.Println(sum)
	return nil
}

// modelHint reads the model's architecture from its files, without the network. If they are not on this
// machine, it falls back to the run's model name (and says so when the file needs a hint).
func modelHint(name, runModel string, needed bool) string {
	r, err := hub.Resolve(name, hub.Options{Offline: true})
	if err == nil {
		var hint string
		if hint, err = export.ModelType(r); err == nil {
			return hint
		}
	}
	if needed {
		fmt.Fprintf(os.Stderr, "note: controlvector.model_hint is the run's model name %q: the model's architecture could not be "+
			"read (%v); give --model-hint (e.g. llama) for repeng\n", runModel, err)
	}
	return runModel
}
