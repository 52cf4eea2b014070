"""Golden fixture for pkg/method/logitlens: the logit lens of hand-made vectors through the tiny Llama test model,
computed by Hugging Face transformers on the CPU in float32.

Run from the repository root (the venv from tools/reference/requirements.txt):
    python tools/reference/make_logitlens_fixtures.py

Reads pkg/engine/lm/testdata/tiny-llama (a random-weight LlamaForCausalLM saved by make_engine_fixtures.py) and writes
pkg/method/logitlens/testdata/tiny_llama_lens.json:
  vectors         [4][32] float32: rows of a seeded normal matrix; row 3 is row 0 times 100 (RMSNorm makes the
                  lens scale-free, so its ranking must equal row 0's)
  logits          [4][320] lm_head(model.model.norm(v)): the logit lens with the final norm (the method's)
  logits_no_norm  [4][320] lm_head(v): what the Python tool computed (it skipped the norm), for contrast
"""
import json
import os

import numpy as np
import torch
import transformers
from transformers import AutoModelForCausalLM

MODEL = "pkg/engine/lm/testdata/tiny-llama"
OUT = "pkg/method/logitlens/testdata/tiny_llama_lens.json"


@torch.no_grad()
def main():
    model = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32)
    model.eval()
    d = model.config.hidden_size
    rng = np.random.default_rng(42)
    v = rng.standard_normal((4, d)).astype(np.float32)
    v[3] = v[0] * 100
    x = torch.from_numpy(v)
    logits = model.lm_head(model.model.norm(x)).numpy()
    raw = model.lm_head(x).numpy()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({
            "source": "transformers %s, torch %s, float32, CPU; %s" % (transformers.__version__, torch.__version__, MODEL),
            "vectors": v.tolist(),
            "logits": logits.tolist(),
            "logits_no_norm": raw.tolist(),
        }, f)
        f.write("\n")


if __name__ == "__main__":
    main()
