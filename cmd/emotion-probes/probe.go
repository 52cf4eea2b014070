package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/activations"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/drawing"
	"github.com/emotion-probes/emotion-probes/pkg/use/probe"
)

// The commands that use the vectors: score a text, steer a generation.

func init() {
	register(command{name: "score", args: "--config C (--text T | --file F [--per-line]) [--at mean|last] [--json]",
		summary: "a text's emotions: each token's cosine with every emotion vector, and the text's ranking", run: runScore})
	register(command{name: "steer", args: "--config C --emotion E --alpha A --prompt P [--chat] [--check] ...",
		summary: "generate with an emotion vector added to the residual stream; --check: the paper's log-prob test", run: runSteer})
}

// probeInputs are what both commands read: the config, its vectors (default layer or --layer) and the
// story mean they were centred at.
type probeInputs struct {
	cfg *config.Config
	set *vectors.Set
	out string
}

func loadProbeInputs(cfgPath string, layer int) (*probeInputs, error) {
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	out := cfg.OutputDir()
	var set *vectors.Set
	if layer < 0 {
		set, err = vectors.LoadDefault(out)
	} else {
		path := vectors.LayerPath(out, layer, false)
		if set, err = vectors.Load(path); errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w: layer %d has no vectors in this run: add it to extraction.layers, then run "+
				"`emotion-probes extract-activations --force` and `emotion-probes %s`", err, layer, vectors.Command)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("the emotion vectors of %s: %w", cfg.File, err)
	}
	if set.Layer < 0 && layer >= 0 {
		set.Layer = layer
	}
	return &probeInputs{cfg: cfg, set: set, out: out}, nil
}

// center resolves --center: "stories" (the mean the vectors were centred at), "none", or "auto" (stories
// when the run's activations are there).
func (in *probeInputs) center(mode string) ([]float64, error) {
	switch mode {
	case "none":
		return nil, nil
	case "stories", "auto":
		c, err := probe.StoryMean(in.out, in.set.Layer)
		if err != nil && mode == "auto" {
			fmt.Fprintf(os.Stderr, "note: scores are raw cosines, not centred on the stories' mean (%v)\n", err)
			return nil, nil
		}
		return c, err
	}
	return nil, fmt.Errorf("--center %q: want auto, stories or none", mode)
}

func runScore(ctx context.Context, args []string) error {
	f := newFlags("score", "Reads a text as the stories were read (raw text, BOS first) and projects the residual stream at the\n"+
		"vectors' layer on every emotion vector: per token cos(h - c, v_e), c the stories' mean (see pkg/use/probe).\n"+
		"The text's emotions are ranked by the cosine of its mean state over tokens token_offset.. (all tokens\n"+
		"but the BOS for a shorter text), or of its last token's state (--at last).")
	cfgPath := f.String("config", "", "config file (YAML) of the run whose vectors are used")
	text := f.String("text", "", "the text to score")
	file := f.String("file", "", "a file holding the text to score; a .jsonl file holds many, one JSON object per line\n"+
		"with a \"text\" field (each scored, the model loaded once, results in input order)")
	perLine := f.Bool("per-line", false, "--file holds one text per line (blank lines skipped): score each")
	at := f.String("at", "mean", "mean (mean state over tokens from the offset) or last (the last token)")
	asJSON := f.Bool("json", false, `print JSON: {"emotions": [{"emotion", "score"}, ...] high to low, "tokens": [...]}`)
	layer := f.Int("layer", -1, "use this layer's vectors (default: the run's default layer)")
	center := f.String("center", "auto", "subtract the stories' mean before the cosine: auto, stories or none")
	if err := parse(f, args); err != nil {
		return err
	}
	if (*text == "") == (*file == "") {
		return fmt.Errorf("give the text with exactly one of --text and --file")
	}
	texts := []string{*text}
	if *file != "" {
		var err error
		if texts, err = readTexts(*file, *perLine); err != nil {
			return err
		}
	}
	in, err := loadProbeInputs(*cfgPath, *layer)
	if err != nil {
		return err
	}
	c, err := in.center(*center)
	if err != nil {
		return err
	}
	m, err := loadConfigModel(in.cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	opts := probe.Options{Center: c, At: probe.At(*at), TokenOffset: in.cfg.Extraction.TokenOffset,
		Packing: activations.Packing(in.cfg)}
	scores, err := probe.ScoreTexts(m.Model, in.set, texts, opts)
	if err != nil {
		return err
	}
	if len(texts) > 1 {
		return printScores(texts, scores, *asJSON)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(scores[0])
	}
	printScore(scores[0])
	return nil
}

// readTexts reads the texts of --file: the whole file as one text; with perLine, each non-blank line; from
// a .jsonl file, the "text" field of each line's object (a line without one is an error naming it).
func readTexts(path string, perLine bool) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !perLine && !strings.EqualFold(filepath.Ext(path), ".jsonl") {
		return []string{string(data)}, nil
	}
	var texts []string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case perLine:
			texts = append(texts, line)
		default:
			var row struct {
				Text *string `json:"text"`
			}
			if err := json.Unmarshal([]byte(line), &row); err != nil || row.Text == nil || *row.Text == "" {
				return nil, fmt.Errorf("%s:%d: want a JSON object with a non-empty \"text\" field (%v)", path, i+1, err)
			}
			texts = append(texts, *row.Text)
		}
	}
	if len(texts) == 0 {
		return nil, fmt.Errorf("%s holds no text to score", path)
	}
	return texts, nil
}

// printScores prints the rankings of many texts, in input order: with asJSON one JSON object per line
// ({"index", "emotions": [{"emotion", "score"}, ...] high to low}), else each text's three best emotions.
func printScores(texts []string, scores []*probe.TextScore, asJSON bool) error {
	enc := json.NewEncoder(os.Stdout)
	for i, s := range scores {
		if asJSON {
			if err := enc.Encode(struct {
				Index    int                  `json:"index"`
				Layer    int                  `json:"layer"`
				At       probe.At             `json:"at"`
				Emotions []probe.EmotionScore `json:"emotions"`
			}{i, s.Layer, s.At, s.Ranked}); err != nil {
				return err
			}
			continue
		}
		var top []string
		for _, r := range s.Ranked[:min(3, len(s.Ranked))] {
			top = append(top, fmt.Sprintf("%s %+.3f", r.Emotion, r.Score))
		}
		fmt.Printf("%4d  %-60s  %s\n", i+1, truncate(strings.Join(strings.Fields(texts[i]), " "), 60), strings.Join(top, ", "))
	}
	return nil
}

// printScore prints the ranking, then a table of tokens: every emotion's cosine when there are few, the top
// three otherwise.
func printScore(s *probe.TextScore) {
	what := fmt.Sprintf("mean state of tokens %d..%d", s.From, s.To-1)
	if s.At == probe.AtLast {
		what = fmt.Sprintf("last token (%d)", s.From)
	}
	fmt.Printf("emotions at layer %d (%s), %s, centring: %s\n", s.Layer, lm.Site{Layer: s.Layer}, what, s.Centering)
	top := s.Ranked[0].Score
	for _, r := range s.Ranked {
		bar := ""
		if top > 0 && r.Score > 0 {
			bar = strings.Repeat("#", int(30*r.Score/top+0.5))
		}
		fmt.Printf("  %-16s %+.4f %s\n", r.Emotion, r.Score, bar)
	}
	fmt.Println()
	few := len(s.Emotions) <= 10
	fmt.Printf("%4s  %-16s", "pos", "token")
	if few {
		for _, e := range s.Emotions {
			fmt.Printf(" %9.9s", e)
		}
	} else {
		fmt.Print("  top emotions")
	}
	fmt.Println()
	for _, t := range s.Tokens {
		fmt.Printf("%4d  %-16s", t.Position, truncate(drawing.VisibleToken(t.Text), 16))
		if few {
			for _, x := range t.Scores {
				fmt.Printf(" %+9.3f", x)
			}
		} else {
			for _, r := range probe.Rank(s.Emotions, t.Scores)[:3] {
				fmt.Printf("  %s %+.3f", r.Emotion, r.Score)
			}
		}
		fmt.Println()
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func runSteer(ctx context.Context, args []string) error {
	f := newFlags("steer", "Adds alpha x norm x the emotion's unit vector to the residual stream at the vectors' layer while\n"+
		"generating, and prints the steered and the unsteered completion (same seed, the config's sampling).\n"+
		"norm is the mean residual norm at that layer over the run's stories (pkg/use/probe MeanStoryNorm).\n"+
		"--check runs the paper's test instead, or as well: after \"... How does he feel? He feels\", does each\n"+
		"emotion's own word gain log-probability when steering with it?")
	cfgPath := f.String("config", "", "config file (YAML) of the run whose vectors are used")
	emotion := f.String("emotion", "", "the emotion to steer toward (one of the run's)")
	alpha := f.Float64("alpha", 0.5, "strength, in units of the mean residual norm (the paper shows 0.5; SmolLM2-135M does best at\n0.05-0.2 and leaves its distribution at 0.5; negative steers away)")
	prompt := f.String("prompt", "", "the prompt to continue (with --check and no --emotion: the check's prompt)")
	asChat := f.Bool("chat", false, "format the prompt as a user turn with the model's chat template")
	maxNew := f.Int("max-new-tokens", 80, "stop after this many new tokens")
	seed := f.Uint64("seed", 42, "random seed, the same for both completions")
	onlyNew := f.Bool("only-new", false, "steer the generated tokens only (default: the prompt's positions too)")
	check := f.Bool("check", false, "run the steering check over the run's emotions and print its table")
	norm := f.Float64("norm", 0, "the residual norm to scale by (default: MeanStoryNorm of the run)")
	layer := f.Int("layer", -1, "use this layer's vectors (default: the run's default layer)")
	if err := parse(f, args); err != nil {
		return err
	}
	if *emotion == "" && !*check {
		return fmt.Errorf("give --emotion E (and --prompt P) to steer a generation, or --check")
	}
	if *emotion != "" && *prompt == "" {
		return fmt.Errorf("--prompt is required with --emotion")
	}
	in, err := loadProbeInputs(*cfgPath, *layer)
	if err != nil {
		return err
	}
	if *emotion != "" && in.set.Vector(*emotion) == nil {
		return fmt.Errorf("--emotion %q: the run has no vector for it; it has %s", *emotion, strings.Join(in.set.Emotions, ", "))
	}
	if *norm <= 0 {
		if *norm, err = probe.MeanStoryNorm(in.out, in.set.Layer, in.set.Emotions); err != nil {
			return fmt.Errorf("%w (or give --norm)", err)
		}
	}
	m, err := loadConfigModel(in.cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	if *emotion != "" {
		if err := steerGenerate(m.Model, in, *emotion, *alpha, *norm, *prompt, *asChat, *onlyNew, *maxNew, *seed); err != nil {
			return err
		}
	}
	if *check {
		checkPrompt := ""
		if *emotion == "" {
			checkPrompt = *prompt
		}
		r, err := probe.SteerCheck(m.Model, in.set, in.set.Emotions, probe.SteerOptions{Alpha: *alpha, Norm: *norm, Prompt: checkPrompt})
		if err != nil {
			return err
		}
		if *emotion != "" {
			fmt.Println()
		}
		fmt.Println(r)
	}
	return nil
}

func steerGenerate(m *lm.Model, in *probeInputs, emotion string, alpha, norm float64, prompt string, asChat, onlyNew bool, maxNew int, seed uint64) error {
	st, err := probe.Steer(in.set, emotion, alpha, norm, onlyNew)
	if err != nil {
		return err
	}
	var ids []int
	if asChat {
		if ids, err = m.ChatPrompt([]chat.Message{{Role: "user", Content: prompt}}); err != nil {
			return err
		}
	} else {
		ids = m.ReadingTokens(prompt)
	}
	g := in.cfg.Generation
	where := "prompt and generated tokens"
	if onlyNew {
		where = "generated tokens only"
	}
	fmt.Printf("steering toward %q at layer %d: alpha %g x norm %.2f (%s), seed %d\n", emotion, st.Layer, alpha, norm, where, seed)
	for _, run := range []struct {
		name  string
		steer *lm.Steering
	}{{"unsteered", nil}, {"steered", st}} {
		out, err := m.Generate([][]int{ids}, lm.GenerateOptions{
			Sampling:     lm.Sampling{Temperature: g.Temperature, TopP: g.TopP, TopK: g.TopK},
			MaxNewTokens: maxNew, Seeds: []uint64{seed}, StopTokens: m.StopTokens(), Steer: run.steer,
		})
		if err != nil {
			return err
		}
		fmt.Printf("\n--- %s ---\n%s\n", run.name, strings.TrimSpace(m.Text(out[0].Tokens)))
	}
	return nil
}
