"""Orders repo: price snapshots, confirmation, tracking, household isolation."""

from __future__ import annotations

import pytest

from lingxi.data import Database
from lingxi.data.repos import catalog, events, orders
from lingxi.errors import ConflictError, InvalidInputError, NotFoundError
from tests.helpers import products, seed


def _order(db: Database, quantity: int = 2) -> tuple[object, orders.OrderView]:
    ids = seed(db)
    with db.session() as s:
        order = orders.create_order(
            s,
            household_id=ids.household_a,
            customer_id=ids.alice,
            lines=[orders.LineRequest(ids.products[0], quantity)],
            address_id=ids.alice_address,
        )
    return ids, order


def test_lines_snapshot_price_at_purchase(db: Database) -> None:
    """A later price change does not alter an existing order's lines or total."""
    ids, order = _order(db)
    assert order.total_minor == 3600 and order.status == "pending"
    recs = products()
    bumped = catalog.ProductRecord(
        **{**{f: getattr(recs[0], f) for f in recs[0].__slots__}, "price_minor": 9900}
    )
    with db.session() as s:
        catalog.upsert_products(s, records=[bumped])
        again = orders.get_order(s, household_id=ids.household_a, order_id=order.id)  # type: ignore[attr-defined]
    assert again.total_minor == 3600 and again.lines[0]["unit_price_minor"] == 1800
    assert again.lines[0]["sku"] == "T-1"


def test_confirm_creates_shipment_and_events(db: Database) -> None:
    """Confirming creates a shipment with a 'created' event; tracking moves the order on."""
    ids, order = _order(db)
    with db.session() as s:
        confirmed = orders.confirm_order(s, household_id=ids.household_a, order_id=order.id)  # type: ignore[attr-defined]
        shipment = confirmed.shipments[0]
        assert confirmed.status == "confirmed" and shipment.status == "created"
        orders.add_tracking_event(
            s, shipment_id=shipment.id, status="out_for_delivery", place="depot"
        )
    with db.session() as s:
        view = orders.get_order(s, household_id=ids.household_a, order_id=order.id)  # type: ignore[attr-defined]
        topics = [e.topic for e in events.pending(s, consumer="t")]
        open_ids = [x.id for x in orders.list_open_shipments(s)]
    assert view.status == "shipped"
    assert [e.status for e in view.shipments[0].events] == ["created", "out_for_delivery"]
    assert view.shipments[0].lat == pytest.approx(43.735)
    assert topics == [
        "order.created",
        "order.confirmed",
        "shipment.created",
        "shipment.out_for_delivery",
    ]
    assert open_ids == [shipment.id]
    with db.session() as s, pytest.raises(ConflictError, match="can no longer be cancelled"):
        orders.cancel_order(s, household_id=ids.household_a, order_id=order.id)  # type: ignore[attr-defined]


def test_other_household_cannot_see_or_change(db: Database) -> None:
    """Household B gets 'not found' for A's order, exactly like a missing id."""
    ids, order = _order(db)
    with db.session() as s:
        with pytest.raises(NotFoundError, match=f"No order with id {order.id}"):  # type: ignore[attr-defined]
            orders.get_order(s, household_id=ids.household_b, order_id=order.id)  # type: ignore[attr-defined]
        with pytest.raises(NotFoundError):
            orders.confirm_order(s, household_id=ids.household_b, order_id=order.id)  # type: ignore[attr-defined]
        assert orders.list_orders(s, household_id=ids.household_b) == []
        shipment_id = (
            orders.confirm_order(
                s,
                household_id=ids.household_a,
                order_id=order.id,  # type: ignore[attr-defined]
            )
            .shipments[0]
            .id
        )
        with pytest.raises(NotFoundError):
            orders.get_shipment(s, shipment_id=shipment_id, household_id=ids.household_b)


@pytest.mark.parametrize(
    ("lines", "match"),
    [
        ([], "lines"),
        ([orders.LineRequest(1, 0)], "quantity"),
        ([orders.LineRequest(1, 1000)], "quantity"),
        ([orders.LineRequest(4242, 1)], "4242"),
    ],
)
def test_bad_orders_refused(db: Database, lines: list[orders.LineRequest], match: str) -> None:
    """Empty orders, absurd quantities and unknown products are refused by name."""
    ids = seed(db)
    with db.session() as s, pytest.raises((InvalidInputError, NotFoundError), match=match):
        orders.create_order(s, household_id=ids.household_a, customer_id=ids.alice, lines=lines)


def test_address_of_another_customer_refused(db: Database) -> None:
    """An order cannot be sent to another household's address."""
    ids = seed(db)
    with db.session() as s, pytest.raises(NotFoundError, match="address"):
        orders.create_order(
            s,
            household_id=ids.household_a,
            customer_id=ids.alice,
            lines=[orders.LineRequest(ids.products[0])],
            address_id=ids.bob_address,
        )


def test_order_without_address_goes_home(db: Database) -> None:
    """An order with no address is sent to the customer's first address."""
    ids = seed(db)
    with db.session() as s:
        order = orders.create_order(
            s,
            household_id=ids.household_b,
            customer_id=ids.bob,
            lines=[orders.LineRequest(ids.products[0])],
        )
        shipment = orders.confirm_order(
            s, household_id=ids.household_b, order_id=order.id
        ).shipments[0]
    assert (shipment.lat, shipment.lon) == (43.732, 7.419)
