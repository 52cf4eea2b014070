// Package tokenizer turns text into token ids and back for BPE language models, byte-level (SmolLM2,
// Llama 3, Qwen 2/3, GPT-2) and SentencePiece-style (Gemma 2/3), giving exactly the ids Hugging Face's
// `tokenizers` library gives.
//
// Where it sits: the model loader builds a Tokenizer from the GGUF file's tokenizer.ggml.* metadata
// (FromGGUFData) or from a tokenizer.json (FromJSON, FromDir); generation and activation extraction
// call Encode on stories and dialogues, and Decode on generated ids; the logit lens shows tokens with
// TokenText.
//
// How text becomes ids (the Hugging Face pipeline, in order):
//
//  1. Added tokens. Special tokens written in the text ("<|im_start|>", "<|im_end|>") and other added
//     tokens ("<think>") are found first, leftmost and longest, and kept whole; their lstrip, rstrip,
//     single_word and normalized flags are honoured.
//  2. Normalization of the rest (none for SmolLM2 and Llama 3; NFC for Qwen).
//  3. Pre-tokenization into words, by a family-specific pattern. SmolLM2 first isolates every digit, then
//     applies GPT-2's pattern: "I'm 42 now" -> "I", "'m", " ", "4", "2", " now". Llama 3 groups digits
//     by three and lets a word take one leading non-letter ("\tfoo"). These patterns use look-ahead,
//     which Go's regexp lacks, so each is a small hand-written scanner (pretokenize.go).
//  4. Byte-level BPE inside each word: the word's UTF-8 bytes, each spelled as one rune of GPT-2's
//     byte alphabet (space -> 'Ġ', newline -> 'Ċ'), are merged pair by pair, lowest merge rank first,
//     until no listed merge applies. Each word's result is cached, so common words cost a map lookup.
//  5. Post-processing: Encode(text, true) adds what the tokenizer's post-processor adds (BOS for Llama 3
//     GGUF files that ask for it; nothing for SmolLM2).
//
// Decode reverses step 4: it joins the tokens' bytes and replaces any ill-formed UTF-8 (a generation cut
// inside a multi-byte character) with U+FFFD, as the reference does.
//
// SentencePiece-style BPE (Gemma's tokenizer.json; sentencepiece.go) changes three steps: the normalizer
// spells spaces '▁' (so for Gemma 3 a whole text between added tokens is one word), step 4 starts from
// characters instead of bytes, a character missing from the vocabulary becoming its bytes' <0xNN> tokens
// (byte_fallback) or <unk>, and Decode reads '▁' as a space and byte tokens as bytes (a run of them that is
// not valid UTF-8 becomes one U+FFFD per byte, as Hugging Face's ByteFallback decoder does). Unigram
// models and the Metaspace pre-tokenizer (Llama 2's newer files) are refused with an error naming them.
// A GGUF file's SentencePiece vocabulary (tokenizer.ggml.model "llama": pieces with scores, no merges)
// becomes the same BPE, every split of a piece into two pieces a merge ranked by the piece's score
// (FromGGUFData); on Gemma 3's file it gives Hugging Face's ids for every reference text.
//
// Reference: tests compare with ids from tokenizers 0.23.3 on 600+ texts for SmolLM2, Llama 3, Qwen 3 and
// Gemma 3 and four small committed tokenizers (tools/reference/make_tokenizer_fixtures.py).
package tokenizer
