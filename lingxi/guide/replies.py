"""What the guide says: prices in the shopper's currency, reasons, messages and verdicts.

Everything here is built from catalogue facts and the parsed need; nothing is claimed that
:func:`lingxi.guide.catalogue.violations` does not confirm.
"""

from __future__ import annotations

from lingxi.guide.catalogue import violations
from lingxi.guide.inci import load_inci
from lingxi.guide.schemas import ProductFacts, ProductQuery

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

ZH_CATEGORY = {
    "Moisturizer": "面霜/乳液",
    "Cleanser": "洁面",
    "Face Mask": "面膜",
    "Treatment": "精华/爽肤水",
    "Eye cream": "眼霜",
    "Sun protect": "防晒",
}
ZH_SKIN = {
    "combination": "混合肌",
    "dry": "干皮",
    "normal": "中性肌",
    "oily": "油皮",
    "sensitive": "敏感肌",
}
ZH_RELAXED = {
    "include_ingredients": "想要的成分",
    "brands": "品牌",
    "price": "预算",
    "skin_types": "肤质",
    "category": "品类",
}
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
    amounts = "，".join(parts) if query.language == "zh" else ", ".join(parts)
    if query.language == "zh":
        return f"预算按 1 美元 = {rate:g} 元换算（{amounts}），目录价格为美元。"
    return f"Budget converted at {rate:g} CNY per US$ ({amounts}); catalogue prices are in US$."


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
    zh = query.language == "zh"
    parts: list[str] = []
    if zh:
        suited = [ZH_SKIN[t] for t in query.skin_types if t in prod.skin_types]
        cat = ZH_CATEGORY.get(prod.category, prod.category)
        parts.append(f"适合{'、'.join(suited)}的{cat}" if suited else cat)
    else:
        suited = [t for t in query.skin_types if t in prod.skin_types]
        parts.append(
            f"{prod.category} flagged for {' and '.join(suited)} skin" if suited else prod.category
        )
    if prod.category_flag:
        parts.append(
            f"目录标为 {prod.label}，按名称归为{ZH_CATEGORY.get(prod.category, prod.category)}"
            if zh
            else prod.category_flag
        )
    price = price_text(prod.price_minor, query)
    if query.max_price_minor is not None and prod.price_minor <= query.max_price_minor:
        budget = price_text(query.max_price_minor, query)
        parts.append(
            f"{price}，在预算{budget}以内" if zh else f"{price}, within your {budget} budget"
        )
    else:
        parts.append(price)
    listed = prod.ingredients_listed
    absent = [i for i in query.exclude_ingredients if i not in prod.canonical_ingredients]
    if absent and listed:
        parts.append(
            "成分表不含" + "、".join(zh_name(a) for a in absent)
            if zh
            else "no " + ", ".join(absent) + " in its INCI list"
        )
    present = [i for i in query.include_ingredients if i in prod.canonical_ingredients]
    if present:
        parts.append(
            "含" + "、".join(zh_name(a) for a in present)
            if zh
            else "contains " + ", ".join(present)
        )
    if not listed and (query.exclude_ingredients or query.include_ingredients):
        parts.append("成分表未列出，无法确认成分要求" if zh else "ingredients not listed")
    if prod.brand in query.brands:
        parts.append(f"{prod.brand}" if zh else f"from {prod.brand} as asked")
    if prod.rating is not None:
        parts.append(f"评分 {prod.rating:.1f}/5" if zh else f"rated {prod.rating:.1f}/5")
    if link:
        parts.append(link)
    if relaxed:
        if zh:
            parts.append("已放宽：" + "、".join(ZH_RELAXED.get(r, r) for r in relaxed))
        else:
            parts.append(f"relaxed: {', '.join(relaxed)}")
    return ("；" if zh else "; ").join(parts)


def fit_facts(p: ProductFacts, q: ProductQuery) -> list[tuple[bool, str]]:
    """``(met, phrase)`` for each constraint of ``q``, judged by :func:`violations`."""
    broken = set(violations(p, q))
    facts: list[tuple[bool, str]] = []
    if q.category:
        ok = "category" not in broken
        facts.append((ok, f"is a {q.category}" if ok else f"is not a {q.category}"))
    for t in q.skin_types:
        ok = t in p.skin_types
        facts.append((ok, f"suits {t} skin" if ok else f"is not flagged for {t} skin"))
    if q.max_price_minor is not None:
        ok = p.price_minor <= q.max_price_minor
        budget = price_text(q.max_price_minor, q)
        facts.append((ok, "is within budget" if ok else f"is over the {budget} budget"))
    if q.min_price_minor is not None:
        ok = p.price_minor >= q.min_price_minor
        facts.append((ok, "meets the price floor" if ok else "is below the price floor"))
    if q.brands:
        facts.append((p.brand in q.brands, f"is from {p.brand}"))
    if q.exclude_brands:
        ok = "exclude_brands" not in broken
        facts.append((ok, f"is not from {p.brand}" if ok else f"is from {p.brand}"))
    for i in q.exclude_ingredients:
        if not p.ingredients_listed:
            facts.append((False, "lists no ingredients"))
            continue
        ok = i not in p.canonical_ingredients
        facts.append((ok, f"has no {i}" if ok else f"contains {i}"))
    for i in q.include_ingredients:
        ok = p.ingredients_listed and i in p.canonical_ingredients
        facts.append((ok, f"contains {i}" if ok else f"has no {i} listed"))
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
    zh = query.language == "zh"
    if better is None:
        return "两者同样符合你的需求。" if zh else "Both fit your need equally well."
    worse, fw, fbtr = (b, fb, fa) if better is a else (a, fa, fb)
    if why == "constraints":
        pros = [t for ok, t in fbtr if ok]
        cons = [t for ok, t in fw if not ok]
        if zh:
            return (
                f"{better.brand} {better.name} 更符合你的需求：它满足 {len(pros)} 项条件，"
                f"另一款有不满足的项（{'; '.join(cons)}）。"
            )
        return (
            f"{better.brand} {better.name} fits your need better: it {', '.join(pros)}; "
            f"{worse.brand} {worse.name} {', '.join(cons)}."
        )
    if why == "rating":
        if zh:
            return (
                f"两者同样符合条件，{better.brand} {better.name} 评分更高"
                f"（{fmt_rating(better.rating)}）。"
            )
        return (
            f"Both meet the stated need; {better.brand} {better.name} is rated higher "
            f"({fmt_rating(better.rating)} vs {fmt_rating(worse.rating)})."
        )
    price = price_text(better.price_minor, query)
    if zh:
        return f"两者同样符合条件、评分相同，{better.brand} {better.name} 更便宜（{price}）。"
    return (
        f"Both meet the need with the same rating; {better.brand} {better.name} costs less "
        f"({price})."
    )


def dermatologist_note(q: ProductQuery) -> str:
    """A plain note to see a dermatologist about the named conditions."""
    names = ", ".join(q.medical_conditions)
    if q.language == "zh":
        return f"{names} 属于皮肤疾病，请咨询皮肤科医生；以下只是护肤品，不是治疗。"
    return (
        f"{names.capitalize()} is a skin condition: please see a dermatologist. "
        "Lingxi only suggests cosmetic products, not treatment."
    )


def message(
    n: int, total: int, relaxed: tuple[str, ...], unlisted: int, query: ProductQuery
) -> str:
    """The result's summary: ``total`` is the count that truly meets what was applied."""
    zh = query.language == "zh"
    if zh:
        if relaxed:
            names = "、".join(ZH_RELAXED.get(r, r) for r in relaxed)
            text = f"没有完全符合的产品；放宽了{names}后找到 {total} 款，推荐 {n} 款。"
        elif n == 0:
            text = "没有产品确定满足全部条件。"
        else:
            text = f"{total} 款产品满足全部条件，推荐 {n} 款。"
        if unlisted:
            text += (
                f"另有 {unlisted} 款满足其他条件，但目录未列出成分，无法确认成分要求，单独列出。"
            )
    else:
        if relaxed:
            text = (
                f"Nothing met every constraint, so I relaxed {', '.join(relaxed)}; "
                f"{total} products fit the rest, here are {n}."
            )
        elif n == 0:
            text = "No product is known to meet every constraint."
        else:
            best = "the best one" if n == 1 else f"the best {n}"
            noun = "product meets" if total == 1 else "products meet"
            text = f"{total} {noun} every constraint; here {'is' if n == 1 else 'are'} {best}."
        if unlisted:
            text += (
                f" {unlisted} more fit the rest but list no ingredients, so the ingredient "
                "wishes cannot be checked; they are shown apart."
            )
    note = conversion_note(query)
    return f"{text} {note}" if note else text
