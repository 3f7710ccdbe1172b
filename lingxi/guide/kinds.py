"""What a product is, from its name and ingredients, when the catalogue's label disagrees.

The catalogue's category labels are scraped and sometimes wrong (a face mist filed as a
moisturizer, a setting powder as sun protection, blotting papers as a cleanser). The rules in
``data/product_kinds.yaml`` read the product's name (and an aerosol's ingredient list); the guide
filters on the resulting category and says when it differs from the label.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from lingxi.text import load_yaml

__all__ = ["ProductKind", "product_kind"]


@dataclass(frozen=True, slots=True)
class ProductKind:
    """The category a product is filtered under, and why it differs from its label."""

    category: str
    """A catalogue category, or a plain name (``face mist``) of something that is none."""
    flag: str | None = None
    """Set when ``category`` differs from the catalogue label: what the name or label says."""


@dataclass(frozen=True, slots=True)
class _Rule:
    name: re.Pattern[str]
    unless: re.Pattern[str] | None
    kind: str
    not_for: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Rules:
    names: tuple[_Rule, ...]
    propellants: tuple[re.Pattern[str], ...]
    aerosol_max_entries: int
    aerosol_kind: str


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    ref = resources.files("lingxi.guide").joinpath("data/product_kinds.yaml")
    spec: dict[str, Any] = load_yaml(ref.read_text(encoding="utf-8"))
    names = tuple(
        _Rule(
            re.compile(r["name"]),
            re.compile(r["unless"]) if r.get("unless") else None,
            str(r["kind"]),
            frozenset(r.get("not_for", ())),
        )
        for r in spec["name_rules"]
    )
    aerosol = spec["aerosol"]
    return _Rules(
        names,
        tuple(re.compile(p) for p in aerosol["propellants"]),
        int(aerosol["max_entries"]),
        str(aerosol["kind"]),
    )


_UV_FILTER = re.compile(r"zinc oxide|titanium dioxide|avobenzone|oxybenzone|octinoxate|homosalate")


def product_kind(name: str, label: str, ingredients: tuple[str, ...]) -> ProductKind:
    """The category ``name`` (with catalogue ``label`` and normalised ``ingredients``) is
    filtered under; ``flag`` explains a difference from the label."""
    rules = _rules()
    folded = _fold(name)
    for rule in rules.names:
        if label in rule.not_for or not rule.name.search(folded):
            continue
        if rule.unless and rule.unless.search(folded):
            continue
        if rule.kind == label:
            return ProductKind(label)
        return ProductKind(
            rule.kind, f"labelled {label} in the catalogue; its name says {rule.kind}"
        )
    if (
        0 < len(ingredients) <= rules.aerosol_max_entries
        and any(p.search(e) for p in rules.propellants for e in ingredients)
        and not any(_UV_FILTER.search(e) for e in ingredients)
        and label != rules.aerosol_kind
    ):
        return ProductKind(
            rules.aerosol_kind,
            f"labelled {label} in the catalogue; its ingredients (water and a propellant) "
            f"say {rules.aerosol_kind}",
        )
    return ProductKind(label)
