"""The INCI synonym dictionary: shopper words <-> canonical names <-> INCI label entries."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from lingxi.text import load_yaml

__all__ = ["InciDictionary", "load_inci", "normalise_label", "split_label"]


def _fold(text: str) -> str:
    """Lowercase, NFKC, accents stripped (crème -> creme)."""
    text = unicodedata.normalize("NFKC", text).lower()
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_label(entry: str) -> str:
    """One INCI label entry, normalised: folded, whitespace collapsed, trailing dots gone."""
    return re.sub(r"\s+", " ", _fold(entry.replace("\u00a0", " "))).strip(" .;:*-")


def split_label(raw: str) -> tuple[str, ...]:
    """Split a raw ingredient list on commas (not inside brackets) into normalised entries."""
    entries: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in raw:
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        if ch == "," and depth == 0:
            entries.append("".join(current))
            current = []
        else:
            current.append(ch)
    entries.append("".join(current))
    # Same rules as the catalogue loader: placeholders give nothing, duplicates keep the first.
    if re.match(r"^\s*(no info|visit the .* boutique|#name\?)", raw, re.IGNORECASE):
        return ()
    seen: dict[str, None] = {}
    for e in (normalise_label(x) for x in entries):
        if e and len(e) <= 300:
            seen.setdefault(e, None)
    return tuple(seen)


@dataclass(frozen=True, slots=True)
class _Entry:
    canonical: str
    en: tuple[str, ...]
    zh: tuple[str, ...]
    inci: tuple[re.Pattern[str], ...]
    not_inci: tuple[re.Pattern[str], ...]
    combined: re.Pattern[str]
    """All ``inci`` patterns as one multiline regex over newline-joined label entries."""


class InciDictionary:
    """Canonical ingredients with their shopper aliases and INCI patterns."""

    def __init__(self, data: dict[str, Any]) -> None:
        entries = []
        for name, spec in data.items():
            entries.append(
                _Entry(
                    canonical=str(name),
                    en=tuple(_fold(a) for a in spec.get("en", [])),
                    zh=tuple(_fold(a) for a in spec.get("zh", [])),
                    inci=tuple(re.compile(p) for p in spec.get("inci", [])),
                    not_inci=tuple(re.compile(p) for p in spec.get("not_inci", [])),
                    combined=re.compile(
                        "(?m)^.*(?:" + "|".join(f"(?:{p})" for p in spec.get("inci", [])) + ").*$"
                    ),
                )
            )
        self._entries = {e.canonical: e for e in entries}

    @property
    def names(self) -> tuple[str, ...]:
        """Every canonical ingredient name, sorted."""
        return tuple(sorted(self._entries))

    def aliases(self) -> list[tuple[str, str]]:
        """``(alias, canonical)`` pairs, every language, longest alias first."""
        pairs = [(a, e.canonical) for e in self._entries.values() for a in (*e.en, *e.zh)]
        return sorted({p for p in pairs if p[0]}, key=lambda p: (-len(p[0]), p[0]))

    def zh_name(self, canonical: str) -> str:
        """The first Chinese alias of ``canonical`` (its English name if it has none)."""
        spec = self._entries.get(canonical)
        return spec.zh[0] if spec and spec.zh else canonical

    def entry_matches(self, canonical: str, label_entry: str) -> bool:
        """True when one normalised INCI label entry counts as ``canonical``."""
        spec = self._entries[canonical]
        if any(p.search(label_entry) for p in spec.not_inci):
            return False
        return any(p.search(label_entry) for p in spec.inci)

    def canonicals_in(self, label: tuple[str, ...]) -> frozenset[str]:
        """Canonical names present in a product's normalised label entries."""
        joined = "\n".join(e.replace("\n", " ") for e in label)
        found = set()
        for name, spec in self._entries.items():
            for m in spec.combined.finditer(joined):
                if not any(p.search(m.group(0)) for p in spec.not_inci):
                    found.add(name)
                    break
        return frozenset(found)


@lru_cache(maxsize=1)
def load_inci() -> InciDictionary:
    """The dictionary shipped with the package (``lingxi/guide/data/inci.yaml``)."""
    text = resources.files("lingxi.guide").joinpath("data/inci.yaml").read_text(encoding="utf-8")
    return InciDictionary(load_yaml(text))
