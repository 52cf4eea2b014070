#!/usr/bin/env python3
"""Does the engine read a real model as transformers does? One text, every hidden state and the logits.

Usage (the reference venv, tools/reference/requirements.txt):

    emotion-probes forward --model MODEL --text-file TEXT --out ours.safetensors
    python tools/reference/compare_forward.py MODEL TEXT ours.safetensors

MODEL is what both can load: a Hugging Face folder, or a .gguf file (transformers dequantizes it). The script
prints whether the token ids agree, each hidden state's largest error relative to the state's largest
value and the smallest cosine over positions, and how often the two argmax tokens agree. The golden tests
check every family on tiny random models; this is the check on a real checkpoint (the README quotes it
for Gemma 3 270M).
"""
import os
import sys

import numpy as np
import torch
from safetensors.numpy import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer


def load(model):
    if model.endswith(".gguf"):
        folder, name = os.path.dirname(os.path.abspath(model)), os.path.basename(model)
        return (AutoTokenizer.from_pretrained(folder, gguf_file=name),
                AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32))
    return AutoTokenizer.from_pretrained(model), AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    model_path, text_file, ours_file = sys.argv[1:]
    tok, model = load(model_path)
    model.eval()
    ids = tok(open(text_file).read(), return_tensors="pt").input_ids
    ours = load_file(ours_file)
    same_ids = np.array_equal(ids[0].numpy(), ours["input_ids"])
    print(f"token ids: {'the same' if same_ids else 'DIFFERENT'} ({ids.shape[1]} here, {len(ours['input_ids'])} ours)")
    if not same_ids:
        sys.exit(1)
    with torch.no_grad():
        out = model(ids, output_hidden_states=True)
    theirs = torch.stack(out.hidden_states)[:, 0].numpy()
    worst = 0.0
    for layer, (a, b) in enumerate(zip(theirs, ours["hidden_states"])):
        rel = np.abs(a - b).max() / np.abs(a).max()
        cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
        worst = max(worst, rel)
        print(f"hidden state {layer:2d}: largest relative error {rel:.1e}, smallest cosine {cos.min():.7f}")
    logits = out.logits[0].numpy()
    agree = (logits.argmax(-1) == ours["logits"].argmax(-1)).mean()
    print(f"logits: largest difference {np.abs(logits - ours['logits']).max():.1e}; argmax agrees at {agree:.0%} of positions")
    print(f"worst hidden state: {worst:.1e} relative")


if __name__ == "__main__":
    main()
