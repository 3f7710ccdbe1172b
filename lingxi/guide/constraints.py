"""Deterministic need parsing: English or Chinese free text -> :class:`ProductQuery`.

The parser finds *mentions* (category words, skin words, brands, ingredients, amounts) with their
character spans in the normalised text, then decides each mention's polarity from what stands
before and after it inside its clause: "no alcohol or fragrance" excludes both, "paraben and
sulfate free" excludes both, "with niacinamide but without parabens" includes one and excludes
the other; "I'm not oily" drops oily. Clause boundaries are sentence punctuation and "but"/"但".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

from rapidfuzz import fuzz

from lingxi.errors import InvalidInputError
from lingxi.guide.inci import load_inci
from lingxi.guide.schemas import ProductQuery
from lingxi.text import (
    CHINESE_NUMERAL_CHARS,
    MAX_MESSAGE_CHARS,
    chinese_numeral_to_int,
    load_yaml,
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


# --------------------------------------------------------------------------- lexicons
# The words themselves are data: lingxi/guide/data/lang/<lang>.yaml (one file per language).


@dataclass(frozen=True, slots=True)
class _Words:
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
def _words() -> _Words:
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
    return _Words(
        {c: tuple(ws) for c, ws in categories.items()},
        tuple(skin),
        medical,
        concerns,
        tuple(exclude),
        tuple(include),
    )


_REGION_WORDS = re.compile(r"t-?zone|cheeks?|forehead|nose|chin|t区|两颊|脸颊|额头|鼻子|下巴")

_POST_NEG = re.compile(
    r"^\s*(?:-\s*free|free\b|makes? me (?:break out|breakout|itch)|breaks? me out|"
    r"irritates|过敏|不要|不行|会过敏|免谈)"
)
_CONJ = re.compile(r"(?:\s*(?:,|and|or|nor|&|/|、|和|或|或者|及|以及|与|跟|还有|also|either)\s*)$")
_CONJ_FWD = re.compile(r"^(?:\s*(?:,|and|or|nor|&|/|、|和|或|或者|及|以及|与|跟)\s*)")
_CLAUSE_SPLIT = re.compile(r"[.?!;。？！；\n]|\bbut\b|但是|但|不过|however")

_SKIN_NEG = re.compile(
    r"(?:\b(?:not|never|no|isnt|arent|dont|doesnt|wont|didnt|wasnt|cant|aint|im not)\b)\s*(?:\S+\s*){0,2}$"
)
_SKIN_NEG_ZH = re.compile(r"(?:不是|并不是|不|没有|非)$")

# ------------------------------------------------------------------------- prices

_CN_NUM = re.compile(rf"[{CHINESE_NUMERAL_CHARS}]+")


_USD = r"(?:\$|usd|dollars?|bucks?|dollar|刀|美元|美金|美刀)"
_CNY = r"(?:rmb|yuan|cny|¥|￥|元|块钱|块|人民币)"
_AMOUNT = re.compile(
    rf"(?P<pre>{_USD}|{_CNY})?\s*(?P<neg>-)?(?P<num>\d+(?:\.\d+)?)(?P<k>k\b)?\s*(?P<post>{_USD}|{_CNY})?",
)
_NOT_PRICE_BEFORE = re.compile(r"(?:spf|spf of|b|pa|vitamin|benzophenone|-|age|in my)\s*$")
_NOT_PRICE_AFTER = re.compile(
    r"^\s*(?:ml|oz|%|s\b|years?|yrs?|yo\b|y/o|g\b|step|mins?|minutes|岁|毫升|ml)"
)
_MAX_BEFORE = re.compile(
    r"(?:under|below|less than|lower than|cheaper than|no more than|not more than|not over|"
    r"max(?:imum)?|up to|upto|within|at most|budget(?: is| of|:)?|can spend|spend|<|≤|"
    r"不超过|不到|最多|低于|少于|预算|控制在|别超过|不要超过|不高于|以内)\s*(?:around|about)?\s*$"
)
_MIN_BEFORE = re.compile(
    r"(?:over|above|more than|at least|min(?:imum)?|starting at|>|≥|至少|不低于|高于|超过|"
    r"fine if over)\s*$"
)
_AROUND_BEFORE = re.compile(
    r"(?:around|about|approximately|approx\.?|roughly|~|大概|差不多|大约)\s*$"
)
_MAX_AFTER = re.compile(
    r"^\s*(?:or less|or under|or below|max|tops|and under|以内|以下|之内|内|封顶|以下的)"
)
_MIN_AFTER = re.compile(r"^\s*(?:or more|and up|\+|and above|plus|or higher|以上|起|往上)")
_AROUND_AFTER = re.compile(r"^\s*(?:ish|左右|上下)")
_RANGE_SEP = re.compile(r"^\s*(?:-|–|—|~|to|and|到|至)\s*$")


@dataclass(frozen=True, slots=True)
class _Amount:
    start: int
    end: int
    value: float
    currency: str | None
    negative: bool


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Apostrophes go: "kiehl's" = "kiehls", "doesn't" = "doesnt".
    text = text.replace("’", "").replace("‘", "").replace("'", "")
    return re.sub(r"\s+", " ", text).strip()


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _language(text: str) -> str:
    cjk = sum(1 for c in text if _is_cjk(c))
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    return "zh" if cjk and cjk * 2 >= latin else "en"


@lru_cache(maxsize=4096)
def _word_pattern(alias: str) -> re.Pattern[str]:
    escaped = re.escape(alias)
    if alias.isascii():
        left = r"(?<![a-z0-9])" if alias[0].isalnum() else ""
        right = r"(?![a-z0-9])" if alias[-1].isalnum() else ""
        return re.compile(left + escaped + right)
    return re.compile(escaped)


@dataclass(frozen=True, slots=True)
class _Lexicon:
    # Aliases only: a pattern is compiled (and cached) when its alias occurs in a request, so
    # a catalogue of thousands of brands costs no start-up (see _word_pattern).
    ingredients: tuple[tuple[str, str], ...]
    brands: tuple[tuple[str, str, bool], ...]
    brand_names: tuple[str, ...]
    categories: tuple[tuple[str, str], ...]
    skin: tuple[tuple[str, tuple[str, ...]], ...]


def _brand_key(name: str) -> str:
    key = _fold(name).replace("'", "")
    key = re.sub(r"\b(skincare|since 1851|by rihanna|tanning essentials|supplement bar)\b", "", key)
    return re.sub(r"[^a-z0-9 ]", " ", key).strip()


@lru_cache(maxsize=8)
def _lexicon(catalogue_brands: tuple[str, ...] = ()) -> _Lexicon:
    inci = load_inci()
    ingredients = tuple((a, c) for a, c in inci.aliases())
    text = resources.files("lingxi.guide").joinpath("data/brands.yaml").read_text(encoding="utf-8")
    spec: dict[str, Any] = load_yaml(text)
    brand_rows: list[tuple[str, str, bool]] = []
    for brand, info in spec.items():
        common = bool(info.get("common_word", False))
        for alias in [*info.get("en", []), *info.get("zh", [])]:
            # Only a Latin-script alias can be an everyday word ("fresh"); 馥蕾诗 is the brand.
            folded = _fold(alias).replace("'", "")
            brand_rows.append((folded, str(brand), common and folded.isascii()))
        brand_rows.append((_brand_key(str(brand)), str(brand), common))
    lang_words = _words()
    words = {_fold(w) for ws in lang_words.categories.values() for w in ws}
    words |= {w for w, _ in lang_words.skin}
    words |= {a for a, _c in inci.aliases()}
    for brand in catalogue_brands:
        if brand not in spec:
            key = _brand_key(brand)
            brand_rows.append((key, brand, key in words))
    brands = tuple(
        sorted(
            {(a, b, c) for a, b, c in brand_rows if a},
            key=lambda r: (-len(r[0]), r[0]),
        )
    )
    categories = tuple(
        sorted(
            ((_fold(w), cat) for cat, ws in _words().categories.items() for w in ws),
            key=lambda r: -len(r[0]),
        )
    )
    skin = tuple(sorted(((w, t) for w, t in _words().skin), key=lambda r: -len(r[0])))
    return _Lexicon(ingredients, brands, tuple(spec), categories, skin)


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
        for m in _word_pattern(alias).finditer(text):
            if spans.free(m.start(), m.end()):
                spans.take(m.start(), m.end())
                found.append((m.start(), m.end(), value))
    return sorted(found, key=lambda f: f[0])


def _clause_start(text: str, pos: int) -> int:
    start = 0
    for m in _CLAUSE_SPLIT.finditer(text, 0, pos):
        start = m.end()
    return start


def _clause_end(text: str, pos: int) -> int:
    m = _CLAUSE_SPLIT.search(text, pos)
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
        m = _CONJ_FWD.match(suffix)
        skip = m.end() if m else 0
        nxt = next(((s, e) for s, e in mention_spans if s == pos + skip), None)
        if nxt is None:
            break
        suffix = suffix[skip + nxt[1] - nxt[0] :]
        pos = nxt[1]
    if _POST_NEG.match(suffix):
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
        m = _CONJ.search(prefix)
        if m and m.group(0):
            prefix = prefix[: m.start()]
            continue
        abs_end = offset + len(prefix)
        if abs_end in ends and ends[abs_end] >= offset:
            prefix = prefix[: ends[abs_end] - offset]
            # "no mineral oil, no parabens": each mention may carry its own cue.
            neg = _ends_with_cue(prefix.rstrip(), _words().exclude_cues)
            inc = _ends_with_cue(prefix.rstrip(), _words().include_cues)
            if neg or inc:
                return "exclude" if neg >= inc else "include"
            continue
        break
    neg = _ends_with_cue(prefix, _words().exclude_cues)
    inc = _ends_with_cue(prefix, _words().include_cues)
    if neg and neg >= inc:
        return "exclude"
    return "include"


def _amounts(text: str, lang: str, blocked: list[tuple[int, int]]) -> list[_Amount]:
    # Chinese numerals become digits first (same length is not needed: we work on a copy).
    out = []
    for m in _AMOUNT.finditer(text):
        s, e = m.span("num")
        if any(a <= s < b for a, b in blocked):
            continue
        before = text[max(0, m.start("num") - 12) : m.start("num")]
        if (
            m.group("pre") is None
            and _NOT_PRICE_BEFORE.search(before.rstrip("- "))
            and not before.endswith(" -")
        ):
            continue
        if s > 0 and (text[s - 1].isalpha() and text[s - 1].isascii()):
            continue
        after = text[e : e + 10]
        if m.group("k") is None and _NOT_PRICE_AFTER.match(after):
            continue
        value = float(m.group("num")) * (1000 if m.group("k") else 1)
        cur_text = m.group("pre") or m.group("post")
        currency = None
        if cur_text:
            currency = "CNY" if re.fullmatch(_CNY, cur_text) else "USD"
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
        if value is None or not re.match(r"(?:块|元|刀|美|以|左|到|至|多|-)", follow):
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
        if i + 1 < len(amounts) and _RANGE_SEP.match(text[a.end : amounts[i + 1].start]):
            b = amounts[i + 1]
            cur = a.currency or b.currency
            x, y = usd(a, cur), usd(b, cur)
            lo, hi = min(x, y), max(x, y)
            used.update({i, i + 1})
            continue
        if _AROUND_BEFORE.search(before) or _AROUND_AFTER.match(after):
            v = usd(a, None)
            lo, hi = round(v * (1 - params.around_band), 2), round(v * (1 + params.around_band), 2)
        elif _MAX_BEFORE.search(before) or _MAX_AFTER.match(after):
            hi = usd(a, None)
        elif _MIN_BEFORE.search(before) or _MIN_AFTER.match(after):
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


def _fuzzy_brands(text: str, lex: _Lexicon, spans: _Spans) -> list[tuple[int, int, str]]:
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
    folded = _replace_cn_numerals(_fold(raw))
    lex = _lexicon(tuple(sorted(set(catalogue_brands))))

    # Brands first (multi-word names contain ordinary words), then ingredients, then the rest.
    spans = _Spans()
    brand_hits: list[tuple[int, int, str]] = []
    for alias, brand, common in lex.brands:
        if alias not in folded:  # the pattern matches the alias literally: skip the regex
            continue
        for m in _word_pattern(alias).finditer(folded):
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
    lang = _language(unbranded) if unbranded.strip() else _language(folded)

    ingredient_hits = _find(folded, lex.ingredients, spans)
    mention_spans = [(s, e) for s, e, _ in ingredient_hits]
    exclude: set[str] = set()
    include: set[str] = set()
    for s, e, canonical in ingredient_hits:
        (exclude if _polarity(folded, s, e, mention_spans) == "exclude" else include).add(canonical)
    if re.search(r"\bunscented\b|\bfragrance-?free\b|\bscent-?free\b|无香|不含香", folded):
        exclude.add("fragrance")
    if re.search(r"\breef[- ]?(?:safe|friendly)\b|对珊瑚礁友好", folded):
        exclude.update({"oxybenzone", "octinoxate"})
    include -= exclude

    brands: set[str] = set()
    excluded_brands: set[str] = set()
    for s, e, brand in brand_hits:
        if _polarity(folded, s, e, [(a, b) for a, b, _ in brand_hits]) == "exclude" or re.search(
            r"(?:not|no|anything but|except|other than|besides|不要|除了|别)\s*(?:from\s*)?$",
            folded[_clause_start(folded, s) : s],
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

    lang_words = _words()
    concerns = sorted(
        {v for k, v in lang_words.concerns.items() if _word_pattern(k).search(folded)}
    )
    medical = sorted({v for k, v in lang_words.medical.items() if _word_pattern(k).search(folded)})
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


def _brand_cue(folded: str, s: int, e: int, lex: _Lexicon) -> bool:
    """A common-word brand ("fresh", "origins") counts only with a cue that it is the brand."""
    before = folded[max(0, s - 12) : s]
    after = folded[e : e + 32]
    if re.search(r"(?:from|by|brand|love|like|prefer)\s*$", before):
        return True
    if re.match(r"^\s*(?:s\b|brand|products?|stuff|的)", after):
        return True
    # Directly followed by a category word: "origins mask", "fresh face mask".
    return any(re.match(r"^\s*" + re.escape(w), after) for w, _c in lex.categories if w.isascii())


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
    types: set[str] = set()
    ingredient_ends = {e for _, e, _ in ingredients}
    for s, e, values in hits:
        word = text[s:e]
        clause = text[_clause_start(text, s) : s]
        if word == "过敏" and (s in ingredient_ends or re.search(r"(?:对\S{1,6})$", clause)):
            continue  # "酒精过敏": an allergy to an ingredient, not a skin type
        if (
            word in ("dry",)
            and re.match(r"^\s*(?:me|my|out|it|off|down|skin out)\b", text[e:])
            and re.search(r"(?:not|doesnt|wont|dont|didnt)\s*$", clause)
        ):
            continue
        # "rosacea" is a condition, not a claim the shopper can negate.
        negated = _SKIN_NEG.search(clause) if word.isascii() else _SKIN_NEG_ZH.search(clause)
        if negated and word != "rosacea":
            continue
        types.update(values)
    if "combination" in types and _REGION_WORDS.search(text):
        types -= {"oily", "dry"}
    elif {"oily", "dry"} <= types and _REGION_WORDS.search(text):
        types = (types - {"oily", "dry"}) | {"combination"}
    return types
