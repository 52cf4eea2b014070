package activations

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/neutral"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/progress"
)

// fakeEngine is an Engine whose states are known by construction: a word is one token (id = its length,
// so texts of equal words are equal), BOS is id 1000, and the state of a token at position t, layer L and
// coordinate d is value(id, t, L, d). Its batches are right-padded with garbage (NaN), so a reader that
// averages padding fails loudly.
type fakeEngine struct {
	d     int
	value func(id, t, layer, d int) float32
	// before, if set, runs before each HiddenStates call with the call's index.
	before func(call int) error
	calls  [][]int // lengths of each call's texts
	// rounding, if set, adds to every state a small amount that depends on the pass's shape, as float32
	// rounding does in a real engine (lm's TestReadInvariantToPacking): a text's states then depend on
	// which texts it was read with.
	rounding bool
}

const fakeBOS = 1000

func (e *fakeEngine) ReadingTokens(text string) []int {
	ids := []int{fakeBOS}
	for _, w := range strings.Fields(text) {
		ids = append(ids, len(w))
	}
	return ids
}

func (e *fakeEngine) HiddenStates(texts [][]int, layers []int) (*lm.HiddenStates, error) {
	if e.before != nil {
		if err := e.before(len(e.calls)); err != nil {
			return nil, err
		}
	}
	var lens []int
	T := 0
	for _, t := range texts {
		lens = append(lens, len(t))
		T = max(T, len(t))
	}
	e.calls = append(e.calls, lens)
	T = (T + 15) / 16 * 16 // pad like lm does
	h := &lm.HiddenStates{Layers: layers, Lengths: lens, B: len(texts), T: T, D: e.d}
	nan := float32(0)
	nan = nan / nan
	for _, L := range layers {
		data := make([]float32, h.B*T*e.d)
		for b, text := range texts {
			for t := 0; t < T; t++ {
				for d := 0; d < e.d; d++ {
					v := nan
					if t < len(text) {
						v = e.value(text[t], t, L, d)
						if e.rounding {
							v += float32((len(texts)*T)%13) / 1024
						}
					}
					data[(b*T+t)*e.d+d] = v
				}
			}
		}
		h.Data = append(h.Data, data)
	}
	return h, nil
}

// simpleValue makes every coordinate distinct and position-dependent.
func simpleValue(id, t, layer, d int) float32 {
	return float32(id*7+t*3+layer*100) + float32(d)/8
}

// words makes a text of n words of lengths cycling from start.
func words(n, start int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.Repeat("x", 1+(start+i)%9))
	}
	return b.String()
}

// testConfig is a config writing to a temp dir, with the given emotions and topics.
func testConfig(t *testing.T, emotions, topics []string) *config.Config {
	cfg := config.Default()
	cfg.Name = "test"
	cfg.Emotions = emotions
	cfg.Topics = topics
	cfg.Output.Dir = t.TempDir()
	cfg.Extraction.TokenOffset = 3
	cfg.Extraction.BatchSize = 3 // passes of at most 3 texts: several per unit, and units share some
	cfg.Extraction.Layers = config.Layers{Indices: []int{2, 1}}
	return cfg
}

// writeStages writes a complete stories stage (perTopic stories per pair, of varied lengths, some too
// short) and a neutral stage (3 dialogues per topic) for cfg.
func writeStages(t *testing.T, cfg *config.Config, perTopic int) {
	t.Helper()
	out := cfg.OutputDir()
	st, err := checkpoint.OpenStage(out, stories.StageName, checkpoint.Fingerprint{"v": "1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for ei, e := range cfg.Emotions {
		for ti, topic := range cfg.Topics {
			u := stories.Unit{Emotion: e, Topic: topic, TopicID: config.TopicID(topic), Requested: perTopic}
			for k := 0; k < perTopic; k++ {
				n := 2 + (ei*5+ti*3+k*4)%11 // 2..12 words: some at or below the offset
				u.Kept = append(u.Kept, stories.Story{Text: words(n, ei+ti+k), Attempt: k})
			}
			if err := st.WriteJSON(config.Slug(e)+"/"+config.TopicID(topic)+".json", u); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.MarkComplete(nil); err != nil {
		t.Fatal(err)
	}
	ns, err := checkpoint.OpenStage(out, neutral.StageName, checkpoint.Fingerprint{"v": "1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for ti, topic := range cfg.Topics {
		u := neutral.Unit{Topic: topic, TopicID: config.TopicID(topic), Requested: 3}
		for k := 0; k < 3; k++ {
			u.Kept = append(u.Kept, neutral.Dialog{Text: "Human: " + words(4+ti+k, k) + "\nAssistant: " + words(3, ti), Attempt: k})
		}
		if err := ns.WriteJSON(config.TopicID(topic)+".json", u); err != nil {
			t.Fatal(err)
		}
	}
	if err := ns.MarkComplete(nil); err != nil {
		t.Fatal(err)
	}
}

func quiet() progress.Options { return progress.Options{Quiet: true} }

var (
	testEmotions = []string{"happy", "at ease", "afraid", "self-conscious", "sad"}
	testTopics   = []string{"A day at the market", "Fixing a bicycle", "A letter from home"}
)

func fmtLayers(l []int) string { return fmt.Sprint(l) }
