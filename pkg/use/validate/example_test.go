package validate_test

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/use/validate"
	"gonum.org/v1/gonum/mat"
)

// Stories of two emotions in three topics, two per topic, in a 2-D residual stream where happy stories lie
// to the right and sad ones up. Held out: one topic; both classifiers name its two stories.
func ExampleEvaluate() {
	s := &validate.Stories{
		Emotions: []string{"happy", "sad"},
		X: mat.NewDense(6, 2, []float64{
			3, 1, // happy, topic a
			2, 0, // happy, topic b
			3, 0, // happy, topic c
			0, 3, // sad, topic a
			1, 2, // sad, topic b
			0, 2, // sad, topic c
		}),
		Label: []int{0, 0, 0, 1, 1, 1},
		Topic: []string{"a", "b", "c", "a", "b", "c"},
	}
	split, _ := validate.SplitTopics(s.Topic, 0.2, 42)
	h, err := validate.Evaluate(s, validate.HeldOutOptions{Split: split})
	if err != nil {
		panic(err)
	}
	fmt.Println("held out:", split.Test, "stories:", h.NTest)
	fmt.Printf("cosine top-1 %.2f, probe top-1 %.2f, chance %.2f\n", h.Cosine.Top1, h.Probe.Top1, h.Chance1)
	fmt.Println("confusion (rows true):", h.Cosine.Confusion)
	// Output:
	// held out: [b] stories: 2
	// cosine top-1 1.00, probe top-1 1.00, chance 0.50
	// confusion (rows true): [[1 0] [0 1]]
}

// "auto" spreads about ten layers over a 30-layer model and adds the extracted one (int(2/3 * 30) = 20).
func ExampleSweepLayers() {
	l, _ := validate.SweepLayers(config.Layers{Auto: true}, 30, []int{20})
	fmt.Println(l)
	// Output:
	// [3 6 9 12 15 18 20 21 24 27 30]
}

// PValue prints p-values as the report does: a binomial tail too small for a float64 is not 0. Here
// 677 of 2,052 stories right at the first guess among 171 emotions (the corpus run's vectors, by topic),
// then 136 of 411 (its one held-out split). The exact tails, summed by mpmath at 50 digits, are 1.4e-952
// and 3.5441e-193.
func ExamplePValue() {
	fmt.Println(validate.PValue(validate.BinomialTail(2052, 677, 1.0/171)))
	fmt.Println(validate.PValue(validate.BinomialTail(411, 136, 1.0/171)))
	fmt.Println(validate.PValue(0.0099))
	// Output:
	// < 1e-300
	// 3.5e-193
	// 0.0099
}
