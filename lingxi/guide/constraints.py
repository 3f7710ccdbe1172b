"""Deterministic need parsing: English or Chinese free text -> :class:`ProductQuery`.

The parser finds *mentions* (category words, skin words, brands, ingredients, amounts) with their
character spans in the normalised text, then decides each mention's polarity from what stands
before and after it inside its clause: "no alcohol or fragrance" excludes both, "paraben and
sulfate free" excludes both, "with niacinamide but without parabens" includes one and excludes
the other; "I'm not oily" drops oily. Clause boundaries are sentence punctuation and "but"/"但".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rapidfuzz import fuzz

from lingxi.errors import InvalidInputError
from lingxi.guide._words import (
    Lexicon,
    fold,
    grammar,
    language_of,
    lexicon,
    word_pattern,
    words,
)
from lingxi.guide.schemas import ProductQuery
from lingxi.text import (
    CHINESE_NUMERAL_CHARS,
    MAX_MESSAGE_CHARS,
    chinese_numeral_to_int,
)

if TYPE_CHECKING:
    from lingxi.config import GuideSettings

__all__ = ["MAX_PRICE_USD", "MAX_TEXT_CHARS", "ParseParams", "parse_need"]

MAX_TEXT_CHARS = MAX_MESSAGE_CHARS  # the one message limit (lingxi.text)
"""Longest request the parser accepts."""
MAX_PRICE_USD = 100_000
"""A budget above this is treated as a mistake."""


@dataclass(frozen=True, slots=True)
class ParseParams:
    """Knobs of the parser."""

    cny_per_usd: float = 7.2
    """Exchange rate used to turn 块/元/rmb amounts into the catalogue's USD (the deployment
    sets it: :attr:`lingxi.config.GuideSettings.cny_per_usd`)."""
    around_band: float = 0.2
    """"around X" means [X (1 - band), X (1 + band)]."""

    @classmethod
    def from_settings(cls, settings: GuideSettings | None) -> ParseParams:
        """The parser knobs a deployment sets (``LINGXI_GUIDE__CNY_PER_USD``)."""
        return cls() if settings is None else cls(cny_per_usd=settings.cny_per_usd)

    def __post_init__(self) -> None:
        if not self.cny_per_usd > 0:
            raise InvalidInputError.for_field(
                "cny_per_usd", "a float in (0, inf)", self.cny_per_usd
            )
        if not 0 <= self.around_band < 1:
            raise InvalidInputError.for_field("around_band", "a float in [0, 1)", self.around_band)


# ------------------------------------------------------------------------- prices

_CN_NUM = re.compile(rf"[{CHINESE_NUMERAL_CHARS}]+")


@dataclass(frozen=True, slots=True)
class _Amount:
    start: int
    end: int
    value: float
    currency: str | None
    negative: bool


# ---------------------------------------------------------------------------- parser


class _Spans:
    """Character spans already claimed by a longer mention."""

    def __init__(self) -> None:
        self._taken: list[tuple[int, int]] = []

    def free(self, s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in self._taken)

    def take(self, s: int, e: int) -> None:
        self._taken.append((s, e))


def _find(
    text: str, items: tuple[tuple[str, Any], ...], spans: _Spans
) -> list[tuple[int, int, Any]]:
    found = []
    for alias, value in items:
        if alias not in text:  # the pattern matches the alias literally: skip the regex
            continue
        for m in word_pattern(alias).finditer(text):
            if spans.free(m.start(), m.end()):
                spans.take(m.start(), m.end())
                found.append((m.start(), m.end(), value))
    return sorted(found, key=lambda f: f[0])


def _clause_start(text: str, pos: int) -> int:
    start = 0
    for m in grammar().clause_split.finditer(text, 0, pos):
        start = m.end()
    return start


def _clause_end(text: str, pos: int) -> int:
    m = grammar().clause_split.search(text, pos)
    return m.start() if m else len(text)


def _ends_with_cue(prefix: str, cues: tuple[str, ...]) -> int:
    """Length of the longest cue the prefix ends with (as a word for ASCII cues), else 0."""
    best = 0
    for cue in cues:
        if cue.isascii():
            if re.search(r"(?:^|[^a-z0-9'/])" + re.escape(cue) + r"$", prefix):
                best = max(best, len(cue))
        elif prefix.endswith(cue):
            best = max(best, len(cue))
    return best


def _polarity(text: str, start: int, end: int, mention_spans: list[tuple[int, int]]) -> str:
    """'exclude' or 'include' for the mention at ``[start, end)``."""
    # After: "X-free", "X and Y free", "X过敏".
    suffix = text[end : _clause_end(text, end)]
    pos = end
    while True:
        # Skip "and Y", ", Y" only when another ingredient follows the conjunction.
        m = grammar().conj_forward.match(suffix)
        skip = m.end() if m else 0
        nxt = next(((s, e) for s, e in mention_spans if s == pos + skip), None)
        if nxt is None:
            break
        suffix = suffix[skip + nxt[1] - nxt[0] :]
        pos = nxt[1]
    if grammar().post_negation.match(suffix):
        return "exclude"
    # Before: walk back over coordinated mentions and conjunctions to the governing cue.
    prefix = text[_clause_start(text, start) : start]
    ends = {e: s for s, e in mention_spans}
    offset = _clause_start(text, start)
    while True:
        stripped = prefix.rstrip()
        if stripped != prefix:
            prefix = stripped
            continue
        m = grammar().conj_back.search(prefix)
        if m and m.group(0):
            prefix = prefix[: m.start()]
            continue
        abs_end = offset + len(prefix)
        if abs_end in ends and ends[abs_end] >= offset:
            prefix = prefix[: ends[abs_end] - offset]
            # "no mineral oil, no parabens": each mention may carry its own cue.
            neg = _ends_with_cue(prefix.rstrip(), words().exclude_cues)
            inc = _ends_with_cue(prefix.rstrip(), words().include_cues)
            if neg or inc:
                return "exclude" if neg >= inc else "include"
            continue
        break
    neg = _ends_with_cue(prefix, words().exclude_cues)
    inc = _ends_with_cue(prefix, words().include_cues)
    if neg and neg >= inc:
        return "exclude"
    return "include"


def _amounts(text: str, lang: str, blocked: list[tuple[int, int]]) -> list[_Amount]:
    # Chinese numerals become digits first (same length is not needed: we work on a copy).
    out = []
    g = grammar()
    for m in g.amount.finditer(text):
        s, e = m.span("num")
        if any(a <= s < b for a, b in blocked):
            continue
        before = text[max(0, m.start("num") - 12) : m.start("num")]
        if (
            m.group("pre") is None
            and g.not_price_before.search(before.rstrip("- "))
            and not before.endswith(" -")
        ):
            continue
        if s > 0 and (text[s - 1].isalpha() and text[s - 1].isascii()):
            continue
        after = text[e : e + 10]
        if m.group("k") is None and g.not_price_after.match(after):
            continue
        value = float(m.group("num")) * (1000 if m.group("k") else 1)
        cur_text = m.group("pre") or m.group("post")
        currency = None
        if cur_text:
            currency = "CNY" if g.cny.fullmatch(cur_text) else "USD"
        negative = bool(m.group("neg")) and (
            m.start("neg") == 0 or not text[m.start("neg") - 1].isdigit()
        )
        out.append(_Amount(m.start(), m.end(), value, currency, negative))
    return out


def _replace_cn_numerals(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        value = chinese_numeral_to_int(m.group(0))
        # Only a numeral that reads as an amount (followed by a unit or range word) is rewritten.
        follow = text[m.end() : m.end() + 3]
        if value is None or not grammar().numeral_amount_follow.match(follow):
            return m.group(0)
        return str(value)

    return _CN_NUM.sub(repl, text)


@dataclass(frozen=True, slots=True)
class _Budget:
    lo: float | None = None
    hi: float | None = None
    """Bounds in USD."""
    currency: str | None = None
    """The currency the amounts were stated in (the last one read)."""
    stated_lo: float | None = None
    stated_hi: float | None = None


def _prices(text: str, lang: str, blocked: list[tuple[int, int]], params: ParseParams) -> _Budget:
    g = grammar()
    amounts = _amounts(text, lang, blocked)
    lo: float | None = None
    hi: float | None = None
    used: set[int] = set()
    seen: list[str] = []

    def usd(a: _Amount, currency: str | None) -> float:
        if a.negative:
            field = "max_price"
            raise InvalidInputError.for_field(field, "a price of 0 or more", -a.value)
        # Chinese text: 块/元/¥ and a bare number are yuan.
        cur = currency or a.currency or ("CNY" if lang == "zh" else "USD")
        seen.append(cur)
        value = a.value / params.cny_per_usd if cur == "CNY" else a.value
        if value > MAX_PRICE_USD:
            raise InvalidInputError.for_field(
                "max_price", f"a price in [0, {MAX_PRICE_USD}] USD", value
            )
        return round(value, 2)

    for i, a in enumerate(amounts):
        if i in used:
            continue
        clause_start = _clause_start(text, a.start)
        before = text[clause_start : a.start]
        after = text[a.end : _clause_end(text, a.end)]
        # A range: "20 to 40 dollars", "$25-$50", "100到200块", "between 20 and 40".
        if i + 1 < len(amounts) and g.range_separator.match(text[a.end : amounts[i + 1].start]):
            b = amounts[i + 1]
            cur = a.currency or b.currency
            x, y = usd(a, cur), usd(b, cur)
            lo, hi = min(x, y), max(x, y)
            used.update({i, i + 1})
            continue
        if g.around_before.search(before) or g.around_after.match(after):
            v = usd(a, None)
            lo, hi = round(v * (1 - params.around_band), 2), round(v * (1 + params.around_band), 2)
        elif g.max_before.search(before) or g.max_after.match(after):
            hi = usd(a, None)
        elif g.min_before.search(before) or g.min_after.match(after):
            lo = usd(a, None)
        elif a.currency is not None:
            hi = usd(a, None)
        used.add(i)
    if lo is not None and hi is not None and lo > hi:
        raise InvalidInputError.for_field("min_price", f"at most max_price ({hi})", lo)
    if not seen:
        return _Budget(lo, hi)
    rate = params.cny_per_usd if seen[-1] == "CNY" else 1.0

    def stated(v: float | None) -> float | None:
        # Back to the shopper's amount; one decimal undoes the rounding to cents.
        return None if v is None else round(v * rate, 1)

    return _Budget(lo, hi, seen[-1], stated(lo), stated(hi))


def _fuzzy_brands(text: str, lex: Lexicon, spans: _Spans) -> list[tuple[int, int, str]]:
    """Typos of multi-letter brand names ("drunk elefant", "kheils") by edit similarity."""
    found = []
    words = list(re.finditer(r"[a-z][a-z'\-\.&+]*", text))
    candidates = [
        (a, b) for a, b, common in lex.brands if a.isascii() and len(a) >= 6 and not common
    ]
    for n in (3, 2, 1):
        for i in range(len(words) - n + 1):
            s, e = words[i].start(), words[i + n - 1].end()
            if not spans.free(s, e):
                continue
            chunk = text[s:e].replace("'", "")
            if len(chunk) < 6:
                continue
            best = max(candidates, key=lambda c: fuzz.ratio(chunk, c[0]))
            if fuzz.ratio(chunk, best[0]) >= 88:
                spans.take(s, e)
                found.append((s, e, best[1]))
    return found


def parse_need(
    text: str, *, params: ParseParams | None = None, catalogue_brands: Sequence[str] = ()
) -> ProductQuery:
    """Parse a shopper's request (English or Chinese) into a :class:`ProductQuery`.

    Parameters
    ----------
    text
        The request, up to :data:`MAX_TEXT_CHARS` characters.
    params
        Parser knobs (exchange rate, "around" band).
    catalogue_brands
        The catalogue's brand names: each is recognised by its own spelling, besides the
        aliases in ``data/brands.yaml`` (so a new catalogue's brands need no code or data).

    Raises
    ------
    InvalidInputError
        Empty, too long or wordless text (field ``text``), or a negative or absurd budget
        (field ``max_price``/``min_price``).
    """
    params = params or ParseParams()
    if not isinstance(text, str):
        raise InvalidInputError.for_field("text", "a string", text)
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInputError.for_field(
            "text", f"at most {MAX_TEXT_CHARS} characters long", f"{len(text)} characters"
        )
    raw = re.sub(r"\s+", " ", text).strip()
    if not raw:
        raise InvalidInputError.for_field("text", "a non-empty request", text)
    if not any(c.isalnum() for c in raw):
        raise InvalidInputError.for_field("text", "a request with at least one word", raw)
    folded = _replace_cn_numerals(fold(raw))
    lex = lexicon(tuple(sorted(set(catalogue_brands))))

    # Brands first (multi-word names contain ordinary words), then ingredients, then the rest.
    spans = _Spans()
    brand_hits: list[tuple[int, int, str]] = []
    for alias, brand, common in lex.brands:
        if alias not in folded:  # the pattern matches the alias literally: skip the regex
            continue
        for m in word_pattern(alias).finditer(folded):
            s, e = m.span()
            if not spans.free(s, e) or (common and not _brand_cue(folded, s, e, lex)):
                continue
            spans.take(s, e)
            brand_hits.append((s, e, brand))
    brand_hits.extend(_fuzzy_brands(folded, lex, spans))
    # The language of the words around the brand names ("Kate Somerville的精华" is Chinese).
    unbranded = "".join(
        c for i, c in enumerate(folded) if not any(a <= i < b for a, b, _ in brand_hits)
    )
    lang = language_of(unbranded) if unbranded.strip() else language_of(folded)

    ingredient_hits = _find(folded, lex.ingredients, spans)
    mention_spans = [(s, e) for s, e, _ in ingredient_hits]
    exclude: set[str] = set()
    include: set[str] = set()
    for s, e, canonical in ingredient_hits:
        (exclude if _polarity(folded, s, e, mention_spans) == "exclude" else include).add(canonical)
    for pattern, implied in grammar().implied_exclusions:
        if pattern.search(folded):  # "fragrance-free", "reef safe"
            exclude.update(implied)
    include -= exclude

    brands: set[str] = set()
    excluded_brands: set[str] = set()
    for s, e, brand in brand_hits:
        if _polarity(folded, s, e, [(a, b) for a, b, _ in brand_hits]) == "exclude" or (
            grammar().brand_exclusion.search(folded[_clause_start(folded, s) : s])
        ):
            excluded_brands.add(brand)
        else:
            brands.add(brand)
    brands -= excluded_brands

    cat_spans = _Spans()
    for a, b in [(s, e) for s, e, _ in brand_hits]:
        cat_spans.take(a, b)
    category = _category(_find(folded, lex.categories, cat_spans))

    skin_spans = _Spans()
    for a, b in mention_spans + [(s, e) for s, e, _ in brand_hits]:
        skin_spans.take(a, b)
    skin = _skin_types(folded, _find(folded, lex.skin, skin_spans), ingredient_hits)

    blocked = mention_spans + [(s, e) for s, e, _ in brand_hits]
    budget = _prices(folded, lang, blocked, params)
    lo, hi = budget.lo, budget.hi
    in_yuan = budget.currency == "CNY"
    # A Chinese request, or any budget in yuan: the shopper reads ¥ (with the US$ price beside).
    currency: Literal["USD", "CNY"] = "CNY" if in_yuan or lang == "zh" else "USD"

    lang_words = words()
    concerns = sorted({v for k, v in lang_words.concerns.items() if word_pattern(k).search(folded)})
    medical = sorted({v for k, v in lang_words.medical.items() if word_pattern(k).search(folded)})
    return ProductQuery(
        text=raw,
        language="zh" if lang == "zh" else "en",
        category=category,
        skin_types=tuple(sorted(skin)),
        min_price_minor=None if lo is None else round(lo * 100),
        max_price_minor=None if hi is None else round(hi * 100),
        brands=tuple(sorted(brands)),
        exclude_brands=tuple(sorted(excluded_brands)),
        exclude_ingredients=tuple(sorted(exclude)),
        include_ingredients=tuple(sorted(include)),
        concerns=tuple(concerns),
        medical_conditions=tuple(medical),
        currency=currency,
        cny_per_usd=params.cny_per_usd if currency == "CNY" else None,
        stated_min=budget.stated_lo if in_yuan else None,
        stated_max=budget.stated_hi if in_yuan else None,
    )


def _brand_cue(folded: str, s: int, e: int, lex: Lexicon) -> bool:
    """A common-word brand ("fresh", "origins") counts only with a cue that it is the brand."""
    before = folded[max(0, s - 12) : s]
    after = folded[e : e + 32]
    if grammar().brand_cue_before.search(before) or grammar().brand_cue_after.match(after):
        return True
    # The whole request ("fresh"), or directly followed by a category word: "origins mask",
    # "fresh face mask", "Origins面膜".
    if folded.strip(" .,!?。！？") == folded[s:e]:
        return True
    return any(re.match(r"^\s*" + re.escape(w), after) for w, _c in lex.categories)


def _category(hits: list[tuple[int, int, str]]) -> str | None:
    if not hits:
        return None
    cats = [c for _, _, c in hits]
    if "Sun protect" in cats and "Moisturizer" in cats:
        return "Sun protect"
    # A category word directly followed by another one is a modifier ("exfoliating mask").
    for (_s1, e1, c1), (s2, _e2, c2) in zip(hits, hits[1:], strict=False):
        if c1 != c2 and s2 - e1 <= 1 and c1 == "Treatment":
            return c2
    return hits[0][2]


def _skin_types(
    text: str, hits: list[tuple[int, int, tuple[str, ...]]], ingredients: list[tuple[int, int, str]]
) -> set[str]:
    g = grammar()
    types: set[str] = set()
    ingredient_ends = {e for _, e, _ in ingredients}
    for s, e, values in hits:
        word = text[s:e]
        clause = text[_clause_start(text, s) : s]
        if any(
            word in words and (s in ingredient_ends or before.search(clause))
            for words, before in g.allergy
        ):
            continue  # an allergy to an ingredient ("酒精过敏"), not a skin type
        if any(
            word == verb and after.match(text[e:]) and before.search(clause)
            for verb, after, before in g.verb_uses
        ):
            continue  # the word as a verb: "doesn't dry me out"
        # A condition ("rosacea") is not a claim the shopper can negate.
        negation = g.skin_negation.get(language_of(word))
        if negation is not None and negation.search(clause) and word not in g.not_negated:
            continue
        types.update(values)
    if "combination" in types and g.region.search(text):
        types -= {"oily", "dry"}
    elif {"oily", "dry"} <= types and g.region.search(text):
        types = (types - {"oily", "dry"}) | {"combination"}
    return types
