#!/usr/bin/env bash
# lab-check.sh runs the notebooks under Jupyter's own tools and looks at them in a real browser:
#
#   1. setup.sh --lab            the kernel and .venv/ with the pinned JupyterLab (idempotent)
#   2. npm ci                    playwright-core, pinned in tests/browser/package-lock.json
#   3. nbconvert                 `jupyter nbconvert --to notebook --execute` over every notebook on
#                                config/tiny.yaml, in order, with a per-cell timeout; then
#                                tests/browser/check_executed.py checks each executed notebook (valid,
#                                every cell ran, no error output, its figures and tables present)
#   4. JupyterLab + Chromium     JupyterLab on a copy of the executed notebooks that have figures, and
#                                tests/browser/check.mjs opening each in headless Chromium: first
#                                untrusted (the PNGs must show; JupyterLab strips the chart iframes of
#                                an untrusted notebook), then after `jupyter trust` (the PNGs and every
#                                go-echarts chart's canvas must draw). A screenshot of each is kept.
#   5. live widgets              tests/browser/live.mjs on a fresh copy of the notebook with the
#                                interactive cells (07-validation): with a live kernel it runs the score
#                                box, types into it and waits for the new text's coloured tokens, then
#                                runs the steering cell, moves the slider and picks another emotion and
#                                waits for changed continuations; Done ends each cell.
#
#   kernel-setup/lab-check.sh [--out DIR] [--executed DIR] [--skip-nbconvert] [--live-only]
#     --out DIR        where everything goes (default runs/tiny/lab-check): nbconvert/ holds the
#                      executed notebooks, browser/ the screenshots, lab.log JupyterLab's log
#     --executed DIR   open these executed notebooks in the browser instead of nbconvert's (e.g. the
#                      Go runner's, runs/tiny/notebooks)
#     --skip-nbconvert only the browser part (needs --executed)
#     --live-only      only step 5 (needs the run's vectors: run the notebooks or run-all first)
#   Environment: CELL_TIMEOUT (seconds per cell, default 1800), LIVE_TIMEOUT (seconds for each wait
#   of step 5, default 900), CHROMIUM (the browser binary), EMOTION_PROBES_CONFIG (default
#   config/tiny.yaml).
#
# nbconvert runs without $EMOTION_PROBES_HEADLESS, unlike `emotion-probes notebooks run`: there the
# interactive cells must find out by themselves that no browser is there (their handshake times out,
# about 15 s each) and show their static example, which check_executed.py looks for. The two runners
# thus cover both ways a cell decides (the price: GoNB leaves the script it sent to connect the page in
# those cells' outputs). JupyterLab must not have it either, or step 5 sees no widgets.
#
# `make test-lab` runs it. After `emotion-probes notebooks run --config config/tiny.yaml` (as
# `make test` does) every stage's output is on disk and the notebooks only read it back: nbconvert then
# takes a few minutes, the compile of each cell. On a fresh checkout it computes the tiny run first.
#
# Needs python3 (with venv), Node.js >= 20 with npm, and Chromium: Debian's `chromium` package is
# installed with apt-get when it is absent and this runs as root; otherwise set $CHROMIUM.
# Trust: an executed notebook is not trusted, and JupyterLab sanitizes its HTML outputs, which removes
# the <iframe srcdoc> charts (the PNG beside each still shows). `jupyter trust` signs the notebooks; this
# script signs its copies into a signature database of its own, so nothing leaks into .jupyter/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

usage() { sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//'; }
say() { printf 'lab-check: %s\n' "$*"; }
die() {
	printf 'lab-check: error: %s\n' "$*" >&2
	exit 1
}

out="runs/tiny/lab-check"
executed=""
skip_nbconvert=0
live_only=0
while [[ $# -gt 0 ]]; do
	case "$1" in
	--out) out="${2:?--out needs a folder}"; shift 2 ;;
	--executed) executed="${2:?--executed needs a folder}"; shift 2 ;;
	--skip-nbconvert) skip_nbconvert=1; shift ;;
	--live-only) live_only=1; skip_nbconvert=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument $1; see kernel-setup/lab-check.sh --help" ;;
	esac
done
[[ $skip_nbconvert -eq 0 || -n "$executed" || $live_only -eq 1 ]] || die "--skip-nbconvert needs --executed DIR"
mkdir -p "$out"
out="$(cd "$out" && pwd -P)"
export EMOTION_PROBES_CONFIG="$(realpath "${EMOTION_PROBES_CONFIG:-config/tiny.yaml}")"
export JUPYTER_DATA_DIR="${root}/.jupyter"
cell_timeout="${CELL_TIMEOUT:-1800}"
live_timeout="${LIVE_TIMEOUT:-900}"
unset EMOTION_PROBES_HEADLESS # see above: neither nbconvert nor JupyterLab is told
t_start=$SECONDS

# 1. The kernel and JupyterLab.
kernel-setup/setup.sh --lab | sed 's/^/  /'
py="${root}/.venv/bin/python"
jupyter="${root}/.venv/bin/jupyter"

# 2. playwright-core (npm ci: exactly the lockfile's versions; skipped when they are installed).
command -v node >/dev/null 2>&1 || die "no node on PATH; install Node.js >= 20 (Debian: apt-get install -y nodejs npm)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$node_major" -ge 20 ]] || die "Node.js $(node --version) is too old; playwright-core needs >= 20"
if [[ tests/browser/node_modules/.package-lock.json -nt tests/browser/package-lock.json ]]; then
	say "tests/browser/node_modules: up to date (skipped npm ci)"
else
	say "npm ci in tests/browser"
	(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) ||
		die "npm ci failed in tests/browser; check access to the npm registry ($(npm config get registry))"
fi

# The browser: $CHROMIUM, else one on PATH, else apt-get install chromium when root.
find_chromium() {
	if [[ -n "${CHROMIUM:-}" ]]; then
		[[ -x "$CHROMIUM" ]] || die "CHROMIUM=${CHROMIUM} is not an executable"
		echo "$CHROMIUM"
		return
	fi
	command -v chromium || command -v chromium-browser || command -v google-chrome || true
}
chromium_bin="$(find_chromium)"
if [[ -z "$chromium_bin" ]]; then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		say "no Chromium on PATH: apt-get install -y chromium"
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"${out}/apt.log" 2>&1 ||
			die "apt-get install chromium failed; see ${out}/apt.log"
		chromium_bin="$(command -v chromium)" || die "apt-get installed chromium but it is not on PATH"
	else
		die "no Chromium found; install Debian's chromium (sudo apt-get install -y chromium) or set CHROMIUM=/path/to/chrome"
	fi
fi
say "browser: ${chromium_bin} ($("$chromium_bin" --version 2>/dev/null | tail -n 1))"

# 3. nbconvert over every notebook, in order: each reads what the earlier ones wrote. The kernel runs
# in notebooks/ (nbconvert's default: the notebook's folder), as in JupyterLab.
if [[ $skip_nbconvert -eq 0 ]]; then
	nbdir="${out}/nbconvert"
	rm -rf "$nbdir"
	mkdir -p "$nbdir"
	say "nbconvert --execute on $(basename "$EMOTION_PROBES_CONFIG"), per-cell timeout ${cell_timeout} s -> ${nbdir}"
	executed_files=()
	for nb in notebooks/[0-9][0-9]-*.ipynb; do
		t0=$SECONDS
		"$jupyter" nbconvert --to notebook --execute \
			--ExecutePreprocessor.kernel_name=gonb \
			--ExecutePreprocessor.timeout="$cell_timeout" \
			--ExecutePreprocessor.startup_timeout=120 \
			--output-dir "$nbdir" "$nb" >"${nbdir}/$(basename "$nb" .ipynb).log" 2>&1 || {
			tail -n 40 "${nbdir}/$(basename "$nb" .ipynb).log" >&2
			die "nbconvert --execute failed on ${nb} (full log: ${nbdir}/$(basename "$nb" .ipynb).log)"
		}
		say "  $(basename "$nb"): executed in $((SECONDS - t0)) s"
		executed_files+=("${nbdir}/$(basename "$nb")")
	done
	"$py" tests/browser/check_executed.py "${executed_files[@]}" | sed 's/^/  /'
	[[ ${PIPESTATUS[0]} -eq 0 ]] || die "the notebooks nbconvert executed lack outputs or hold errors (above)"
	[[ -n "$executed" ]] || executed="$nbdir"
fi

# 4. JupyterLab in the browser, on a copy of the executed notebooks that have figures (JupyterLab may
# autosave what it opens; the copy keeps the executed notebooks as they were written).
work="$(mktemp -d "${TMPDIR:-/tmp}/lab-check.XXXXXX")"
lab_pid=""
cleanup() {
	if [[ -n "$lab_pid" ]]; then
		kill "$lab_pid" 2>/dev/null || true
		wait "$lab_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "${work}/root" "${work}/settings/@jupyterlab/apputils-extension" "${work}/settings/@jupyterlab/notebook-extension"
figure_nbs=()
if [[ $live_only -eq 0 ]]; then
	for nb in "${executed}"/[0-9][0-9]-*.ipynb; do
		[[ -f "$nb" ]] || continue
		if grep -qE '<img [^>]*src=\\"data:image/png|<iframe ' "$nb"; then
			cp "$nb" "${work}/root/"
			figure_nbs+=("$(basename "$nb")")
		fi
	done
	[[ ${#figure_nbs[@]} -gt 0 ]] || die "no executed notebook with a figure in ${executed}"
	# The check's own check: a notebook whose figures do not render, on which it must fail.
	cp tests/browser/testdata/broken-figures.ipynb "${work}/root/"
fi
# Step 5's notebook: the committed one (no outputs; only its interactive cells will run), in a folder
# of its own, which is where its kernel runs.
live_nb="$(grep -lF 'nb.ScoreBox(' notebooks/[0-9][0-9]-*.ipynb | head -n 1)" || true
[[ -n "$live_nb" ]] || die "no notebook in notebooks/ calls nb.ScoreBox( (the interactive cells step 5 drives)"
mkdir -p "${work}/root/live"
cp "$live_nb" "${work}/root/live/"
# No "get notified about Jupyter news?" toast over the screenshots, and no update check (closed network).
echo '{"fetchNews": "false", "checkForUpdates": false}' \
	>"${work}/settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
# Every cell in the page: JupyterLab's windowing may leave a cell out of the DOM until it is scrolled
# to, and step 5 finds its cells by their text.
echo '{"windowingMode": "none"}' >"${work}/settings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
# A signature database and secret of this run's own: the copies start untrusted and trusting them
# leaves .jupyter/ alone.
notary=(--NotebookNotary.db_file="${work}/nbsignatures.db" --NotebookNotary.secret_file="${work}/notebook_secret")

port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
token="$("$py" -c 'import secrets; print(secrets.token_hex(16))')"
if [[ $live_only -eq 0 ]]; then
	say "JupyterLab on 127.0.0.1:${port} over ${#figure_nbs[@]} notebook(s) from ${executed}: ${figure_nbs[*]}, and live/$(basename "$live_nb")"
else
	say "JupyterLab on 127.0.0.1:${port} over live/$(basename "$live_nb")"
fi
# --allow-root: CI containers run as root. No terminals, no extension manager (it queries PyPI).
"$jupyter" lab --no-browser --allow-root --ip=127.0.0.1 --port="$port" --ServerApp.port_retries=0 \
	--IdentityProvider.token="$token" --ServerApp.root_dir="${work}/root" \
	--ServerApp.terminals_enabled=False --LabApp.extension_manager=readonly \
	--LabApp.workspaces_dir="${work}/workspaces" --LabApp.user_settings_dir="${work}/settings" \
	"${notary[@]}" >"${out}/lab.log" 2>&1 &
lab_pid=$!
ready=0
for _ in $(seq 240); do
	if "$py" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:${port}/api/status?token=${token}', timeout=2)" 2>/dev/null; then
		ready=1
		break
	fi
	kill -0 "$lab_pid" 2>/dev/null || break
	sleep 0.5
done
[[ $ready -eq 1 ]] || { tail -n 20 "${out}/lab.log" >&2; die "JupyterLab did not start (log: ${out}/lab.log)"; }

shots="${out}/browser"
rm -rf "$shots"
check=(node tests/browser/check.mjs --url "http://127.0.0.1:${port}" --token "$token" --dir "${work}/root"
	--out "$shots" --chromium "$chromium_bin")
# Both passes, the self-test and step 5 run even when one fails, to report everything at once.
failed=()
if [[ $live_only -eq 0 ]]; then
	say "browser, untrusted: the PNGs must show"
	"${check[@]}" --untrusted "${figure_nbs[@]}" || failed+=("untrusted notebooks did not render their images")
	say "jupyter trust (into this run's own signature database)"
	(cd "${work}/root" && "$jupyter" trust "${notary[@]}" "${figure_nbs[@]}" broken-figures.ipynb) | sed 's/^/  /'
	say "browser, trusted: the PNGs and every chart's canvas must draw"
	"${check[@]}" "${figure_nbs[@]}" || failed+=("trusted notebooks did not render their figures")

	say "browser, self-test: tests/browser/testdata/broken-figures.ipynb must fail on each of its 3 figures"
	selftest="${out}/browser-selftest.log"
	selftest_ok=1
	if "${check[@]}" --timeout 20 broken-figures.ipynb >"$selftest" 2>&1; then
		failed+=("the browser check passed a notebook whose figures do not render (log: ${selftest})")
		selftest_ok=0
	fi
	for want in "image 1 did not load (naturalWidth 0): image/png data URI" "chart 1: its 300x150 canvas is blank" "chart 2: no <canvas>"; do
		if ! grep -qF "$want" "$selftest"; then
			failed+=("the browser check's self-test did not report '${want}' (log: ${selftest})")
			selftest_ok=0
		fi
	done
	[[ $selftest_ok -eq 0 ]] || say "  it failed on all three, as it should"
fi

# 5. The interactive cells, with a live kernel (JupyterLab starts it when a cell runs).
say "browser, live: the score box and the steering cell of $(basename "$live_nb"), typed into and moved (waits up to ${live_timeout} s each)"
if ! node tests/browser/live.mjs --url "http://127.0.0.1:${port}" --token "$token" --out "$shots" --chromium "$chromium_bin" \
	--timeout "$live_timeout" "live/$(basename "$live_nb")" 2>&1 | tee "${out}/browser-live.log" | sed 's/^/  /'; then
	failed+=("the interactive cells did not answer in the browser (log: ${out}/browser-live.log)")
fi

if [[ ${#failed[@]} -gt 0 ]]; then
	printf 'lab-check: FAIL: %s\n' "${failed[@]}" >&2
	die "see the FAIL lines above; screenshots in ${shots}, JupyterLab's log in ${out}/lab.log"
fi
say "ok in $((SECONDS - t_start)) s; ${executed:+executed notebooks in ${executed}, }screenshots in ${shots}"
