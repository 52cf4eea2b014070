package probe

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/activations"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/support/drawing"
)

// StoryMean returns c [D]: the mean over emotions of the emotion means at layer (activations.LoadEmotionMeans),
// the point the vectors were centred at. Subtracting it from a hidden state (Options.Center) leaves what
// differs from an average story.
func StoryMean(outputDir string, layer int) ([]float64, error) {
	_, means, _, err := activations.LoadEmotionMeans(outputDir, layer)
	if err != nil {
		return nil, fmt.Errorf("probe: the story mean: %w", err)
	}
	r, d := means.Dims()
	c := make([]float64, d)
	for i := range r {
		for j := range d {
			c[j] += means.At(i, j) / float64(r)
		}
	}
	return c, nil
}

// MeanStoryNorm is the residual norm that scales a steering vector: the mean L2 norm, over every story of the
// given emotions, of the story's vector at layer (its hidden states averaged over positions token_offset..n-1,
// as activations stores them in "layer_L.per_story").
//
// The paper scales by "the average residual norm at that layer" without saying more; the per-token norm is
// the likelier reading. The norm of a mean over positions is smaller than the mean of the per-token norms
// (triangle inequality), by how much depends on how much the tokens' states vary: SteerResult.PromptNorm
// gives the per-token norm on the check's own prompt for comparison, and Steer takes any norm.
func MeanStoryNorm(outputDir string, layer int, emotions []string) (float64, error) {
	sum, n := 0.0, 0
	for _, e := range emotions {
		per, _, err := activations.LoadPerStory(outputDir, layer, e)
		if err != nil {
			return 0, fmt.Errorf("probe: the residual norm: %w", err)
		}
		r, _ := per.Dims()
		for i := range r {
			sum += floats(per.RawRowView(i)).norm()
			n++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("probe: the residual norm: no story vectors for %s at layer %d in %s", strings.Join(emotions, ", "), layer, outputDir)
	}
	return sum / float64(n), nil
}

// Steer returns the steering of the paper: alpha x norm x the unit vector of emotion, added to the residual
// stream at the vectors' layer (hidden_states[set.Layer], that is before block set.Layer). onlyNew steers the
// generated tokens only; by default the prompt's positions are steered too.
func Steer(set *vectors.Set, emotion string, alpha, norm float64, onlyNew bool) (*lm.Steering, error) {
	v := set.Vector(emotion)
	if v == nil {
		return nil, fmt.Errorf("probe: no vector for %q: the vectors have %s", emotion, strings.Join(set.Emotions, ", "))
	}
	if norm <= 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return nil, fmt.Errorf("probe: steering norm %g: want a positive residual norm (MeanStoryNorm)", norm)
	}
	if math.IsNaN(alpha) || math.IsInf(alpha, 0) {
		return nil, fmt.Errorf("probe: steering alpha %g: want a finite number (the paper uses 0.5)", alpha)
	}
	n := floats(v).norm()
	if n == 0 {
		return nil, fmt.Errorf("probe: the vector of %q is zero", emotion)
	}
	s := &lm.Steering{Layer: set.Layer, Vector: make([]float32, len(v)), OnlyNew: onlyNew}
	for j, x := range v {
		s.Vector[j] = float32(alpha * norm * x / n)
	}
	return s, nil
}

// DefaultSteerPrompt is the prompt of the steering check: a neutral scene, then the paper's question. It is
// read as raw text (BOS first), as the stories were.
const DefaultSteerPrompt = "Tom got home, put his keys on the table and sat down by the window. How does he feel? He feels"

// SteerOptions says how SteerCheck steers.
type SteerOptions struct {
	Alpha  float64 // the paper shows 0.5
	Norm   float64 // the residual norm (MeanStoryNorm)
	Prompt string  // "" means DefaultSteerPrompt
}

// SteerRow is one emotion of the steering check.
type SteerRow struct {
	Emotion string
	Word    string  // the first token of " "+emotion, as text
	TokenID int     // its id
	Base    float64 // log-probability of Word after the prompt, unsteered
	Steered float64 // the same, steering with this emotion's vector
	Delta   float64 // Steered - Base (nats)
	// Specific: steering with this emotion raises its word more than any other emotion's word.
	Specific bool
}

// SteerResult is the steering check over a list of emotions.
type SteerResult struct {
	Prompt string
	Layer  int
	Alpha  float64
	Norm   float64 // the norm the vectors were scaled by
	// PromptNorm is the mean per-token residual norm of the prompt at the layer (BOS left out), to compare
	// with Norm.
	PromptNorm float64
	Rows       []SteerRow
	// Deltas [E][E]: the change of the log-probability of emotion j's word when steering with emotion i.
	Deltas [][]float64
	// Raised counts the emotions whose word gains log-probability when steered with; Specific those whose
	// word gains more than any other emotion's word.
	Raised, Specific int
	// MeanOwn is the mean change of an emotion's own word when steering with it (nats); MeanOther the mean
	// change of the other emotions' words (the off-diagonal of Deltas): their gap is what is specific.
	MeanOwn, MeanOther float64
	// Shared lists the emotions whose word's first token is another's too (" content" and " contempt" could
	// share " cont"): their rows measure the same token.
	Shared []string
}

// SteerCheck is the paper's steering check: after a prompt ending "How does he feel? He feels", the
// log-probability of each emotion's own word (the first token of " "+emotion) is measured without steering
// and with alpha x norm x the emotion's unit vector added at every position of the prompt, at the vectors'
// layer. It counts for how many emotions the word gains.
//
// Every position is steered: steering only "new" tokens would leave the first predicted token untouched.
func SteerCheck(m *lm.Model, set *vectors.Set, emotions []string, opts SteerOptions) (*SteerResult, error) {
	if len(emotions) == 0 {
		emotions = set.Emotions
	}
	prompt := opts.Prompt
	if prompt == "" {
		prompt = DefaultSteerPrompt
	}
	ids := m.ReadingTokens(prompt)
	r := &SteerResult{Prompt: prompt, Layer: set.Layer, Alpha: opts.Alpha, Norm: opts.Norm}

	words := make([]int, len(emotions))
	seen := map[int]string{}
	for i, e := range emotions {
		toks := m.Tokenizer.Encode(" "+e, false)
		if len(toks) == 0 {
			return nil, fmt.Errorf("probe: %q has no tokens", e)
		}
		words[i] = toks[0]
		if other, ok := seen[toks[0]]; ok {
			r.Shared = append(r.Shared, other, e)
		}
		seen[toks[0]] = e
	}
	base, err := m.NextTokenLogits([][]int{ids}, nil)
	if err != nil {
		return nil, fmt.Errorf("probe: steering check: %w", err)
	}
	baseLP := logSoftmax(base[0])
	for i, e := range emotions {
		st, err := Steer(set, e, opts.Alpha, opts.Norm, false)
		if err != nil {
			return nil, err
		}
		logits, err := m.NextTokenLogits([][]int{ids}, st)
		if err != nil {
			return nil, fmt.Errorf("probe: steering with %q: %w", e, err)
		}
		lp := logSoftmax(logits[0])
		row := make([]float64, len(emotions))
		for j, w := range words {
			row[j] = lp[w] - baseLP[w]
		}
		r.Deltas = append(r.Deltas, row)
		sr := SteerRow{Emotion: e, Word: m.Tokenizer.Decode([]int{words[i]}, false), TokenID: words[i],
			Base: baseLP[words[i]], Steered: lp[words[i]], Delta: row[i]}
		sr.Specific = true
		for j := range row {
			if j != i && words[j] != words[i] && row[j] >= row[i] {
				sr.Specific = false
			}
		}
		if sr.Delta > 0 {
			r.Raised++
		}
		if sr.Specific {
			r.Specific++
		}
		r.Rows = append(r.Rows, sr)
	}
	off := 0
	for i, row := range r.Deltas {
		r.MeanOwn += row[i] / float64(len(r.Deltas))
		for j, d := range row {
			if j != i {
				r.MeanOther += d
				off++
			}
		}
	}
	if off > 0 {
		r.MeanOther /= float64(off)
	}
	hs, err := m.HiddenStates([][]int{ids}, []int{set.Layer})
	if err != nil {
		return nil, err
	}
	for t := 1; t < len(ids); t++ {
		r.PromptNorm += floats(widen(hs.At(0, 0, t))).norm() / float64(len(ids)-1)
	}
	return r, nil
}

// SteerAlphas runs SteerCheck at each alpha: how the check depends on the strength. A small model leaves its
// distribution at a smaller alpha than the paper's: too strong a push lowers every emotion word at once.
func SteerAlphas(m *lm.Model, set *vectors.Set, emotions []string, alphas []float64, opts SteerOptions) ([]*SteerResult, error) {
	var out []*SteerResult
	for _, a := range alphas {
		opts.Alpha = a
		r, err := SteerCheck(m, set, emotions, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// AlphaFigure draws SteerAlphas' results: the share of emotions whose word rises, and of those whose word
// rises most, against alpha.
func AlphaFigure(rs []*SteerResult) (drawing.Figure, error) {
	if len(rs) == 0 {
		return drawing.Figure{}, fmt.Errorf("probe: AlphaFigure: no results")
	}
	x := make([]float64, len(rs))
	raised := drawing.Series{Name: "own word raised"}
	specific := drawing.Series{Name: "own word raised most"}
	for i, r := range rs {
		x[i] = r.Alpha
		raised.Y = append(raised.Y, float64(r.Raised)/float64(len(r.Rows)))
		specific.Y = append(specific.Y, float64(r.Specific)/float64(len(r.Rows)))
	}
	return drawing.Line(x, []drawing.Series{raised, specific}, drawing.PlotOptions{
		Title:  fmt.Sprintf("Steering at layer %d: %q", rs[0].Layer, rs[0].Prompt),
		XLabel: "alpha (x mean residual norm)", YLabel: "share of emotions", YMin: 0, YMax: 1,
		References: []drawing.Reference{{Value: 0.75, Label: "aim: 75%"}},
	})
}

// String is the check as a table.
func (r *SteerResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "steering check at layer %d, alpha %g x norm %.2f (the prompt's own per-token norm: %.2f)\nprompt: %q\n",
		r.Layer, r.Alpha, r.Norm, r.PromptNorm, r.Prompt)
	fmt.Fprintf(&b, "%-14s %-12s %9s %9s %8s  %s\n", "emotion", "token", "base", "steered", "delta", "specific")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "%-14s %-12q %9.3f %9.3f %+8.3f  %v\n", row.Emotion, row.Word, row.Base, row.Steered, row.Delta, row.Specific)
	}
	fmt.Fprintf(&b, "raised for %d of %d emotions; specific (its word rises most) for %d; mean change of the own word %+.3f nats, of the others' words %+.3f",
		r.Raised, len(r.Rows), r.Specific, r.MeanOwn, r.MeanOther)
	if len(r.Shared) > 0 {
		fmt.Fprintf(&b, "\nnote: these emotions share a first token: %s", strings.Join(slices.Compact(r.Shared), ", "))
	}
	return b.String()
}

// logSoftmax returns log p [V] from logits [V], in float64.
func logSoftmax(logits []float32) []float64 {
	mx := float64(slices.Max(logits))
	sum := 0.0
	for _, l := range logits {
		sum += math.Exp(float64(l) - mx)
	}
	lse := mx + math.Log(sum)
	out := make([]float64, len(logits))
	for i, l := range logits {
		out[i] = float64(l) - lse
	}
	return out
}
