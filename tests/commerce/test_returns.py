"""Returns through lingxi.commerce: a pickup back to the depot, with the rules a shop enforces."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lingxi import commerce
from lingxi.data import Database, utcnow
from lingxi.data.repos import events, identity, orders
from lingxi.errors import ConflictError, InvalidInputError, NotFoundError
from tests.helpers import Seeded, at_once, seed


def _delivered(db: Database, *, days_ago: float = 2.0) -> tuple[Seeded, orders.OrderView]:
    """Alice's order of 2 x T-1 and 1 x T-2, delivered ``days_ago`` days ago."""
    ids = seed(db)
    when = utcnow() - timedelta(days=days_ago)
    with db.session() as s:
        order = orders.create_order(
            s,
            household_id=ids.household_a,
            customer_id=ids.alice,
            lines=[
                orders.LineRequest(ids.products[0], 2),
                orders.LineRequest(ids.products[1], 1),
            ],
            placed_at=when - timedelta(days=1),
        )
        order = orders.confirm_order(
            s, household_id=ids.household_a, order_id=order.id, confirmed_at=when
        )
        orders.add_tracking_event(
            s, shipment_id=order.shipments[0].id, status="delivered", occurred_at=when
        )
        order = orders.get_order(s, household_id=ids.household_a, order_id=order.id)
    assert order.status == "delivered"
    return ids, order


def _member(db: Database, customer_id: int) -> identity.Member:
    with db.session() as s:
        return identity.get_member(s, customer_id=customer_id)


def _return(
    db: Database,
    customer_id: int,
    order_id: int,
    items: list[orders.ReturnItem] | None = None,
    reason: str = "",
) -> orders.ShipmentView:
    """A return requested by ``customer_id``, through commerce (the path of chat and API)."""
    member = _member(db, customer_id)
    return commerce.request_return(db, member, order_id, items, reason=reason).shipment


def _topics(db: Database) -> list[str]:
    with db.session() as s:
        return [e.topic for e in events.pending(s, consumer="test", limit=1000)]


def test_return_creates_pickup_shipment_and_one_event(db: Database) -> None:
    """A return is a 'return' shipment with lines, refund, a 'created' event and one outbox event."""
    ids, order = _delivered(db)
    cleanser = order.lines[0]
    ret = _return(
        db, ids.alice, order.id, [orders.ReturnItem(int(cleanser["id"]), 1)], "broke me out"
    )
    assert ret.kind == "return" and ret.status == "created"
    assert ret.tracking_number.startswith("LR") and ret.refund_minor == 1800
    assert [e.status for e in ret.events] == ["created"]
    assert ret.return_lines[0]["quantity"] == 1 and ret.reason == "broke me out"
    assert ret.lat == pytest.approx(43.735)  # the pickup is at the order's address
    with db.session() as s:
        view = orders.get_order(s, household_id=ids.household_a, order_id=order.id)
        returned = [e for e in events.pending(s, consumer="test") if e.topic == "return.requested"]
        open_kinds = {x.id: x.kind for x in orders.list_open_shipments(s)}
    assert view.status == "return_requested"
    assert [s.kind for s in view.shipments] == ["delivery", "return"]
    assert view.lines[0]["returned_quantity"] == 1 and view.lines[0]["returnable_quantity"] == 1
    assert view.to_dict()["shipments"][1]["pickup"]["lat"] == pytest.approx(43.735)
    assert len(returned) == 1
    payload = returned[0].payload
    assert payload["kind"] == "return" and payload["shipment_id"] == ret.id
    assert payload["refund_minor"] == 1800 and payload["lines"] == [
        {"line_id": cleanser["id"], "quantity": 1}
    ]
    assert payload["lat"] == pytest.approx(43.735) and payload["demand"] == 1
    assert open_kinds == {ret.id: "return"}  # dispatch sees the pickup, not the done delivery


def test_same_items_cannot_be_returned_twice(db: Database) -> None:
    """What is already in a return is refused; the rest can still go back; then nothing can."""
    ids, order = _delivered(db)
    first = int(order.lines[0]["id"])
    _return(db, ids.alice, order.id, [orders.ReturnItem(first)])
    with pytest.raises(ConflictError, match="already being returned") as err:
        _return(db, ids.alice, order.id, [orders.ReturnItem(first)])
    assert err.value.details["field"] == "line_id"
    rest = _return(db, ids.alice, order.id)
    assert [line["name"] for line in rest.return_lines] == ["ACME Matte Gel"]
    assert rest.refund_minor == 3200
    with pytest.raises(ConflictError, match="Every item"):
        _return(db, ids.alice, order.id)
    assert _topics(db).count("return.requested") == 2


def test_return_window_and_status_rules(db: Database) -> None:
    """Late, undelivered and cancelled orders are refused, naming the field and the value."""
    ids, order = _delivered(db, days_ago=31)
    with pytest.raises(ConflictError, match="within 30 days") as err:
        _return(db, ids.alice, order.id)
    assert err.value.details["field"] == "delivered_at"
    alice = _member(db, ids.alice)
    fresh = commerce.create_order(db, alice, [orders.LineRequest(ids.products[0])])
    with pytest.raises(ConflictError, match="only a delivered order") as err:
        _return(db, ids.alice, fresh.id)
    assert err.value.details == {
        "field": "status",
        "value": "pending",
        "rule": "return_not_delivered",
        "order_id": err.value.details["order_id"],
    }
    commerce.cancel_order(db, alice, fresh.id)
    with pytest.raises(ConflictError, match="cancelled"):
        _return(db, ids.alice, fresh.id)
    assert "return.requested" not in _topics(db)


def test_bad_items_and_other_household(db: Database) -> None:
    """Unknown lines, bad quantities, duplicates and another household's order are refused."""
    ids, order = _delivered(db)
    line = int(order.lines[0]["id"])
    cases: list[tuple[list[orders.ReturnItem], type[Exception], str]] = [
        ([orders.ReturnItem(line, 3)], InvalidInputError, "quantity"),
        ([orders.ReturnItem(line, 0)], InvalidInputError, "quantity"),
        ([orders.ReturnItem(line), orders.ReturnItem(line)], InvalidInputError, "line_id"),
        ([orders.ReturnItem(999_999)], NotFoundError, "line_id"),
        ([], InvalidInputError, "items"),
    ]
    for items, error, field in cases:
        with pytest.raises(error) as err:
            _return(db, ids.alice, order.id, items)
        assert err.value.details["field"] == field  # type: ignore[attr-defined]
    with pytest.raises(InvalidInputError, match="reason"):
        _return(db, ids.alice, order.id, None, "x" * 501)
    with pytest.raises(NotFoundError, match=f"No order with id {order.id}"):
        _return(db, ids.bob, order.id)
    with db.session() as s:
        assert orders.get_order(s, household_id=ids.household_a, order_id=order.id).returns == ()
    assert "return.requested" not in _topics(db)


def test_pickup_back_at_depot_marks_order_returned(db: Database) -> None:
    """Tracking the pickup to the depot makes the order 'returned' only when every unit is back."""
    ids, order = _delivered(db)
    with db.session() as s:
        ret = _return(db, ids.alice, order.id)
        orders.add_tracking_event(s, shipment_id=ret.id, status="picked_up")
        mid = orders.get_order(s, household_id=ids.household_a, order_id=order.id)
        assert mid.status == "return_requested"  # a picked-up return does not make it 'shipped'
        orders.add_tracking_event(s, shipment_id=ret.id, status="delivered", place="depot")
        done = orders.get_order(s, household_id=ids.household_a, order_id=order.id)
    assert done.status == "returned" and done.to_dict()["returnable"] is False


def test_two_simultaneous_requests_book_one_return(db: Database) -> None:
    """Two requests for the same items at once: one pickup is booked, the other is refused."""
    from lingxi.errors import LingxiError

    ids, order = _delivered(db)

    def request(_: int) -> str:
        try:
            _return(db, ids.alice, order.id)
            return "booked"
        except LingxiError as err:
            return type(err).__name__

    outcomes = at_once(2, request, timeout_s=60)
    assert sorted(outcomes) == ["ConflictError", "booked"], outcomes
    with db.session() as s:
        assert (
            len(orders.get_order(s, household_id=ids.household_a, order_id=order.id).returns) == 1
        )
    assert _topics(db).count("return.requested") == 1
