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

.PHONY: help setup lab build test bench xla reproduce gpu-check check-docker clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

setup: ## build bin/gonb + bin/goimports and register the GoNB kernel in .jupyter/
	kernel-setup/setup.sh

lab: ## set up .venv/ (pinned JupyterLab) and open notebooks/ in JupyterLab
	kernel-setup/setup.sh --lab
	JUPYTER_DATA_DIR="$(CURDIR)/.jupyter" .venv/bin/jupyter lab $(LAB_ARGS) notebooks/

build: ## build the CLI into bin/emotion-probes
	go build -o $(BIN) ./cmd/emotion-probes

test: setup build xla ## the test command (CI runs it through .ci/run): set-up, vet, unit and golden tests, notebooks on tiny (Go runner, nbconvert, JupyterLab in Chromium)
	go vet ./...
	$(BIN) config --config config/tiny.yaml > /dev/null   # fetches the default model into the cache once
	go test -timeout 50m ./...
	bash kernel-setup/check-dockerfiles.sh
	$(BIN) notebooks run --config config/tiny.yaml --html   # every notebook, headless, through the Go runner
	kernel-setup/lab-check.sh   # the same notebooks under nbconvert, then in JupyterLab in headless Chromium

.PHONY: test-lab
test-lab: ## the notebooks under nbconvert and in JupyterLab in headless Chromium (needs python3, node, chromium)
	kernel-setup/lab-check.sh

bench: ## run benchmarks: make bench [PKGS=./pkg/engine/lm/...] [BENCH=Forward]
	go test -run='^$$' -bench='$(BENCH)' -benchmem $(PKGS)

xla: ## install XLA's CPU PJRT plugin into .cache/xla/ (backend "auto" then uses it: faster on the CPU)
	kernel-setup/xla-cpu.sh

reproduce: setup build xla ## run every notebook headless on a config: make reproduce [CONFIG=config/small.yaml]
	$(BIN) notebooks run --config $(CONFIG)

gpu-check: ## on an NVIDIA GPU machine with Go: the engine's golden test on XLA CUDA, bench, the small run (kernel-setup/gpu-check.sh)
	kernel-setup/gpu-check.sh all

check-docker: ## check that the Dockerfiles agree with this Makefile and setup.sh
	bash kernel-setup/check-dockerfiles.sh

clean: ## remove built binaries (keeps .venv/, .jupyter/ and the model cache)
	rm -f $(BIN) bin/gonb bin/goimports
