"""The orders skill: buy what was shown, track, list and cancel, through :mod:`lingxi.commerce`.

Buying and cancelling are proposals: the reply asks, and the stored action runs on the yes.
Returns are their own skill module (:mod:`lingxi.assistant.skills.returns`).
"""

from __future__ import annotations

from typing import Any

from lingxi import commerce
from lingxi.assistant.engines import whereabouts
from lingxi.assistant.router import Route
from lingxi.assistant.skills import returns
from lingxi.assistant.skills.guide import card, pick_shown
from lingxi.assistant.turn import (
    Runner,
    Turn,
    clock,
    day_name,
    first_number,
    matches,
    minutes_until,
    money,
    ordinals,
    quantity,
)
from lingxi.data import utcnow
from lingxi.errors import InvalidInputError
from lingxi.policy import Act, check

__all__ = ["RUNNERS", "answer", "target_order"]


def _names(order: commerce.OrderView) -> str:
    return ", ".join(str(line["name"]) for line in order.lines)


def _status(turn: Turn, table: str, status: str) -> str:
    return str(turn.words(table).get(status, status.replace("_", " ")))


def target_order(turn: Turn, *, open_only: bool) -> commerce.OrderView | None:
    """The order the message means: by number, else the nearest to the door, else the newest."""
    slot = turn.slots.get("order_id")
    order_id = slot if isinstance(slot, int) else first_number("order_id", turn.text)
    if order_id is not None:
        return commerce.get_order(turn.db, turn.member, order_id)
    if open_only:
        live = commerce.live_orders(turn.db, turn.member)
        if live:
            turn.state["_other_live"] = [o.id for o in live[1:4]]
            return live[0]
    every = commerce.list_orders(turn.db, turn.member)
    mine = [o for o in every if o.customer_id == turn.member.customer_id] or every
    return mine[0] if mine else None


def _named_product(turn: Turn) -> dict[str, Any] | None:
    """The guide's best match for a product named in the message ("buy the kiehl's cleanser")."""
    from lingxi.guide import parse_need

    try:
        if not parse_need(turn.text).has_constraints:
            return None
    except InvalidInputError:
        return None
    result = turn.engines.guide.recommend_for(turn.db, turn.text, customer_id=None, k=1)
    turn.audit("guide.recommend", {"text": turn.text}, {"items": [p.id for p in result.items]})
    return card(result.items[0]) if result.items else None


def _buy(turn: Turn) -> str:
    item = pick_shown(turn)
    if item is None and not ordinals(turn.text):
        item = _named_product(turn)
        if item is None and not turn.state.get("last_items"):
            return turn.say("no_items")
    if item is None:
        return turn.say("which_item", count=len(turn.state.get("last_items", [])))
    units = quantity(turn.text)
    proposal = commerce.propose_order(
        turn.db, turn.member, [commerce.LineRequest(int(item["id"]), units)]
    )
    arguments = {
        "lines": [{"product_id": int(item["id"]), "quantity": units}],
        "address_id": proposal.address_id,
        "address": proposal.address,
        "total_minor": proposal.total_minor,
        "currency": proposal.currency,
    }
    question = turn.say(
        "order_confirm",
        items=f"{units} × {item['brand']} {item['name']} ({money(int(item['price_minor']))})",
        total=money(proposal.total_minor, proposal.currency),
        address=proposal.address,
    )
    turn.items = [item]
    return turn.ask("orders.place_order", arguments, question)


def _run_place_order(turn: Turn, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
    proposal = commerce.OrderProposal(
        tuple(
            commerce.LineRequest(int(li["product_id"]), int(li["quantity"])) for li in args["lines"]
        ),
        int(args["total_minor"]),
        str(args.get("currency", "USD")),
        int(args["address_id"]),
        str(args.get("address", "")),
    )
    placed = commerce.place_order(turn.db, turn.member, proposal, planner=turn.engines.planner)
    eta = placed.eta
    result = {
        "order_id": placed.order.id,
        "status": placed.order.status,
        "total_minor": placed.order.total_minor,
        "shipment_id": placed.shipment.id,
        "tracking_number": placed.shipment.tracking_number,
        "eta": eta.isoformat() if eta else None,
    }
    suffix = turn.say("eta_suffix", eta=clock(eta)) if eta else ""
    return result, turn.say(
        "order_placed",
        order_id=placed.order.id,
        tracking=placed.shipment.tracking_number,
        eta=suffix,
    )


def _cancel(turn: Turn) -> str:
    check(Act.CANCEL_ORDER, turn.member.role)  # a child is refused now, not after a yes
    order = target_order(turn, open_only=True)
    if order is None:
        return turn.say("no_orders")
    question = turn.say(
        "cancel_confirm",
        order_id=order.id,
        items=_names(order),
        total=money(order.total_minor, order.currency),
    )
    return turn.ask("orders.cancel_order", {"order_id": order.id}, question)


def _run_cancel_order(turn: Turn, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
    order = commerce.cancel_order(turn.db, turn.member, int(args["order_id"]))
    return {"order_id": order.id, "status": order.status}, turn.say("cancelled", order_id=order.id)


def _list(turn: Turn) -> str:
    mine = commerce.list_orders(turn.db, turn.member, own_only=True)
    turn.audit("orders.list", {}, {"order_ids": [o.id for o in mine[:5]]})
    if not mine:
        return turn.say("no_orders")
    listed = "; ".join(
        f"#{o.id} {_names(o)} {money(o.total_minor, o.currency)} "
        f"({_status(turn, 'order_status', o.status)})"
        for o in mine[:5]
    )
    return turn.say("list_orders", orders=listed)


def _eta_text(turn: Turn, eta: Any) -> str:
    if eta is None:
        return ""
    now = utcnow()
    minutes = minutes_until(eta, now)
    if minutes < 0:
        return turn.say("track_eta_past", eta=clock(eta))
    if eta.date() != now.date() and minutes > 120:
        # Planned for a later day (after the last shift): say the day, not 600 minutes.
        return turn.say("track_eta_day", eta=clock(eta), day=day_name(eta, now, turn.language))
    return turn.say("track_eta", eta=clock(eta), minutes=minutes)


def _track(turn: Turn) -> str:
    order = target_order(turn, open_only=True)
    if order is None:
        return turn.say("no_orders")
    if not order.shipments or order.status not in ("confirmed", "shipped"):
        turn.audit("orders.track", {"order_id": order.id}, {"status": order.status})
        status = _status(turn, "order_status", order.status)
        if first_number("order_id", turn.text) is not None:
            return turn.say(
                "track", order_id=order.id, items=_names(order), status=status, place="", eta=""
            )
        return turn.say("no_open_orders", order_id=order.id, status=status)
    shipment = order.shipments[0]
    eta, position = whereabouts(turn.db, shipment.id, turn.member.household_id)
    eta = eta or shipment.eta
    # The event that set the current status (demo data may backdate later events).
    current = [e for e in shipment.events if e.status == shipment.status]
    last = current[-1] if current else (shipment.events[-1] if shipment.events else None)
    place = f" ({last.place})" if last and last.place else ""
    extra = _eta_text(turn, eta)
    moving = ("created", "picked_up", "in_transit", "out_for_delivery")
    if position and position.get("vehicle") and shipment.status in moving:
        extra += turn.say(
            "track_vehicle", vehicle=position["vehicle"], before=position.get("stops_before")
        )
    others = turn.state.pop("_other_live", [])
    if others:
        extra += turn.say("also_on_way", ids=", ".join(f"#{i}" for i in others))
    turn.audit(
        "orders.track",
        {"order_id": order.id},
        {
            "shipment_id": shipment.id,
            "status": shipment.status,
            "eta": eta.isoformat() if eta else None,
            "events": [e.to_dict() for e in shipment.events],
        },
    )
    status = _status(turn, "shipment_status", shipment.status)
    return turn.say(
        "track", order_id=order.id, items=_names(order), status=status, place=place, eta=extra
    )


def answer(route: Route, turn: Turn) -> str:
    """Buy, cancel, list, track; returns and their status go to the returns skill."""
    intent = route.intent
    if intent == "buy" and matches("return_words", turn.text):
        intent = "return"  # "return one of the cleansers" names a count, not a purchase
    if intent == "buy":
        return _buy(turn)
    if intent == "cancel":
        return _cancel(turn)
    if intent == "list":
        return _list(turn)
    if intent in ("return", "track") and matches("return_words", turn.text):
        if matches("return_status", turn.text):
            return returns.status(turn)
        return returns.propose(turn)
    if intent == "return":
        return returns.propose(turn)
    return _track(turn)


RUNNERS: dict[str, Runner] = {
    "orders.place_order": _run_place_order,
    "orders.cancel_order": _run_cancel_order,
    **returns.RUNNERS,
}
