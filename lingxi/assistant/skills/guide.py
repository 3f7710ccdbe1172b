"""The guide skill: recommend, compare and explain products through :mod:`lingxi.guide`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lingxi.assistant.router import Route
from lingxi.assistant.skills.account import distill
from lingxi.assistant.turn import Runner, Turn, matches, money, ordinals

if TYPE_CHECKING:
    from lingxi.guide import GuideResult, ProductFacts, ProductQuery, Recommendation

__all__ = ["RUNNERS", "answer", "card", "pick_shown"]

RUNNERS: dict[str, Runner] = {}


def card(p: Recommendation | ProductFacts, reason: str = "") -> dict[str, Any]:
    """A product card: only facts from the catalogue."""
    return {
        "id": p.id,
        "name": p.name,
        "brand": p.brand,
        "price": p.price_minor / 100,
        "price_minor": p.price_minor,
        "currency": "USD",
        "display_price": getattr(p, "display_price", "") or money(p.price_minor),
        "category": p.category,
        "skin_types": list(p.skin_types),
        "reason": reason or getattr(p, "reason", ""),
    }


def pick_shown(turn: Turn) -> dict[str, Any] | None:
    """The shown product the message points at ("the first one", "the cheapest", "it")."""
    shown: list[dict[str, Any]] = turn.state.get("last_items", [])
    if not shown:
        return None
    named = ordinals(turn.text)
    index = named[0] if named else None
    if isinstance(turn.slots.get("item"), int):
        index = int(turn.slots["item"]) - 1
    if index is None:
        if matches("cheapest", turn.text):
            return min(shown, key=lambda p: p["price_minor"])
        return shown[0] if len(shown) == 1 or matches("this_one", turn.text) else None
    return shown[index] if -len(shown) <= index < len(shown) else None


def recommend(turn: Turn, query: str | ProductQuery, *, k: int = 3) -> GuideResult:
    """The guide's picks for the member (what their consents allow shapes them), audited."""
    result = turn.engines.guide.recommend_for(
        turn.db, query, customer_id=turn.member.customer_id, k=k
    )
    text = query if isinstance(query, str) else query.text
    turn.audit(
        "guide.recommend",
        {"text": text},
        {"items": [p.id for p in result.items], "relaxed": list(result.relaxed)},
    )
    return result


def _compare(turn: Turn, shown: list[dict[str, Any]], indices: list[int]) -> str:
    if matches("first_two", turn.text):
        indices = [0, 1]
    elif matches("last_two", turn.text):
        indices = [len(shown) - 2, len(shown) - 1]
    a, b = (indices + [0, 1])[:2] if len(indices) < 2 else indices[:2]
    if max(a, b) >= len(shown) or a == b:
        return turn.say("which_item", count=len(shown))
    pa, pb = shown[a], shown[b]
    need = str(turn.state.get("last_query", "")) or None
    comparison = turn.engines.guide.compare(int(pa["id"]), int(pb["id"]), need=need)
    turn.audit("guide.compare", {"product_ids": [pa["id"], pb["id"]]}, comparison.to_dict())
    turn.items = [pa, pb]
    return comparison.verdict


def _details(turn: Turn, shown: list[dict[str, Any]], indices: list[int]) -> str:
    item = pick_shown(turn) or (shown[indices[0]] if indices and indices[0] < len(shown) else None)
    if item is None:
        return turn.say("which_item", count=len(shown))
    facts = turn.engines.guide.product(int(item["id"]))
    turn.audit("guide.product", {"product_id": facts.id}, card(facts))
    turn.items = [card(facts)]
    return turn.say(
        "details",
        brand=facts.brand,
        name=facts.name,
        category=facts.category,
        price=money(facts.price_minor),
        skin=", ".join(facts.skin_types) or "-",
    )


def answer(route: Route, turn: Turn) -> str:
    """Recommend (noting stated preferences on the way), compare, explain or show more."""
    saved = distill(turn, quiet=True)
    shown: list[dict[str, Any]] = turn.state.get("last_items", [])
    if route.intent in ("compare", "details") and shown:
        indices = ordinals(turn.text)
        if isinstance(turn.slots.get("items"), list):
            indices = [int(i) - 1 for i in turn.slots["items"]]
        if route.intent == "compare":
            return _compare(turn, shown, indices)
        return _details(turn, shown, indices)
    query = turn.text
    refine = route.intent == "refine" and bool(shown) and bool(turn.state.get("last_query"))
    if refine:
        # "which one is better for acne": the same need plus the concern, answered first
        # from the products already shown.
        query = f"{turn.state['last_query']}, {turn.text}"
    if route.intent == "more" and turn.state.get("last_query"):
        query = str(turn.state["last_query"])
        if matches("cheaper", turn.text) and shown:
            cheapest = min(p["price_minor"] for p in shown)
            query += f" under ${max(cheapest - 1, 0) / 100:.2f}"
    result = recommend(turn, query)
    turn.state["last_query"] = query
    turn.items = [card(p) for p in result.items]
    turn.state["last_items"] = turn.items
    text = _listing(turn, result)
    if refine:
        pick = _refined(turn, shown, result)
        text = f"{pick}\n{text}"
        turn.brief = f"{pick}\n{turn.brief}" if turn.brief else pick
    if saved and turn.brief:
        turn.brief = f"{saved} {turn.brief}"
    return f"{saved} {text}" if saved else text


def _refined(turn: Turn, shown: list[dict[str, Any]], result: GuideResult) -> str:
    """Which of the products shown before fits the added concern best (the new ranking's
    first that was shown), or that none of them does."""
    ranked = [p.id for p in result.items]
    before = {int(p["id"]): n for n, p in enumerate(shown, start=1)}
    for pid in ranked:
        if pid in before:
            item = next(p for p in result.items if p.id == pid)
            return turn.say(
                "refine_pick",
                n=before[pid],
                brand=item.brand,
                name=item.name,
                reason=item.reason or item.category,
            )
    return turn.say("refine_none")


def _listing(turn: Turn, result: GuideResult) -> str:
    note = result.dermatologist_note or ""
    if not result.items:
        text = (note + " " if note else "") + turn.say("recommend_none")
        if result.ingredients_not_listed:
            count = len(result.ingredients_not_listed)
            text += " " + turn.say("recommend_unlisted", count=count)
        return text
    lines = [note] if note else []
    brief = list(lines)
    if result.relaxed:
        lines.append(turn.say("recommend_relaxed", relaxed=", ".join(result.relaxed)))
    else:
        lines.append(turn.say("recommend_intro"))
    for n, p in enumerate(result.items, start=1):
        lines.append(
            turn.say(
                "recommend_item",
                n=n,
                brand=p.brand,
                name=p.name,
                price=p.display_price or money(p.price_minor),
                reason=p.reason or p.category,
            )
        )
    # The cards show each product's name, price and reason: the brief says the rest.
    brief.append(lines[len(brief)])
    if result.ingredients_not_listed:
        lines.append(turn.say("recommend_unlisted", count=len(result.ingredients_not_listed)))
    if result.conversion:
        lines.append(result.conversion)
    # "Compare the first and second" only when there are two to compare.
    lines.append(turn.say("recommend_outro" if len(result.items) >= 2 else "recommend_outro_one"))
    brief += lines[len(brief) + len(result.items) :]
    turn.brief = "\n".join(brief)
    return "\n".join(lines)
