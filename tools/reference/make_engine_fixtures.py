"""Golden fixtures for pkg/engine/lm, made by Hugging Face transformers on the CPU in float32.

Run from the repository root (the venv from tools/reference/requirements.txt):
    python tools/reference/make_engine_fixtures.py /path/to/SmolLM2-135M-Instruct.Q4_1.gguf
    python tools/reference/make_engine_fixtures.py --gemma3 .cache/models/gemma-3-270m-q4_k_m.gguf

Writes
  pkg/engine/lm/testdata/smollm2_reference.safetensors   SmolLM2-135M-Instruct (the default model's GGUF,
        dequantized by transformers' GGUF loader): per prompt the token ids, every hidden state
        projected on 24 fixed directions, the full hidden state at the default layer 20, the top-32
        logits and the log-sum-exp at every position, and a 32-token greedy continuation.
  pkg/engine/lm/testdata/gemma3_gguf_reference.safetensors   (--gemma3) Gemma 3 270M's Q4_K_M GGUF
        (kernel-setup/gemma3-270m.sh), read by transformers' GGUF loader: per prompt (the first two) the
        token ids with BOS, every hidden state projected on 24 fixed directions and the top-32 logits.
  pkg/engine/lm/testdata/tiny-llama/, tiny-qwen2/   tiny random-weight models saved by transformers
        (config.json, tokenizer.json, model.safetensors) and tiny_*_reference.safetensors with their
        full hidden states, logits and greedy continuations.

The projection directions are R[d, j] = ((d*7919 + j*104729) % 1000) / 1000 - 0.5, in float64:
the Go test builds the same matrix.
"""
import json
import os
import sys

import numpy as np
import torch
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

torch.manual_seed(0)
OUT = "pkg/engine/lm/testdata"
PROMPTS = [
    "The quick brown fox jumps over the lazy dog.",
    "She opened the letter slowly, her hands shaking, and read the first line twice.",
    "def add(a, b):\n    return a + b\n",
    "In 1969, 3 astronauts flew 384,400 km to the Moon!",
    "Émile said: « ça va ? » — then laughed 😂 and left.",
]
PROJ = 24


def projection(d):
    i = np.arange(d)[:, None]
    j = np.arange(PROJ)[None, :]
    return ((i * 7919 + j * 104729) % 1000) / 1000.0 - 0.5


@torch.no_grad()
def greedy(model, ids, n=32):
    ids = list(ids)
    out = []
    for _ in range(n):
        logits = model(torch.tensor([ids])).logits[0, -1]
        nxt = int(torch.argmax(logits))
        out.append(nxt)
        ids.append(nxt)
    return out


def load_gguf(gguf_path):
    d, f = os.path.split(gguf_path)
    from transformers import AutoTokenizer
    return AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval(), AutoTokenizer.from_pretrained(d, gguf_file=f), f


@torch.no_grad()
def golden(model, tok, model_file, prompts, out_name, extra):
    """Per prompt: ids, every hidden state projected on R, the top-32 logits; extra(p, ids, hs, logits) adds more."""
    R = projection(model.config.hidden_size)
    tensors = {}
    for p, text in enumerate(prompts):
        ids = tok(text)["input_ids"]
        out = model(torch.tensor([ids]), output_hidden_states=True)
        hs = np.stack([h[0].double().numpy() for h in out.hidden_states])  # [n_layers+1, T, D]
        logits = out.logits[0].double()
        top = torch.topk(logits, 32, dim=-1)
        tensors[f"p{p}.ids"] = np.array(ids, dtype=np.int64)
        tensors[f"p{p}.proj"] = (hs @ R).astype(np.float32)
        tensors[f"p{p}.top_ids"] = top.indices.numpy().astype(np.int64)
        tensors[f"p{p}.top_logits"] = top.values.numpy().astype(np.float32)
        tensors.update(extra(p, ids, hs, logits))
    meta = {"source": "transformers %s, torch %s, float32 CPU" % (__import__("transformers").__version__, torch.__version__),
            "model": model_file, "prompts": json.dumps(prompts)}
    save_file(tensors, os.path.join(OUT, out_name), metadata=meta)


def smollm2(gguf_path):
    model, tok, f = load_gguf(gguf_path)
    golden(model, tok, f, PROMPTS, "smollm2_reference.safetensors", lambda p, ids, hs, logits: {
        f"p{p}.layer20": hs[20].astype(np.float32),
        f"p{p}.lse": torch.logsumexp(logits, -1).numpy().astype(np.float32),
        f"p{p}.greedy": np.array(greedy(model, ids), dtype=np.int64),
    })


def gemma3_gguf(gguf_path):
    model, tok, f = load_gguf(gguf_path)
    golden(model, tok, f, PROMPTS[:2], "gemma3_gguf_reference.safetensors", lambda p, ids, hs, logits: {})


def tiny_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(PROMPTS * 20 + [open(__file__).read()], trainer=trainer)
    return tok


@torch.no_grad()
def tiny(name, model):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    model.eval()
    model.save_pretrained(folder, safe_serialization=True)
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
    save_file(tensors, os.path.join(OUT, f"{name}_reference.safetensors"),
              metadata={"source": "transformers %s, random weights (seed 0)" % __import__("transformers").__version__})


def main():
    if sys.argv[1] == "--gemma3":
        gemma3_gguf(sys.argv[2])
        return
    smollm2(sys.argv[1])
    tiny("tiny-llama", LlamaForCausalLM(LlamaConfig(
        vocab_size=320, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, rms_norm_eps=1e-5, max_position_embeddings=256, tie_word_embeddings=False,
        rope_theta=5000.0, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                         "high_freq_factor": 4.0, "original_max_position_embeddings": 32},
        bos_token_id=0, eos_token_id=2)))
    tiny("tiny-qwen2", Qwen2ForCausalLM(Qwen2Config(
        vocab_size=320, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, rms_norm_eps=1e-6, max_position_embeddings=256, tie_word_embeddings=True,
        rope_theta=10000.0, bos_token_id=0, eos_token_id=2)))


if __name__ == "__main__":
    main()
