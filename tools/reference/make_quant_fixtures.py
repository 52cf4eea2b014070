"""Golden fixture for pkg/engine/lm's in-graph quantization (quant.go), made by llama.cpp's own Python
package gguf (gguf-py 0.19.0, gguf/quants.py), whose quantizers are bit-exact ports of
ggml-quants.c's reference ones.

Run from the repository root (the venv from tools/reference/requirements.txt):
    python tools/reference/make_quant_fixtures.py

Writes pkg/engine/lm/testdata/quant_reference.safetensors:
  x            [8, 128] float32   weights to quantize: normal rows of different scales, plus one
                                  all-zero block, one constant block and one block with an outlier
  q8_0, q4_1, q4_0  [8, 4*B] uint8  x quantized by gguf-py (B bytes per block of 32: 34, 20, 18)
  q8_0_deq, q4_1_deq, q4_0_deq  [8, 128] float32  those blocks dequantized by gguf-py
"""
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize, quantize
from safetensors.numpy import save_file

rng = np.random.default_rng(7)
x = rng.standard_normal((8, 128)).astype(np.float32)
x *= np.array([0.02, 0.1, 1, 3, 0.5, 0.05, 10, 1e-3], dtype=np.float32)[:, None]
x[1, 32:64] = 0  # a block of zeros: scale 0
x[2, 0:32] = 0.25  # a constant block: max == min
x[3, 96] = 40  # an outlier sets its block's scale
out = {"x": x}
for name, t in [("q8_0", T.Q8_0), ("q4_1", T.Q4_1), ("q4_0", T.Q4_0)]:
    q = quantize(x, t)
    out[name] = np.ascontiguousarray(q)
    out[name + "_deq"] = dequantize(q, t).astype(np.float32)
save_file(out, "pkg/engine/lm/testdata/quant_reference.safetensors")
print({k: (v.dtype, v.shape) for k, v in out.items()})
