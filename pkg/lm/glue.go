package lm

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/gguf"
)

// ggufTokenizer builds the tokenizer from the file's tokenizer.ggml.* metadata.
func ggufTokenizer(f *gguf.File) (Tokenizer, error) { return nil, nil }

// openHFFolder reads a Hugging Face model folder.
func openHFFolder(dir string) (Config, weightSource, Tokenizer, error) {
	return Config{}, nil, nil, fmt.Errorf("lm: %s: Hugging Face folders: not yet", dir)
}
