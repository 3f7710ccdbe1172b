"""The returns skill: find what goes back, show the refund and pickup, book it on the yes.

The rules (delivered, within the window, units left) are :mod:`lingxi.commerce`'s: the
question comes from :func:`lingxi.commerce.preview_return`, which writes nothing, and the
yes runs :func:`lingxi.commerce.request_return`, which checks them again under a lock.
"""

from __future__ import annotations

from typing import Any

from lingxi import commerce
from lingxi.assistant.engines import whereabouts
from lingxi.assistant.turn import (
    Runner,
    Turn,
    first_number,
    matches,
    money,
    product_words,
    quantity,
    relative_time,
)
from lingxi.errors import InvalidInputError, NotFoundError
from lingxi.policy import Act, check

__all__ = ["RUNNERS", "propose", "status"]

_MOVING = ("created", "picked_up", "in_transit")


def _need(text: str) -> Any:
    from lingxi.guide import ProductQuery, parse_need

    try:
        return parse_need(text)
    except InvalidInputError:
        return ProductQuery(text="")


def _line_matches(turn: Turn, line: dict[str, Any], words: list[str], need: Any) -> bool:
    name = str(line["name"]).lower()
    if words and any(w in name for w in words):
        return True
    if need.brands and any(b.lower() in name for b in need.brands):
        return True
    if need.category and line.get("product_id"):
        try:
            category = turn.engines.guide.product(int(line["product_id"])).category
            return bool(category == need.category)
        except NotFoundError:
            return False
    return False


def _target(
    turn: Turn,
) -> tuple[commerce.OrderView | None, list[commerce.ReturnItem] | None, str]:
    """The order, the items (``None``: all that is left) and the product words used."""
    text = turn.text
    slot = turn.slots.get("order_id")
    order_id = slot if isinstance(slot, int) else first_number("order_id", text)
    if order_id is not None:
        candidates = [commerce.get_order(turn.db, turn.member, order_id)]
    else:
        every = commerce.list_orders(turn.db, turn.member)
        candidates = [o for o in every if o.customer_id == turn.member.customer_id] or every
    if not candidates:
        return None, None, ""
    words, need = product_words(text), _need(text)
    if order_id is None and matches("last_order", text) and not words:
        return candidates[0], None, ""  # "退掉上一个订单": the newest, whatever its state
    if not words and need.category is None and not need.brands:
        if order_id is not None:
            return candidates[0], None, ""
        live = [o for o in candidates if any(li["returnable_quantity"] for li in o.lines)]
        return (live[0], None, "") if live else (None, None, "")
    what = " ".join(words) or (need.category or "")
    for order in candidates:
        lines = [li for li in order.lines if li["returnable_quantity"] or order_id]
        hits = [li for li in lines if _line_matches(turn, li, words, need)]
        if hits:
            units = None
            if len(hits) == 1:
                # "return one of the cleansers" / "退一瓶": part of a line.
                asked = 1 if matches("one_of", text) else quantity(text)
                if asked < int(hits[0]["returnable_quantity"] or hits[0]["quantity"]):
                    units = asked if asked > 1 or matches("one_of", text) else None
            return order, [commerce.ReturnItem(int(li["id"]), units) for li in hits], what
    for order in candidates:
        # Bought but not returnable (not delivered yet, window over, already on its way back):
        # the preview of the rules will say which.
        hits = [li for li in order.lines if _line_matches(turn, li, words, need)]
        if hits:
            return order, [commerce.ReturnItem(int(li["id"])) for li in hits], " ".join(words)
    return None, None, what or text


def propose(turn: Turn) -> str:
    """Propose a return (items, refund, pickup address) and ask for a yes."""
    check(Act.RETURN_ORDER, turn.member.role)  # a child is refused before anything is looked up
    order, items, what = _target(turn)
    if order is None:
        turn.audit("orders.find_return_items", {"text": what} if what else {}, {"found": False})
        if what:
            return turn.say("return_no_match", what=what)
        return turn.say("no_returnable", days=commerce.RETURN_WINDOW_DAYS)
    reason = turn.text[:200]
    preview = commerce.preview_return(turn.db, turn.member, order.id, items, reason=reason)
    arguments = {
        "order_id": order.id,
        "items": [{"line_id": li.line_id, "quantity": li.quantity} for li in preview.lines],
        "refund_minor": preview.refund_minor,
        "reason": reason,
    }
    question = turn.say(
        "return_confirm",
        items=", ".join(f"{li.quantity} × {li.name}" for li in preview.lines),
        order_id=order.id,
        refund=money(preview.refund_minor, preview.currency),
        address=preview.pickup_address or "-",
    )
    return turn.ask("orders.request_return", arguments, question)


def _run_request_return(turn: Turn, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
    booked = commerce.request_return(
        turn.db,
        turn.member,
        int(args["order_id"]),
        [commerce.ReturnItem(int(i["line_id"]), int(i["quantity"])) for i in args["items"]],
        reason=str(args.get("reason", "")),
        expected_refund_minor=args.get("refund_minor"),
        planner=turn.engines.planner,
    )
    ret, eta = booked.shipment, booked.eta
    result = {
        "order_id": ret.order_id,
        "shipment_id": ret.id,
        "kind": ret.kind,
        "tracking_number": ret.tracking_number,
        "refund_minor": ret.refund_minor,
        "lines": list(ret.return_lines),
        "eta": eta.isoformat() if eta else None,
    }
    pickup = (
        turn.say("return_pickup_eta", eta=relative_time(eta, turn.language))
        if eta
        else turn.say("return_pickup_later")
    )
    return result, turn.say(
        "return_requested",
        tracking=ret.tracking_number,
        order_id=ret.order_id,
        refund=money(ret.refund_minor or 0, booked.order.currency),
        eta=pickup,
    )


def status(turn: Turn) -> str:
    """Where the latest return pickup is: status, place, ETA and the refund."""
    every = commerce.list_orders(turn.db, turn.member)
    mine = [o for o in every if o.customer_id == turn.member.customer_id] or every
    wanted = first_number("order_id", turn.text)
    if wanted is not None:
        mine = [o for o in mine if o.id == wanted]
    pairs = [(o, s) for o in mine for s in o.returns]
    if not pairs:
        turn.audit("orders.track_return", {}, {"returns": 0})
        return turn.say("no_returns")
    order, ret = max(pairs, key=lambda p: p[1].id)
    eta = whereabouts(turn.db, ret.id, turn.member.household_id)[0] or ret.eta
    current = [e for e in ret.events if e.status == ret.status]
    last = current[-1] if current else (ret.events[-1] if ret.events else None)
    # Where it is once it moves (a booked pickup is, by definition, at the customer's).
    place = f" ({last.place})" if last and last.place and ret.status != "created" else ""
    eta_text = ""
    if eta is not None and ret.status in _MOVING:
        key = "return_pickup_eta" if ret.status == "created" else "eta_suffix"
        eta_text = turn.say(key, eta=relative_time(eta, turn.language))
    turn.audit(
        "orders.track_return",
        {"shipment_id": ret.id},
        {
            "order_id": order.id,
            "status": ret.status,
            "eta": eta.isoformat() if eta else None,
            "events": [e.to_dict() for e in ret.events],
        },
    )
    return turn.say(
        "return_status",
        tracking=ret.tracking_number,
        order_id=order.id,
        items=", ".join(f"{li['quantity']} × {li['name']}" for li in ret.return_lines),
        status=str(turn.words("return_status").get(ret.status, ret.status.replace("_", " "))),
        place=place,
        eta=eta_text,
        refund=money(ret.refund_minor or 0, order.currency),
    )


RUNNERS: dict[str, Runner] = {"orders.request_return": _run_request_return}
