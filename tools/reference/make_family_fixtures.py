"""Golden fixtures for pkg/engine/lm's other architecture families (Qwen3, Gemma 2, Gemma 3, Gemma 4), made by
Hugging Face transformers on the CPU in float32.

Run from the repository root (the venv from tools/reference/requirements.txt):
    python tools/reference/make_family_fixtures.py

Writes, for each family, pkg/engine/lm/testdata/tiny-<family>/ (config.json, tokenizer.json,
model.safetensors, as transformers saves them) and tiny-<family>_reference.safetensors with, per
prompt, the token ids, every hidden state ([n_layers+1, T, D], transformers' output_hidden_states:
the last one has the final norm applied), the logits [T, V] and a 32-token greedy continuation.

The models are tiny (hidden 64, vocabulary 320, 2-4 blocks) with random weights; to keep the
folders small the weights are rounded to bfloat16 and saved so, and the reference is the saved
model read back in float32. Weights that transformers initialises to constants (norm scales: ones,
or zeros for Gemma 2/3's (1 + w) norms; Gemma 4's layer_scalar buffers) are drawn at random too, so
that one applied wrongly shows. Hyper-parameters are chosen so that each feature matters on the
test prompts (pkg/engine/lm's TestFamilyFeaturesMatter checks it): sliding windows shorter than the
prompts, soft-caps near the size of the values they cap, a query scale other than
1/sqrt(head_dim), a head size other than hidden/heads, a local rope base other than the global
one, KV sharing of both layer kinds.
"""
import os

import numpy as np
import torch
from safetensors.numpy import save_file
from transformers import (AutoModelForCausalLM, Gemma4ForCausalLM, Gemma4TextConfig, Gemma2Config, Gemma2ForCausalLM, Gemma3ForCausalLM, Gemma3TextConfig, Qwen3Config,
                          Qwen3ForCausalLM)

from make_engine_fixtures import OUT, PROMPTS, greedy, tiny_tokenizer


def randomize(model, seed):
    """Rounds every weight to bfloat16 and draws the constant-initialised ones (norms) at random."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                base = 0.0 if model.config.model_type in ("gemma2", "gemma3_text") else 1.0
                p.copy_(base + 0.3 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.15 * torch.randn(p.shape, generator=g))
            p.copy_(p.bfloat16().float())
        for name, b in model.named_buffers():
            if name.endswith("layer_scalar"):  # Gemma 4: a saved buffer, ones at init
                b.copy_((0.5 + torch.rand(b.shape, generator=g)).bfloat16().float())
    return model


@torch.no_grad()
def tiny(name, model):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    model.eval()
    model.to(torch.bfloat16).save_pretrained(folder, safe_serialization=True)
    # The reference is the saved model read back (model.to(bfloat16) also rounded buffers such as
    # the rotary frequencies, which from_pretrained recomputes).
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    tok = tiny_tokenizer()
    tok.save(os.path.join(folder, "tokenizer.json"))
    tensors = {}
    for p, text in enumerate(PROMPTS[:3]):
        ids = tok.encode(text).ids
        out = model(torch.tensor([ids]), output_hidden_states=True)
        tensors[f"p{p}.ids"] = np.array(ids, dtype=np.int64)
        tensors[f"p{p}.hidden"] = np.stack([h[0].numpy() for h in out.hidden_states]).astype(np.float32)
        tensors[f"p{p}.logits"] = out.logits[0].numpy().astype(np.float32)
        tensors[f"p{p}.greedy"] = np.array(greedy(model, ids), dtype=np.int64)
        print(name, p, "tokens", len(ids), "max |logit|", float(out.logits.abs().max()))
    save_file(tensors, os.path.join(OUT, f"{name}_reference.safetensors"),
              metadata={"source": "transformers %s, random weights (seed 0), float32 on bfloat16-rounded weights"
                                  % __import__("transformers").__version__})


def main():
    common = dict(vocab_size=320, hidden_size=64, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2,
                  head_dim=32, max_position_embeddings=256, bos_token_id=0, eos_token_id=2, pad_token_id=1)
    torch.manual_seed(0)
    tiny("tiny-qwen3", randomize(Qwen3ForCausalLM(Qwen3Config(
        num_hidden_layers=2, rms_norm_eps=1e-6, tie_word_embeddings=True, rope_theta=10000.0, **common)), 1))
    torch.manual_seed(0)
    tiny("tiny-gemma2", randomize(Gemma2ForCausalLM(Gemma2Config(
        num_hidden_layers=2, rms_norm_eps=1e-6, rope_theta=10000.0, query_pre_attn_scalar=24, sliding_window=4,
        attn_logit_softcapping=3.0, final_logit_softcapping=4.0, hidden_activation="gelu_pytorch_tanh",
        **common)), 2))
    torch.manual_seed(0)
    tiny("tiny-gemma3", randomize(Gemma3ForCausalLM(Gemma3TextConfig(
        num_hidden_layers=3, rms_norm_eps=1e-6, query_pre_attn_scalar=24, sliding_window=4, sliding_window_pattern=3,
        rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 100.0},
                         "full_attention": {"rope_type": "linear", "factor": 4.0, "rope_theta": 10000.0}},
        final_logit_softcapping=4.0, hidden_activation="gelu_pytorch_tanh", **common)), 3))
    # Gemma 4 (text): full layers with their own head size and KV heads, keys as values (attention_k_eq_v),
    # proportional rope on a quarter of the full layers' head, the last two layers reusing the keys and values
    # of the last earlier layer of their type (and a double-wide MLP there), per-layer embeddings.
    torch.manual_seed(0)
    g4 = dict(common, intermediate_size=32, head_dim=16)
    tiny("tiny-gemma4", randomize(Gemma4ForCausalLM(Gemma4TextConfig(
        num_hidden_layers=4, rms_norm_eps=1e-6, sliding_window=4, global_head_dim=32, num_global_key_value_heads=1,
        attention_k_eq_v=True, layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
        num_kv_shared_layers=2, hidden_size_per_layer_input=8, vocab_size_per_layer_input=320, use_double_wide_mlp=True,
        rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 100.0},
                         "full_attention": {"rope_type": "proportional", "partial_rotary_factor": 0.25,
                                            "rope_theta": 10000.0}},
        final_logit_softcapping=4.0, hidden_activation="gelu_pytorch_tanh", **g4)), 4))


if __name__ == "__main__":
    main()
