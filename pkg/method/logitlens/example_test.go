package logitlens_test

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/method/logitlens"
)

// toyModel "unembeds" a 2-D vector into 5 logits: token i gets v·e_i for fixed directions e_i.
type toyModel struct{}

var toyWords = []string{"<|endoftext|>", " joy", " grief", "...", " calm"}

func (toyModel) Unembed(vs [][]float32) ([][]float32, error) {
	dirs := [][2]float32{{9, 9}, {1, 0}, {-1, 0}, {5, 0}, {0.5, 0.5}}
	out := make([][]float32, len(vs))
	for i, v := range vs {
		for _, d := range dirs {
			out[i] = append(out[i], v[0]*d[0]+v[1]*d[1])
		}
	}
	return out, nil
}
func (toyModel) TokenText(id int) string { return toyWords[id] }
func (toyModel) IsSpecial(id int) bool   { return id == 0 }
func (toyModel) VocabSize() int          { return len(toyWords) }

func ExampleLens() {
	m := toyModel{}
	entries, err := logitlens.Lens(m, m, []string{"happy"}, [][]float32{{2, 1}}, 1, logitlens.Filter{})
	if err != nil {
		panic(err)
	}
	// The special token and "..." would rank first but are filtered out.
	e := entries[0]
	fmt.Printf("%s: top %q (%.1f), bottom %q (%.1f)\n", e.Emotion, e.Top[0].Text, e.Top[0].Logit, e.Bottom[0].Text, e.Bottom[0].Logit)
	// Output:
	// happy: top " joy" (2.0), bottom " grief" (-2.0)
}
