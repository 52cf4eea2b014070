package logitlens

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/method/geometry"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/drawing"
)

// Stage is the name of this stage's folder under the run folder.
const (
	Stage = "logit_lens"
	// Command is the CLI subcommand that runs this stage (named in other stages' messages).
	Command = "logit-lens"
	// Version changes when the stage's outputs change meaning; it is part of the fingerprint.
	Version = "1"
	// Method describes what is ranked, for the output files.
	Method = "logits of the emotion vector through the model's final norm and unembedding"
)

// Options controls Run. The zero value ranks every emotion with the config's top k, without special or
// unreadable tokens.
type Options struct {
	// Force discards the stage's earlier outputs first.
	Force bool
	// Layers to read vectors from; nil means vectors.DefaultLayers(cfg): the vectors stage's default layer.
	Layers []int
	// Emotions, if set, keeps only these emotions (in the vectors file's order); each must be present.
	Emotions []string
	// TopK tokens at each end; 0 means cfg.Analysis.LogitLensTopK.
	TopK int
	// Filter says which tokens may be ranked (default: no special tokens, only readable text).
	Filter Filter
	// ModelID identifies the model (its file's SHA-256, say); part of the fingerprint when set.
	ModelID string
}

// Result is the content of <out>/logit_lens/layer_{L}.json.
type Result struct {
	Layer          int     `json:"layer"`
	Method         string  `json:"method"`
	Denoised       bool    `json:"denoised"` // the vectors had the neutral components projected out
	TopK           int     `json:"top_k"`
	FilterSpecial  bool    `json:"filter_special"`
	FilterUnread   bool    `json:"filter_unreadable"`
	EligibleTokens int     `json:"eligible_tokens"` // tokens ranked, after filtering
	Emotions       []Entry `json:"emotions"`
}

// Path is the JSON file of one layer's logit lens under the run folder outDir; the Markdown table sits beside
// it with extension .md.
func Path(outDir string, layer int) string {
	return filepath.Join(outDir, Stage, checkpoint.LayerName(layer)+".json")
}

// Load reads one layer's logit lens back.
func Load(outDir string, layer int) (*Result, error) {
	var r Result
	if err := checkpoint.ReadJSON(Path(outDir, layer), &r); err != nil {
		return nil, fmt.Errorf("logitlens: layer %d: %w (run the logit-lens stage first)", layer, err)
	}
	return &r, nil
}

// Run computes the logit lens of each layer's denoised emotion vectors with model m (its final norm and
// unembedding) and vocabulary vocab (for *lm.Model: Run(m, m.Tokenizer, cfg, opts)), and writes
// <out>/logit_lens/layer_{L}.json and layer_{L}.md. One Unembed call per layer: cheap, so it always recomputes.
func Run(m Unembedder, vocab Vocabulary, cfg *config.Config, opts Options) ([]*Result, error) {
	out := cfg.OutputDir()
	if err := checkpoint.Require(out, vectors.StageName, vectors.Command); err != nil {
		return nil, fmt.Errorf("logitlens: %w", err)
	}
	vm, err := checkpoint.ReadManifest(out, vectors.StageName)
	if err != nil {
		return nil, fmt.Errorf("logitlens: %w", err)
	}
	k := opts.TopK
	if k == 0 {
		k = cfg.Analysis.LogitLensTopK
	}
	layers := opts.Layers
	if layers == nil {
		if layers, err = vectors.DefaultLayers(cfg); err != nil {
			return nil, fmt.Errorf("logitlens: %w", err)
		}
	}
	fp := checkpoint.Fingerprint{"version": Version, "vectors": vm.Fingerprint.Hash()}
	if opts.ModelID != "" {
		fp["model_sha256"] = opts.ModelID
	}
	st, err := checkpoint.OpenStage(out, Stage, fp, opts.Force)
	if err != nil {
		return nil, fmt.Errorf("logitlens: %w", err)
	}
	var results []*Result
	for _, layer := range layers {
		v, err := geometry.ReadVectors(out, layer)
		if err != nil {
			return nil, fmt.Errorf("logitlens: %w", err)
		}
		names, vecs, err := pick(v, opts.Emotions)
		if err != nil {
			return nil, fmt.Errorf("logitlens: layer %d: %w", layer, err)
		}
		entries, eligible, err := lens(m, vocab, names, vecs, k, opts.Filter)
		if err != nil {
			return nil, fmt.Errorf("logitlens: layer %d: %w", layer, err)
		}
		r := &Result{Layer: layer, Method: Method, Denoised: v.Denoised, TopK: k,
			FilterSpecial: !opts.Filter.KeepSpecial, FilterUnread: !opts.Filter.KeepUnreadable,
			EligibleTokens: eligible, Emotions: entries}
		base := checkpoint.LayerName(layer)
		if err := st.WriteJSON(base+".json", r); err != nil {
			return nil, fmt.Errorf("logitlens: %w", err)
		}
		if err := st.WriteFile(base+".md", []byte(Markdown(r))); err != nil {
			return nil, fmt.Errorf("logitlens: %w", err)
		}
		results = append(results, r)
	}
	if err := st.MarkComplete(map[string]any{"layers": layers}); err != nil {
		return nil, fmt.Errorf("logitlens: %w", err)
	}
	return results, nil
}

// pick returns the vectors of the wanted emotions (all when wanted is nil) as float32 rows, in file order.
func pick(v *vectors.Set, wanted []string) ([]string, [][]float32, error) {
	keep := func(string) bool { return true }
	if wanted != nil {
		for _, w := range wanted {
			if !slices.Contains(v.Emotions, w) {
				return nil, nil, fmt.Errorf("emotion %q is not in the vectors file (it has %d emotions: %s)",
					w, len(v.Emotions), strings.Join(v.Emotions, ", "))
			}
		}
		keep = func(e string) bool { return slices.Contains(wanted, e) }
	}
	var names []string
	var vecs [][]float32
	_, d := v.Vectors.Dims()
	for i, e := range v.Emotions {
		if !keep(e) {
			continue
		}
		row := make([]float32, d)
		for j := range d {
			row[j] = float32(v.Vectors.At(i, j))
		}
		names = append(names, e)
		vecs = append(vecs, row)
	}
	return names, vecs, nil
}

// Markdown renders a result as a table: one row per emotion, its top and bottom tokens with their logits.
// Tokens are shown with invisible characters made visible (drawing.VisibleToken: " grief" is "␣grief").
func Markdown(r *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Logit lens, layer %d\n\n%s; top and bottom %d of %d tokens", r.Layer, r.Method, r.TopK, r.EligibleTokens)
	if r.FilterSpecial || r.FilterUnread {
		b.WriteString(" (special and unreadable tokens dropped)")
	}
	b.WriteString(".\n\n| emotion | top tokens (promoted) | bottom tokens (suppressed) |\n|---|---|---|\n")
	cell := func(ts []Token) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = "`" + mdEscape(drawing.VisibleToken(t.Text)) + "` " + strconv.FormatFloat(t.Logit, 'f', 2, 64)
		}
		return strings.Join(s, ", ")
	}
	for _, e := range r.Emotions {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", mdEscape(e.Emotion), cell(e.Top), cell(e.Bottom))
	}
	return b.String()
}

// mdEscape keeps a cell inside its table: '|' would end it, a backtick would end the code span.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "`", "ˋ").Replace(s)
}
