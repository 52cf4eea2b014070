package probe

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
)

// headerStates reads each message as a chat turn, independently of the package, and returns the state at
// the last token of the prompt [N][D].
func headerStates(t *testing.T, msgs []string, layer int) [][]float64 {
	t.Helper()
	m := tinyModel(t)
	var out [][]float64
	for _, msg := range msgs {
		ids, err := m.ChatPrompt([]chat.Message{{Role: "user", Content: msg}})
		if err != nil {
			t.Fatal(err)
		}
		h := states(t, m, ids, layer)
		out = append(out, h[len(h)-1])
	}
	return out
}

// When each emotion's vector is the state its own scenario leaves at the end of the assistant's header, the
// diagonal is 1 and every scenario ranks its own emotion first.
func TestReadScenariosDiagonal(t *testing.T) {
	m := tinyModel(t)
	sc := []Scenario{
		{Emotion: "sad", Text: "My dog died this morning."},
		{Emotion: "happy", Text: "My daughter took her first steps!"},
		{Emotion: "afraid", Text: "Someone is breaking in downstairs."},
		{Emotion: "guilty", Text: "I forgot my mother's birthday."}, // no vector: skipped
	}
	msgs := []string{sc[0].Text, sc[1].Text, sc[2].Text}
	h := headerStates(t, msgs, 2)
	mean := make([]float64, len(h[0]))
	for _, r := range h {
		for j, x := range r {
			mean[j] += x / 3
		}
	}
	for _, c := range []struct {
		name string
		rows [][]float64
		opts Options
		want string
	}{
		{"raw", h, Options{}, "none"},
		{"set mean", [][]float64{sub(h[0], mean), sub(h[1], mean), sub(h[2], mean)}, Options{CenterOnSet: true}, "set mean"},
	} {
		t.Run(c.name, func(t *testing.T) {
			set := setOf([]string{"sad", "happy", "afraid"}, c.rows, 2)
			r, err := ReadScenarios(m, set, sc, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Scenarios) != 3 || len(r.Skipped) != 1 || r.Skipped[0].Emotion != "guilty" {
				t.Fatalf("read %d, skipped %v: want 3 read and guilty skipped", len(r.Scenarios), r.Skipped)
			}
			for i := range 3 {
				if math.Abs(r.Cosine[i][i]-1) > 1e-9 || r.Rank[i] != 1 {
					t.Errorf("scenario %d: cosine with its own vector %v, rank %d; want 1 and 1", i, r.Cosine[i][i], r.Rank[i])
				}
			}
			if r.Top1 != 1 || r.Top3 != 1 || math.Abs(r.Chance1-1.0/3) > 1e-12 || r.Chance3 != 1 || r.Centering != c.want {
				t.Errorf("top-1 %v, top-3 %v, chance %v/%v, centring %q", r.Top1, r.Top3, r.Chance1, r.Chance3, r.Centering)
			}
			if r.ReadToken != "\n" {
				t.Errorf("read at %q, want the newline that ends <|im_start|>assistant", r.ReadToken)
			}
			if s := r.String(); !strings.Contains(s, "top-1 100% (chance 33%)") || !strings.Contains(s, "skipped") {
				t.Errorf("String:\n%s", s)
			}
			if _, err := r.Heatmap(); err != nil {
				t.Error(err)
			}
		})
	}
	// The rank of a scenario's emotion counts the emotions above it: swap two vectors.
	set := setOf([]string{"sad", "happy", "afraid"}, [][]float64{h[1], h[0], h[2]}, 2)
	r, err := ReadScenarios(m, set, sc[:3], Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Rank[2] != 1 || r.Rank[0] == 1 || r.Rank[1] == 1 || math.Abs(r.Top1-1.0/3) > 1e-12 {
		t.Errorf("swapped vectors: ranks %v, top-1 %v; want afraid first only", r.Rank, r.Top1)
	}
	if _, err := ReadScenarios(m, set, sc[3:], Options{}); err == nil || !strings.Contains(err.Error(), "no scenario has an emotion") {
		t.Errorf("only skipped scenarios: got %v", err)
	}
	// A vector no scenario targets can outrank a scenario's own emotion among all the emotions but not
	// among the targeted ones: joyful is happy's scenario state exactly, happy's vector is that state nudged
	// towards sad's, so happy ranks 2nd of 4 and 1st of the 3 targeted.
	c := [][]float64{sub(h[0], mean), sub(h[1], mean), sub(h[2], mean)}
	nudged := make([]float64, len(c[1]))
	for j := range nudged {
		nudged[j] = c[1][j] + 0.1*c[0][j]
	}
	set = setOf([]string{"sad", "happy", "afraid", "joyful"}, [][]float64{c[0], nudged, c[2], c[1]}, 2)
	r, err = ReadScenarios(m, set, sc[:3], Options{CenterOnSet: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.Targets, ",") != "sad,happy,afraid" {
		t.Errorf("targets %v, want sad, happy, afraid", r.Targets)
	}
	if r.Rank[1] != 2 || r.TargetRank[1] != 1 || r.TargetTop1 != 1 || math.Abs(r.Top1-2.0/3) > 1e-12 {
		t.Errorf("ranks %v among all, %v among the targeted (top-1 %v, %v); want happy 2nd of all, 1st of the targeted",
			r.Rank, r.TargetRank, r.Top1, r.TargetTop1)
	}
	if math.Abs(r.TargetChance1-1.0/3) > 1e-12 || r.TargetChance3 != 1 || r.Chance1 != 0.25 || r.Chance3 != 0.75 {
		t.Errorf("chance: targeted %v/%v, all %v/%v", r.TargetChance1, r.TargetChance3, r.Chance1, r.Chance3)
	}

	// OnSetMean scores a reading without centring as a read centred on the set's mean would, and leaves the
	// first scores as they were.
	raw, err := ReadScenarios(m, set, sc[:3], Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := fmt.Sprint(raw.Cosine)
	onSet := raw.OnSetMean()
	if onSet.Centering != "set mean" || raw.Centering != "none" || fmt.Sprint(raw.Cosine) != before {
		t.Errorf("centring %q (first read %q, scores changed: %v)", onSet.Centering, raw.Centering, fmt.Sprint(raw.Cosine) != before)
	}
	for i := range r.Cosine {
		for j := range r.Cosine[i] {
			if math.Abs(onSet.Cosine[i][j]-r.Cosine[i][j]) > 1e-9 {
				t.Fatalf("OnSetMean cosine [%d][%d] = %v, a read centred on the set gives %v", i, j, onSet.Cosine[i][j], r.Cosine[i][j])
			}
		}
	}
	if !slices.Equal(onSet.TargetRank, r.TargetRank) || onSet.Top1 != r.Top1 {
		t.Errorf("OnSetMean ranks %v (top-1 %v), want %v (%v)", onSet.TargetRank, onSet.Top1, r.TargetRank, r.Top1)
	}
}

// The sweep reads each value's message like a scenario and keeps the followed emotions' columns.
func TestSweep(t *testing.T) {
	m := tinyModel(t)
	spec := SweepSpec{Template: "I just took {X} mg of tylenol.", Values: []float64{100, 1000, 10000},
		Emotions: []string{"afraid", "calm", "jealous"}, XLabel: "dose (mg)"}
	var msgs []string
	for _, x := range spec.Values {
		msgs = append(msgs, spec.Text(x))
	}
	h := headerStates(t, msgs, 1)
	set := setOf([]string{"calm", "happy", "afraid"}, [][]float64{h[0], h[1], h[2]}, 1)
	r, err := Sweep(m, set, spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.Emotions, ",") != "afraid,calm" || strings.Join(r.Skipped, ",") != "jealous" {
		t.Fatalf("emotions %v, skipped %v", r.Emotions, r.Skipped)
	}
	// afraid's vector is the state at 10000 mg, calm's at 100 mg.
	if math.Abs(r.Scores[0][2]-1) > 1e-9 || math.Abs(r.Scores[1][0]-1) > 1e-9 {
		t.Errorf("scores %v: want afraid = 1 at 10000 and calm = 1 at 100", r.Scores)
	}
	if want := cosine(h[1], h[2]); math.Abs(r.Scores[0][1]-want) > 1e-9 {
		t.Errorf("afraid at 1000 mg: %v, want %v", r.Scores[0][1], want)
	}
	fig, err := r.Figure()
	if err != nil || len(fig.PNG) == 0 {
		t.Errorf("Figure: %v", err)
	}
	if !strings.Contains(r.String(), "10000") {
		t.Errorf("String:\n%s", r.String())
	}
}

// ReadMessage reads a scenario alone, as a story: the mean state over its tokens after the BOS. When each
// emotion's vector is that mean for its own scenario (computed here, one text at a time), the diagonal is 1.
func TestReadScenariosAsMessages(t *testing.T) {
	m := tinyModel(t)
	sc := []Scenario{
		{Emotion: "sad", Text: "My dog died this morning."},
		{Emotion: "happy", Text: "My daughter took her first steps across the whole living room!"},
		{Emotion: "afraid", Text: "Someone is breaking in."},
	}
	var rows [][]float64
	for _, s := range sc {
		h := states(t, m, m.ReadingTokens(s.Text), 2)
		mean := make([]float64, len(h[0]))
		for _, r := range h[1:] {
			for j, x := range r {
				mean[j] += x / float64(len(h)-1)
			}
		}
		rows = append(rows, mean)
	}
	r, err := ReadScenarios(m, setOf([]string{"sad", "happy", "afraid"}, rows, 2), sc, Options{Read: ReadMessage})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if math.Abs(r.Cosine[i][i]-1) > 1e-6 || r.Rank[i] != 1 {
			t.Errorf("scenario %d: cosine with its own vector %v, rank %d; want 1 and 1", i, r.Cosine[i][i], r.Rank[i])
		}
	}
	if r.Read != ReadMessage || r.ReadToken != "" || !strings.Contains(r.String(), "as the stories were") {
		t.Errorf("read %q at %q; String:\n%s", r.Read, r.ReadToken, r.String())
	}
	if _, err := ReadScenarios(m, setOf([]string{"sad"}, rows[:1], 2), sc[:1], Options{Read: "end"}); err == nil ||
		!strings.Contains(err.Error(), `"end"`) {
		t.Errorf("unknown read: err = %v", err)
	}
}
