package probe_test

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/use/probe"
)

// A text's emotions, highest score first.
func ExampleRank() {
	for _, r := range probe.Rank([]string{"calm", "afraid", "sad"}, []float64{-0.12, 0.31, 0.05}) {
		fmt.Printf("%-6s %+.2f\n", r.Emotion, r.Score)
	}
	// Output:
	// afraid +0.31
	// sad    +0.05
	// calm   -0.12
}

// The sweep's message for one value of X.
func ExampleSweepSpec_Text() {
	s := probe.SweepSpec{Template: "I just took {X} mg of tylenol for my back pain."}
	fmt.Println(s.Text(4000))
	fmt.Println(s.Text(0.5))
	// Output:
	// I just took 4000 mg of tylenol for my back pain.
	// I just took 0.5 mg of tylenol for my back pain.
}
