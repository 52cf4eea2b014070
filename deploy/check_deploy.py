#!/usr/bin/env python3
"""Checks deploy/ against the CLI; run by deploy/check.sh (standard library only).

  flags   every `emotion-probes <command> ...` in the guide, the sbatch scripts and the manifests
          (also `"${run[@]}" <command>` in the sbatch scripts) uses only flags that
          `emotion-probes <command> -h` lists, and only commands that `emotion-probes help` lists;
  shards  the shard count is the same everywhere: the Indexed Job's completions, parallelism and
          EMOTION_PROBES_NUM_SHARDS, shard-job.yaml's --shard i/n, the sbatch array's size and its
          EP_NUM_SHARDS default.

Usage: check_deploy.py BIN REPO   (BIN: a built emotion-probes)
"""
import glob
import os
import re
import subprocess
import sys

binary, repo = sys.argv[1], sys.argv[2]
deploy = os.path.join(repo, "deploy")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


def commands():
    out = subprocess.run([binary, "help"], capture_output=True, text=True).stderr
    section = out.split("Commands:", 1)[1]
    return {m.group(1) for m in re.finditer(r"^  ([a-z][a-z-]+)\s", section, re.M)}


def flags_of(cmd, cache={}):
    if cmd not in cache:
        r = subprocess.run([binary, cmd, "-h"], capture_output=True, text=True)
        cache[cmd] = set(re.findall(r"^  -([a-z][a-z0-9-]*)", r.stdout + r.stderr, re.M))
    return cache[cmd]


known = commands()
# The binary, then the command: `emotion-probes run-all`, `bin/emotion-probes analyze`,
# `["emotion-probes", "run-all", ...]`, or the sbatch scripts' `"${run[@]}" run-all`.
call = re.compile(r"""(?:emotion-probes|\$\{run\[@\]\})["',]*\s+["']?([a-z][a-z-]*)""")
flag = re.compile(r"""(?<![\w/.$-])--?([a-z][a-z0-9-]*)""")

files = [os.path.join(deploy, "README.md")] + sorted(glob.glob(os.path.join(deploy, "slurm", "*.sbatch"))) + \
    sorted(glob.glob(os.path.join(deploy, "kubernetes", "*.yaml")))
checked = 0
for path in files:
    rel = os.path.relpath(path, repo)
    lines = open(path, encoding="utf-8").read().replace("\\\n", " ").splitlines()
    for n, line in enumerate(lines, 1):
        for m in call.finditer(line):
            cmd = m.group(1)
            if cmd not in known:
                continue  # prose ("the emotion-probes image"), not a call
            rest = re.split(r"\s(?:#|&&|\|\||;|\|)\s|`|;$", line[m.end():])[0]
            used = flag.findall(rest)
            checked += 1
            for f in used:
                if f not in flags_of(cmd):
                    fail(f"{rel}:{n}: `emotion-probes {cmd}` has no flag -{f} "
                         f"(it has: {', '.join('--' + x for x in sorted(flags_of(cmd)))})")
print(f"flags: {checked} emotion-probes calls checked in {len(files)} files")
if checked == 0:
    fail("flags: found no emotion-probes calls; is the pattern still right?")


def grab(path, pattern, what):
    m = re.search(pattern, open(path, encoding="utf-8").read(), re.M)
    if not m:
        fail(f"shards: {os.path.relpath(path, repo)}: cannot find {what}")
        return None
    return m


k8s = os.path.join(deploy, "kubernetes")
counts = {}
job = os.path.join(k8s, "emotion-probes-job.yaml")
for what, pat in [("completions", r"^  completions: (\d+)"), ("parallelism", r"^  parallelism: (\d+)"),
                  ("EMOTION_PROBES_NUM_SHARDS", r"name: EMOTION_PROBES_NUM_SHARDS\n\s+value: \"(\d+)\"")]:
    m = grab(job, pat, what)
    if m:
        counts[f"emotion-probes-job.yaml {what}"] = int(m.group(1))
m = grab(os.path.join(k8s, "shard-job.yaml"), r'"--shard", "(\d+)/(\d+)"', "--shard i/n")
if m:
    counts["shard-job.yaml --shard i/n"] = int(m.group(2))
    if int(m.group(1)) >= int(m.group(2)):
        fail(f"shards: shard-job.yaml: --shard {m.group(1)}/{m.group(2)} is out of range")
sb = os.path.join(deploy, "slurm", "emotion-probes.sbatch")
m = grab(sb, r"^#SBATCH --array=0-(\d+)$", "#SBATCH --array=0-N")
if m:
    counts["emotion-probes.sbatch --array size"] = int(m.group(1)) + 1
m = grab(sb, r"\$\{EP_NUM_SHARDS:-(\d+)\}", "the EP_NUM_SHARDS default")
if m:
    counts["emotion-probes.sbatch EP_NUM_SHARDS"] = int(m.group(1))
if len(set(counts.values())) > 1:
    fail("shards: the shard counts disagree: " + ", ".join(f"{k} = {v}" for k, v in counts.items()))
else:
    print(f"shards: {len(counts)} places agree on {next(iter(counts.values()), '?')} shards")

sys.exit(1 if failures else 0)
