"""The need parser's words: every language's lexicon (``data/lang/<lang>.yaml``: categories,
skin words, cues, grammar words) and the brands (``data/brands.yaml`` and the catalogue's own),
loaded once and compiled, for :mod:`lingxi.guide.constraints`."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from lingxi.guide.inci import load_inci
from lingxi.text import load_yaml

# --------------------------------------------------------------------------- lexicons
# The words themselves are data: lingxi/guide/data/lang/<lang>.yaml (one file per language).


@dataclass(frozen=True, slots=True)
class Words:
    """The parser's words in every language (``data/lang/<lang>.yaml``), merged."""

    categories: dict[str, tuple[str, ...]]
    skin: tuple[tuple[str, tuple[str, ...]], ...]
    """``(words, skin types)``; longest first when matched, so "oily t-zone" beats "oily"."""
    medical: dict[str, str]
    concerns: dict[str, str]
    exclude_cues: tuple[str, ...]
    include_cues: tuple[str, ...]


LANGUAGES: tuple[str, ...] = ("en", "zh")
"""The languages whose word lists the parser reads."""


@lru_cache(maxsize=1)
def words() -> Words:
    categories: dict[str, list[str]] = {}
    skin: list[tuple[str, tuple[str, ...]]] = []
    medical: dict[str, str] = {}
    concerns: dict[str, str] = {}
    exclude: list[str] = []
    include: list[str] = []
    for lang in LANGUAGES:
        ref = resources.files("lingxi.guide").joinpath(f"data/lang/{lang}.yaml")
        spec: dict[str, Any] = load_yaml(ref.read_text(encoding="utf-8"))
        for cat, ws in spec["categories"].items():
            categories.setdefault(cat, []).extend(ws)
        skin.extend((str(r["words"]), tuple(r["types"])) for r in spec["skin_words"])
        medical.update(spec["medical"])
        concerns.update(spec["concerns"])
        exclude.extend(spec["exclude_cues"])
        include.extend(spec["include_cues"])
    return Words(
        {c: tuple(ws) for c, ws in categories.items()},
        tuple(skin),
        medical,
        concerns,
        tuple(exclude),
        tuple(include),
    )


@dataclass(frozen=True, slots=True)
class Grammar:
    """The grammar words of every language (``grammar`` in ``data/lang/<lang>.yaml``), each
    key's alternatives joined across languages into one pattern."""

    region: re.Pattern[str]
    post_negation: re.Pattern[str]
    conj_back: re.Pattern[str]
    conj_forward: re.Pattern[str]
    clause_split: re.Pattern[str]
    skin_negation: dict[str, re.Pattern[str]]
    """By the language of the skin word."""
    verb_uses: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...]
    not_negated: frozenset[str]
    allergy: tuple[tuple[frozenset[str], re.Pattern[str]], ...]
    implied_exclusions: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]
    brand_exclusion: re.Pattern[str]
    brand_cue_before: re.Pattern[str]
    brand_cue_after: re.Pattern[str]
    amount: re.Pattern[str]
    cny: re.Pattern[str]
    not_price_before: re.Pattern[str]
    not_price_after: re.Pattern[str]
    max_before: re.Pattern[str]
    min_before: re.Pattern[str]
    around_before: re.Pattern[str]
    max_after: re.Pattern[str]
    min_after: re.Pattern[str]
    around_after: re.Pattern[str]
    range_separator: re.Pattern[str]
    numeral_amount_follow: re.Pattern[str]


@lru_cache(maxsize=1)
def grammar() -> Grammar:
    specs: dict[str, dict[str, Any]] = {}
    for lang in LANGUAGES:
        ref = resources.files("lingxi.guide").joinpath(f"data/lang/{lang}.yaml")
        specs[lang] = load_yaml(ref.read_text(encoding="utf-8")).get("grammar") or {}

    def alts(key: str) -> str:
        joined = "|".join(str(a) for lang in LANGUAGES for a in specs[lang].get(key) or ())
        return joined or "(?!)"  # no language has any: a pattern that never matches

    def rows(key: str) -> list[Any]:
        return [row for lang in LANGUAGES for row in specs[lang].get(key) or ()]

    def c(template: str, key: str) -> re.Pattern[str]:
        return re.compile(template.replace("ALTS", alts(key)))

    usd, cny = f"(?:{alts('usd')})", f"(?:{alts('cny')})"
    allergy = [specs[lang]["allergy"] for lang in LANGUAGES if specs[lang].get("allergy")]
    return Grammar(
        region=c("ALTS", "region_words"),
        post_negation=c(r"^\s*(?:ALTS)", "post_negation"),
        conj_back=c(r"(?:\s*(?:ALTS)\s*)$", "conjunctions_back"),
        conj_forward=c(r"^(?:\s*(?:ALTS)\s*)", "conjunctions_forward"),
        clause_split=c("ALTS", "clause_breaks"),
        skin_negation={
            lang: re.compile("|".join(specs[lang]["skin_negation"]))
            for lang in LANGUAGES
            if specs[lang].get("skin_negation")
        },
        verb_uses=tuple(
            (str(r["word"]), re.compile(r["after"]), re.compile(r["before"]))
            for r in rows("verb_uses")
        ),
        not_negated=frozenset(rows("not_negated")),
        allergy=tuple((frozenset(a["words"]), re.compile(a["before"])) for a in allergy),
        implied_exclusions=tuple(
            (re.compile(r["pattern"]), tuple(r["exclude"])) for r in rows("implied_exclusions")
        ),
        brand_exclusion=c("ALTS", "brand_exclusion"),
        brand_cue_before=c(r"(?:ALTS)\s*$", "brand_cue_before"),
        brand_cue_after=c(r"^\s*(?:ALTS)", "brand_cue_after"),
        amount=re.compile(
            rf"(?P<pre>{usd}|{cny})?\s*(?P<neg>-)?(?P<num>\d+(?:\.\d+)?)(?P<k>k\b)?\s*(?P<post>{usd}|{cny})?"
        ),
        cny=re.compile(cny),
        not_price_before=c(r"(?:ALTS)\s*$", "not_price_before"),
        not_price_after=c(r"^\s*(?:ALTS)", "not_price_after"),
        max_before=re.compile(rf"(?:{alts('max_before')})\s*(?:{alts('max_before_filler')})?\s*$"),
        min_before=c(r"(?:ALTS)\s*$", "min_before"),
        around_before=c(r"(?:ALTS)\s*$", "around_before"),
        max_after=c(r"^\s*(?:ALTS)", "max_after"),
        min_after=c(r"^\s*(?:ALTS)", "min_after"),
        around_after=c(r"^\s*(?:ALTS)", "around_after"),
        range_separator=c(r"^\s*(?:ALTS)\s*$", "range_separators"),
        numeral_amount_follow=c("(?:ALTS)", "numeral_amount_follow"),
    )


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Apostrophes go: "kiehl's" = "kiehls", "doesn't" = "doesnt".
    text = text.replace("’", "").replace("‘", "").replace("'", "")
    return re.sub(r"\s+", " ", text).strip()


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def language_of(text: str) -> str:
    cjk = sum(1 for c in text if is_cjk(c))
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    return "zh" if cjk and cjk * 2 >= latin else "en"


@lru_cache(maxsize=4096)
def word_pattern(alias: str) -> re.Pattern[str]:
    escaped = re.escape(alias)
    if alias.isascii():
        left = r"(?<![a-z0-9])" if alias[0].isalnum() else ""
        right = r"(?![a-z0-9])" if alias[-1].isalnum() else ""
        return re.compile(left + escaped + right)
    return re.compile(escaped)


@dataclass(frozen=True, slots=True)
class Lexicon:
    # Aliases only: a pattern is compiled (and cached) when its alias occurs in a request, so
    # a catalogue of thousands of brands costs no start-up (see word_pattern).
    ingredients: tuple[tuple[str, str], ...]
    brands: tuple[tuple[str, str, bool], ...]
    brand_names: tuple[str, ...]
    categories: tuple[tuple[str, str], ...]
    skin: tuple[tuple[str, tuple[str, ...]], ...]


def brand_key(name: str) -> str:
    key = fold(name).replace("'", "")
    key = re.sub(r"\b(skincare|since 1851|by rihanna|tanning essentials|supplement bar)\b", "", key)
    return re.sub(r"[^a-z0-9 ]", " ", key).strip()


@lru_cache(maxsize=8)
def lexicon(catalogue_brands: tuple[str, ...] = ()) -> Lexicon:
    inci = load_inci()
    ingredients = tuple((a, c) for a, c in inci.aliases())
    text = resources.files("lingxi.guide").joinpath("data/brands.yaml").read_text(encoding="utf-8")
    spec: dict[str, Any] = load_yaml(text)
    brand_rows: list[tuple[str, str, bool]] = []
    # The catalogue filter compares brands exactly, so a known brand takes the catalogue's own
    # spelling ("Origins" where brands.yaml says ORIGINS).
    catalogue_by_key = {brand_key(b): b for b in sorted(catalogue_brands)}
    for brand, info in spec.items():
        common = bool(info.get("common_word", False))
        keys = [brand_key(str(brand)), *(brand_key(a) for a in info.get("en", []))]
        name = next((catalogue_by_key[k] for k in keys if k in catalogue_by_key), str(brand))
        for alias in [*info.get("en", []), *info.get("zh", [])]:
            # Only a Latin-script alias can be an everyday word ("fresh"); 馥蕾诗 is the brand.
            folded = fold(alias).replace("'", "")
            brand_rows.append((folded, name, common and folded.isascii()))
        brand_rows.append((brand_key(str(brand)), name, common))
    lang_words = words()
    vocabulary = {fold(w) for ws in lang_words.categories.values() for w in ws}
    vocabulary |= {w for w, _ in lang_words.skin}
    vocabulary |= {a for a, _c in inci.aliases()}
    known = {name for _a, name, _c in brand_rows}
    for brand in sorted(catalogue_brands):
        if brand not in spec and brand not in known:
            key = brand_key(brand)
            brand_rows.append((key, brand, key in vocabulary))
    # Longest alias first; ties keep the order above (a stable sort of first occurrences), so
    # the result never depends on the hash seed.
    brands = tuple(
        sorted(
            dict.fromkeys(r for r in brand_rows if r[0]),
            key=lambda r: (-len(r[0]), r[0]),
        )
    )
    categories = tuple(
        sorted(
            ((fold(w), cat) for cat, ws in words().categories.items() for w in ws),
            key=lambda r: -len(r[0]),
        )
    )
    skin = tuple(sorted(((w, t) for w, t in words().skin), key=lambda r: -len(r[0])))
    return Lexicon(ingredients, brands, tuple(spec), categories, skin)
