#!/usr/bin/env python3
"""Golden renderings of real chat templates for pkg/engine/chat, made by transformers' apply_chat_template.

What it reads and writes (all small, all committed):
  pkg/engine/chat/testdata/templates/*.jinja   the models' own chat templates, byte for byte as published
                                               (README.md there says where each one came from)
  pkg/engine/chat/testdata/jinja_fixtures.json the conversations; per template the special tokens the model defines
                                               and, for each conversation (by index) with and without the generation
                                               prompt, the text apply_chat_template(messages, tokenize=False,
                                               add_generation_prompt=...) returns, or the error the template raises;
                                               and "probes": small templates that pin the Jinja dialect transformers
                                               speaks (HF's globals, white-space rules, tojson), some of them marked
                                               as known deviations of the Go engine (the Go test checks they still are)

How it renders: a PreTrainedTokenizerFast is built from the small tokenizer.json of the repository's tiny test
model (pkg/engine/lm/testdata/tiny-llama); its chat_template, bos_token and eos_token are set as the model's
tokenizer_config.json sets them (a token the model does not define is left unset, as transformers leaves it:
Qwen's bos_token is null, so the template sees bos_token undefined). With tokenize=False the vocabulary plays no
part: what comes back is the Jinja rendering alone (a sandboxed environment with trim_blocks and lstrip_blocks,
plus transformers' raise_exception, strftime_now, tojson and namespace).

strftime_now reads the clock. The Llama 3.1+ templates call it for "Today Date" unless date_string is given, so the
script pins transformers' clock to CLOCK (2025-03-09 14:05:06): the Go test gives its renderer the same instant.

Usage (versions pinned in tools/reference/requirements.txt: transformers, tokenizers, Jinja2; no torch needed):
  python tools/reference/make_chat_fixtures.py
"""

import datetime as _dt
import json
from pathlib import Path

import jinja2
import transformers
from transformers import PreTrainedTokenizerFast
from transformers.utils import chat_template_utils

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "pkg" / "engine" / "chat" / "testdata"
TOKENIZER = ROOT / "pkg" / "engine" / "lm" / "testdata" / "tiny-llama" / "tokenizer.json"

CLOCK = _dt.datetime(2025, 3, 9, 14, 5, 6)

# name -> the special tokens the model's tokenizer_config.json defines (None: not defined). The template files are
# templates/<name>.jinja.
TEMPLATES = {
    "smollm2": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>"},
    "llama3.1": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "llama3.2": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "qwen2": {"bos_token": None, "eos_token": "<|im_end|>"},
    "qwen2.5": {"bos_token": None, "eos_token": "<|im_end|>"},
    "qwen3": {"bos_token": None, "eos_token": "<|im_end|>"},
    "gemma2": {"bos_token": "<bos>", "eos_token": "<eos>"},
    "gemma3": {"bos_token": "<bos>", "eos_token": "<eos>"},
    "gemma4": {"bos_token": "<bos>", "eos_token": "<eos>"},
    "mistral-v0.3": {"bos_token": "<s>", "eos_token": "</s>"},
}

# Conversations every template renders, with and without the generation prompt. The first four are the shapes the
# project sends (a user turn, with and without a system turn, and multi-turn); the rest probe what templates differ
# on: white space (trim), non-ASCII text, <think> blocks in history, tool results, a conversation that starts with
# the assistant or has a late system turn (templates that check alternation raise), a lone system turn.
CONVERSATIONS = [
    [{"role": "user", "content": "Write a short story about a lighthouse keeper."}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is 2+2?"}],
    [{"role": "user", "content": "Tell me a story."}, {"role": "assistant", "content": "Once upon a time."},
     {"role": "user", "content": "Another one, please."}],
    [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"},
     {"role": "assistant", "content": "Hello, how can I help?"}, {"role": "user", "content": "Ünïcödé 😀 ok"}],
    [{"role": "user", "content": "\n\n  padded \t\n"}, {"role": "assistant", "content": " I'm so sorry. "},
     {"role": "user", "content": "  thanks\n"}],
    [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nA1"},
     {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "<think>r2</think>A2"}],
    [{"role": "user", "content": "Weather?"}, {"role": "assistant", "content": "Calling."},
     {"role": "tool", "content": "sunny"}, {"role": "tool", "content": "20C"}, {"role": "user", "content": "Thanks"}],
    [{"role": "assistant", "content": "I speak first."}, {"role": "user", "content": "Then me."}],
    [{"role": "user", "content": "a"}, {"role": "system", "content": "late system"}, {"role": "user", "content": "b"}],
    [{"role": "system", "content": "Only a system message."}],
]

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "The city, e.g. \"Paris\""},
                                                     "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city"]}}}

# Template-specific variables, each rendered on a few of the conversations above (by index): the date pinned
# (date_string), thinking switched on or off, and tool definitions, which exercise tojson and dict iteration.
# A third element marks a known deviation of the Go engine (see PROBES).
LLAMA_TOOLS = ("ardanlabs/jinja v1.8.0's tojson(indent=4) sorts keys and escapes <, >, & (Llama 3.1+ writes tools "
               "with it); the project passes no tools")
EXTRAS = {
    "llama3.1": [({"date_string": "26 Jul 2024"}, [0, 1, 3]), ({"tools": [WEATHER_TOOL]}, [1], LLAMA_TOOLS)],
    "llama3.2": [({"date_string": "26 Jul 2024"}, [0, 1, 3]), ({"tools": [WEATHER_TOOL]}, [0], LLAMA_TOOLS)],
    "qwen2.5": [({"tools": [WEATHER_TOOL]}, [0, 1])],
    "qwen3": [({"enable_thinking": False}, [0, 3]), ({"tools": [WEATHER_TOOL]}, [1])],
    "gemma4": [({"enable_thinking": True}, [0, 1]), ({"tools": [WEATHER_TOOL]}, [0, 1])],
    "mistral-v0.3": [({"tools": [WEATHER_TOOL]}, [0, 2])],
}


class FixedClock(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return CLOCK


def tokenizer_for(template, special):
    tok = PreTrainedTokenizerFast(tokenizer_file=str(TOKENIZER))
    if template is not None:
        tok.chat_template = template
    for k, v in special.items():
        if v is not None:
            setattr(tok, k, v)
    return tok


# Small templates that pin down the dialect: what transformers' environment adds (raise_exception, strftime_now,
# tojson without HTML escaping, namespace, loop controls, tools/documents passed as None) and what Jinja itself
# does with the source (one trailing newline dropped, CR LF read as LF, trim_blocks and lstrip_blocks). Each runs
# with bos_token "<s>" and no eos_token. "deviation" marks what the Go engine is known to render differently.
PROBES = [
    {"name": "trailing newline dropped", "template": "{{ messages[0]['content'] }}\n"},
    {"name": "CRLF source, trim_blocks, lstrip_blocks",
     "template": "a\r\n  {% if add_generation_prompt %}\r\n  yes\r\n  {% endif %}\r\nb\r\n"},
    {"name": "raise_exception", "template": "{% if messages[0]['role'] != 'system' %}"
                                            "{{ raise_exception('System role first, please.') }}{% endif %}"},
    {"name": "strftime_now", "template": "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S') }}|"
                                         "{{ strftime_now('%A %a %B %-d %-m %e %I%p %j %y %%') }}"},
    {"name": "namespace and loop controls",
     "template": "{% set ns = namespace(n=0, s='') %}{% for m in ['a', 'b', 'c', 'd'] %}{% if loop.first %}"
                 "{% continue %}{% endif %}{% if m == 'd' %}{% break %}{% endif %}{% set ns.n = ns.n + 1 %}"
                 "{% set ns.s = ns.s + m %}{% endfor %}{{ ns.n }}{{ ns.s }}"},
    {"name": "loop variables", "template": "{% for m in messages %}{{ loop.index0 }}{{ loop.index }}{{ m.role }}"
                                           "{% if loop.first %}F{% endif %}{% if not loop.last %},{% endif %}{% endfor %}",
     "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                  {"role": "user", "content": "c"}]},
    {"name": "tojson", "template": "{{ {'b': 1, 'a': [1, 'x', none, true, 2.5]} | tojson }}|{{ \"it's <b> & é\" | tojson }}"},
    {"name": "string methods", "template": "{{ '  a b  '.strip() }}|{{ 'a,b,c'.split(',') | join('+') }}|"
                                           "{{ 'xay'.startswith('x') }}{{ 'xay'.endswith('y') }}|{{ 'Hi'.upper() }}"
                                           "{{ 'Hi'.lower() }}|{{ '\\n\\nx'.lstrip('\\n') }}|{{ 'abc'[1:] }}{{ 'abc'[-1] }}"},
    {"name": "trim filter", "template": "[{{ messages[0]['content'] | trim }}]",
     "messages": [{"role": "user", "content": "\n\t padded \u00a0\u3000\n"}]},
    {"name": "special tokens and None arguments",
     "template": "[{{ bos_token }}][{{ eos_token }}]{{ eos_token is defined }}|{{ tools is none }}{{ documents is none }}"
                 "{{ tools is defined }}|{{ messages[0]['role'] }}{{ messages[0].content }}"},
    {"name": "selectattr and filters", "template": "{{ messages | selectattr('role', 'equalto', 'user') | list | length }}"
                                                   "|{{ messages | map(attribute='role') | join(' ') }}|{{ 'x' | default('d') }}"
                                                   "{{ undefined_name | default('d') }}|{{ [3, 1, 2] | sort | first }}",
     "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                  {"role": "user", "content": "c"}]},
    {"name": "tojson with indent", "template": "{{ {'b': 1, 'a': '<&>'} | tojson(indent=2) }}",
     "deviation": "ardanlabs/jinja v1.8.0 formats tojson(indent=N) with Go's encoding/json: keys sorted and <, >, & "
                  "escaped, where Python keeps insertion order and the characters (Llama 3.1+ templates use it for tools)"},
    {"name": "trim of U+001C..U+001F", "template": "[{{ messages[0]['content'] | trim }}]",
     "messages": [{"role": "user", "content": "\x1cx\x1f"}],
     "deviation": "trim and strip() use Go's unicode.IsSpace, which leaves out the separators U+001C..U+001F that "
                  "Python's str.strip() removes"},
    {"name": "printing None and floats", "template": "{{ none }}|{{ 1.0 }}|{{ 10 / 5 }}",
     "deviation": "None prints as an empty string and whole floats without '.0' (Python: 'None', '1.0', '2.0')"},
]


def probe_fixtures():
    tok = tokenizer_for(None, {"bos_token": "<s>"})
    out = []
    for p in PROBES:
        msgs = p.get("messages", [{"role": "user", "content": "hi"}])
        case = {"name": p["name"], "template": p["template"], "messages": msgs}
        if "deviation" in p:
            case["deviation"] = p["deviation"]
        try:
            case["rendered"] = tok.apply_chat_template(msgs, chat_template=p["template"], tokenize=False,
                                                       add_generation_prompt=True)
        except jinja2.exceptions.TemplateError as e:
            case["error"] = str(e)
        out.append(case)
    return out


def render(tok, conv, gen, extra):
    messages = CONVERSATIONS[conv]
    case = {"conversation": conv, "add_generation_prompt": gen}
    if extra:
        case["vars"] = extra
    try:
        case["rendered"] = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen, **extra)
    except jinja2.exceptions.TemplateError as e:  # raise_exception, e.g. roles that do not alternate
        case["error"] = str(e)
    return case


def main():
    chat_template_utils.datetime = FixedClock  # strftime_now reads datetime.now() from this module
    out = {"made_by": f"tools/reference/make_chat_fixtures.py, transformers {transformers.__version__}, "
                      f"jinja2 {jinja2.__version__}",
           "clock": CLOCK.isoformat(), "conversations": CONVERSATIONS, "templates": {}, "probes": probe_fixtures()}
    for name, special in TEMPLATES.items():
        template = (TESTDATA / "templates" / f"{name}.jinja").read_text(encoding="utf-8")
        tok = tokenizer_for(template, special)
        cases = []
        for i in range(len(CONVERSATIONS)):
            for gen in (False, True):
                cases.append(render(tok, i, gen, {}))
        for extra, which, *deviation in EXTRAS.get(name, []):
            for i in which:
                case = render(tok, i, True, extra)
                if deviation:
                    case["deviation"] = deviation[0]
                cases.append(case)
        errors = sum("error" in c for c in cases)
        print(f"{name}: {len(cases)} cases, {errors} raise")
        out["templates"][name] = {"file": f"templates/{name}.jinja", "special": special, "cases": cases}
    path = TESTDATA / "jinja_fixtures.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for p in out["probes"]:
        print(f"probe {p['name']}: {p.get('rendered', p.get('error'))!r}")
    print("wrote", path.relative_to(ROOT), path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
