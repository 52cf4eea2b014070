#!/usr/bin/env bash
# deploy/check.sh: checks the files in deploy/ without a cluster.
#
#   1. manifests  kubernetes-validate --strict on every manifest in deploy/kubernetes/, against
#                 Kubernetes 1.33 (the first release with backoffLimitPerIndex GA) and the newest
#                 release the pinned validator bundles. kubernetes-validate ships the API's JSON
#                 schemas, so once installed it needs no network and no cluster. It is installed
#                 into .cache/deploy-venv on first use; where that fails (offline, no python3-venv)
#                 the step is SKIPPED with a notice, not failed.
#   2. scripts    bash -n on the sbatch scripts and this file (and shellcheck, when installed).
#   3. configs    builds the CLI (bin/emotion-probes) and validates the ConfigMap's config and
#                 deploy/slurm/default.yaml with `emotion-probes config`; apart from model.backend,
#                 the list-file paths and output.dir, both must resolve to config/default.yaml.
#   4. the CLI    check_deploy.py: every `emotion-probes <command> --flag` in deploy/ is a flag that
#                 `emotion-probes <command> -h` lists; the shard count agrees in every file.
#
# Usage: deploy/check.sh        Exit status 1 if any check failed.
set -uo pipefail

KUBERNETES_VALIDATE_VERSION=1.37.0 # bundles schemas up to Kubernetes 1.37
KUBERNETES_VERSIONS=(1.33.0 1.37.0)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
export GOFLAGS=-mod=mod GOEXPERIMENT=simd GOMLX_NO_AUTO_INSTALL=1
status=0
fail() { echo "FAIL $*"; status=1; }

echo "== 1. manifests (kubernetes-validate $KUBERNETES_VALIDATE_VERSION)"
venv=$repo/.cache/deploy-venv
kv=$venv/bin/kubernetes-validate
if [[ ! -x $kv ]] || ! "$kv" --version 2>/dev/null | grep -qF "$KUBERNETES_VALIDATE_VERSION"; then
  python3 -m venv "$venv" >/dev/null 2>&1 &&
    "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >/dev/null 2>&1
fi
if [[ -x $kv ]]; then
  for v in "${KUBERNETES_VERSIONS[@]}"; do
    "$kv" --strict --kubernetes-version "$v" deploy/kubernetes/*.yaml || fail "manifests do not validate against Kubernetes $v"
  done
else
  echo "SKIPPED: could not install kubernetes-validate==$KUBERNETES_VALIDATE_VERSION into $venv (offline?)"
fi

echo "== 2. scripts"
for f in deploy/slurm/*.sbatch deploy/check.sh; do
  bash -n "$f" && echo "bash -n $f: ok" || fail "bash -n $f"
done
if command -v shellcheck >/dev/null; then
  shellcheck deploy/slurm/*.sbatch deploy/check.sh && echo "shellcheck: ok" || fail "shellcheck"
else
  echo "shellcheck: not installed, skipped"
fi

echo "== 3. configs"
if ! go build -o bin/emotion-probes ./cmd/emotion-probes; then
  fail "go build ./cmd/emotion-probes"
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The ConfigMap's config, with the image's /emotion-probes/ (the repository inside the image) mapped
# to this checkout so that its list files exist here.
sed -n '/^  default.yaml: |$/,$p' deploy/kubernetes/configmap.yaml | tail -n +2 | sed -e 's/^    //' \
  -e "s#/emotion-probes/#$repo/#g" >"$tmp/configmap.yaml"
# Only these may differ from config/default.yaml: the backend, where files are, and the comment.
differs='^(# Resolved|  backend:|  emotions_file:|  topics_file:|  synonyms_file:|  dir:)'
bin/emotion-probes config --config config/default.yaml --resolve-model=false | grep -Ev "$differs" >"$tmp/want"
for c in "$tmp/configmap.yaml" deploy/slurm/default.yaml; do
  name=$c
  [[ $c == "$tmp/configmap.yaml" ]] && name="deploy/kubernetes/configmap.yaml (default.yaml)"
  if ! bin/emotion-probes config --config "$c" --resolve-model=false >"$tmp/got.full" 2>"$tmp/err"; then
    fail "$name: $(cat "$tmp/err")"
    continue
  fi
  grep -q '^  backend: xla:cuda$' "$tmp/got.full" || fail "$name: model.backend is not xla:cuda"
  grep -Ev "$differs" "$tmp/got.full" >"$tmp/got"
  if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
    echo "$name: valid, and equal to config/default.yaml but for backend and paths"
  else
    fail "$name differs from config/default.yaml:"
    cat "$tmp/diff"
  fi
done
grep -q '^  dir: /data/runs/default$' <(bin/emotion-probes config --config "$tmp/configmap.yaml" --resolve-model=false) ||
  fail "configmap.yaml: output.dir is not /data/runs/default (the PVC's mount)"

echo "== 4. the CLI's flags and the shard counts"
py=python3
[[ -x $venv/bin/python ]] && py=$venv/bin/python
"$py" deploy/check_deploy.py bin/emotion-probes "$repo" || status=1

if ((status == 0)); then echo "deploy/check.sh: all checks passed"; else echo "deploy/check.sh: some checks FAILED"; fi
exit $status
