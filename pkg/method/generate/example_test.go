package generate_test

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
)

// Every completion has its own seed, a function of the run's seed, the unit and the attempt index only.
func ExampleSeed() {
	a := generate.Seed(42, "stories", []string{"afraid", "A train is late"}, 0)
	b := generate.Seed(42, "stories", []string{"afraid", "A train is late"}, 1)
	fmt.Println(a != b, a == generate.Seed(42, "stories", []string{"afraid", "A train is late"}, 0))
	// Output:
	// true true
}
