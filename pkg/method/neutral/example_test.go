package neutral_test

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/method/neutral"
)

// Labels are read in the forms small models write them and written back exactly.
func ExampleParseTurns() {
	pre, turns := neutral.ParseTurns("Here is the dialogue:\n**User:** What is the boiling point of water?\nAI: 100 °C at sea level.")
	fmt.Printf("dropped: %q\n", pre)
	fmt.Println(neutral.Format("Answer with facts only.", turns))
	// Output:
	// dropped: "Here is the dialogue:"
	// Answer with facts only.
	//
	// Human: What is the boiling point of water?
	//
	// Assistant: 100 °C at sea level.
}
