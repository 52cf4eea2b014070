package chat_test

import (
	"fmt"
	"log"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
)

// SmolLM2's own template, as stored in its GGUF file (tokenizer.chat_template).
const smolTemplate = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}" +
	"{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}" +
	"{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}" +
	"{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"

func Example() {
	tmpl, err := chat.Compile(smolTemplate, "tokenizer.chat_template", chat.SpecialTokens{BOS: "<|im_start|>", EOS: "<|im_end|>"})
	if err != nil {
		log.Fatal(err)
	}
	prompt, err := tmpl.Render([]chat.Message{{Role: "user", Content: "Write a short story."}}, true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(prompt)
	fmt.Println("stop at:", tmpl.EndOfTurn())
	// Output:
	// <|im_start|>system
	// You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
	// <|im_start|>user
	// Write a short story.<|im_end|>
	// <|im_start|>assistant
	// stop at: [<|im_end|>]
}

// A model without a template of its own gets a hand-written one, picked by the markers its vocabulary has,
// with a warning to show the user.
func ExampleFallback() {
	vocab := map[string]bool{"<|im_start|>": true, "<|im_end|>": true}
	tmpl := chat.Fallback(func(tok string) bool { return vocab[tok] }, chat.SpecialTokens{})
	fmt.Println(tmpl.Warning())
	prompt, err := tmpl.Render([]chat.Message{{Role: "user", Content: "Hi"}}, true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", prompt)
	// Output:
	// no chat_template in the model; using the built-in ChatML template
	// "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
}
