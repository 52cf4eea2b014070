package probe

import (
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"gonum.org/v1/gonum/mat"
)

// smolTemplate is SmolLM2-135M-Instruct's chat template (its tokenizer_config.json); the tiny test model
// has the same <|im_start|> and <|im_end|> tokens but no template of its own.
const smolTemplate = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"

var tiny struct {
	sync.Once
	m   *lm.Model
	err error
}

// tinyModel is the random 2-layer Llama of pkg/engine/lm/testdata (D = 32), with SmolLM2's chat template.
func tinyModel(t *testing.T) *lm.Model {
	t.Helper()
	tiny.Do(func() {
		tiny.m, tiny.err = lm.Load(filepath.Join("..", "..", "engine", "lm", "testdata", "tiny-llama"), lm.LoadOptions{})
		if tiny.err == nil {
			tiny.m.Chat, tiny.err = chat.Compile(smolTemplate, "SmolLM2's tokenizer_config.json", chat.SpecialTokens{})
		}
	})
	if tiny.err != nil {
		t.Fatal(tiny.err)
	}
	return tiny.m
}

// states reads token ids and returns h_layer [T][D] in float64, independently of the package's code.
func states(t *testing.T, m *lm.Model, ids []int, layer int) [][]float64 {
	t.Helper()
	hs, err := m.HiddenStates([][]int{ids}, []int{layer})
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, len(ids))
	for i := range ids {
		for _, x := range hs.At(0, 0, i) {
			out[i] = append(out[i], float64(x))
		}
	}
	return out
}

// setOf makes a vector set from rows.
func setOf(emotions []string, rows [][]float64, layer int) *vectors.Set {
	v := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		v.SetRow(i, r)
	}
	return &vectors.Set{Emotions: emotions, Vectors: v, Layer: layer}
}

func cosine(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	return ab / math.Sqrt(aa*bb)
}

func sub(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

// When the vectors are the (centred) hidden states of known tokens of the text itself, each of those tokens
// has cosine 1 with its own vector, and every other number equals a cosine computed here by hand.
func TestScoreTextKnownVectors(t *testing.T) {
	m := tinyModel(t)
	text := "the cat sat on the mat and then it went to sleep"
	ids := m.ReadingTokens(text)
	const layer = 1
	h := states(t, m, ids, layer)
	center := make([]float64, len(h[0]))
	for _, row := range h {
		for j, x := range row {
			center[j] += x / float64(len(h))
		}
	}
	picks := []int{2, 5, len(ids) - 1}
	for _, c := range []struct {
		name   string
		center []float64
	}{{"raw", nil}, {"centred", center}} {
		t.Run(c.name, func(t *testing.T) {
			zero := make([]float64, len(h[0]))
			ctr := zero
			if c.center != nil {
				ctr = c.center
			}
			var rows [][]float64
			for _, p := range picks {
				rows = append(rows, sub(h[p], ctr))
			}
			emotions := []string{"a", "b", "c"}
			set := setOf(emotions, rows, layer)
			for _, at := range []At{AtMean, AtLast} {
				s, err := ScoreText(m, set, text, Options{Center: c.center, At: at, TokenOffset: 4})
				if err != nil {
					t.Fatal(err)
				}
				if len(s.Tokens) != len(ids) || s.Tokens[0].ID != ids[0] {
					t.Fatalf("tokens: got %d starting %d, want %d starting with the BOS %d", len(s.Tokens), s.Tokens[0].ID, len(ids), ids[0])
				}
				for k, p := range picks {
					if got := s.Tokens[p].Scores[k]; math.Abs(got-1) > 1e-9 {
						t.Errorf("token %d on its own vector: cosine %v, want 1", p, got)
					}
				}
				for tok := range ids {
					for k := range picks {
						want := cosine(sub(h[tok], ctr), rows[k])
						if got := s.Tokens[tok].Scores[k]; math.Abs(got-want) > 1e-9 {
							t.Errorf("token %d, vector %d: %v, want %v", tok, k, got, want)
						}
					}
				}
				// The text's score: the mean state over positions 4..n-1, or the last state.
				read := h[len(h)-1]
				from := len(ids) - 1
				if at == AtMean {
					from = 4
					read = make([]float64, len(h[0]))
					for tok := 4; tok < len(h); tok++ {
						for j, x := range h[tok] {
							read[j] += x / float64(len(h)-4)
						}
					}
				}
				if s.From != from || s.To != len(ids) {
					t.Errorf("at %s: positions %d..%d, want %d..%d", at, s.From, s.To, from, len(ids))
				}
				for _, r := range s.Ranked {
					k := slices.Index(emotions, r.Emotion)
					if want := cosine(sub(read, ctr), rows[k]); math.Abs(r.Score-want) > 1e-9 {
						t.Errorf("at %s, %s: %v, want %v", at, r.Emotion, r.Score, want)
					}
				}
				if !sort.SliceIsSorted(s.Ranked, func(a, b int) bool { return s.Ranked[a].Score > s.Ranked[b].Score }) {
					t.Errorf("at %s: not ranked: %v", at, s.Ranked)
				}
			}
		})
	}
}

// A text shorter than the offset is read from position 1 (the BOS left out).
func TestScoreTextShort(t *testing.T) {
	m := tinyModel(t)
	h := states(t, m, m.ReadingTokens("hello there"), 1)
	set := setOf([]string{"x", "y"}, [][]float64{h[1], h[2]}, 1)
	s, err := ScoreText(m, set, "hello there", Options{At: AtMean, TokenOffset: 50})
	if err != nil {
		t.Fatal(err)
	}
	if s.From != 1 || s.To != len(h) {
		t.Errorf("positions %d..%d, want 1..%d", s.From, s.To, len(h))
	}
	for _, bad := range []struct {
		text string
		opts Options
		want string
	}{
		{"", Options{}, "no tokens"},
		{"hi", Options{At: "first"}, `at = "first"`},
	} {
		if _, err := ScoreText(m, set, bad.text, bad.opts); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ScoreText(%q, %+v): got %v, want an error with %q", bad.text, bad.opts, err, bad.want)
		}
	}
	wide := setOf([]string{"x"}, [][]float64{make([]float64, 7)}, 1)
	if _, err := ScoreText(m, wide, "hi", Options{}); err == nil || !strings.Contains(err.Error(), "hidden size is 32") {
		t.Errorf("vectors of another width: got %v", err)
	}
}

// The JSON form: "emotions" ranked high to low as {"emotion", "score"}, then per-token detail.
func TestScoreJSON(t *testing.T) {
	m := tinyModel(t)
	h := states(t, m, m.ReadingTokens("one two three four"), 2)
	set := setOf([]string{"calm", "afraid", "happy"}, [][]float64{h[1], h[2], h[3]}, 2)
	s, err := ScoreText(m, set, "one two three four", Options{At: AtLast})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Emotions []map[string]any `json:"emotions"`
		At       string           `json:"at"`
		Layer    int              `json:"layer"`
		Tokens   []struct {
			Position int                `json:"position"`
			ID       int                `json:"id"`
			Text     string             `json:"text"`
			Scores   map[string]float64 `json:"scores"`
		} `json:"tokens"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), `{"emotions":[{"emotion":`) {
		t.Errorf("JSON starts %.40s, want the ranked emotions first", data)
	}
	if len(got.Emotions) != 3 || got.At != "last" || got.Layer != 2 || len(got.Tokens) != len(h) {
		t.Fatalf("JSON: %s", data)
	}
	for i, e := range got.Emotions {
		if len(e) != 2 || e["emotion"] == nil || e["score"] == nil {
			t.Errorf("emotions[%d] = %v, want exactly emotion and score", i, e)
		}
		if i > 0 && e["score"].(float64) > got.Emotions[i-1]["score"].(float64) {
			t.Errorf("emotions not sorted high to low: %s", data)
		}
	}
	if tk := got.Tokens[3]; tk.Position != 3 || math.Abs(tk.Scores["happy"]-1) > 1e-9 || len(tk.Scores) != 3 {
		t.Errorf("tokens[3] = %+v, want position 3 and happy = 1 (its own state)", tk)
	}
}

func TestRank(t *testing.T) {
	got := Rank([]string{"b", "a", "c"}, []float64{0.1, 0.1, 0.5})
	want := []EmotionScore{{"c", 0.5}, {"a", 0.1}, {"b", 0.1}}
	if !slices.Equal(got, want) {
		t.Errorf("Rank = %v, want %v", got, want)
	}
}

// Scoring many texts in batches gives each text the scores it gets alone, in the order given.
func TestScoreTextsMatchesOneByOne(t *testing.T) {
	m := tinyModel(t)
	texts := []string{"a short one", "the cat sat on the mat and then it went to sleep", "hello there", "one more text to read"}
	ids := m.ReadingTokens(texts[1])
	h := states(t, m, ids, 1)
	set := setOf([]string{"a", "b"}, [][]float64{h[2], h[len(h)-1]}, 1)
	opts := Options{At: AtMean, TokenOffset: 2}
	packed := opts
	packed.Packing = lm.Packing{MaxRows: 3} // a pass of 3 texts of different lengths, then one alone
	many, err := ScoreTexts(m, set, texts, packed)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		one, err := ScoreText(m, set, text, opts)
		if err != nil {
			t.Fatal(err)
		}
		for j := range one.Ranked {
			if a, b := one.Ranked[j], many[i].Ranked[j]; a.Emotion != b.Emotion || math.Abs(a.Score-b.Score) > 1e-5 {
				t.Errorf("text %d, rank %d: alone %+v, batched %+v", i, j, a, b)
			}
		}
		if len(one.Tokens) != len(many[i].Tokens) {
			t.Errorf("text %d: %d tokens alone, %d batched", i, len(one.Tokens), len(many[i].Tokens))
		}
	}
}
