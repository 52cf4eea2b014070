package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// LlamaCpp measures llama.cpp on the bench's work with llama.cpp's own tools, from a build the user gives:
// dir holds llama-bench and llama-batched-bench (or has them in bin/ or build/bin/); nothing in this
// project builds or downloads llama.cpp. Generation is llama-batched-bench's text-generation rate for a
// prompt of 20 tokens and newTokens new ones at each batch (one sequence per batch row, as ours);
// extraction is llama-bench's prompt-processing rate for textTokens tokens, which runs every layer and the
// output head (ours stops at the layer read). Both use one thread per CPU core, as GoMLX and torch do.
func LlamaCpp(ctx context.Context, dir, gguf string, batches []int, textTokens, newTokens, reps int) (*EngineFigures, error) {
	find := func(name string) (string, error) {
		for _, sub := range []string{"", "bin", filepath.Join("build", "bin")} {
			p := filepath.Join(dir, sub, name)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
		}
		return "", fmt.Errorf("bench: --llama-bench %s: no %s there, nor in its bin/ or build/bin/: give the folder of a llama.cpp build "+
			"(cmake --build build --target llama-bench llama-batched-bench)", dir, name)
	}
	batched, err := find("llama-batched-bench")
	if err != nil {
		return nil, err
	}
	single, err := find("llama-bench")
	if err != nil {
		return nil, err
	}
	threads := strconv.Itoa(runtime.NumCPU())
	npl := make([]string, len(batches))
	most := 0
	for i, b := range batches {
		npl[i] = strconv.Itoa(b)
		most = max(most, b)
	}
	f := &EngineFigures{Generate: map[string]float64{}, PhasePeakMB: map[string]float64{}}

	out, peak, err := runTool(ctx, batched, "-m", gguf, "-t", threads, "-c", strconv.Itoa(most*(20+newTokens)+64),
		"-b", "2048", "-ub", "512", "-npp", "20", "-ntg", strconv.Itoa(newTokens), "-npl", strings.Join(npl, ","),
		"--output-format", "jsonl")
	if err != nil {
		return nil, err
	}
	if f.Generate, err = ParseBatchedBench(out); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", batched, err)
	}
	f.PeakRSSMB = peak

	out, peak, err = runTool(ctx, single, "-m", gguf, "-t", threads, "-p", strconv.Itoa(textTokens), "-n", "0",
		"-r", strconv.Itoa(reps), "-o", "jsonl")
	if err != nil {
		return nil, err
	}
	var build string
	if f.Extract, build, err = ParseLlamaBench(out, textTokens); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", single, err)
	}
	f.PeakRSSMB = max(f.PeakRSSMB, peak)
	f.PhasePeakMB["extract"] = peak
	f.Tool = fmt.Sprintf("llama.cpp %s, %s threads", build, threads)
	f.Note = "llama-batched-bench's text-generation rate (S_TG, the 20-token prompts not timed) and llama-bench's " +
		"prompt processing (all layers); peak MB is each tool's whole process, generation's under the last row."
	return f, nil
}

// runTool runs a llama.cpp tool and returns its standard output and its peak resident set in MB.
func runTool(ctx context.Context, path string, args ...string) ([]byte, float64, error) {
	cmd := exec.CommandContext(ctx, path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tail := stderr.String()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return nil, 0, fmt.Errorf("bench: %s %s: %w\n%s", path, strings.Join(args, " "), err, tail)
	}
	peak := 0.0
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peak = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	return out, peak, nil
}

// ParseBatchedBench reads llama-batched-bench's --output-format jsonl: new tokens/s (speed_tg) by batch (pl).
func ParseBatchedBench(out []byte) (map[string]float64, error) {
	rates := map[string]float64{}
	for _, line := range resultLines(out) {
		var r struct {
			PL      int     `json:"pl"`
			SpeedTG float64 `json:"speed_tg"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("a result line %q: %w", line, err)
		}
		rates[strconv.Itoa(r.PL)] = r.SpeedTG
	}
	if len(rates) == 0 {
		return nil, fmt.Errorf("no result lines (JSON with pl and speed_tg) in its output: is it a llama.cpp build with --output-format jsonl?")
	}
	return rates, nil
}

// ParseLlamaBench reads llama-bench's -o jsonl: the mean tokens/s of the prompt-processing test of n tokens,
// and the build (commit) that ran it.
func ParseLlamaBench(out []byte, n int) (float64, string, error) {
	for _, line := range resultLines(out) {
		var r struct {
			Commit  string  `json:"build_commit"`
			Build   int     `json:"build_number"`
			NPrompt int     `json:"n_prompt"`
			NGen    int     `json:"n_gen"`
			AvgTS   float64 `json:"avg_ts"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return 0, "", fmt.Errorf("a result line %q: %w", line, err)
		}
		if r.NPrompt == n && r.NGen == 0 {
			return r.AvgTS, fmt.Sprintf("b%d (%s)", r.Build, r.Commit), nil
		}
	}
	return 0, "", fmt.Errorf("no prompt-processing result of %d tokens (a JSON line with n_prompt %d, n_gen 0) in its output", n, n)
}

// resultLines are the JSON lines of a llama.cpp tool's jsonl output: those that start with "{" (the tools
// print logs beside them), trimmed.
func resultLines(out []byte) [][]byte {
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); bytes.HasPrefix(line, []byte("{")) {
			lines = append(lines, bytes.Clone(line))
		}
	}
	return lines
}
