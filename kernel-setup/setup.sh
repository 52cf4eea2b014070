#!/usr/bin/env bash
# setup.sh builds the GoNB Jupyter kernel and registers it for this repository.
#
#   kernel-setup/setup.sh            build bin/gonb and bin/goimports, register the
#                                    kernel in .jupyter/ (the repository's own
#                                    Jupyter data directory)
#   kernel-setup/setup.sh --lab      also create .venv/ with the pinned JupyterLab,
#                                    nbconvert and nbclient (kernel-setup/requirements-lab.txt)
#   kernel-setup/setup.sh --user     also register the kernel for the user
#                                    (~/.local/share/jupyter), for a Jupyter installed elsewhere
#   kernel-setup/setup.sh --force    rebuild and reinstall everything
#
# It is idempotent: a second run skips the builds whose binary is newer than
# tools/go.mod and tools/go.sum, and the pip install whose stamp is newer than
# the requirements file, and takes a few seconds.
#
# Why each piece:
#   - GoNB and goimports are built from the separate tools/ module, because
#     `go install github.com/janpfeifer/gonb@v0.11.5` fails where the module
#     proxy refuses the deprecation look-up, and because their dependencies must
#     stay out of the library's go.mod. gopls (autocompletion) is left out; the
#     kernel is installed with --force_deps so its absence is not fatal.
#   - kernel.json gets an "env": GoNB compiles every cell with `go build`, and
#     GOEXPERIMENT=simd is a build-time setting that GoMLX's fast CPU kernels
#     need; without it the notebooks run, slowly, and miss the build cache that
#     `make build` filled. GOMLX_NO_AUTO_INSTALL=1 stops GoMLX from trying to
#     download an XLA plugin. EMOTION_PROBES_ROOT tells the notebooks where the
#     checkout is (XLA's plugin is looked for below it).
#   - The kernel starts every notebook in a Go workspace that holds this
#     checkout (GoNB's --go_work), so a cell imports the project's packages with
#     no set-up cell. Go refuses -mod=mod in a workspace, so kernel.json sets
#     GOFLAGS to empty: the Makefile's GOFLAGS=-mod=mod, inherited by a kernel
#     that `make test` starts, would otherwise stop every cell. GOFLAGS holds
#     '-ldflags=-w -linkmode=internal' instead (quoted: one flag with a space):
#     a cell's program is linked without DWARF and by Go's own linker rather
#     than the system's (cgo's default): its build takes about 0.9 s instead
#     of 2.5 s; panics keep their file:line.
#   - The kernel spec records absolute paths (the gonb binary, this checkout):
#     re-run this script after moving the repository or on a new machine.
set -euo pipefail

usage() {
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

want_lab=0
want_user=0
force=0
for arg in "$@"; do
	case "$arg" in
	--lab) want_lab=1 ;;
	--user) want_user=1 ;;
	--force) force=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		echo "setup.sh: unknown flag ${arg}; see kernel-setup/setup.sh --help" >&2
		exit 2
		;;
	esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

say() { printf 'setup: %s\n' "$*"; }
die() {
	printf 'setup: error: %s\n' "$*" >&2
	exit 1
}

command -v go >/dev/null 2>&1 || die "no 'go' on PATH; install Go 1.26 (https://go.dev/dl/) and run again"
# The same build environment as the Makefile and the kernel (see kernel.json below).
export GOEXPERIMENT=simd GOMLX_NO_AUTO_INSTALL=1
case " ${GOFLAGS:-} " in
*" -mod="*) ;;
*) export GOFLAGS="${GOFLAGS:+${GOFLAGS} }-mod=mod" ;;
esac
goroot="$(go env GOROOT)"

# fresh BIN: true when BIN exists and is newer than the tools module's pins.
fresh() {
	[[ $force -eq 0 && -x "$1" && "$1" -nt tools/go.mod && "$1" -nt tools/go.sum ]]
}

# build NAME PACKAGE: builds bin/NAME from the tools module unless it is fresh.
build() {
	local name="$1" pkg="$2" t0
	if fresh "bin/${name}"; then
		say "bin/${name}: up to date (skipped build)"
		return
	fi
	say "bin/${name}: building ${pkg} from tools/go.mod (first time: 1-3 minutes)"
	t0=$SECONDS
	mkdir -p bin
	(cd tools && go build -o "../bin/${name}.tmp" "$pkg") ||
		die "building ${pkg} failed; check network access to the Go module proxy (GOPROXY=$(go env GOPROXY))"
	mv -f "bin/${name}.tmp" "bin/${name}"
	say "bin/${name}: built in $((SECONDS - t0)) s"
}

build gonb github.com/janpfeifer/gonb
build goimports golang.org/x/tools/cmd/goimports

# install_kernel DATA_DIR: writes DATA_DIR/kernels/gonb/kernel.json with the
# project's environment.
install_kernel() {
	local data_dir="$1" spec log
	spec="${data_dir}/kernels/gonb/kernel.json"
	log="$(mktemp "${TMPDIR:-/tmp}/gonb-install.XXXXXX")"
	mkdir -p "$data_dir"
	# --raw_error: compiler errors as plain text, readable in nbconvert output and logs.
	# --force_deps: gopls is optional and not built here.
	# --go_work: every notebook's Go module sits in a workspace with this checkout.
	# PATH puts bin/ first so that GoNB finds goimports when it checks for it.
	PATH="${root}/bin:${PATH}" JUPYTER_DATA_DIR="$data_dir" \
		"${root}/bin/gonb" --install --raw_error --force_deps --go_work="${root}" --logtostderr 2>"$log" ||
		die "gonb --install failed for ${data_dir}; its log: ${log}"
	[[ -f "$spec" ]] || die "gonb --install wrote no ${spec}; its log: ${log}"
	rm -f "$log"
	add_env "$spec"
	say "kernel spec: ${spec}"
}

# add_env SPEC: adds the project's environment to a kernel.json.
# PATH is written out in full (this script's PATH behind bin/ and Go's bin/)
# rather than as "...:${PATH}": jupyter_client expands ${PATH} in a kernel
# spec's env, but not every client does (a literal "${PATH}" would hide
# /usr/bin from the kernel's shell cells).
add_env() {
	command -v python3 >/dev/null 2>&1 || die "python3 is needed to edit $1 (Jupyter needs it anyway)"
	python3 - "$1" "$root" "$goroot" "$PATH" <<'PY'
import json, sys
spec, root, goroot, path = sys.argv[1:5]
dirs = []
for d in [f"{root}/bin", f"{goroot}/bin"] + path.split(":"):
    if d and d not in dirs:
        dirs.append(d)
with open(spec) as f:
    k = json.load(f)
k["display_name"] = "Go (gonb, emotion-probes)"
k.setdefault("env", {}).update({
    "GOEXPERIMENT": "simd",
    "GOMLX_NO_AUTO_INSTALL": "1",
    "GOFLAGS": "'-ldflags=-w -linkmode=internal'",
    "PATH": ":".join(dirs),
    "EMOTION_PROBES_ROOT": root,
})
with open(spec, "w") as f:
    json.dump(k, f, indent=2)
    f.write("\n")
PY
}

install_kernel "${root}/.jupyter"
if [[ $want_user -eq 1 ]]; then
	install_kernel "${XDG_DATA_HOME:-${HOME}/.local/share}/jupyter"
fi

if [[ $want_lab -eq 1 ]]; then
	req="kernel-setup/requirements-lab.txt"
	stamp=".venv/.requirements-lab.stamp"
	if [[ ! -x .venv/bin/python ]]; then
		command -v python3 >/dev/null 2>&1 || die "--lab needs python3 (with the venv module: apt-get install python3-venv)"
		say ".venv: creating with $(python3 --version 2>&1)"
		python3 -m venv .venv || die "python3 -m venv .venv failed; on Debian/Ubuntu: apt-get install python3-venv"
	fi
	if [[ $force -eq 0 && -f "$stamp" && "$stamp" -nt "$req" ]]; then
		say ".venv: JupyterLab already installed from ${req} (skipped pip)"
	else
		say ".venv: pip install -r ${req} (first time: about a minute)"
		.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req" ||
			die "pip install -r ${req} failed; check access to PyPI"
		touch "$stamp"
	fi
	if JUPYTER_DATA_DIR="${root}/.jupyter" .venv/bin/jupyter kernelspec list 2>/dev/null | grep -q '^ *gonb '; then
		say "jupyter kernelspec list: gonb registered"
	else
		die "JUPYTER_DATA_DIR=.jupyter .venv/bin/jupyter kernelspec list does not list gonb"
	fi
fi

say "done. Start JupyterLab with:  make lab"
say "  (or: JUPYTER_DATA_DIR=${root}/.jupyter ${root}/.venv/bin/jupyter lab notebooks/)"
say "Run a notebook headless with:"
say "  JUPYTER_DATA_DIR=${root}/.jupyter ${root}/.venv/bin/jupyter nbconvert --to notebook --execute \\"
say "    --ExecutePreprocessor.kernel_name=gonb --ExecutePreprocessor.timeout=600 --output-dir=/tmp notebooks/NAME.ipynb"
