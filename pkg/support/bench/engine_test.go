package bench

import (
	"strings"
	"testing"
)

// The ratio column divides ours by the best other tool on each row: the fastest for rates, the smallest
// for memory; a tool without a figure for a row is left out of it.
func TestEngineSectionRatios(t *testing.T) {
	ours := EngineFigures{Tool: "ours", Extract: 200, Generate: map[string]float64{"1": 30, "8": 90}, PeakRSSMB: 1000,
		PhasePeakMB: map[string]float64{"extract": 900}}
	hf := EngineFigures{Tool: "transformers", Extract: 100, Generate: map[string]float64{"1": 10, "8": 60}, PeakRSSMB: 2000}
	llama := EngineFigures{Tool: "llama.cpp", Extract: 400, Generate: map[string]float64{"1": 60}, PeakRSSMB: 500,
		Note: "how it was measured"}
	s := EngineSection(ours, []EngineFigures{hf, llama}, &StageFigures{Config: "c.yaml", Slots: 8, Completions: 4, NewTokens: 720, Seconds: 10},
		[]int{1, 8}, Work{Texts: 32, TextTokens: 150, ExtractRows: 27, Layer: 20, NewTokens: 150, Reps: 3}, "model")
	for _, want := range []string{
		"Extraction: 32 texts of 150 tokens through layer 20, batches of 27.",
		"| extraction, tokens/s | 200.0 | 100.0 | 400.0 | 0.50x | 900 | - | - |",
		"| generation at batch 1, new tokens/s | 30.0 | 10.0 | 60.0 | 0.50x |",
		"| generation at batch 8, new tokens/s | 90.0 | 60.0 | - | 1.50x |",
		"| peak resident memory of the whole run, MB | 1000.0 | 2000.0 | 500.0 | 2.00x |",
		"llama.cpp: how it was measured",
		"**72.0 new tokens/s** with 8 slots, 80% of the engine's rate at batch 8",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("section lacks %q:\n%s", want, s)
		}
	}
}

// The llama.cpp tools' JSON lines, as llama-batched-bench (--output-format jsonl) and llama-bench (-o jsonl)
// print them, among their other output.
func TestParseLlamaCppOutput(t *testing.T) {
	batched := []byte("main: n_kv_max = 10944, n_batch = 2048\n" +
		`{"n_kv_max": 10944, "n_batch": 2048, "n_ubatch": 512, "flash_attn": 0, "is_pp_shared": 0, "n_gpu_layers": -1, "n_threads": 2, "n_threads_batch": 2, "pp": 20, "tg": 150, "pl": 1, "n_kv": 170, "t_pp": 0.05, "speed_pp": 400.0, "t_tg": 1.2, "speed_tg": 125.000000, "t": 1.25, "speed": 136.0}` + "\n" +
		`{"n_kv_max": 10944, "n_batch": 2048, "n_ubatch": 512, "flash_attn": 0, "is_pp_shared": 0, "n_gpu_layers": -1, "n_threads": 2, "n_threads_batch": 2, "pp": 20, "tg": 150, "pl": 8, "n_kv": 1360, "t_pp": 0.2, "speed_pp": 800.0, "t_tg": 5.0, "speed_tg": 240.000000, "t": 5.2, "speed": 261.5}` + "\n")
	rates, err := ParseBatchedBench(batched)
	if err != nil {
		t.Fatal(err)
	}
	if rates["1"] != 125 || rates["8"] != 240 || len(rates) != 2 {
		t.Errorf("rates %v", rates)
	}
	if _, err := ParseBatchedBench([]byte("|    PP |     TG |    B |\n")); err == nil {
		t.Errorf("a markdown table (no --output-format jsonl) was accepted")
	}
	single := []byte(`{"build_commit": "abc123", "build_number": 6000, "n_prompt": 150, "n_gen": 0, "avg_ts": 433.5}` + "\n" +
		`{"build_commit": "abc123", "build_number": 6000, "n_prompt": 0, "n_gen": 128, "avg_ts": 130.1}` + "\n")
	pp, build, err := ParseLlamaBench(single, 150)
	if err != nil || pp != 433.5 || build != "b6000 (abc123)" {
		t.Errorf("ParseLlamaBench: %v, %q, %v", pp, build, err)
	}
	if _, _, err := ParseLlamaBench(single, 512); err == nil || !strings.Contains(err.Error(), "512") {
		t.Errorf("a missing test was not reported: %v", err)
	}
}
