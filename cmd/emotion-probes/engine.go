package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/chat"
	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
)

// The engine's own commands, for checking it against any other implementation.

func init() {
	register(command{name: "config", args: "--config C", summary: "validate a config and print it resolved (defaults, absolute paths, the model)", run: runConfig})
	register(command{name: "forward", args: "--model M --text-file F --out X.safetensors", summary: "one text's token ids, every hidden state and the logits, for comparison with transformers", run: runForward})
	register(command{name: "generate", args: "--model M --prompt P [--chat] [--n N] [--seed S] ...", summary: "print completions of a prompt", run: runGenerate})
}

func runConfig(ctx context.Context, args []string) error {
	fs := newFlags("config", "Checks a config file (unknown keys, types, ranges, emotion names, list files) and prints it\nwith defaults filled in and paths made absolute, followed by the model it resolves to.")
	path := fs.String("config", "", "config file (YAML)")
	resolve := fs.Bool("resolve-model", true, "also resolve the model (fetches the default model into the cache once)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	out, err := cfg.Resolved().Dump()
	if err != nil {
		return err
	}
	os.Stdout.Write(out)
	if *resolve {
		m, err := loadConfigModel(cfg)
		if err != nil {
			return err
		}
		defer m.Close()
		c := m.Config
		fmt.Printf("# model as loaded: %s\n#   %s, %d layers, d_model %d, %d heads (%d key/value), vocabulary %d\n#   layers read: %v (default int(2/3 x %d) = %d)\n#   sha256 %s\n",
			m.Resolved.Describe(), c.Architecture, c.NumLayers, c.HiddenSize, c.NumHeads, c.NumKVHeads, c.VocabSize,
			mustLayers(cfg.Extraction.Layers.Resolve(c.NumLayers)), c.NumLayers, c.DefaultLayer(), m.SHA256)
	}
	return nil
}

func mustLayers(l []int, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprint(l)
}

func runForward(ctx context.Context, args []string) error {
	fs := newFlags("forward", "Runs one text (raw, BOS added as the model's tokenizer does) and writes a safetensors file with\n"+
		"  input_ids      I64 [T]\n  hidden_states  F32 [n_layers+1, T, D]  (as transformers' output_hidden_states: index 0 the\n"+
		"                 embeddings, the last after the final norm)\n  logits         F32 [T, V]")
	model := fs.String("model", "default", "model: a .gguf file, a Hugging Face folder or id, or \"default\"")
	backend := fs.String("backend", "", "GoMLX backend: go (default), xla:cpu, xla:cuda, xla:/path/plugin.so")
	textFile := fs.String("text-file", "", "file holding the text")
	out := fs.String("out", "", "output .safetensors file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *textFile == "" || *out == "" {
		return fmt.Errorf("--text-file and --out are required")
	}
	text, err := os.ReadFile(*textFile)
	if err != nil {
		return err
	}
	m, err := loadModel(*model, *backend)
	if err != nil {
		return err
	}
	defer m.Close()
	ids := m.Tokenizer.Encode(string(text), true)
	f, err := m.AllHiddenStates(ids)
	if err != nil {
		return err
	}
	ids64 := make([]int64, len(ids))
	for i, id := range ids {
		ids64[i] = int64(id)
	}
	err = safetensors.Write(*out, []safetensors.Tensor{
		{Name: "input_ids", DType: "I64", Shape: []int{f.T}, Data: ids64},
		{Name: "hidden_states", DType: "F32", Shape: []int{f.NumStates, f.T, f.D}, Data: f.Hidden},
		{Name: "logits", DType: "F32", Shape: []int{f.T, f.V}, Data: f.Logits},
	}, map[string]string{"model": m.Resolved.Path, "sha256": m.SHA256, "text_file": *textFile})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %d tokens, %d hidden states of width %d, logits over %d tokens\n", *out, f.T, f.NumStates, f.D, f.V)
	return nil
}

func runGenerate(ctx context.Context, args []string) error {
	fs := newFlags("generate", "Prints N completions of a prompt, sampled with the given settings (greedy at temperature 0).\nThe same seed and settings print the same text.")
	model := fs.String("model", "default", "model: a .gguf file, a Hugging Face folder or id, or \"default\"")
	backend := fs.String("backend", "", "GoMLX backend: go (default), xla:cpu, xla:cuda, xla:/path/plugin.so")
	prompt := fs.String("prompt", "", "the prompt")
	asChat := fs.Bool("chat", false, "format the prompt as a user turn with the model's chat template")
	n := fs.Int("n", 1, "number of completions")
	seed := fs.Uint64("seed", 42, "random seed (completion i uses seed+i)")
	temp := fs.Float64("temperature", 0.8, "sampling temperature; 0 is greedy")
	topP := fs.Float64("top-p", 0.95, "nucleus sampling threshold")
	topK := fs.Int("top-k", 64, "keep the k most likely tokens; 0 keeps all")
	maxNew := fs.Int("max-new-tokens", 200, "stop after this many new tokens")
	batch := fs.Int("batch-size", 0, "the most completions decoded together (slots); 0: chosen from the model and the free memory (lm.AutoSlots)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *prompt == "" {
		return fmt.Errorf("--prompt is required")
	}
	m, err := loadModel(*model, *backend)
	if err != nil {
		return err
	}
	defer m.Close()
	var ids []int
	if *asChat {
		if ids, err = m.ChatPrompt([]chat.Message{{Role: "user", Content: *prompt}}); err != nil {
			return err
		}
	} else {
		ids = m.Tokenizer.Encode(*prompt, true)
	}
	prompts := make([][]int, *n)
	seeds := make([]uint64, *n)
	for i := range prompts {
		prompts[i], seeds[i] = ids, *seed+uint64(i)
	}
	outs, err := m.Generate(prompts, lm.GenerateOptions{
		Sampling:     lm.Sampling{Temperature: *temp, TopP: *topP, TopK: *topK},
		MaxNewTokens: *maxNew, Seeds: seeds, StopTokens: m.StopTokens(), BatchSize: *batch,
	})
	if err != nil {
		return err
	}
	for i, o := range outs {
		if *n > 1 {
			fmt.Printf("--- completion %d (seed %d, %d tokens) ---\n", i+1, seeds[i], len(o.Tokens))
		}
		fmt.Println(strings.TrimSpace(m.Text(o.Tokens)))
	}
	return nil
}
