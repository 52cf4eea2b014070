#!/usr/bin/env bash
# check-dockerfiles.sh checks, without a Docker engine, that the Dockerfiles
# set the project up the same way as the Makefile and kernel-setup/setup.sh:
# the same setup script and flags, the same Go version, GoNB and jax-cuda13
# pins, and the same build environment (GOEXPERIMENT, GOMLX_NO_AUTO_INSTALL,
# GOFLAGS). Run it from anywhere: `bash kernel-setup/check-dockerfiles.sh`
# (or `make check-docker`). It prints every mismatch and exits 1 if any.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

fails=0
checks=0
fail() {
	printf 'check-dockerfiles: FAIL: %s\n' "$*" >&2
	fails=$((fails + 1))
}
# has FILE FIXED-STRING WHY: FILE must contain FIXED-STRING.
has() {
	checks=$((checks + 1))
	grep -qF -- "$2" "$1" || fail "$1 lacks '$2' ($3)"
}
# makevar NAME: the value of "NAME := value" in the Makefile.
makevar() {
	sed -n "s/^$1[[:space:]]*:=[[:space:]]*//p" Makefile | head -n 1
}

go_version="$(makevar GO_VERSION)"
gonb_version="$(makevar GONB_VERSION)"
jax_cuda_pjrt="$(makevar JAX_CUDA_PJRT)"
[[ -n $go_version && -n $gonb_version && -n $jax_cuda_pjrt ]] ||
	fail "Makefile must define GO_VERSION, GONB_VERSION and JAX_CUDA_PJRT (got '${go_version}', '${gonb_version}', '${jax_cuda_pjrt}')"

# The Go version: go.mod files and the Docker base images.
has go.mod "go ${go_version}" "the library's go line must match Makefile GO_VERSION"
has tools/go.mod "go ${go_version}" "the tools module's go line must match Makefile GO_VERSION"
# GoNB: the version the tools module pins is the one the Makefile names.
has tools/go.mod "github.com/janpfeifer/gonb ${gonb_version}" "tools/go.mod must pin GoNB at Makefile GONB_VERSION"
has tools/go.sum "github.com/janpfeifer/gonb ${gonb_version} " "tools/go.sum must hold GoNB ${gonb_version}"
has tools/tools.go '_ "github.com/janpfeifer/gonb"' "tools.go keeps GoNB in tools/go.mod"
has tools/tools.go '_ "golang.org/x/tools/cmd/goimports"' "tools.go keeps goimports in tools/go.mod"

# The Makefile's build environment, which setup.sh writes into kernel.json.
for kv in GOEXPERIMENT:simd GOMLX_NO_AUTO_INSTALL:1; do
	k="${kv%%:*}" v="${kv#*:}"
	has Makefile "export ${k} := ${v}" "Makefile build environment"
	has kernel-setup/setup.sh "\"${k}\": \"${v}\"" "kernel.json env written by setup.sh"
done
has Makefile "export GOFLAGS := -mod=mod" "Makefile build environment"
# The kernel's workspace (--go_work) refuses -mod=mod: kernel.json sets GOFLAGS without it.
has kernel-setup/setup.sh "\"GOFLAGS\": \"'-ldflags=-w -linkmode=internal'\"" "kernel.json's GOFLAGS, without -mod=mod, for the Go workspace"
has kernel-setup/setup.sh '--go_work="${root}"' "notebooks import the checkout through GoNB's Go workspace"
has kernel-setup/setup.sh '"EMOTION_PROBES_ROOT": root' "notebooks find the checkout through EMOTION_PROBES_ROOT"
has Makefile "kernel-setup/setup.sh --lab" "make lab runs the setup script"

# JupyterLab pins: every line of requirements-lab.txt is pinned with ==.
req=kernel-setup/requirements-lab.txt
for pkg in jupyterlab notebook nbconvert nbclient; do
	checks=$((checks + 1))
	grep -qE "^${pkg}==[0-9]" "$req" || fail "${req} must pin ${pkg} with =="
done
checks=$((checks + 1))
if grep -vE '^[[:space:]]*(#|$)' "$req" | grep -qvE '^[A-Za-z0-9_.-]+==[0-9][^[:space:]]*$'; then
	fail "${req}: every requirement must be pinned as name==version"
fi

# Each Dockerfile: the same setup script, Go image, environment and build.
for df in Dockerfile Dockerfile.cuda; do
	checks=$((checks + 1))
	[[ -f $df ]] || {
		fail "$df is missing"
		continue
	}
	has "$df" "ARG GO_IMAGE=golang:${go_version}-" "Go image must match Makefile GO_VERSION"
	has "$df" "RUN kernel-setup/setup.sh --lab --user" "the image is set up by the same script"
	has "$df" "COPY kernel-setup/ kernel-setup/" "setup.sh and its requirements are in the image"
	has "$df" "GOEXPERIMENT=simd" "build environment"
	has "$df" "GOMLX_NO_AUTO_INSTALL=1" "build environment"
	has "$df" "GOFLAGS=-mod=mod" "build environment"
	has "$df" "RUN make build" "the CLI is built by the Makefile"
	has "$df" "EXPOSE 8888" "JupyterLab's port"
	has "$df" '"jupyter", "lab", "--ip=0.0.0.0"' "the image starts JupyterLab"
	checks=$((checks + 1))
	if grep -E '^[[:space:]]*RUN .*pip install' "$df" | grep -qE 'jupyterlab|notebook|nbconvert|nbclient'; then
		fail "$df installs Jupyter itself; leave that to setup.sh and ${req}"
	fi
done
has Dockerfile.cuda "ARG JAX_CUDA_PJRT=${jax_cuda_pjrt}" "jax-cuda13-pjrt pin must match Makefile JAX_CUDA_PJRT"
# shellcheck disable=SC2016 # the literal ${JAX_CUDA_PJRT} of the Dockerfile
has Dockerfile.cuda '"jax-cuda13-pjrt==${JAX_CUDA_PJRT}"' "the plugin wheel is pinned"
has Dockerfile.cuda "/usr/local/lib/go-xla/pjrt_c_api_cuda_plugin.so" "where go-xla looks for the CUDA plugin"
has Dockerfile.cuda "GOMLX_BACKEND=xla:cuda" "the image selects the GPU backend"

checks=$((checks + 1))
bash -n kernel-setup/setup.sh || fail "kernel-setup/setup.sh has a syntax error"

if ((fails > 0)); then
	printf 'check-dockerfiles: %d of %d checks failed\n' "$fails" "$checks" >&2
	exit 1
fi
printf 'check-dockerfiles: ok (%d checks)\n' "$checks"
