package tokenizer_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/tokenizer"
)

// A tiny byte-level vocabulary, as a GGUF file would describe it: the bytes "a", "b", " " (spelled 'Ġ'),
// two merges, and one control token.
func Example() {
	tk, err := tokenizer.FromGGUFData(tokenizer.GGUFData{
		Model:      "gpt2",
		Pre:        "smollm",
		Tokens:     []string{"<|end|>", "a", "b", "Ġ", "ab", "Ġab"},
		TokenTypes: []int32{3, 1, 1, 1, 1, 1},
		Merges:     []string{"a b", "Ġ ab"},
		BOS:        -1, EOS: 0, Pad: -1,
	})
	if err != nil {
		log.Fatal(err)
	}
	ids := tk.Encode("ab ab<|end|>", false)
	fmt.Println(ids)
	var spelled []string
	for _, id := range ids {
		spelled = append(spelled, fmt.Sprintf("%q", tk.TokenString(id)))
	}
	fmt.Println(strings.Join(spelled, " "))
	fmt.Printf("%q\n", tk.Decode(ids, true))
	// Output:
	// [4 5 0]
	// "ab" "Ġab" "<|end|>"
	// "ab ab"
}
