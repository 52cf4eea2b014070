package stories_test

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
)

// A story about "angry" may not name the emotion, an inflection of it, or a synonym given in
// config/synonyms.yaml ("anger" is irregular, so it must be listed).
func ExampleBanned() {
	b := stories.NewBanned("angry", []string{"anger", "furious"})
	for _, text := range []string{
		"He slammed the drawer shut, jaw tight.",
		"She answered angrily.",
		"His anger cooled by evening.",
	} {
		fmt.Printf("%q\n", b.Find(text))
	}
	// Output:
	// ""
	// "angrily"
	// "anger"
}

// A completion that ran out of tokens is cut back to its last complete sentence; a delimiter line separates
// stories.
func ExampleSplit() {
	for _, p := range stories.Split("The bus left without her.\n###\nI counted the tiles. Twice. Then the", false) {
		fmt.Printf("%q cut=%v\n", p.Text, p.Cut)
	}
	// Output:
	// "The bus left without her." cut=false
	// "I counted the tiles. Twice." cut=true
}
