package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"gonum.org/v1/gonum/mat"
)

// At says where a text is read for its ranked emotions.
type At string

const (
	// AtMean reads the text's mean hidden state over positions TokenOffset..n-1 (all of the text's own
	// positions, 1..n-1, when it has no more than TokenOffset tokens): the way the stories were read.
	AtMean At = "mean"
	// AtLast reads the hidden state of the last token: what the model holds when it is about to continue.
	AtLast At = "last"
)

// Options says how hidden states are projected on the vectors.
type Options struct {
	// Center [D] is subtracted from every hidden state before its cosine with the vectors. StoryMean gives
	// the point the vectors were centred at (the mean over emotions of the emotion means), the usual choice;
	// nil subtracts nothing (the raw cosine). See the package documentation for why it matters.
	Center []float64
	// CenterOnSet (ReadScenarios, Sweep only) subtracts the mean state of the prompts read together instead
	// of Center: what the chat template and the read position share drops out, and so does anything the
	// prompts have in common, emotion included. Transductive: a prompt's scores depend on the others.
	CenterOnSet bool
	// Read (ReadScenarios only): where a scenario is read; ReadHeader when empty.
	Read Read
	// At and TokenOffset (ScoreText only): where the text is read; TokenOffset as extraction.token_offset.
	At          At
	TokenOffset int
	// Packing is how texts read together are packed into forward passes (lm.Read): the zero value is
	// lm.DefaultBatchTokens a pass; activations.Packing gives a run's own. Scores do not depend on it.
	Packing lm.Packing
}

// centering names the centring of o for reports.
func (o Options) centering() string {
	switch {
	case o.CenterOnSet:
		return "set mean"
	case o.Center != nil:
		return "story mean"
	}
	return "none"
}

// EmotionScore is one emotion's score for a text.
type EmotionScore struct {
	Emotion string  `json:"emotion"`
	Score   float64 `json:"score"`
}

// Token is one token of a scored text with its cosine on every vector.
type Token struct {
	Position int       // 0 is the BOS
	ID       int       // the token id
	Text     string    // its text (Decode of the single id: a piece of a multi-byte character shows as U+FFFD)
	Scores   []float64 // [E], in the vector set's emotion order
}

// TextScore is a text read by the model and projected on the emotion vectors.
type TextScore struct {
	Emotions []string // the vector set's emotions: the order of every Token.Scores
	Layer    int      // hidden_states index read
	Tokens   []Token  // [T], BOS first
	// Ranked are the text's emotions, highest score first, read as At says.
	Ranked []EmotionScore
	At     At
	// From and To bound the positions read for Ranked (To exclusive): From..T for AtMean, T-1..T for AtLast.
	From, To  int
	Centering string // "story mean" or "none"
}

// MarshalJSON writes {"emotions": Ranked, "at", "from", "to", "layer", "centering", "tokens": [{"position",
// "id", "text", "scores": {emotion: cosine}}]}: the ranked list first, for `jq '.emotions[0]'`.
func (s *TextScore) MarshalJSON() ([]byte, error) {
	type tok struct {
		Position int                `json:"position"`
		ID       int                `json:"id"`
		Text     string             `json:"text"`
		Scores   map[string]float64 `json:"scores"`
	}
	out := struct {
		Emotions  []EmotionScore `json:"emotions"`
		At        At             `json:"at"`
		From      int            `json:"from"`
		To        int            `json:"to"`
		Layer     int            `json:"layer"`
		Centering string         `json:"centering"`
		Tokens    []tok          `json:"tokens"`
	}{s.Ranked, s.At, s.From, s.To, s.Layer, s.Centering, make([]tok, len(s.Tokens))}
	for i, t := range s.Tokens {
		sc := make(map[string]float64, len(t.Scores))
		for j, e := range s.Emotions {
			sc[e] = t.Scores[j]
		}
		out.Tokens[i] = tok{t.Position, t.ID, t.Text, sc}
	}
	return json.Marshal(out)
}

// ScoreText reads text as the activations stage reads a story (lm.Model.ReadingTokens: raw text, BOS first),
// takes the residual stream at the vectors' layer, and gives each token's cosine with every vector and the
// text's emotions ranked (see At).
//
//	score_e(t) = cos(h_L[t] - c, v_e)        c = opts.Center, or 0
//
// The text's score at AtMean is the cosine of the mean state (not the mean of the per-token cosines), the
// quantity the vectors were built from: cos(mean_t h_L[t] - c, v_e).
func ScoreText(m *lm.Model, set *vectors.Set, text string, opts Options) (*TextScore, error) {
	out, err := ScoreTexts(m, set, []string{text}, opts)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// ScoreTexts scores many texts as ScoreText scores one, reading them in passes packed by length
// (opts.Packing, lm.Read); the results are in the order of texts.
func ScoreTexts(m *lm.Model, set *vectors.Set, texts []string, opts Options) ([]*TextScore, error) {
	p, err := newProjector(m, set, opts.Center)
	if err != nil {
		return nil, err
	}
	at := opts.At
	if at == "" {
		at = AtMean
	}
	if at != AtMean && at != AtLast {
		return nil, fmt.Errorf("probe: at = %q: want %q or %q", at, AtMean, AtLast)
	}
	ids := make([][]int, len(texts))
	for i, text := range texts {
		ids[i] = m.ReadingTokens(text)
		if len(ids[i]) < 2 {
			return nil, fmt.Errorf("probe: text %d (%q) has no tokens besides the BOS: give some text", i+1, excerpt(text))
		}
		if n := m.Config.MaxPositions; n > 0 && len(ids[i]) > n {
			return nil, fmt.Errorf("probe: text %d has %d tokens, more than the model's context of %d: score a shorter text", i+1, len(ids[i]), n)
		}
	}
	out := make([]*TextScore, len(texts))
	err = lm.Read(context.Background(), m, ids, []int{set.Layer}, opts.Packing, func(i int, s lm.TextStates) error {
		out[i] = score(m, p, set, s, ids[i], at, opts)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("probe: reading the texts: %w", err)
	}
	return out, nil
}

// score makes the TextScore of a text from its states.
func score(m *lm.Model, p *projector, set *vectors.Set, hs lm.TextStates, ids []int, at At, opts Options) *TextScore {
	s := &TextScore{Emotions: set.Emotions, Layer: set.Layer, At: at, Centering: opts.centering()}
	for t, id := range ids {
		s.Tokens = append(s.Tokens, Token{Position: t, ID: id, Text: m.Tokenizer.Decode([]int{id}, false),
			Scores: p.cosines(widen(hs.At(0, t)))})
	}
	s.From, s.To = len(ids)-1, len(ids)
	if at == AtMean {
		s.From = 1 // the BOS's state is the same for every text
		if opts.TokenOffset > 0 && len(ids) > opts.TokenOffset {
			s.From = opts.TokenOffset
		}
	}
	mean := make([]float64, hs.D())
	for t := s.From; t < s.To; t++ {
		for j, x := range hs.At(0, t) {
			mean[j] += float64(x)
		}
	}
	for j := range mean {
		mean[j] /= float64(s.To - s.From)
	}
	s.Ranked = Rank(set.Emotions, p.cosines(mean))
	return s
}

// excerpt shortens a text for a message.
func excerpt(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "..."
	}
	return s
}

// Rank pairs emotions with scores, highest first (ties by name).
func Rank(emotions []string, scores []float64) []EmotionScore {
	out := make([]EmotionScore, len(emotions))
	for i, e := range emotions {
		out[i] = EmotionScore{e, scores[i]}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Score != out[b].Score {
			return out[a].Score > out[b].Score
		}
		return out[a].Emotion < out[b].Emotion
	})
	return out
}

// projector holds the vectors as unit rows and the centre.
type projector struct {
	unit   *mat.Dense // [E, D]
	center []float64  // [D] or nil
}

func newProjector(m *lm.Model, set *vectors.Set, center []float64) (*projector, error) {
	if set == nil || set.Vectors == nil || len(set.Emotions) == 0 {
		return nil, fmt.Errorf("probe: no emotion vectors: load them with vectors.LoadDefault")
	}
	e, d := set.Vectors.Dims()
	if d != m.Config.HiddenSize {
		return nil, fmt.Errorf("probe: the vectors have width %d but the model's hidden size is %d: they were made with another model", d, m.Config.HiddenSize)
	}
	if set.Layer < 0 || set.Layer > m.Config.NumLayers {
		return nil, fmt.Errorf("probe: the vectors' layer %d is not one of this model's 0..%d (metadata \"layer\" missing or another model?)", set.Layer, m.Config.NumLayers)
	}
	if center != nil && len(center) != d {
		return nil, fmt.Errorf("probe: the centre has %d values, the vectors %d", len(center), d)
	}
	unit := mat.NewDense(e, d, nil)
	for i := range e {
		row := set.Vectors.RawRowView(i)
		n := floats(row).norm()
		if n == 0 {
			return nil, fmt.Errorf("probe: the vector of %q is zero: rerun `emotion-probes %s --force`", set.Emotions[i], vectors.Command)
		}
		for j, x := range row {
			unit.Set(i, j, x/n)
		}
	}
	return &projector{unit: unit, center: center}, nil
}

// cosines returns cos(h - center, v_e) for every emotion [E]; all zero when h equals the centre.
func (p *projector) cosines(h []float64) []float64 {
	x := append([]float64(nil), h...)
	for j := range x {
		if p.center != nil {
			x[j] -= p.center[j]
		}
	}
	e, _ := p.unit.Dims()
	out := make([]float64, e)
	n := floats(x).norm()
	if n == 0 {
		return out
	}
	mat.NewVecDense(e, out).MulVec(p.unit, mat.NewVecDense(len(x), x))
	for i := range out {
		out[i] /= n
	}
	return out
}

type floats []float64

func (f floats) norm() float64 {
	s := 0.0
	for _, x := range f {
		s += x * x
	}
	return math.Sqrt(s)
}

func widen(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
