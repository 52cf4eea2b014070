// Package chat renders conversations into the prompt text an instruction-tuned model was trained on,
// reproducing the model's own chat template (the Jinja text stored as tokenizer.chat_template in a GGUF
// file, or chat_template in tokenizer_config.json) without a Jinja engine.
//
// Where it sits: the generation stage formats each story request as a conversation and renders it with
// the model's template before tokenizing; EndOfTurn gives the strings that end the model's reply, so
// generation can stop there. (Activation extraction reads raw text, without a template.)
//
// Detect reads the template text and recognises its family, then the variant within it:
//
//	chatml   <|im_start|>role\ncontent<|im_end|>\n          SmolLM2, Qwen 2.5, Qwen 3
//	llama3   <|start_header_id|>role<|end_header_id|>\n\n   Llama 3, Llama 3.1+ (dated system header)
//	mistral  [INST] user [/INST]assistant</s>                Mistral 7B Instruct v0.1
//	gemma    <start_of_turn>role\n ... <end_of_turn>\n      Gemma 2, Gemma 3
//
// Details are read from the template itself rather than assumed: SmolLM2's template inserts a default
// system message ("You are a helpful AI assistant named SmolLM, trained by Hugging Face") when the
// conversation has none, and Detect takes that sentence from the template text; Qwen 3's adds an empty
// <think></think> block to the last assistant turn; Llama 3's and Gemma's strip the white space around
// each message; Llama 3.1+ templates always open with a system header that holds a date (SetDate); Gemma
// 3 folds a system message into the first user turn.
//
// Render's output is compared in tests with transformers' apply_chat_template (the Jinja reference) on
// the real templates of SmolLM2, Llama 3, Llama 3.2, Qwen 3, Gemma 3 and Mistral v0.1
// (tools/reference/make_tokenizer_fixtures.py). A template of another family is an error that lists the
// supported ones: write the prompt as raw text instead, or add the family here.
package chat
