// Package env names every environment variable the project reads, says what each one means, and reads
// them: no other package calls os.Getenv. A user who wonders what the environment changes reads this file.
//
// The project's own variables start with EMOTION_PROBES_; the others belong to the tools the project
// follows (the Hugging Face hub, the batch schedulers, GoMLX, GoNB) and mean what they mean there.
package env

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The variables, by who defines them.
const (
	// Config is the config file a notebook runs on (package nb; the headless runner sets it).
	Config = "EMOTION_PROBES_CONFIG"
	// Root is the repository's root, set by the notebooks' kernel; XLA's plugin is looked for below it.
	Root = "EMOTION_PROBES_ROOT"
	// Cache is the folder of the built-in default model (default: the user's cache folder).
	Cache = "EMOTION_PROBES_CACHE"
	// XLADir is a folder holding XLA's CPU PJRT plugin (default: .cache/xla of the repository).
	XLADir = "EMOTION_PROBES_XLA_DIR"
	// Headless, set to 1 (as `emotion-probes notebooks run` does for its kernels), tells the interactive
	// cells of package nb that no browser will answer their widgets: they show a static example at once
	// instead of waiting for a front-end's handshake (nb.LiveFrontEnd).
	Headless = "EMOTION_PROBES_HEADLESS"
	// NumShards is a sharded run's number of shards, where the scheduler's own count cannot be trusted (a
	// partial Slurm resubmission) or does not exist (a Kubernetes Indexed Job).
	NumShards = "EMOTION_PROBES_NUM_SHARDS"

	// Hugging Face hub, as huggingface_hub reads them.
	HFHubOffline = "HF_HUB_OFFLINE" // "1" or "true": never download
	HFEndpoint   = "HF_ENDPOINT"    // the hub's address (default https://huggingface.co)
	HFToken      = "HF_TOKEN"       // the token for gated models
	HFHubCache   = "HF_HUB_CACHE"   // the hub cache folder
	HFHome       = "HF_HOME"        // the hub cache is $HF_HOME/hub when HF_HUB_CACHE is unset

	// Batch schedulers: a worker's shard.
	SlurmArrayTaskID    = "SLURM_ARRAY_TASK_ID"
	SlurmArrayTaskCount = "SLURM_ARRAY_TASK_COUNT"
	SlurmArrayTaskMin   = "SLURM_ARRAY_TASK_MIN"
	JobCompletionIndex  = "JOB_COMPLETION_INDEX" // Kubernetes Indexed Jobs

	// GoMLX and XLA.
	GoMLXNoAutoInstall = "GOMLX_NO_AUTO_INSTALL" // set: GoMLX never downloads a backend plugin
	XLAFlags           = "XLA_FLAGS"             // XLA's own flags (recorded beside XLA benchmarks)
	// GoNBDir is the notebook's folder, which GoNB sets for every cell.
	GoNBDir = "GONB_DIR"

	// Tests. NoSkip is set by `make test` (and so by CI): a test that skips without being on the allow-list
	// of package testkit fails instead, so that a missing set-up step cannot pass as a green run.
	NoSkip = "EMOTION_PROBES_NO_SKIP"
	// ModelGGUF names a .gguf file for the opt-in tests that run a real model for minutes.
	ModelGGUF = "EMOTION_PROBES_MODEL_GGUF"
	// Gemma3GGUF names Gemma 3 270M's .gguf for the test of the SentencePiece tokenizer read from GGUF against
	// Hugging Face's ids (default: .cache/models/gemma-3-270m-q4_k_m.gguf, where kernel-setup/gemma3-270m.sh puts it).
	Gemma3GGUF = "EMOTION_PROBES_GEMMA3_GGUF"
	// NetworkTests, set to 1, opts in to the tests that download from the internet (the real default model).
	NetworkTests = "EMOTION_PROBES_NETWORK_TESTS"
	// Kernel is the GoNB kernel spec (a kernel.json or its folder) for the notebook runner's tests; default:
	// .jupyter/kernels/gonb of the repository, which kernel-setup/setup.sh registers.
	Kernel = "EMOTION_PROBES_KERNEL"
	// SmolLM2GGUF is SmolLM2-135M-Instruct's .gguf for the tokenizer's reference tests (default: the models
	// cache that `emotion-probes config` fills).
	SmolLM2GGUF = "SMOLLM2_GGUF"
	// FiguresCheckDir, when set, is where the drawing tests write sample figures for a person to look at.
	FiguresCheckDir = "FIGURES_CHECK_DIR"
)

// Get reads a variable; "" when it is unset.
func Get(name string) string { return os.Getenv(name) }

// On reports a variable set to 1 or true (any case): the switches, such as EMOTION_PROBES_NO_SKIP.
func On(name string) bool {
	v := Get(name)
	return v == "1" || strings.EqualFold(v, "true")
}

// Offline reports HF_HUB_OFFLINE set to 1 or true.
func Offline() bool { return On(HFHubOffline) }

// SchedulerShard returns the shard a batch scheduler gave this process: Slurm's array task (counted from
// SLURM_ARRAY_TASK_MIN, of EMOTION_PROBES_NUM_SHARDS when set, else of SLURM_ARRAY_TASK_COUNT) or a
// Kubernetes Indexed Job's completion index (of EMOTION_PROBES_NUM_SHARDS). ok is false outside a scheduler.
func SchedulerShard() (i, n int, ok bool, err error) {
	parse := func(i, n, where string) (int, int, bool, error) {
		a, err1 := strconv.Atoi(strings.TrimSpace(i))
		b, err2 := strconv.Atoi(strings.TrimSpace(n))
		if err1 != nil || err2 != nil || b < 1 || a < 0 || a >= b {
			return 0, 0, true, fmt.Errorf("%s: want shard i of n with 0 <= i < n, got %q of %q", where, i, n)
		}
		return a, b, true, nil
	}
	if id := Get(SlurmArrayTaskID); id != "" {
		// A partial resubmission (sbatch --array=7) sees a count of 1: the run's own shard count, when
		// given, is the one to trust.
		if n := Get(NumShards); n != "" {
			return parse(id, n, SlurmArrayTaskID+"/"+NumShards)
		}
		n := Get(SlurmArrayTaskCount)
		if lo := Get(SlurmArrayTaskMin); lo != "" {
			a, _ := strconv.Atoi(id)
			b, _ := strconv.Atoi(lo)
			id = strconv.Itoa(a - b)
		}
		return parse(id, n, SlurmArrayTaskID+"/"+SlurmArrayTaskCount)
	}
	if id := Get(JobCompletionIndex); id != "" {
		n := Get(NumShards)
		if n == "" {
			return 0, 0, true, fmt.Errorf("%s is set (a Kubernetes Indexed Job) but not %s: set it to the Job's completions, or pass --shard i/n",
				JobCompletionIndex, NumShards)
		}
		return parse(id, n, JobCompletionIndex+"/"+NumShards)
	}
	return 0, 1, false, nil
}
