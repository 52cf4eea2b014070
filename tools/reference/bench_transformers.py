"""The reference side of `emotion-probes bench`: the same work with Hugging Face transformers
(PyTorch, CPU, float32) on the same GGUF model, printed as one JSON object.

    python tools/reference/bench_transformers.py MODEL.gguf --texts 32 --text-tokens 150 \
        --layer 20 --batches 1,8 --new-tokens 150 --reps 3
"""
import argparse
import json
import os
import resource
import statistics
import time

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

TEXT = ("She opened the letter slowly, her hands shaking, and read the first line twice. "
        "Outside, the rain kept on, and the kettle began to whistle in the kitchen. ") * 12


def median_time(fn, reps):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_rss_mb():
    """VmHWM of this process: getrusage's ru_maxrss would carry the parent's peak across exec on Linux."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak():
    """Restarts VmHWM from the current resident set (Linux clear_refs 5), so each phase's own peak is read."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def sgemm_gflops(reps=5):
    a = np.random.rand(1024, 1024).astype(np.float32)
    b = np.random.rand(1024, 1024).astype(np.float32)
    a @ b
    t = median_time(lambda: a @ b, reps)
    return 2 * 1024 ** 3 / t / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("--texts", type=int, default=32)
    ap.add_argument("--text-tokens", type=int, default=150)
    ap.add_argument("--extract-batch", type=int, default=8)
    ap.add_argument("--layer", type=int, default=20)
    ap.add_argument("--batches", default="1,8,32,64")
    ap.add_argument("--new-tokens", type=int, default=150)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(os.cpu_count())
    d, f = os.path.split(a.gguf)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
    out = {"tool": "transformers %s, torch %s, %d threads" % (__import__("transformers").__version__, torch.__version__, torch.get_num_threads())}
    ids = [tok(str(i) + TEXT)["input_ids"][: a.text_tokens] for i in range(a.texts)]

    # Extraction: the forward pass stops at the layer, as the Go engine does (the later blocks are dropped).
    layers = model.model.layers
    model.model.layers = layers[: a.layer]

    @torch.no_grad()
    def extract():
        for i in range(0, len(ids), a.extract_batch):
            batch = torch.tensor(ids[i:i + a.extract_batch])
            model.model(batch, output_hidden_states=True)

    phase_peak = {}
    load_peak = peak_rss_mb()
    reset_peak()
    extract()
    t = median_time(extract, a.reps)
    out["extract_tokens_per_s"] = a.texts * a.text_tokens / t
    phase_peak["extract"] = peak_rss_mb()
    model.model.layers = layers

    gen = {}
    prompt = tok(TEXT)["input_ids"][:20]
    for b in [int(x) for x in a.batches.split(",")]:
        batch = torch.tensor([prompt] * b)
        kw = dict(max_new_tokens=a.new_tokens, min_new_tokens=a.new_tokens, do_sample=True, temperature=0.8,
                  top_p=0.95, top_k=64, pad_token_id=tok.eos_token_id)
        reset_peak()
        with torch.no_grad():
            model.generate(batch, **dict(kw, max_new_tokens=4, min_new_tokens=4))
            t = median_time(lambda: model.generate(batch, **kw), max(1, a.reps - 1))
        gen[str(b)] = b * a.new_tokens / t
        phase_peak[str(b)] = peak_rss_mb()
    out["generate_tokens_per_s"] = gen
    out["phase_peak_rss_mb"] = phase_peak
    out["peak_rss_mb"] = max(load_peak, *phase_peak.values())  # the whole run's, loading included
    out["sgemm_gflops"] = sgemm_gflops()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
