"""What the guide says: prices in the shopper's currency, reasons, messages and verdicts.

Everything here is built from catalogue facts and the parsed need; nothing is claimed that
:func:`lingxi.guide.catalogue.violations` does not confirm.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from lingxi.guide.catalogue import violations
from lingxi.guide.inci import load_inci
from lingxi.guide.schemas import ProductFacts, ProductQuery
from lingxi.text import load_yaml

__all__ = [
    "conversion_note",
    "dermatologist_note",
    "fit_facts",
    "fmt_rating",
    "message",
    "price_text",
    "reason",
    "usd",
    "verdict",
    "yuan",
]

LANGUAGES = ("en", "zh")


@lru_cache(maxsize=4)
def _texts(language: str) -> dict[str, Any]:
    """The guide's words in ``language`` (``data/lang/replies_<lang>.yaml``); English otherwise."""
    lang = language if language in LANGUAGES else "en"
    ref = resources.files("lingxi.guide").joinpath(f"data/lang/replies_{lang}.yaml")
    data: dict[str, Any] = load_yaml(ref.read_text(encoding="utf-8"))
    return data


def _name(texts: dict[str, Any], table: str, key: str) -> str:
    return str(texts["names"][table].get(key, key))


def _ingredient(texts: dict[str, Any], canonical: str) -> str:
    return zh_name(canonical) if texts["ingredient_names"] == "zh" else canonical


DEFAULT_CNY_PER_USD = 7.2
"""The rate used to show ¥ when the need did not state one (it is a setting in practice)."""


def usd(minor: int) -> str:
    """``$12`` or ``$12.50``."""
    return f"${minor // 100}" if minor % 100 == 0 else f"${minor / 100:.2f}"


def yuan(amount: float) -> str:
    """``¥86`` or ``¥86.40``."""
    return f"¥{amount:.0f}" if abs(amount - round(amount)) < 0.005 else f"¥{amount:.2f}"


def price_text(minor: int, query: ProductQuery, *, rate: float | None = None) -> str:
    """A price as the shopper reads it: ``$12`` in US$, or ``¥86（$12）`` for a shopper who
    counts in yuan (the catalogue's US$ price beside it)."""
    if query.currency != "CNY":
        return usd(minor)
    r = query.cny_per_usd or rate or DEFAULT_CNY_PER_USD
    return f"{yuan(minor / 100 * r)}（{usd(minor)}）"


def conversion_note(query: ProductQuery) -> str | None:
    """How a yuan budget was converted to the catalogue's US$, or ``None``."""
    if query.cny_per_usd is None or (query.stated_min is None and query.stated_max is None):
        return None
    rate = query.cny_per_usd
    parts = []
    for stated, minor in (
        (query.stated_min, query.min_price_minor),
        (query.stated_max, query.max_price_minor),
    ):
        if stated is not None and minor is not None:
            parts.append(f"{yuan(stated)} ≈ {usd(minor)}")
    texts = _texts(query.language)
    amounts = texts["separators"]["amounts"].join(parts)
    return str(texts["conversion"]).format(rate=f"{rate:g}", amounts=amounts)


def zh_name(canonical: str) -> str:
    """The Chinese name of a canonical ingredient."""
    return load_inci().zh_name(canonical)


def fmt_rating(r: float | None) -> str:
    """``4.2/5`` or ``-``."""
    return "-" if r is None else f"{r:.1f}/5"


def reason(
    prod: ProductFacts, query: ProductQuery, relaxed: tuple[str, ...], link: str | None
) -> str:
    """Why ``prod`` is shown for ``query``: only facts its catalogue row confirms."""
    texts = _texts(query.language)
    words, sep = texts["reason"], texts["separators"]
    category = _name(texts, "category", prod.category)
    parts: list[str] = []
    suited = [_name(texts, "skin", t) for t in query.skin_types if t in prod.skin_types]
    if suited:
        parts.append(words["suited"].format(category=category, skins=sep["skins"].join(suited)))
    else:
        parts.append(words["category"].format(category=category))
    if prod.category_flag:
        parts.append(
            words["category_flag"].format(
                flag=prod.category_flag, label=prod.label, category=category
            )
        )
    price = price_text(prod.price_minor, query)
    if query.max_price_minor is not None and prod.price_minor <= query.max_price_minor:
        budget = price_text(query.max_price_minor, query)
        parts.append(words["within_budget"].format(price=price, budget=budget))
    else:
        parts.append(price)
    listed = prod.ingredients_listed
    absent = [i for i in query.exclude_ingredients if i not in prod.canonical_ingredients]
    if absent and listed:
        names = sep["ingredients"].join(_ingredient(texts, a) for a in absent)
        parts.append(words["absent"].format(ingredients=names))
    present = [i for i in query.include_ingredients if i in prod.canonical_ingredients]
    if present:
        names = sep["ingredients"].join(_ingredient(texts, a) for a in present)
        parts.append(words["present"].format(ingredients=names))
    if not listed and (query.exclude_ingredients or query.include_ingredients):
        parts.append(str(words["unlisted"]))
    if prod.brand in query.brands:
        parts.append(words["brand"].format(brand=prod.brand))
    if prod.rating is not None:
        parts.append(words["rating"].format(rating=f"{prod.rating:.1f}"))
    if link:
        parts.append(link)
    if relaxed:
        names = sep["relaxed"].join(_name(texts, "relaxed", r) for r in relaxed)
        parts.append(words["relaxed"].format(names=names))
    return str(sep["parts"]).join(parts)


def fit_facts(p: ProductFacts, q: ProductQuery) -> list[tuple[bool, str]]:
    """``(met, phrase)`` for each constraint of ``q``, judged by :func:`violations`, in the
    need's language."""
    texts = _texts(q.language)
    words = texts["facts"]
    broken = set(violations(p, q))
    facts: list[tuple[bool, str]] = []

    def fact(ok: bool, key: str, **values: str) -> None:
        facts.append((ok, str(words[key]).format(**values)))

    if q.category:
        ok = "category" not in broken
        category = _name(texts, "category", q.category)
        fact(ok, "category_ok" if ok else "category_no", category=category)
    for t in q.skin_types:
        ok = t in p.skin_types
        fact(ok, "skin_ok" if ok else "skin_no", skin=_name(texts, "skin", t))
    if q.max_price_minor is not None:
        ok = p.price_minor <= q.max_price_minor
        fact(ok, "budget_ok" if ok else "budget_no", budget=price_text(q.max_price_minor, q))
    if q.min_price_minor is not None:
        ok = p.price_minor >= q.min_price_minor
        fact(ok, "floor_ok" if ok else "floor_no")
    if q.brands:
        fact(p.brand in q.brands, "brand", brand=p.brand)
    if q.exclude_brands:
        ok = "exclude_brands" not in broken
        fact(ok, "not_brand_ok" if ok else "not_brand_no", brand=p.brand)
    for i in q.exclude_ingredients:
        if not p.ingredients_listed:
            fact(False, "unlisted")
            continue
        ok = i not in p.canonical_ingredients
        fact(ok, "without_ok" if ok else "without_no", ingredient=_ingredient(texts, i))
    for i in q.include_ingredients:
        ok = p.ingredients_listed and i in p.canonical_ingredients
        fact(ok, "with_ok" if ok else "with_no", ingredient=_ingredient(texts, i))
    return facts


def verdict(
    a: ProductFacts,
    b: ProductFacts,
    better: ProductFacts | None,
    why: str,
    fa: list[tuple[bool, str]],
    fb: list[tuple[bool, str]],
    query: ProductQuery,
) -> str:
    """The comparison's one-sentence conclusion."""
    texts = _texts(query.language)
    words, sep = texts["verdict"], texts["separators"]
    if better is None:
        return str(words["equal"])
    worse, fw, fbtr = (b, fb, fa) if better is a else (a, fa, fb)
    names = {"better": f"{better.brand} {better.name}", "worse": f"{worse.brand} {worse.name}"}
    if why == "constraints":
        pros = [t for ok, t in fbtr if ok]
        cons = [t for ok, t in fw if not ok]
        return str(words["constraints"]).format(
            **names,
            pros=sep["pros"].join(pros),
            cons=sep["cons"].join(cons),
            n_pros=len(pros),
        )
    if why == "rating":
        return str(words["rating"]).format(
            **names, better_rating=fmt_rating(better.rating), worse_rating=fmt_rating(worse.rating)
        )
    return str(words["price"]).format(**names, price=price_text(better.price_minor, query))


def dermatologist_note(q: ProductQuery) -> str:
    """A plain note to see a dermatologist about the named conditions."""
    names = ", ".join(q.medical_conditions)
    return str(_texts(q.language)["dermatologist"]).format(names=names, Names=names.capitalize())


def message(
    n: int, total: int, relaxed: tuple[str, ...], unlisted: int, query: ProductQuery
) -> str:
    """The result's summary: ``total`` is the count that truly meets what was applied."""
    texts = _texts(query.language)
    words = texts["message"]
    if relaxed:
        names = texts["separators"]["relaxed"].join(_name(texts, "relaxed", r) for r in relaxed)
        text = str(words["relaxed"]).format(names=names, total=total, n=n)
    elif n == 0:
        text = str(words["none"])
    else:
        key = "met_many" if n != 1 else "met_single" if total == 1 else "met_one_of_many"
        text = str(words[key]).format(total=total, n=n)
    if unlisted:
        text += str(words["unlisted"]).format(unlisted=unlisted)
    note = conversion_note(query)
    return f"{text} {note}" if note else text
