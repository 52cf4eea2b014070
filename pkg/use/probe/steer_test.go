package probe

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
	"github.com/emotion-probes/emotion-probes/pkg/method/activations"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
)

func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// tinySet is a 3-emotion set at layer 1 of the tiny model made of states of unrelated texts.
func tinySet(t *testing.T) *vectors.Set {
	t.Helper()
	m := tinyModel(t)
	var rows [][]float64
	for _, s := range []string{"sunny days at the beach", "a storm broke the window", "quiet rain at night"} {
		h := states(t, m, m.ReadingTokens(s), 1)
		rows = append(rows, h[len(h)-1])
	}
	return setOf([]string{"happy", "afraid", "calm"}, rows, 1)
}

func TestSteerVector(t *testing.T) {
	set := tinySet(t)
	s, err := Steer(set, "afraid", 0.5, 8, true)
	if err != nil {
		t.Fatal(err)
	}
	v := set.Vector("afraid")
	n := 0.0
	for j, x := range s.Vector {
		n += float64(x) * float64(x)
		// parallel to the emotion's vector
		if math.Abs(float64(x)-4*v[j]/floats(v).norm()) > 1e-5 {
			t.Fatalf("component %d: %v, want 0.5 x 8 x unit", j, x)
		}
	}
	if math.Abs(math.Sqrt(n)-4) > 1e-5 || s.Layer != 1 || !s.OnlyNew {
		t.Errorf("norm %v (want 0.5 x 8 = 4), layer %d, onlyNew %v", math.Sqrt(n), s.Layer, s.OnlyNew)
	}
	for _, c := range []struct {
		emotion     string
		alpha, norm float64
		want        string
	}{
		{"bored", 1, 1, `no vector for "bored"`},
		{"calm", 1, 0, "positive residual norm"},
		{"calm", math.NaN(), 1, "finite"},
	} {
		if _, err := Steer(set, c.emotion, c.alpha, c.norm, false); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Steer(%q, %v, %v): got %v, want %q", c.emotion, c.alpha, c.norm, err, c.want)
		}
	}
}

// Steering with alpha 0 is no steering, when reading and when generating; a large alpha moves the logits.
func TestSteeringAlphaZeroAndLarge(t *testing.T) {
	m := tinyModel(t)
	set := tinySet(t)
	ids := m.ReadingTokens("How does he feel? He feels")
	base, err := m.NextTokenLogits([][]int{ids}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The engine's own full pass gives the same next-token logits.
	f, err := m.AllHiddenStates(ids)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(base[0], f.Logits[(len(ids)-1)*f.V:]); d > 1e-4 {
		t.Errorf("NextTokenLogits differs from AllHiddenStates' last logits by %g", d)
	}
	zero, _ := Steer(set, "afraid", 0, 10, false)
	z, err := m.NextTokenLogits([][]int{ids}, zero)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(base[0], z[0]); d > 1e-5 {
		t.Errorf("alpha 0 moved the logits by %g", d)
	}
	big, _ := Steer(set, "afraid", 20, 10, false)
	b, err := m.NextTokenLogits([][]int{ids}, big)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(base[0], b[0]); d < 0.1 {
		t.Errorf("alpha 20 moved the logits by only %g", d)
	}
	onlyNew, _ := Steer(set, "afraid", 1, 1, true)
	if _, err := m.NextTokenLogits([][]int{ids}, onlyNew); err == nil || !strings.Contains(err.Error(), "OnlyNew") {
		t.Errorf("OnlyNew while reading: got %v", err)
	}

	gen := func(s *lm.Steering) []int {
		out, err := m.Generate([][]int{ids}, lm.GenerateOptions{Sampling: lm.Sampling{Temperature: 0.8, TopK: 64, TopP: 0.95},
			MaxNewTokens: 12, Seeds: []uint64{7}, Steer: s})
		if err != nil {
			t.Fatal(err)
		}
		return out[0].Tokens
	}
	plain := gen(nil)
	if got := gen(zero); !slices.Equal(got, plain) {
		t.Errorf("generation with alpha 0: %v, without steering: %v", got, plain)
	}
	if got := gen(big); slices.Equal(got, plain) {
		t.Errorf("generation with alpha 20 is the unsteered one: %v", got)
	}
}

func TestSteerCheck(t *testing.T) {
	m := tinyModel(t)
	set := tinySet(t)
	r, err := SteerCheck(m, set, nil, SteerOptions{Alpha: 0, Norm: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 3 || len(r.Deltas) != 3 || r.Raised != 0 || r.PromptNorm <= 0 || r.Prompt != DefaultSteerPrompt {
		t.Fatalf("alpha 0: %d rows, raised %d, prompt norm %v:\n%s", len(r.Rows), r.Raised, r.PromptNorm, r)
	}
	for _, row := range r.Rows {
		if math.Abs(row.Delta) > 1e-5 || row.Base > 0 || row.Base != row.Base {
			t.Errorf("alpha 0, %s: delta %v, base log-prob %v", row.Emotion, row.Delta, row.Base)
		}
		if want := m.Tokenizer.Encode(" "+row.Emotion, false)[0]; row.TokenID != want {
			t.Errorf("%s: token %d, want the first of \" %s\", %d", row.Emotion, row.TokenID, row.Emotion, want)
		}
	}
	r, err = SteerCheck(m, set, []string{"calm", "happy"}, SteerOptions{Alpha: 4, Norm: 5, Prompt: "He feels"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 2 || r.Rows[0].Emotion != "calm" || math.Abs(r.Rows[0].Delta-(r.Rows[0].Steered-r.Rows[0].Base)) > 1e-12 ||
		r.Deltas[0][0] != r.Rows[0].Delta || r.Deltas[0][1] == 0 {
		t.Errorf("alpha 4:\n%s\ndeltas %v", r, r.Deltas)
	}
	if want := (r.Deltas[0][1] + r.Deltas[1][0]) / 2; math.Abs(r.MeanOther-want) > 1e-12 ||
		math.Abs(r.MeanOwn-(r.Deltas[0][0]+r.Deltas[1][1])/2) > 1e-12 {
		t.Errorf("MeanOwn %v, MeanOther %v from deltas %v", r.MeanOwn, r.MeanOther, r.Deltas)
	}
	if !strings.Contains(r.String(), "raised for") {
		t.Errorf("String:\n%s", r)
	}
	rs, err := SteerAlphas(m, set, []string{"calm"}, []float64{0, 1}, SteerOptions{Norm: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Alpha != 0 || rs[1].Alpha != 1 || rs[0].Raised != 0 {
		t.Errorf("SteerAlphas: %v", rs)
	}
	if fig, err := AlphaFigure(rs); err != nil || len(fig.HTML) == 0 {
		t.Errorf("AlphaFigure: %v", err)
	}
}

func TestLogSoftmax(t *testing.T) {
	lp := logSoftmax([]float32{0, float32(math.Log(3))})
	if math.Abs(lp[0]-math.Log(0.25)) > 1e-6 || math.Abs(lp[1]-math.Log(0.75)) > 1e-6 {
		t.Errorf("logSoftmax = %v, want log 0.25, log 0.75", lp)
	}
}

// writeActivations writes an activations/emotions folder by hand: per emotion, its story vectors at layer 3
// and their mean, as the activations stage stores them.
func writeActivations(t *testing.T, stories map[string][][]float32) string {
	t.Helper()
	out := t.TempDir()
	dir := filepath.Join(out, activations.StageName, activations.EmotionsStage)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var emotions []string
	for e := range stories {
		emotions = append(emotions, e)
	}
	slices.Sort(emotions)
	plan, _ := json.Marshal(activations.Plan{Source: activations.EmotionsStage, Emotions: emotions, Layers: []int{3}, NumLayers: 4})
	if err := os.WriteFile(filepath.Join(dir, activations.PlanFile), plan, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, e := range emotions {
		rows := stories[e]
		d := len(rows[0])
		mean := make([]float64, d)
		var flat []float32
		var ids []string
		for i, r := range rows {
			flat = append(flat, r...)
			ids = append(ids, fmt.Sprint("t", i))
			for j, x := range r {
				mean[j] += float64(x) / float64(len(rows))
			}
		}
		idj, _ := json.Marshal(ids)
		err := safetensors.Write(filepath.Join(dir, e+".safetensors"), []safetensors.Tensor{
			{Name: "layer_3.mean", DType: "F64", Shape: []int{d}, Data: mean},
			{Name: "layer_3.per_story", DType: "F32", Shape: []int{len(rows), d}, Data: flat},
		}, map[string]string{"n": fmt.Sprint(len(rows)), "topic_ids": string(idj)})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// The story mean is the mean of the emotion means (each emotion weighs the same, whatever its story count);
// the norm is the mean of the story vectors' norms.
func TestStoryMeanAndNorm(t *testing.T) {
	out := writeActivations(t, map[string][][]float32{
		"calm": {{3, 4}, {0, 2}}, // norms 5, 2; mean (1.5, 3)
		"sad":  {{0, -6}},        // norm 6; mean (0, -6)
	})
	c, err := StoryMean(out, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c, []float64{0.75, -1.5}) {
		t.Errorf("StoryMean = %v, want [0.75 -1.5]", c)
	}
	n, err := MeanStoryNorm(out, 3, []string{"calm", "sad"})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(n-13.0/3) > 1e-12 {
		t.Errorf("MeanStoryNorm = %v, want (5+2+6)/3", n)
	}
	if _, err := MeanStoryNorm(out, 3, []string{"angry"}); err == nil || !strings.Contains(err.Error(), `"angry"`) {
		t.Errorf("an emotion not extracted: got %v", err)
	}
	if _, err := StoryMean(t.TempDir(), 3); err == nil || !strings.Contains(err.Error(), "extract-activations") {
		t.Errorf("no activations: got %v, want the command that makes them", err)
	}
}
