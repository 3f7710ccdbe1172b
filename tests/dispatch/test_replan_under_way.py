"""Plan the day again with a route under way: its parcels stay on it, on its day (SQLite and
PostgreSQL, the real solver)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lingxi.data import Database
from lingxi.data.repos import courier as courier_repo, fleet, orders
from lingxi.dispatch import DispatchParams, load_network, plan_shipments
from lingxi.dispatch.roadnet import RoadNetwork
from tests.helpers import seed_fleet

pytestmark = pytest.mark.slow
DAY = date(2026, 11, 26)
PARAMS = DispatchParams(time_limit=0.3)


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    """The shipped Monaco network (read once)."""
    return load_network()


def _orders(db: Database) -> list[int]:
    return seed_fleet(db)[1]


LATE = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
"""Every shift is over: a plan made now is for tomorrow."""


def test_a_started_route_stays_today(db: Database, network: RoadNetwork) -> None:
    """After the courier set out, planning at 23:00 leaves the route's stops on it, today."""
    _check(db, network, "start", LATE)


@pytest.mark.parametrize(
    ("how", "again"),
    [
        ("start", datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),  # mid-day: planned again
        ("event", LATE),  # out for delivery without a started route
    ],
)
def test_a_route_under_way_is_never_moved(
    sqlite_db: Database, network: RoadNetwork, how: str, again: datetime
) -> None:
    """Mid-day, or with a parcel out for delivery, the stops stay on their route and day."""
    _check(sqlite_db, network, how, again)


def _check(db: Database, network: RoadNetwork, how: str, again: datetime) -> None:
    made = _orders(db)
    first = plan_shipments(
        db, DAY, params=PARAMS, network=network, not_before=datetime(2026, 11, 26, 7, tzinfo=UTC)
    )
    assert first.day == DAY
    with db.session() as s:
        route = fleet.current_routes(s, plan_date=DAY)[0]
        out = courier_repo.start_route(
            s, route_id=route.id, at=datetime(2026, 11, 26, 9, tzinfo=UTC)
        )
    assert out
    # A new order arrives and the operator plans the day again.
    with db.session() as s:
        view = orders.get_shipment(s, shipment_id=made[0])
        o = orders.create_order(
            s,
            household_id=view.household_id,
            customer_id=1,
            lines=[orders.LineRequest(1, 1)],
            address_id=1,
        )
        orders.confirm_order(s, household_id=view.household_id, order_id=o.id)
    second = plan_shipments(db, DAY, params=PARAMS, network=network, not_before=again)
    replanned = {s["shipment_id"] for r in second.to_dict()["routes"] for s in r["stops"]}
    assert not replanned & set(out)
    with db.session() as s:
        for sid in out:
            found = fleet.route_for_shipment(s, shipment_id=sid)
            assert found is not None
            assert found[0].id == route.id and found[0].plan_date == DAY
            assert orders.get_shipment(s, shipment_id=sid).status == "out_for_delivery"
    if again.hour == 23:
        assert second.day == DAY.replace(day=27) and replanned  # the new order, tomorrow
