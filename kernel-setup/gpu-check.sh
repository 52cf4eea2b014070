#!/usr/bin/env bash
# gpu-check.sh: the project's checks on an NVIDIA GPU, in one go, with the figures written down.
#
#   kernel-setup/gpu-check.sh prepare        here, with Go: build what the GPU machine runs into .gpu/
#   kernel-setup/gpu-check.sh run [--out D]  on the GPU machine: find (or install) XLA's CUDA plugin, then
#                                            1. the engine's golden test on XLA CUDA (TestXLAMatchesGoBackend:
#                                               hidden states at every layer and generated tokens equal to the
#                                               pure-Go backend's, on the tiny test model),
#                                            2. `emotion-probes bench --backend xla:cuda` (extraction and
#                                               generation at batch 1-256), when the default model is in
#                                               the cache or can be fetched,
#                                            3. config/small.yaml end to end on the GPU (run-all + validate),
#                                               timed, under the same condition,
#                                            and writes each result to D (default .gpu/out): gpu-check.md (the
#                                            figures, ready to paste into BENCHMARKS.md), the logs.
#   kernel-setup/gpu-check.sh all            both, on a GPU machine that has Go (make gpu-check).
#   kernel-setup/gpu-check.sh run --dry-run  the same three steps on XLA's CPU plugin (kernel-setup/xla-cpu.sh),
#                                            here, with the bench at batches 1 and 8 and config/tiny.yaml in
#                                            place of small (which takes half an hour on a CPU): proves the
#                                            script before a GPU is at hand (make gpu-check-dry).
#
# Why two halves: GPU machines often have no Go toolchain and no network (the project's lent machines have
# Python with jax and jax-cuda13-pjrt, and nothing else). `prepare` builds the CLI and the engine's test
# binary here (x86-64, XLA compiled in) and `run` needs neither Go nor a download when the plugin is
# installed; copy or carry the checkout with .gpu/ to the GPU machine.
#
# The CUDA plugin: jax-cuda13-pjrt's xla_cuda_plugin.so is a PJRT plugin; go-xla loads it under the name
# pjrt_c_api_cuda_plugin.so from a folder on PJRT_PLUGIN_LIBRARY_PATH, and finds NVIDIA's libraries in the
# site-packages nvidia/ folder beside it (docs/xla.md, Dockerfile.cuda). `run` looks for an installed
# jax-cuda13-pjrt in the python3 on PATH, then installs the pinned one into .gpu/venv (needs PyPI).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"
JAX_CUDA_PJRT="${JAX_CUDA_PJRT:-0.11.2}" # the Makefile's and Dockerfile.cuda's pin
gpu=".gpu"
say() { printf 'gpu-check: %s\n' "$*" >&2; }
die() {
	printf 'gpu-check: error: %s\n' "$*" >&2
	exit 1
}

prepare() {
	command -v go >/dev/null || die "prepare needs Go; run it where the project builds, then carry .gpu/ to the GPU machine"
	export GOEXPERIMENT=simd GOMLX_NO_AUTO_INSTALL=1 GOFLAGS=-mod=mod
	mkdir -p "$gpu"
	say "building the CLI and the engine's test binary into ${gpu}/"
	# Stripped (-s -w): both fit the 64 MiB a lent GPU machine takes with the checkout.
	go build -trimpath -ldflags="-s -w" -o "${gpu}/emotion-probes" ./cmd/emotion-probes
	go test -c -trimpath -ldflags="-s -w" -o "${gpu}/lm.test" ./pkg/engine/lm
	say "ready: carry the checkout with ${gpu}/ and run kernel-setup/gpu-check.sh run"
}

# find_plugin prints the folder of an installed xla_cuda_plugin.so, installing the pinned wheels into
# .gpu/venv when no python3 on PATH has them.
find_plugin() {
	local so
	so="$(python3 - <<'PY' 2>/dev/null || true
import glob, os, sys
for p in sys.path:
    hits = glob.glob(os.path.join(p, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so"))
    if hits:
        print(hits[0]); break
PY
)"
	if [[ -z "$so" ]]; then
		say "no jax-cuda13-pjrt in $(command -v python3 || echo 'no python3'): installing ${JAX_CUDA_PJRT} into ${gpu}/venv (needs PyPI)"
		python3 -m venv "${gpu}/venv" && "${gpu}/venv/bin/pip" install -q "jax-cuda13-pjrt==${JAX_CUDA_PJRT}" \
			"jax-cuda13-plugin[with-cuda]==${JAX_CUDA_PJRT}" >&2 ||
			die "could not install jax-cuda13-pjrt ${JAX_CUDA_PJRT}; install it (pip) or put its xla_cuda_plugin.so on PJRT_PLUGIN_LIBRARY_PATH"
		so="$(find "${gpu}/venv" -name xla_cuda_plugin.so | head -n 1)"
	fi
	[[ -n "$so" && -f "$so" ]] || die "xla_cuda_plugin.so not found"
	echo "$so"
}

run() {
	local out="${gpu}/out" dry=0
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--out) out="${2:?--out needs a folder}"; shift 2 ;;
		--dry-run) dry=1; shift ;;
		*) die "unknown argument $1" ;;
		esac
	done
	[[ -x "${gpu}/emotion-probes" && -x "${gpu}/lm.test" ]] || die "${gpu}/ has no binaries: run kernel-setup/gpu-check.sh prepare first (where Go is)"
	# What differs between the run on the GPU and the dry run on the CPU plugin.
	local backend batches config title plugin_note
	if ((dry)); then
		backend="$(kernel-setup/xla-cpu.sh)" || die "the dry run needs XLA's CPU plugin: kernel-setup/xla-cpu.sh could not install it"
		batches="1,8" config="config/tiny.yaml" title="dry run on XLA's CPU plugin ($(nproc) cores)"
		plugin_note="${backend}"
		export EMOTION_PROBES_XLA_PLUGIN="${backend#xla:}" GOMLX_NO_AUTO_INSTALL=1
	else
		if ! { command -v nvidia-smi >/dev/null && nvidia-smi -L >&2; } && [[ ! -e /dev/nvidia0 ]]; then
			die "no NVIDIA GPU here (no nvidia-smi, no /dev/nvidia0): run this on the GPU machine, or try the script here with run --dry-run"
		fi
		local so site nv plugdir
		so="$(find_plugin)"
		site="$(dirname "$(dirname "$(dirname "$so")")")" # .../site-packages
		nv="${site}/nvidia"
		plugdir="$(pwd -P)/${gpu}/plugin"
		mkdir -p "$plugdir"
		ln -sf "$so" "${plugdir}/pjrt_c_api_cuda_plugin.so"
		ln -sfn "$nv" "$(dirname "$plugdir")/nvidia" # go-xla looks for ../nvidia beside the plugin's folder
		export PJRT_PLUGIN_LIBRARY_PATH="$plugdir" GOMLX_NO_AUTO_INSTALL=1 EMOTION_PROBES_XLA_PLUGIN=xla:cuda
		export LD_LIBRARY_PATH="${nv}/cu13/lib:${nv}/cudnn/lib:${nv}/nccl/lib:${nv}/nvshmem/lib:${LD_LIBRARY_PATH:-}"
		export XLA_FLAGS="${XLA_FLAGS:---xla_gpu_cuda_data_dir=${nv}/cu13}"
		backend="xla:cuda" batches="1,8,32,64,256" config="config/small.yaml"
		title="$(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | head -n 1 || echo 'GPU')"
		plugin_note="XLA CUDA plugin: jax-cuda13-pjrt ${JAX_CUDA_PJRT}"
	fi
	say "backend: ${backend}"
	mkdir -p "$out"
	out="$(cd "$out" && pwd -P)"

	local md="${out}/gpu-check.md" status=0
	{
		echo "## GPU check: ${title}"
		echo
		echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') by \`kernel-setup/gpu-check.sh\` (${plugin_note})."
		echo
	} >"$md"

	say "1. golden test on ${backend} (TestXLAMatchesGoBackend)"
	local t0=$SECONDS
	if (cd pkg/engine/lm && "${root}/${gpu}/lm.test" -test.run 'XLAMatchesGoBackend' -test.v) >"${out}/golden.log" 2>&1; then
		echo "- Engine on ${backend} equals the pure-Go backend (TestXLAMatchesGoBackend): **pass** ($((SECONDS - t0)) s)." >>"$md"
	else
		status=1
		echo "- Engine on ${backend} (TestXLAMatchesGoBackend): **FAIL**; see golden.log:" >>"$md"
		echo '```' >>"$md"
		tail -n 20 "${out}/golden.log" >>"$md"
		echo '```' >>"$md"
	fi

	say "2. bench on ${backend}"
	if "${gpu}/emotion-probes" bench --backend "$backend" --batches "$batches" --out "${out}/bench.md" --section gpu >"${out}/bench.log" 2>&1; then
		{ echo; sed -n "/<!-- gpu:begin -->/,/<!-- gpu:end -->/p" "${out}/bench.md"; } >>"$md" # the section, ready for BENCHMARKS.md
	else
		echo "- bench: not run ($(tail -n 1 "${out}/bench.log")); it needs the default model in the cache or a network to fetch it." >>"$md"
	fi

	local name
	name="$(basename "$config" .yaml)"
	say "3. ${config} on ${backend}"
	# A copy beside the config (its data paths are relative to its folder), on the backend, writing to $out.
	local cfg="config/.gpu-check-${name}.yaml"
	sed -e "s|^  backend: .*|  backend: ${backend}|" -e "s|^  dir: .*|  dir: ${out}/${name}|" "$config" >"$cfg"
	t0=$SECONDS
	if "${gpu}/emotion-probes" run-all --config "$cfg" --quiet >"${out}/${name}.log" 2>&1 &&
		"${gpu}/emotion-probes" validate --config "$cfg" --quiet >>"${out}/${name}.log" 2>&1; then
		echo "- ${config}, run-all + validate on ${backend}: $((SECONDS - t0)) s; the report is ${out}/${name}/validation/report.md." >>"$md"
	else
		status=1
		echo "- ${config}: not finished ($(tail -n 1 "${out}/${name}.log")); see ${name}.log." >>"$md"
	fi
	rm -f "$cfg"
	cat "$md"
	return "$status"
}

case "${1:-}" in
prepare) prepare ;;
run) shift; run "$@" ;;
all) prepare; shift; run "$@" ;;
*) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
