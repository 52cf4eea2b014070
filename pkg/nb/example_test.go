package nb_test

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/nb"
)

func ExampleExcerpt() {
	story := "I read the letter twice.\nThen I folded it very small and put it in my pocket, where it stayed all winter."
	fmt.Println(nb.Excerpt(story, 60))
	// Output:
	// I read the letter twice. ⏎ Then I folded it very small and…
}

func ExampleMust1() {
	n := nb.Must1(fmt.Sscan("42", new(int))) // panics, failing the cell, if the error is not nil
	fmt.Println(n)
	// Output:
	// 1
}
