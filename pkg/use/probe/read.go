package probe

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/support/drawing"
)

// userTurns formats each message as a user turn with the model's chat template plus the start of the
// assistant's turn (the generation prompt), and reads the residual stream at the vectors' layer at the last
// token: the end of the assistant's header, where the model has read the message and not yet answered (the
// paper reads the ":" after "Assistant"; in ChatML, SmolLM2's and Qwen's template, it is the newline that
// ends "<|im_start|>assistant\n"). It returns the states [N][D] and that token's text.
func userTurns(m *lm.Model, layer int, msgs []string, p lm.Packing) ([][]float64, string, error) {
	prompts := make([][]int, len(msgs))
	for i, msg := range msgs {
		ids, err := m.ChatPrompt([]chat.Message{{Role: "user", Content: msg}})
		if err != nil {
			return nil, "", fmt.Errorf("probe: the scenarios are read as chat turns: %w", err)
		}
		prompts[i] = ids
	}
	states := make([][]float64, len(msgs))
	err := lm.Read(context.Background(), m, prompts, []int{layer}, p, func(i int, s lm.TextStates) error {
		states[i] = widen(s.At(0, s.N-1))
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("probe: reading the prompts: %w", err)
	}
	last := prompts[0][len(prompts[0])-1]
	return states, m.Tokenizer.Decode([]int{last}, false), nil
}

// messageStates reads each message alone, as the activations stage reads a story (raw text, BOS first), and
// returns its mean state at layer over its own positions 1..n-1 (a message is shorter than token_offset, so
// all of it counts, as ScoreText does for a short text). The read token is "" : there is none.
func messageStates(m *lm.Model, layer int, msgs []string, p lm.Packing) ([][]float64, error) {
	ids := make([][]int, len(msgs))
	for i, msg := range msgs {
		ids[i] = m.ReadingTokens(msg)
		if len(ids[i]) < 2 {
			return nil, fmt.Errorf("probe: scenario %d (%q) has no tokens besides the BOS", i+1, excerpt(msg))
		}
	}
	states := make([][]float64, len(msgs))
	err := lm.Read(context.Background(), m, ids, []int{layer}, p, func(i int, s lm.TextStates) error {
		mean := make([]float64, s.D())
		for t := 1; t < s.N; t++ {
			for j, x := range s.At(0, t) {
				mean[j] += float64(x) / float64(s.N-1)
			}
		}
		states[i] = mean
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("probe: reading the messages: %w", err)
	}
	return states, nil
}

// readMessages reads msgs where read says (ReadHeader when empty) and returns their states, the token read
// ("" for ReadMessage) and the read used.
func readMessages(m *lm.Model, layer int, msgs []string, read Read, p lm.Packing) ([][]float64, string, Read, error) {
	switch read {
	case ReadHeader, "":
		states, tok, err := userTurns(m, layer, msgs, p)
		return states, tok, ReadHeader, err
	case ReadMessage:
		states, err := messageStates(m, layer, msgs, p)
		return states, "", ReadMessage, err
	}
	return nil, "", read, fmt.Errorf("probe: read = %q: want %q or %q", read, ReadHeader, ReadMessage)
}

// where says in words where prompts were read, for the results' String.
func where(read Read, tok string) string {
	if read == ReadMessage {
		return "as the stories were (the message alone, mean over its tokens)"
	}
	return fmt.Sprintf("at %q (the end of the assistant's header)", tok)
}

// projectAll centres the states as opts says and returns their cosines with the vectors [N][E].
func projectAll(p *projector, states [][]float64, opts Options) [][]float64 {
	if opts.CenterOnSet {
		mean := make([]float64, len(states[0]))
		for _, s := range states {
			for j, x := range s {
				mean[j] += x / float64(len(states))
			}
		}
		p.center = mean
	}
	out := make([][]float64, len(states))
	for i, s := range states {
		out[i] = p.cosines(s)
	}
	return out
}

// ScenarioResult is the implicit-scenario test: each scenario read at the end of the assistant's header and
// compared with every vector.
type ScenarioResult struct {
	Emotions  []string    // columns: the vector set's emotions
	Scenarios []Scenario  // rows: the scenarios whose emotion has a vector
	Skipped   []Scenario  // scenarios whose emotion has no vector (not in this run's list)
	Cosine    [][]float64 // [S][E]: cos(h - c, v_e) at the read token
	// Rank is, per scenario, the rank of its own emotion among the E (1 = the highest cosine).
	Rank []int
	// Top1 and Top3 are the fractions of scenarios whose emotion ranks first, or in the first three;
	// Chance1 = 1/E and Chance3 = min(3, E)/E are what random rankings would give.
	Top1, Top3, Chance1, Chance3 float64
	// Targets are the emotions the scenarios imply, in the order of Emotions: the columns of the paper's
	// diagonal matrix, where a scenario's emotion competes with the other scenarios' emotions rather than
	// with every near synonym in the list (a "happy" message that ranks joyful and delighted above happy
	// counts as a miss in Rank, not in TargetRank).
	Targets []string
	// TargetRank, TargetTop1 and TargetTop3 are Rank, Top1 and Top3 among the Targets only; TargetChance1 =
	// 1/T and TargetChance3 = min(3, T)/T.
	TargetRank                                           []int
	TargetTop1, TargetTop3, TargetChance1, TargetChance3 float64
	ReadToken                                            string // the token read, e.g. "\n" (end of "<|im_start|>assistant\n"); "" for ReadMessage
	Read                                                 Read   // where the scenarios were read
	Centering                                            string // "story mean", "set mean" or "none"
	Layer                                                int

	// What the scores were made from, for OnSetMean.
	projector *projector
	states    [][]float64
	opts      Options
}

// Read is where a scenario is read.
type Read string

const (
	// ReadHeader formats the message as a user turn and reads the end of the assistant's header (userTurns):
	// the paper's position, where the model has read the message and is about to answer.
	ReadHeader Read = "header"
	// ReadMessage reads the message alone, as the stories were read, averaged over its tokens
	// (messageStates): what the text itself carries, whatever the model makes of it by the header.
	ReadMessage Read = "message"
)

// ReadScenarios reads the scenarios where opts.Read says (ReadHeader by default), scores them on every vector,
// and measures the diagonal: how often a scenario's own emotion ranks first (top-1) and in the first three
// (top-3). Scenarios whose emotion has no vector are skipped and listed in Skipped.
func ReadScenarios(m *lm.Model, set *vectors.Set, sc []Scenario, opts Options) (*ScenarioResult, error) {
	p, err := newProjector(m, set, opts.Center)
	if err != nil {
		return nil, err
	}
	r := &ScenarioResult{Emotions: set.Emotions, Layer: set.Layer}
	var msgs []string
	for _, s := range sc {
		if slices.Contains(set.Emotions, s.Emotion) {
			r.Scenarios = append(r.Scenarios, s)
			msgs = append(msgs, s.Text)
		} else {
			r.Skipped = append(r.Skipped, s)
		}
	}
	if len(r.Scenarios) == 0 {
		return nil, fmt.Errorf("probe: no scenario has an emotion among the vectors' %d (%s): add scenarios for them",
			len(set.Emotions), strings.Join(set.Emotions, ", "))
	}
	states, tok, read, err := readMessages(m, set.Layer, msgs, opts.Read, opts.Packing)
	if err != nil {
		return nil, err
	}
	r.ReadToken, r.Read = tok, read
	r.projector, r.states = p, states
	r.score(opts)
	return r, nil
}

// OnSetMean scores the same states again centred on the scenarios' own mean (Options.CenterOnSet), without
// reading them again.
func (r *ScenarioResult) OnSetMean() *ScenarioResult {
	o := r.opts
	o.CenterOnSet = true
	c := *r
	c.score(o)
	return &c
}

// score fills the cosines, the centring and the diagonal's figures from r's states.
func (r *ScenarioResult) score(opts Options) {
	r.opts, r.Centering = opts, opts.centering()
	r.Cosine = projectAll(r.projector, r.states, opts)
	r.Targets = nil
	var targets []int // columns of the scenarios' emotions, in the vectors' order
	for j, e := range r.Emotions {
		if slices.ContainsFunc(r.Scenarios, func(s Scenario) bool { return s.Emotion == e }) {
			targets = append(targets, j)
			r.Targets = append(r.Targets, e)
		}
	}
	all := make([]int, len(r.Emotions))
	for j := range all {
		all[j] = j
	}
	r.Rank, r.Top1, r.Top3, r.Chance1, r.Chance3 = r.diagonal(all)
	r.TargetRank, r.TargetTop1, r.TargetTop3, r.TargetChance1, r.TargetChance3 = r.diagonal(targets)
}

// diagonal ranks each scenario's own emotion among the columns cols of the cosine matrix (1 = the highest)
// and returns the ranks, the shares ranked first and in the first three, and what chance would give.
func (r *ScenarioResult) diagonal(cols []int) (rank []int, top1, top3, chance1, chance3 float64) {
	for i, s := range r.Scenarios {
		own := slices.Index(r.Emotions, s.Emotion)
		k := 1
		for _, j := range cols {
			if j != own && r.Cosine[i][j] > r.Cosine[i][own] {
				k++
			}
		}
		rank = append(rank, k)
		if k == 1 {
			top1++
		}
		if k <= 3 {
			top3++
		}
	}
	n, c := float64(len(r.Scenarios)), float64(len(cols))
	return rank, top1 / n, top3 / n, 1 / c, min(3, c) / c
}

// Labels are the row labels of the matrix: "emotion: start of the text".
func (r *ScenarioResult) Labels() []string {
	out := make([]string, len(r.Scenarios))
	for i, s := range r.Scenarios {
		t := s.Text
		if len(t) > 40 {
			t = strings.TrimSpace(t[:strings.LastIndex(t[:40], " ")+1]) + "..."
		}
		out[i] = s.Emotion + ": " + t
	}
	return out
}

// Heatmap draws the paper's matrix: scenarios by the emotions they target (Targets), cosines in the cells,
// so the diagonal stands out when the vectors read the scenarios.
func (r *ScenarioResult) Heatmap() (drawing.Figure, error) {
	cells := make([][]float64, len(r.Scenarios))
	lim := 0.0
	for i := range r.Scenarios {
		for _, e := range r.Targets {
			c := r.Cosine[i][slices.Index(r.Emotions, e)]
			cells[i] = append(cells[i], c)
			lim = max(lim, c, -c)
		}
	}
	if lim == 0 {
		lim = 1
	}
	return drawing.Heatmap(r.Labels(), cells, drawing.HeatmapOptions{
		Title: fmt.Sprintf("Implicit scenarios at layer %d: own emotion in the top 3 of the %d targeted: %.0f%% (chance %.0f%%); of all %d: %.0f%% (chance %.0f%%)",
			r.Layer, len(r.Targets), 100*r.TargetTop3, 100*r.TargetChance3, len(r.Emotions), 100*r.Top3, 100*r.Chance3),
		ColLabels: r.Targets, CellLabels: true, ValueName: "cosine", Min: -lim, Max: lim,
	})
}

// String is a text table: per scenario, its emotion, the rank of that emotion among the targeted emotions
// and among all, and the top 3 of all.
func (r *ScenarioResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "implicit scenarios, layer %d, read %s, centring: %s\n", r.Layer, where(r.Read, r.ReadToken), r.Centering)
	fmt.Fprintf(&b, "  %-12s %9s %9s   %s\n", "emotion", "of "+strconv.Itoa(len(r.Targets)), "of "+strconv.Itoa(len(r.Emotions)), "top 3 of all")
	for i, s := range r.Scenarios {
		top := Rank(r.Emotions, r.Cosine[i])
		var names []string
		for _, t := range top[:min(3, len(top))] {
			names = append(names, fmt.Sprintf("%s %.3f", t.Emotion, t.Score))
		}
		fmt.Fprintf(&b, "  %-12s %9d %9d   %s\n", s.Emotion, r.TargetRank[i], r.Rank[i], strings.Join(names, ", "))
	}
	fmt.Fprintf(&b, "among the %d targeted emotions: top-1 %.0f%% (chance %.0f%%), top-3 %.0f%% (chance %.0f%%)\n",
		len(r.Targets), 100*r.TargetTop1, 100*r.TargetChance1, 100*r.TargetTop3, 100*r.TargetChance3)
	fmt.Fprintf(&b, "among all %d emotions: top-1 %.0f%% (chance %.0f%%), top-3 %.0f%% (chance %.0f%%); %d scenarios",
		len(r.Emotions), 100*r.Top1, 100*r.Chance1, 100*r.Top3, 100*r.Chance3, len(r.Scenarios))
	if len(r.Skipped) > 0 {
		var sk []string
		for _, s := range r.Skipped {
			if !slices.Contains(sk, s.Emotion) {
				sk = append(sk, s.Emotion)
			}
		}
		fmt.Fprintf(&b, "; %d skipped, their emotion has no vector: %s", len(r.Skipped), strings.Join(sk, ", "))
	}
	return b.String()
}

// SweepResult is a numeric sweep: the followed emotions' scores against X.
type SweepResult struct {
	Spec      SweepSpec
	Emotions  []string    // the followed emotions that have a vector
	Skipped   []string    // those that have none
	Scores    [][]float64 // [len(Emotions)][len(Spec.Values)]
	ReadToken string
	Read      Read // where the prompts were read
	Centering string
	Layer     int
}

// Sweep reads the sweep's message for each value of X as ReadScenarios reads a scenario and follows the
// scores of the spec's emotions: the paper's "I just took {X} mg of tylenol", where afraid rises and calm
// falls with the dose.
func Sweep(m *lm.Model, set *vectors.Set, s SweepSpec, opts Options) (*SweepResult, error) {
	p, err := newProjector(m, set, opts.Center)
	if err != nil {
		return nil, err
	}
	if len(s.Values) == 0 {
		return nil, fmt.Errorf("probe: the sweep %q has no values", s.Template)
	}
	r := &SweepResult{Spec: s, Centering: opts.centering(), Layer: set.Layer}
	var cols []int
	for _, e := range s.Emotions {
		if j := slices.Index(set.Emotions, e); j >= 0 {
			r.Emotions, cols = append(r.Emotions, e), append(cols, j)
		} else {
			r.Skipped = append(r.Skipped, e)
		}
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("probe: none of the sweep's emotions (%s) has a vector: pick among %s",
			strings.Join(s.Emotions, ", "), strings.Join(set.Emotions, ", "))
	}
	msgs := make([]string, len(s.Values))
	for i, x := range s.Values {
		msgs[i] = s.Text(x)
	}
	states, tok, read, err := readMessages(m, set.Layer, msgs, opts.Read, opts.Packing)
	if err != nil {
		return nil, err
	}
	r.ReadToken, r.Read = tok, read
	cos := projectAll(p, states, opts)
	r.Scores = make([][]float64, len(cols))
	for k, j := range cols {
		for i := range s.Values {
			r.Scores[k] = append(r.Scores[k], cos[i][j])
		}
	}
	return r, nil
}

// Figure draws one line per emotion against X.
func (r *SweepResult) Figure() (drawing.Figure, error) {
	series := make([]drawing.Series, len(r.Emotions))
	for k, e := range r.Emotions {
		series[k] = drawing.Series{Name: e, Y: r.Scores[k]}
	}
	return drawing.Line(r.Spec.Values, series, drawing.PlotOptions{
		Title:  fmt.Sprintf("%q at layer %d", r.Spec.Template, r.Layer),
		XLabel: r.Spec.XLabel, YLabel: "cosine with the emotion vector",
	})
}

// String is a text table: one row per value of X, one column per emotion.
func (r *SweepResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sweep %q, layer %d, read %s, centring: %s\n%12s", r.Spec.Template, r.Layer, where(r.Read, r.ReadToken), r.Centering, "X")
	for _, e := range r.Emotions {
		fmt.Fprintf(&b, " %10s", e)
	}
	for i, x := range r.Spec.Values {
		fmt.Fprintf(&b, "\n%12g", x)
		for k := range r.Emotions {
			fmt.Fprintf(&b, " %10.4f", r.Scores[k][i])
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "\nskipped (no vector): %s", strings.Join(r.Skipped, ", "))
	}
	return b.String()
}
