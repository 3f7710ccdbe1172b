"""Language as data: router rules, phrases, word tables and replies from ``lang/<code>.yaml``.

Each language file is read once (as hassil reads its ``examples/<lang>.yaml``). Router rules
are per language; a *phrase* (what a skill looks for, such as an order number) is the union of
that phrase in every language, so a mixed message ("退掉 order 12") is still read. Replies and
word tables are taken in the reply's language, English when a key is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from lingxi.text import load_yaml

__all__ = [
    "LANGUAGES",
    "Language",
    "LanguagePack",
    "Rule",
    "is_no",
    "is_question",
    "is_yes",
    "pack",
    "phrase",
    "say",
    "words",
]

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")


@dataclass(frozen=True, slots=True)
class Rule:
    """One router rule: a matching pattern adds ``weight`` to ``skill`` (and names the intent)."""

    skill: str
    intent: str
    weight: float
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class LanguagePack:
    """One language file, compiled."""

    code: Language
    rules: tuple[Rule, ...]
    replies: dict[str, str]
    phrases: dict[str, str]
    """Phrase name -> regular expression source (joined across languages by :func:`phrase`)."""
    words: dict[str, Any]
    confirmations: dict[str, list[str]]
    question: str


def _expand(pattern: str, vocabulary: dict[str, str]) -> str:
    for name, value in vocabulary.items():
        pattern = pattern.replace("${" + name + "}", value)
    return pattern


@cache
def pack(code: Language) -> LanguagePack:
    """The compiled language file of ``code`` (read once per process)."""
    if code not in LANGUAGES:
        raise ValueError(f"No language file for {code!r}; one of {LANGUAGES}.")
    text = resources.files("lingxi.assistant").joinpath(f"lang/{code}.yaml").read_text("utf-8")
    doc: dict[str, Any] = load_yaml(text)
    vocabulary = {str(k): str(v) for k, v in doc.get("vocabulary", {}).items()}
    rules = tuple(
        Rule(str(s), str(i), float(w), re.compile(_expand(str(p), vocabulary), re.IGNORECASE))
        for s, i, w, p in doc["rules"]
    )
    return LanguagePack(
        code=code,
        rules=rules,
        replies={str(k): str(v) for k, v in doc["replies"].items()},
        phrases={str(k): str(v).strip() for k, v in doc.get("phrases", {}).items()},
        words=dict(doc.get("words", {})),
        confirmations={k: [str(w) for w in v] for k, v in doc["confirmations"].items()},
        question=str(doc["question"]),
    )


@cache
def phrase(name: str) -> re.Pattern[str]:
    """The phrase ``name`` of every language as one case-insensitive pattern."""
    parts = [p.phrases[name] for p in map(pack, LANGUAGES) if p.phrases.get(name)]
    if not parts:
        raise KeyError(f"No phrase {name!r} in any language file.")
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


def say(key: str, language: str, /, **values: Any) -> str:
    """The reply ``key`` in ``language`` (English when missing), filled with ``values``."""
    code: Language = "zh" if language == "zh" else "en"
    template = pack(code).replies.get(key)
    if template is None:
        template = pack("en").replies[key]
    return template.format(**values)


def words(name: str, language: str | None = None) -> Any:
    """The word table ``name`` in ``language``; with ``None``, the tables of every language
    merged (dicts joined, lists concatenated) for reading a message."""
    if language is not None:
        code: Language = "zh" if language == "zh" else "en"
        found = pack(code).words.get(name)
        return found if found is not None else pack("en").words[name]
    tables = [pack(c).words[name] for c in LANGUAGES if name in pack(c).words]
    if tables and isinstance(tables[0], dict):
        return {k: v for t in tables for k, v in t.items()}
    return [w for t in tables for w in t]


@cache
def _confirmation(kind: str) -> re.Pattern[str]:
    spoken = [w for c in LANGUAGES for w in pack(c).confirmations[kind]]
    polite = [w for c in LANGUAGES for w in pack(c).confirmations[f"{kind}_suffix"]]
    return re.compile(
        rf"^\s*({'|'.join(spoken)})[\s.!。！,，]*({'|'.join(polite)})?[\s.!。！]*$", re.IGNORECASE
    )


def is_yes(text: str) -> bool:
    """True for a message that is only an explicit confirmation ("yes", "确认")."""
    return bool(_confirmation("confirm").match(text))


def is_no(text: str) -> bool:
    """True for a message that is only an explicit refusal ("no", "取消")."""
    return bool(_confirmation("refuse").match(text))


@cache
def _question() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{pack(c).question})" for c in LANGUAGES), re.IGNORECASE)


def is_question(text: str) -> bool:
    """True when ``text`` is worded as a question ("is the door locked?", "开着吗")."""
    return bool(_question().search(text))
