package nb

import (
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/use/probe"
)

func TestScoreHTML(t *testing.T) {
	emotions := []string{"calm", "afraid", "happy"}
	s := &probe.TextScore{
		Emotions: emotions, Layer: 20, At: probe.AtMean, Centering: "story mean",
		Tokens: []probe.Token{
			{Position: 0, ID: 1, Text: "<|im_start|>", Scores: []float64{0.9, 0.9, 0.9}},
			{Position: 1, ID: 10, Text: "I", Scores: []float64{0.05, 0.02, -0.01}},
			{Position: 2, ID: 11, Text: " heard", Scores: []float64{-0.1, 0.20, 0.0}},
			{Position: 3, ID: 12, Text: " <steps>", Scores: []float64{-0.2, 0.40, 0.1}},
			{Position: 4, ID: 13, Text: "\n", Scores: []float64{-0.3, -0.1, -0.2}},
		},
		Ranked: probe.Rank(emotions, []float64{-0.1, 0.3, 0.05}),
	}
	got := ScoreHTML(s)
	for _, want := range []string{
		// the strongest token, afraid (tab10's second colour), at full strength, its top three in the tooltip
		`<span title="#3: afraid +0.400, happy +0.100, calm -0.200" style="background:#ff7f0edf"> &lt;steps&gt;</span>`,
		// half as strong
		`style="background:#ff7f0e77"> heard</span>`,
		// calm tops "I" weakly
		`style="background:#1f77b4`,
		// no positive cosine: no colour
		`<span title="#4: afraid -0.100, happy -0.200, calm -0.300">` + "\n</span>",
		"<b>afraid</b> +0.300, <b>happy</b> +0.050, <b>calm</b> -0.100",
		// legend: calm and afraid top a token, happy none
		`color:#fff;padding:0 4px;margin-right:4px">calm</span>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "im_start") {
		t.Error("the BOS is shown")
	}
	if strings.Contains(got, `margin-right:4px">happy`) {
		t.Error("happy is in the legend but tops no token")
	}
}
