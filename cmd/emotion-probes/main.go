// Command emotion-probes reproduces the method of "Emotion Concepts and their Function in a Large
// Language Model" (Anthropic, 2026) on open models: stories, activations, emotion vectors,
// their geometry and logit lens, and the notebooks that teach each step.
//
// Every subcommand is a thin layer over pkg/: it parses flags, loads the config and calls the
// library. Run `emotion-probes help` for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/emotion-probes/emotion-probes/pkg/support/env"
)

// command is one subcommand.
type command struct {
	name    string
	args    string // synopsis of the flags
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands []command

func register(c command) { commands = append(commands, c) }

const intro = `emotion-probes: emotion vectors for open language models, reproducing Anthropic's
"Emotion Concepts and their Function in a Large Language Model" (2026).

The method, one command per step (each reads the previous steps' files in output.dir; the
numbers are those of docs/method.md and of the notebooks):
  1. generate-stories     the model writes short stories that show an emotion without naming it
  2. generate-neutral     emotionally neutral Human/Assistant dialogues on the same topics
  3. extract-activations  the texts are read back; the residual stream at a layer is averaged
  4. compute-vectors      emotion means minus their average, with the neutral dialogues' top
                          principal components projected out: the emotion vectors
  5. analyze              cosine similarity, PCA (valence, arousal), k-means, UMAP
  6. logit-lens           which tokens each vector promotes and suppresses
     visualize            heatmap, scatter plots, UMAP, logit-lens table (PNG + HTML)
  run-all                 steps 1-6 and visualize in order; a rerun resumes where it stopped
  7. validate             held-out accuracy, layer sweep, human ratings, implicit scenarios: a report
  score, steer            use the vectors: a text's emotions token by token; steer a generation
  export                  the vectors for other tools: llama.cpp/repeng control vectors, .npz

Usage:
  emotion-probes <command> [flags]
`

func usage() {
	fmt.Fprint(os.Stderr, intro)
	fmt.Fprintln(os.Stderr, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-20s %s\n", c.name, c.summary)
	}
	fmt.Fprint(os.Stderr, `
Configs (config/*.yaml): tiny (CI smoke run), small (the README's reproduction, about 11 min on 2
CPU cores), medium (20 emotions x 100 topics x 12 stories), default (171 x 100 x 12, the paper's size).
"emotion-probes <command> -h" lists a command's flags.
`)
}

func main() {
	// GoMLX's XLA backend may try to download a plugin when asked for one it lacks; this tool
	// never downloads behind the user's back: a missing backend is an error.
	if env.Get(env.GoMLXNoAutoInstall) == "" {
		os.Setenv(env.GoMLXNoAutoInstall, "1")
	}
	if len(os.Args) < 2 || os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	name := os.Args[1]
	for _, c := range commands {
		if c.name == name {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			err := c.run(ctx, os.Args[2:])
			stop()
			if err != nil {
				if errors.Is(err, flag.ErrHelp) {
					return
				}
				fmt.Fprintf(os.Stderr, "emotion-probes %s: %v\n", name, err)
				if errors.Is(err, context.Canceled) {
					fmt.Fprintln(os.Stderr, "Interrupted: everything finished so far is saved; run the same command again to resume.")
					os.Exit(130)
				}
				os.Exit(1)
			}
			return
		}
	}
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	fmt.Fprintf(os.Stderr, "emotion-probes: unknown command %q; commands: %s (see emotion-probes help)\n", name, strings.Join(names, ", "))
	os.Exit(2)
}

// newFlags makes a flag set whose -h prints the command's synopsis and flags.
func newFlags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: emotion-probes %s %s\n\n%s\n\nFlags:\n", name, commandArgs(name), synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func commandArgs(name string) string {
	for _, c := range commands {
		if c.name == name {
			return c.args
		}
	}
	return ""
}

// parse parses flags and rejects stray arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags go before nothing else; see -h)", fs.Arg(0))
	}
	return nil
}
