"""The city service end to end on SQLite and PostgreSQL: plan, ETAs, traffic, API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.api.services import get_clock
from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.models import Depot, Shipment, ShipmentKind, TrackingStatus, Vehicle
from lingxi.data.repos import fleet, orders
from lingxi.data.repos.fleet import RouteView, StopView
from lingxi.dispatch import (
    eta_for_shipment,
    load_network,
    plan_shipments,
    planned_position,
    report_traffic,
)
from lingxi.dispatch.roadnet import RoadNetwork
from lingxi.errors import InvalidInputError
from tests.helpers import PASSWORD, Seeded, add_staff, seed

pytestmark = pytest.mark.slow
DAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
"""The tests' clock: early on the planned day, before the vans' shift (08:00-18:00)."""


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    """The shipped Monaco network (read once)."""
    return load_network()


def _setup(db: Database) -> tuple[Seeded, list[int], list[int]]:
    """Two households, a depot with two vans, and four confirmed orders (two each)."""
    ids = seed(db)
    with db.session() as s:
        depot = Depot(name="Fontvieille", lat=43.72905, lon=7.41520)
        s.add(depot)
        s.flush()
        for name in ("van-1", "van-2"):
            s.add(Vehicle(depot_id=depot.id, name=name, capacity=10))
        mine: list[int] = []
        theirs: list[int] = []
        for household, customer, address, bucket in (
            (ids.household_a, ids.alice, ids.alice_address, mine),
            (ids.household_b, ids.bob, ids.bob_address, theirs),
        ):
            for _ in range(2):
                o = orders.create_order(
                    s,
                    household_id=household,
                    customer_id=customer,
                    lines=[orders.LineRequest(ids.products[0], 1)],
                    address_id=address,
                )
                o = orders.confirm_order(s, household_id=household, order_id=o.id)
                bucket.append(o.shipments[0].id)
    return ids, mine, theirs


def test_plan_writes_routes_and_etas(db: Database, network: RoadNetwork) -> None:
    """Every open shipment gets a route stop and an ETA inside the vans' shift."""
    _ids, mine, theirs = _setup(db)
    plan = plan_shipments(db, DAY, network=network)
    doc = plan.to_dict()
    planned = sorted(s["shipment_id"] for r in doc["routes"] for s in r["stops"])
    assert planned == sorted(mine + theirs)
    assert doc["feasible"] and not doc["unassigned"]
    assert all(len(r["geometry"]) > 2 for r in doc["routes"])
    for sid in mine:
        eta = eta_for_shipment(db, sid, now=NOW)
        assert eta["route"] is not None
        when = datetime.fromisoformat(eta["eta"])
        assert 8 <= when.hour < 18
        position = eta["vehicle_position"]
        if eta["route"]["stops_away"] >= 2:  # customers see the van only while it is near
            assert position is None and eta["position_hidden"] == "not_near"
            continue
        assert position["source"] == "plan" and position["at"] == NOW.isoformat()
        assert 43.72 < position["lat"] < 43.76 and 7.40 < position["lon"] < 7.45


def _returns_setup(db: Database, return_units: int) -> tuple[int, int]:
    """One van (capacity 10); Alice's delivery of 6 units and Bob's return of ``return_units``."""
    ids = seed(db)
    with db.session() as s:
        depot = Depot(name="Fontvieille", lat=43.72905, lon=7.41520)
        s.add(depot)
        s.flush()
        s.add(Vehicle(depot_id=depot.id, name="van-1", capacity=10))
        made = []
        for household, customer, address in (
            (ids.household_a, ids.alice, ids.alice_address),
            (ids.household_b, ids.bob, ids.bob_address),
        ):
            o = orders.create_order(
                s,
                household_id=household,
                customer_id=customer,
                lines=[orders.LineRequest(ids.products[0], 1)],
                address_id=address,
            )
            made.append(orders.confirm_order(s, household_id=household, order_id=o.id))
        delivery = s.get(Shipment, made[0].shipments[0].id)
        assert delivery is not None
        delivery.demand = 6
        # Bob's parcel is already with him; what is left is his return.
        bobs = s.get(Shipment, made[1].shipments[0].id)
        assert bobs is not None
        bobs.status = TrackingStatus.DELIVERED.value
        ret = Shipment(
            order_id=made[1].id,
            tracking_number="RET-TEST-1",
            demand=return_units,
            kind=ShipmentKind.RETURN.value,
        )
        s.add(ret)
        s.flush()
        return delivery.id, ret.id


def test_returns_are_planned_as_pickups(db: Database, network: RoadNetwork) -> None:
    """A return is collected after the delivery that frees room for it: the van carries 6,
    then 0, then 6, never the 12 it would hold picking the return up first."""
    delivery, ret = _returns_setup(db, 6)
    doc = plan_shipments(db, DAY, network=network).to_dict()
    assert doc["feasible"] and not doc["unassigned"]
    (route,) = doc["routes"]
    stops = route["stops"]
    assert [(s["shipment_id"], s["kind"]) for s in stops] == [
        (delivery, "delivery"),
        (ret, "return"),
    ]
    assert [s["load_after"] for s in stops] == [0, 6]
    assert route["max_load"] == 6


def test_return_above_every_capacity_is_refused(db: Database, network: RoadNetwork) -> None:
    """A return no van can carry is refused, naming the shipment."""
    _delivery, ret = _returns_setup(db, 11)
    with pytest.raises(InvalidInputError, match=rf"Shipment {ret} returns 11 units"):
        plan_shipments(db, DAY, network=network)


def test_planned_position_moves_along_the_road_line() -> None:
    """The vehicle waits at stops and moves along the geometry in proportion to time between them."""
    t = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    stops = (
        StopView(1, 1, None, 0.0, 1.0, t, t + timedelta(minutes=5), None, "planned"),
        StopView(
            2,
            2,
            None,
            0.0,
            3.0,
            t + timedelta(minutes=25),
            t + timedelta(minutes=30),
            None,
            "planned",
        ),
    )
    route = RouteView(
        1,
        1,
        "van-1",
        DAY,
        1,
        "planned",
        0,
        0,
        [[0.0, 0.0], [0.0, 1.0], [0.0, 2.0], [0.0, 3.0]],
        stops,
    )
    at = lambda minutes: planned_position(route, t + timedelta(minutes=minutes))  # noqa: E731
    assert (at(-60)["lat"], at(-60)["lon"]) == (0.0, 0.0)  # type: ignore[index]
    assert at(2)["lon"] == 1.0  # type: ignore[index]
    assert at(15)["lon"] == pytest.approx(2.0)  # type: ignore[index]
    assert at(90)["lon"] == 3.0  # type: ignore[index]
    assert planned_position(RouteView(1, 1, "v", DAY, 1, "planned", 0, 0, [], stops), t) is None


@pytest.mark.parametrize(
    ("now", "planned_day", "earliest_hour"),
    [
        (datetime(2026, 11, 26, 13, 30, tzinfo=UTC), DAY, 13),
        (datetime(2026, 11, 26, 23, 0, tzinfo=UTC), DAY + timedelta(days=1), 8),
    ],
)
def test_plan_starts_from_now_or_rolls_to_tomorrow(
    db: Database, network: RoadNetwork, now: datetime, planned_day: date, earliest_hour: int
) -> None:
    """No vehicle leaves before ``not_before``; after every shift has ended the plan is for tomorrow."""
    _ids, mine, _theirs = _setup(db)
    plan = plan_shipments(db, DAY, network=network, not_before=now)
    assert plan.day == planned_day
    for sid in mine:
        when = datetime.fromisoformat(eta_for_shipment(db, sid)["eta"])
        assert when.date() == planned_day and when >= now.replace(hour=earliest_hour, minute=0)
        assert when > now or planned_day > now.date()


def test_traffic_report_moves_etas_and_adds_tracking(db: Database, network: RoadNetwork) -> None:
    """A heavy slowdown over the area pushes ETAs later and records tracking events."""
    _ids, mine, theirs = _setup(db)
    plan_shipments(db, DAY, network=network)
    before = {sid: eta_for_shipment(db, sid)["eta"] for sid in mine + theirs}
    start = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    result = report_traffic(
        db,
        day=DAY,
        kind="zone",
        area={"lat": 43.733, "lon": 7.42, "radius_m": 1500},
        speed_factor=0.2,
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        network=network,
    )
    assert result.eta_changes
    for sid, new in result.eta_changes:
        assert new > datetime.fromisoformat(before[sid])
        with db.session() as s:
            view = orders.get_shipment(s, shipment_id=sid)
        assert view.events and view.events[-1].eta == new
        assert "traffic report" in view.events[-1].note


def test_traffic_after_a_plan_made_mid_shift_replans_it(db: Database, network: RoadNetwork) -> None:
    """A plan made at 11:00 leaves then, not at the shift's 08:00 start: a traffic report a
    minute later finds its stops ahead and re-plans them (it found every stop in the past)."""
    _ids, mine, theirs = _setup(db)
    made = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
    plan_shipments(db, DAY, network=network, not_before=made)
    start = made + timedelta(minutes=1)
    result = report_traffic(
        db,
        day=DAY,
        kind="zone",
        area={"lat": 43.733, "lon": 7.42, "radius_m": 1500},
        speed_factor=0.2,
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        network=network,
    )
    assert result.routes_replanned and result.eta_changes
    assert all(new > start for _, new in result.eta_changes)


def test_api_member_sees_only_own_shipment(
    db: Database, settings: Settings, network: RoadNetwork
) -> None:
    """Staff plan the fleet; customers (an owner too) may not, and see their own ETA and route
    map only."""
    _ids, mine, theirs = _setup(db)
    add_staff(db)
    with TestClient(_app(settings, db)) as client:
        alice = _login(client, "alice@example.org")
        bob = _login(client, "bob@example.org")
        staff = _login(client, "ops@example.org")
        for customer in (alice, bob):
            r = client.post("/api/dispatch/plan", json={"day": DAY.isoformat()}, headers=customer)
            assert r.status_code == 403 and r.json()["error"]["details"]["act"] == "fleet"
        r = client.post(
            "/api/dispatch/plan", json={"day": DAY.isoformat(), "time_limit_s": 1}, headers=staff
        )
        assert r.status_code == 200, r.text
        r = client.get(f"/api/dispatch/shipments/{mine[0]}/eta", headers=alice)
        assert r.status_code == 200 and r.json()["route"]["vehicle"].startswith("van-")
        assert client.get(f"/api/dispatch/shipments/{mine[0]}/eta", headers=bob).status_code == 404
        r = client.get(f"/api/dispatch/shipments/{theirs[0]}/route.svg", headers=bob)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        assert "<polyline" in r.text
        r = client.get(f"/api/dispatch/shipments/{theirs[0]}/route.geojson", headers=bob)
        kinds = [f["geometry"]["type"] for f in r.json()["features"]]
        assert kinds == ["LineString", "Point"]
        report = {
            "kind": "zone",
            "lat": 43.73,
            "lon": 7.42,
            "speed_factor": 0.5,
            "starts_at": "2026-11-26T08:00:00Z",
            "ends_at": "2026-11-26T09:00:00Z",
            "day": DAY.isoformat(),
        }
        r = client.post("/api/dispatch/traffic", json={**report, "radius_m": 500}, headers=alice)
        assert r.status_code == 403
        r = client.post("/api/dispatch/traffic", json=report, headers=staff)
        assert r.status_code == 422  # a zone needs its radius
        assert "radius_m" in r.text


def test_api_plans_and_replans_in_a_solver_process(db: Database, settings: Settings) -> None:
    """Plan and traffic re-plan run in a worker process (so a search does not stall the other
    requests); what it writes is what the API reads, and its errors come back whole."""
    _ids, mine, _theirs = _setup(db)
    add_staff(db)
    with TestClient(_app(settings, db)) as client:
        alice = _login(client, "alice@example.org")
        staff = _login(client, "ops@example.org")
        r = client.post(
            "/api/dispatch/plan", json={"day": DAY.isoformat(), "time_limit_s": 1}, headers=staff
        )
        assert r.status_code == 200, r.text
        assert client.app.state.container.solver_workers.started  # type: ignore[attr-defined]
        before = client.get(f"/api/dispatch/shipments/{mine[0]}/eta", headers=alice).json()
        start = datetime.fromisoformat(before["eta"]) - timedelta(hours=3)
        report = {
            "kind": "zone",
            "lat": 43.733,
            "lon": 7.42,
            "radius_m": 1500,
            "speed_factor": 0.2,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=12)).isoformat(),
            "day": DAY.isoformat(),
        }
        r = client.post("/api/dispatch/traffic", json=report, headers=staff)
        assert r.status_code == 200, r.text
        after = client.get(f"/api/dispatch/shipments/{mine[0]}/eta", headers=alice).json()
        assert after["eta"] > before["eta"]
        with db.session() as s:
            assert "traffic report" in orders.get_shipment(s, shipment_id=mine[0]).events[-1].note
        r = client.post(
            "/api/dispatch/traffic",
            json={**report, "kind": "segment", "way_id": 1, "lat": None, "lon": None},
            headers=staff,
        )
        assert r.status_code == 422, r.text  # raised in the worker, answered as the error tree
        error = r.json()["error"]
        assert error["details"]["field"] == "area" and "way_id" in error["message"], r.text


def test_api_traffic_outside_the_planned_day_is_refused(
    db: Database, settings: Settings, network: RoadNetwork
) -> None:
    """A report whose span misses the planned day is a 422 naming the field and the value; it is
    not saved and leaves the ETAs alone. A time without a zone offset is a 422 too."""
    _ids, mine, _theirs = _setup(db)
    plan_shipments(db, DAY, network=network)
    before = eta_for_shipment(db, mine[0], now=NOW)["eta"]
    add_staff(db)
    report = {
        "kind": "zone",
        "lat": 43.733,
        "lon": 7.42,
        "radius_m": 1500,
        "speed_factor": 0.2,
        "starts_at": "2026-12-02T08:00:00Z",
        "ends_at": "2026-12-02T12:00:00Z",
        "day": DAY.isoformat(),
    }
    with TestClient(_app(settings, db)) as client:
        staff = _login(client, "ops@example.org")
        r = client.post("/api/dispatch/traffic", json=report, headers=staff)
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["details"]["field"] == "starts_at"
        assert (
            "2026-12-02T08:00:00+00:00" in error["message"] and DAY.isoformat() in error["message"]
        )
        r = client.post(
            "/api/dispatch/traffic",
            json={**report, "starts_at": "2026-11-26T08:00:00", "ends_at": "2026-11-26T12:00:00"},
            headers=staff,
        )
        assert r.status_code == 422 and "starts_at" in r.text, r.text
    with db.session() as s:
        assert (
            fleet.traffic_overlapping(
                s, start=NOW - timedelta(days=30), end=NOW + timedelta(days=30)
            )
            == []
        )
    assert eta_for_shipment(db, mine[0], now=NOW)["eta"] == before


def _app(settings: Settings, db: Database) -> FastAPI:
    """The app over ``db`` with its clock pinned to :data:`NOW`."""
    app = create_app(settings, database=db)
    app.dependency_overrides[get_clock] = lambda: lambda: NOW
    return app


def _login(client: TestClient, email: str) -> dict[str, str]:
    r = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}
