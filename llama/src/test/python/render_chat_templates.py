#!/usr/bin/env python3
"""Renders the chat templates of llama/src/test/resources/chat-templates with Python's jinja2, set up as Hugging Face
transformers sets it up for apply_chat_template, and writes what they give to expected.json beside them.
ChatTemplateTest checks that e8q's renderer (Jinjava) produces the same text.

    python3 llama/src/test/python/render_chat_templates.py      # needs jinja2 (pip install jinja2)
"""
import json
import pathlib

from jinja2.exceptions import TemplateError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

DIR = pathlib.Path(__file__).resolve().parents[1] / "resources" / "chat-templates"

CONVERSATIONS = {
    "system_and_turns": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "  Hi there!  "},
        {"role": "assistant", "content": " Hello. How can I help? "},
        {"role": "user", "content": "Tell me a story about a caf\u00e9 \U0001F600 and \"quotes\"\non two lines?"},
    ],
    "one_user_turn": [{"role": "user", "content": "What is 2+2?"}],
    "alternating": [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "<think>hm</think>\n\nb!"},
        {"role": "user", "content": "c"},
    ],
    "two_user_turns": [{"role": "user", "content": "x"}, {"role": "user", "content": "y"}],
}
SPECIAL = {"bos_token": "<s>", "eos_token": "</s>"}


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def main():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    out = {}
    for path in sorted(DIR.glob("*.jinja")):
        template = env.from_string(path.read_text(encoding="utf-8"))
        cases = {}
        for name, messages in CONVERSATIONS.items():
            for gen in (True, False):
                key = name + (" +generation" if gen else "")
                try:
                    cases[key] = template.render(messages=messages, add_generation_prompt=gen, **SPECIAL)
                except TemplateError as e:
                    cases[key] = {"error": str(e)}
        out[path.name] = cases
    text = json.dumps({"conversations": CONVERSATIONS, "special_tokens": SPECIAL, "expected": out},
                      ensure_ascii=False, indent=1)
    (DIR / "expected.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
