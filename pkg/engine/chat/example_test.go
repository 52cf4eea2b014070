package chat_test

import (
	"fmt"
	"log"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
)

// SmolLM2's template as stored in its GGUF file (tokenizer.chat_template).
const smolTemplate = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}" +
	"{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}" +
	"{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}" +
	"{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"

func Example() {
	tmpl, err := chat.Detect(smolTemplate, chat.SpecialTokens{BOS: "<|im_start|>", EOS: "<|im_end|>"})
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
