# Makefile: the short names for building, testing and running the project.
# Every target runs with the same Go environment as the notebook kernel
# (kernel-setup/setup.sh writes it into kernel.json) and the Dockerfiles:
#   GOEXPERIMENT=simd       GoMLX's SIMD CPU kernels; a build-time setting, and part
#                           of the build-cache key, so the CLI, the tests and the
#                           notebooks share one cache only if all of them set it.
#   GOMLX_NO_AUTO_INSTALL=1 GoMLX must not download an XLA plugin on its own.
#   GOFLAGS=-mod=mod        go.mod is the source of truth; no vendor directory.

# Pinned versions, repeated in the Dockerfiles; kernel-setup/check-dockerfiles.sh
# checks that they agree with each other and with tools/go.mod.
GO_VERSION      := 1.26
GONB_VERSION    := v0.11.5
JAX_CUDA_PJRT   := 0.11.2

export GOEXPERIMENT := simd
export GOMLX_NO_AUTO_INSTALL := 1
export GOFLAGS := -mod=mod

BIN     := bin/emotion-probes
CONFIG  ?= config/small.yaml
BENCH   ?= .
PKGS    ?= ./pkg/...
LAB_ARGS ?=

# Fuzzing: each target as PACKAGE:FuzzName (`go test -fuzz` takes one target per run). `make fuzz` runs each
# for FUZZTIME; inputs that crash are written to the package's testdata/fuzz/FuzzName/, where plain `go test`
# replays them: commit them with the fix. -fuzzminimizetime is short because the default (60 s) of
# minimizing every new input would spend a short run minimizing instead of fuzzing.
FUZZTIME ?= 10s
FUZZ_TARGETS := \
	./pkg/engine/chat:FuzzTemplate \
	./pkg/engine/gguf:FuzzOpen \
	./pkg/engine/safetensors:FuzzOpen \
	./pkg/engine/safetensors:FuzzOpenIndex \
	./pkg/engine/tokenizer:FuzzFromJSON \
	./pkg/engine/tokenizer:FuzzEncodeDecode \
	./pkg/support/config:FuzzParse \
	./pkg/support/jupyter:FuzzParse \
	./pkg/support/corpus:FuzzRead \
	./pkg/use/probe:FuzzScenarios \
	./pkg/use/validate:FuzzParseRatings

# The race detector over the packages that run goroutines (chat: each render runs in its own), each within
# a minute. -count=1: a race shows only when the goroutines interleave badly, so a cached pass proves
# little. The tokenizer and validate run only their concurrent tests (their others take minutes under
# -race and start no goroutine); jupyter runs -short (its goroutines are exercised by the fake-kernel
# tests; the GoNB ones take minutes).
# pkg/engine/lm is left out: its sampling runs no goroutine of its own, and -race turns on checkptr, which
# gomlx/compute's AVX-512 kernels trip (the same reason validate runs only its concurrent tests).
RACE_PKGS := ./pkg/support/progress ./pkg/support/checkpoint ./pkg/support/workers ./pkg/method/generate \
	./pkg/engine/gguf ./pkg/engine/hub ./pkg/engine/chat ./pkg/nb

.PHONY: help setup lab build test bench xla gemma3 reproduce gpu-check gpu-check-dry check-docker clean fuzz race

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

setup: ## build bin/gonb + bin/goimports and register the GoNB kernel in .jupyter/
	kernel-setup/setup.sh

lab: ## set up .venv/ (pinned JupyterLab) and open notebooks/ in JupyterLab
	kernel-setup/setup.sh --lab
	JUPYTER_DATA_DIR="$(CURDIR)/.jupyter" .venv/bin/jupyter lab $(LAB_ARGS) notebooks/

# Go's own linker rather than the system's, which cgo (XLA's plugin loader) would call: 1.8 s instead of 5.5 s.
build: ## build the CLI into bin/emotion-probes
	go build -ldflags=-linkmode=internal -o $(BIN) ./cmd/emotion-probes

# Under EMOTION_PROBES_NO_SKIP a test that skips fails, unless pkg/support/testkit allows it with a reason:
# what `make test` sets up (the kernel, the default model, npm's tokenizers) must be there.
test: export EMOTION_PROBES_NO_SKIP := 1
test: export EMOTION_PROBES_XLA_PLUGIN := $(CURDIR)/.cache/xla/pjrt_c_api_cpu_plugin.so
test: setup build xla gemma3 ## the test command (CI runs it through .ci/run): set-up, vet, unit and golden tests, race, fuzz, notebooks on tiny (Go runner, nbconvert, JupyterLab in Chromium)
	go vet ./...
	$(BIN) config --config config/tiny.yaml > /dev/null   # fetches the default model into the cache once
	go test -timeout 50m ./...
	$(MAKE) race
	$(MAKE) fuzz
	bash kernel-setup/check-dockerfiles.sh
	$(BIN) notebooks run --config config/tiny.yaml --html --report   # every notebook, headless, through the Go runner; one HTML report
	kernel-setup/lab-check.sh   # the same notebooks under nbconvert, then in JupyterLab in headless Chromium

.PHONY: test-lab
test-lab: ## the notebooks under nbconvert and in JupyterLab in headless Chromium (needs python3, node, chromium)
	kernel-setup/lab-check.sh

fuzz: ## run every fuzz target for FUZZTIME each (default 10s): make fuzz [FUZZTIME=2m]
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz: $$name in $$pkg for $(FUZZTIME)"; \
		out=$$(go test -run='^$$' -fuzz="^$${name}\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=1s $$pkg 2>&1) && st=0 || st=$$?; \
		echo "$$out"; \
		if [ $$st -ne 0 ]; then \
			case "$$out" in \
			*"Failing input written"*) exit 1 ;; \
			*"context deadline exceeded"*) echo "fuzz: $$name: the time ran out while Go minimized an input (a go tool quirk, no failing input): not a failure" ;; \
			*) exit 1 ;; \
			esac; \
		fi; \
	done

race: ## the race detector over the packages that run goroutines
	go test -race -count=1 $(RACE_PKGS)
	go test -race -count=1 -short ./pkg/support/jupyter
	go test -race -count=1 -run '^TestConcurrentEncode$$' ./pkg/engine/tokenizer
	go test -race -count=1 -run '^(TestCrossValidate|TestFolds|TestEvaluate.*|TestSweepLayers)$$' ./pkg/use/validate

bench: ## run benchmarks: make bench [PKGS=./pkg/engine/lm/...] [BENCH=Forward]
	go test -run='^$$' -bench='$(BENCH)' -benchmem $(PKGS)

xla: ## install XLA's CPU PJRT plugin into .cache/xla/ (backend "auto" then uses it: faster on the CPU)
	kernel-setup/xla-cpu.sh

gemma3: ## fetch Gemma 3 270M's GGUF into .cache/models/ (config/small-gemma3.yaml; the Gemma GGUF tests)
	kernel-setup/gemma3-270m.sh

reproduce: setup build xla ## run every notebook headless on a config: make reproduce [CONFIG=config/small.yaml]
	$(BIN) notebooks run --config $(CONFIG) --report

gpu-check: ## on an NVIDIA GPU machine with Go: the engine's golden test on XLA CUDA, bench, the small run (kernel-setup/gpu-check.sh)
	kernel-setup/gpu-check.sh all

gpu-check-dry: ## the GPU check's three steps here, on XLA's CPU plugin (bench at batches 1 and 8, config/tiny.yaml)
	kernel-setup/gpu-check.sh all --dry-run

check-docker: ## check that the Dockerfiles agree with this Makefile and setup.sh
	bash kernel-setup/check-dockerfiles.sh

clean: ## remove built binaries (keeps .venv/, .jupyter/ and the model cache)
	rm -f $(BIN) bin/gonb bin/goimports
