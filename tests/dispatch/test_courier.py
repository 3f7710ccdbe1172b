"""Couriers over the real API on SQLite and PostgreSQL: stops, exactly-once delivery, positions
that re-compute ETAs, what customers see, and the hostile cases."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lingxi.api import create_app
from lingxi.api.services import get_clock
from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.models import Depot, Role, TrackingEvent, Vehicle
from lingxi.data.repos import courier as courier_repo, fleet, identity, orders
from lingxi.dispatch import load_network
from lingxi.dispatch.courier import NEAR_MINUTES
from lingxi.dispatch.roadnet import RoadNetwork
from tests.helpers import PASSWORD, Seeded, add_staff, seed, sign_in

DAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 8, 50, tzinfo=UTC)
DEPOT = (43.72905, 7.41520)
# Three doors in Monaco, in route order.
DOORS = [(43.7335118, 7.4203302), (43.7396, 7.4276), (43.7425, 7.4260)]


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    """The shipped Monaco network (read once)."""
    return load_network()


@dataclass
class World:
    """A van-1 route with three stops (Alice, Bob, Alice), two couriers and a clock."""

    ids: Seeded
    client: TestClient
    clock: list[datetime]
    shipments: list[int]
    """In route order: Alice's, Bob's, Alice's."""
    route_id: int
    courier: dict[str, str]
    other_courier: dict[str, str]
    alice: dict[str, str]
    bob: dict[str, str]
    staff: dict[str, str]

    def at(self, when: datetime) -> None:
        """Set the app's clock."""
        self.clock[0] = when


def _courier(db: Database, email: str, vehicle: str) -> int:
    with db.session() as s:
        cid = identity.create_customer(
            s,
            household_id=identity.deployment_household(s),
            email=email,
            display_name=email.split("@")[0],
            password=PASSWORD,
            role=Role.COURIER,
        )
        courier_repo.assign_vehicle(s, customer_id=cid, vehicle_name=vehicle)
    return cid


def _order(db: Database, household: int, customer: int, address: int, product: int) -> int:
    with db.session() as s:
        o = orders.create_order(
            s,
            household_id=household,
            customer_id=customer,
            lines=[orders.LineRequest(product, 1)],
            address_id=address,
        )
        o = orders.confirm_order(s, household_id=household, order_id=o.id)
        return o.shipments[0].id


def _world(db: Database, settings: Settings) -> Iterator[World]:
    ids = seed(db)
    with db.session() as s:
        depot = Depot(name="Fontvieille", lat=DEPOT[0], lon=DEPOT[1])
        s.add(depot)
        s.flush()
        for name in ("van-1", "van-2"):
            s.add(Vehicle(depot_id=depot.id, name=name, capacity=10))
    _courier(db, "sam@courier.example", "van-1")
    _courier(db, "kim@courier.example", "van-2")
    add_staff(db)
    p = ids.products[0]
    ships = [
        _order(db, ids.household_a, ids.alice, ids.alice_address, p),
        _order(db, ids.household_b, ids.bob, ids.bob_address, p),
        _order(db, ids.household_a, ids.alice, ids.alice_address, p),
    ]
    with db.session() as s:
        van = s.scalar(select(Vehicle.id).where(Vehicle.name == "van-1"))
        assert van is not None
        start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
        stops = tuple(
            fleet.StopSpec(
                lat=lat,
                lon=lon,
                shipment_id=sid,
                planned_arrival=start + timedelta(minutes=10 * k),
                planned_departure=start + timedelta(minutes=10 * k + 3),
            )
            for k, (sid, (lat, lon)) in enumerate(zip(ships, DOORS, strict=True))
        )
        (route_id,) = fleet.save_routes(
            s,
            plan_date=DAY,
            routes=[
                fleet.RouteSpec(
                    vehicle_id=van,
                    distance_m=5000,
                    duration_s=1800,
                    stops=stops,
                    geometry=[list(DEPOT)] + [[lat, lon] for lat, lon in DOORS],
                )
            ],
        )
        for st in stops:
            assert st.shipment_id is not None and st.planned_arrival is not None
            orders.set_shipment_eta(s, shipment_id=st.shipment_id, eta=st.planned_arrival)
    clock = [NOW]
    app = create_app(settings, database=db)
    app.dependency_overrides[get_clock] = lambda: lambda: clock[0]
    with TestClient(app) as client:
        yield World(
            ids,
            client,
            clock,
            ships,
            route_id,
            sign_in(client, "sam@courier.example"),
            sign_in(client, "kim@courier.example"),
            sign_in(client, "alice@example.org"),
            sign_in(client, "bob@example.org"),
            sign_in(client, "ops@example.org"),
        )


@pytest.fixture
def world(db: Database, settings: Settings) -> Iterator[World]:
    """The route, the couriers and the customers, on SQLite and PostgreSQL."""
    yield from _world(db, settings)


@pytest.fixture
def sqlite_world(sqlite_db: Database, settings: Settings) -> Iterator[World]:
    """The same on SQLite only (input validation does not depend on the database)."""
    yield from _world(sqlite_db, settings)


def _events(db: Database, shipment_id: int, status: str) -> int:
    with db.session() as s:
        return int(
            s.scalar(
                select(func.count(TrackingEvent.id)).where(
                    TrackingEvent.shipment_id == shipment_id, TrackingEvent.status == status
                )
            )
            or 0
        )


def _pos(lat: float, lon: float, at: datetime, **extra: object) -> dict[str, object]:
    return {"lat": lat, "lon": lon, "accuracy": 8, "recorded_at": at.isoformat(), **extra}


def test_courier_sees_the_days_stops_in_order_with_navigation(world: World) -> None:
    """The courier gets van-1's three stops in route order, each with geo: and OSM links."""
    r = world.client.get("/api/courier/stops", headers=world.courier)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["vehicle"] == "van-1" and doc["day"] == DAY.isoformat()
    assert [s["shipment_id"] for s in doc["stops"]] == world.shipments
    assert [s["sequence"] for s in doc["stops"]] == [1, 2, 3]
    first = doc["stops"][0]
    assert first["navigation"]["geo"].startswith("geo:43.733512,7.420330")
    assert first["navigation"]["osm"].startswith("https://www.openstreetmap.org/directions?")
    assert first["recipient"] == "Alice" and "Quai Antoine" in first["address"]


def test_courier_routes_are_refused_to_customers_and_staff(world: World) -> None:
    """Customers (and staff, who drive nothing) get 403 on every courier route; anonymous 401."""
    sid = world.shipments[0]
    calls = [
        ("get", "/api/courier/stops", None),
        ("post", "/api/courier/start", None),
        ("post", f"/api/courier/stops/{sid}/delivered", {}),
        ("post", f"/api/courier/stops/{sid}/failed", {"reason": "not_home"}),
        ("post", "/api/courier/position", _pos(*DOORS[0], NOW)),
    ]
    for headers in (world.alice, world.bob, world.staff):
        for method, path, body in calls:
            r = world.client.request(method, path, headers=headers, json=body)
            assert r.status_code == 403, (path, r.text)
            assert r.json()["error"]["details"]["act"] == "courier"
    world.client.cookies.clear()  # sign-in left a session cookie
    assert world.client.get("/api/courier/stops").status_code == 401


def test_a_double_tap_delivers_once(world: World, db: Database) -> None:
    """Delivered twice: one tracking event; the second answer says nothing was recorded."""
    sid = world.shipments[0]
    first = world.client.post(f"/api/courier/stops/{sid}/delivered", headers=world.courier)
    again = world.client.post(f"/api/courier/stops/{sid}/delivered", headers=world.courier)
    assert first.status_code == again.status_code == 200
    assert first.json()["closed_now"] is True and again.json()["closed_now"] is False
    assert _events(db, sid, "delivered") == 1
    # The first tap set the route out: the other parcels are out for delivery now.
    assert sorted(first.json()["started"]) == sorted(world.shipments)
    stops = world.client.get("/api/courier/stops", headers=world.courier).json()["stops"]
    assert [s["status"] for s in stops] == ["delivered", "out_for_delivery", "out_for_delivery"]
    # Failing a delivered stop is a conflict, not a second event.
    r = world.client.post(
        f"/api/courier/stops/{sid}/failed", headers=world.courier, json={"reason": "not_home"}
    )
    assert r.status_code == 409 and r.json()["error"]["details"]["value"] == "delivered"
    assert _events(db, sid, "exception") == 0


def test_concurrent_delivered_taps_make_exactly_one_event(world: World, db: Database) -> None:
    """Eight taps at once on the same stop: one event, one ``closed_now``."""
    sid = world.shipments[1]
    world.client.post("/api/courier/start", headers=world.courier)

    def tap(_: int) -> dict[str, object]:
        r = world.client.post(f"/api/courier/stops/{sid}/delivered", headers=world.courier)
        assert r.status_code == 200, r.text
        doc: dict[str, object] = r.json()
        return doc

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(tap, range(8)))
    assert sum(1 for a in answers if a["closed_now"]) == 1
    assert _events(db, sid, "delivered") == 1


def test_a_failed_delivery_needs_a_known_reason(world: World, db: Database) -> None:
    """An unknown reason is a 422 naming ``reason``; a known one closes the stop as failed."""
    sid = world.shipments[2]
    path = f"/api/courier/stops/{sid}/failed"
    r = world.client.post(path, headers=world.courier, json={"reason": "bored"})
    assert r.status_code == 422 and "reason" in r.text
    r = world.client.post(path, headers=world.courier, json={"reason": "other"})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "note"
    r = world.client.post(path, headers=world.courier, json={"reason": "not_home", "note": "x"})
    assert r.status_code == 200 and r.json()["status"] == "exception"
    assert _events(db, sid, "exception") == 1


def test_another_couriers_stop_and_vehicle_are_refused(world: World) -> None:
    """Kim (van-2) may not close van-1's stops nor report positions as van-1 (403)."""
    sid = world.shipments[0]
    r = world.client.post(f"/api/courier/stops/{sid}/delivered", headers=world.other_courier)
    assert r.status_code == 403 and r.json()["error"]["details"]["field"] == "shipment_id"
    r = world.client.post(
        "/api/courier/position",
        headers=world.other_courier,
        json=_pos(*DOORS[0], NOW, vehicle="van-1"),
    )
    assert r.status_code == 403
    assert r.json()["error"]["details"] == {"field": "vehicle", "value": "van-1"}


@pytest.mark.parametrize(
    ("body", "field", "value"),
    [
        (_pos(48.8566, 2.3522, NOW), "lat", 48.8566),  # Paris
        (_pos(43.7384, 9.5, NOW), "lon", 9.5),
        (_pos(*DOORS[0], NOW + timedelta(hours=1)), "recorded_at", None),
        (_pos(*DOORS[0], NOW - timedelta(days=2)), "recorded_at", None),
    ],
)
def test_positions_far_away_or_at_odd_times_are_refused(
    sqlite_world: World, body: dict[str, object], field: str, value: float | None
) -> None:
    """Far outside the city, in the future or long ago: 422 naming the field and the value."""
    world = sqlite_world
    r = world.client.post("/api/courier/position", headers=world.courier, json=body)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["details"]["field"] == field
    assert str(value if value is not None else body["recorded_at"]) in err["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"lat": "43.7", "lon": 7.42, "recorded_at": NOW.isoformat()},
        {"lat": 43.7, "lon": 7.42, "recorded_at": "2026-11-26T08:50:00"},  # no zone
        {"lat": 91, "lon": 7.42, "recorded_at": NOW.isoformat()},
        {"lat": 43.7, "lon": 7.42, "accuracy": -1, "recorded_at": NOW.isoformat()},
        {"lat": 43.7, "lon": 7.42},
    ],
)
def test_malformed_positions_are_422(sqlite_world: World, body: dict[str, object]) -> None:
    """Strings for numbers, naive times, impossible values, missing fields: 422, never 500."""
    r = sqlite_world.client.post("/api/courier/position", headers=sqlite_world.courier, json=body)
    assert r.status_code == 422, r.text


def test_positions_move_the_eta_the_customer_sees(world: World) -> None:
    """A courier running late posts positions; Bob's ETA (stop 2) moves with them, comes from
    the position, and Bob sees where the courier is only once his parcel is next."""
    bob_sid = world.shipments[1]
    eta_url = f"/api/dispatch/shipments/{bob_sid}/eta"
    before = world.client.get(eta_url, headers=world.bob).json()
    assert before["eta_source"] == "plan" and before["eta"].startswith("2026-11-26T09:10")
    world.client.post("/api/courier/start", headers=world.courier)

    # 09:20 at the depot, 20 minutes behind the plan: every ETA slips.
    late = datetime(2026, 11, 26, 9, 20, tzinfo=UTC)
    world.at(late)
    r = world.client.post("/api/courier/position", headers=world.courier, json=_pos(*DEPOT, late))
    assert r.status_code == 200, r.text
    etas = {e["shipment_id"]: e["eta"] for e in r.json()["etas"]}
    assert list(etas) == world.shipments
    seen = world.client.get(eta_url, headers=world.bob).json()
    assert seen["eta"] == etas[bob_sid] and seen["eta_source"] == "position"
    assert datetime.fromisoformat(seen["eta"]) > late
    assert seen["eta_state"] == "upcoming"
    # Bob's parcel is the second stop: still near (next or within 2 stops): the courier shows.
    assert seen["vehicle_position"]["source"] == "courier"
    # Alice's second parcel is third: not near yet, so no position for her.
    alice_far = world.client.get(
        f"/api/dispatch/shipments/{world.shipments[2]}/eta", headers=world.alice
    ).json()
    assert datetime.fromisoformat(alice_far["eta"]) - late > timedelta(minutes=NEAR_MINUTES)
    assert alice_far["vehicle_position"] is None and alice_far["position_hidden"] == "not_near"

    # At Alice's door the first stop is delivered; the courier then drives on.
    world.client.post(f"/api/courier/stops/{world.shipments[0]}/delivered", headers=world.courier)
    on = late + timedelta(minutes=9)
    world.at(on)
    r = world.client.post("/api/courier/position", headers=world.courier, json=_pos(*DOORS[0], on))
    assert [e["shipment_id"] for e in r.json()["etas"]] == world.shipments[1:]
    moved = world.client.get(eta_url, headers=world.bob).json()
    assert moved["eta"] != seen["eta"] and moved["route"]["stops_away"] == 0
    assert moved["vehicle_position"]["lat"] == pytest.approx(DOORS[0][0])


def test_a_passed_eta_reads_late_not_upcoming(sqlite_world: World) -> None:
    """Without news from the courier, an ETA that has passed is ``late`` (being re-estimated)."""
    world = sqlite_world
    world.at(datetime(2026, 11, 26, 9, 40, tzinfo=UTC))
    doc = world.client.get(
        f"/api/dispatch/shipments/{world.shipments[1]}/eta", headers=world.bob
    ).json()
    assert doc["eta_state"] == "late"


def test_a_late_out_of_order_fix_moves_nothing(sqlite_world: World) -> None:
    """A fix older than the newest one is kept but re-estimates nothing."""
    world = sqlite_world
    world.client.post("/api/courier/start", headers=world.courier)
    world.client.post("/api/courier/position", headers=world.courier, json=_pos(*DOORS[0], NOW))
    old = NOW - timedelta(minutes=5)
    r = world.client.post("/api/courier/position", headers=world.courier, json=_pos(*DEPOT, old))
    assert r.status_code == 200 and r.json() == {"vehicle": "van-1", "newest": False, "etas": []}


def test_a_courier_without_a_vehicle_is_told_so(sqlite_world: World, sqlite_db: Database) -> None:
    """A courier with no vehicle assigned gets a 409 naming ``vehicle``, not a 500."""
    world, db = sqlite_world, sqlite_db
    with db.session() as s:
        identity.create_customer(
            s,
            household_id=identity.deployment_household(s),
            email="new@courier.example",
            display_name="New",
            password=PASSWORD,
            role=Role.COURIER,
        )
    headers = sign_in(world.client, "new@courier.example")
    r = world.client.get("/api/courier/stops", headers=headers)
    assert r.status_code == 409 and r.json()["error"]["details"]["field"] == "vehicle"


def test_a_vehicle_has_one_courier(sqlite_world: World, sqlite_db: Database) -> None:
    """Assigning van-1 to a second courier is refused; a customer cannot drive at all."""
    world, db = sqlite_world, sqlite_db
    from lingxi.errors import ConflictError, InvalidInputError

    with db.session() as s:
        kim = identity.find_customer_by_email(s, email="kim@courier.example")
        assert kim is not None
        with pytest.raises(ConflictError, match="van-1"):
            courier_repo.assign_vehicle(s, customer_id=kim.customer_id, vehicle_name="van-1")
        with pytest.raises(InvalidInputError, match="role"):
            courier_repo.assign_vehicle(s, customer_id=world.ids.alice, vehicle_name="van-2")


def test_a_re_planned_started_route_stays_under_way(
    sqlite_world: World, sqlite_db: Database
) -> None:
    """A traffic re-plan saves a new version of a started route: it is still under way, so the
    courier's positions keep re-computing its ETAs."""
    world, db = sqlite_world, sqlite_db
    world.client.post("/api/courier/start", headers=world.courier)
    with db.session() as s:
        (route,) = fleet.current_routes(s, plan_date=DAY)
        spec = fleet.RouteSpec(
            vehicle_id=route.vehicle_id,
            distance_m=route.distance_m,
            duration_s=route.duration_s,
            stops=tuple(
                fleet.StopSpec(lat=st.lat, lon=st.lon, shipment_id=st.shipment_id)
                for st in reversed(route.stops)
            ),
        )
        fleet.save_routes(s, plan_date=DAY, routes=[spec])
    doc = world.client.get("/api/courier/stops", headers=world.courier).json()
    assert doc["route_status"] == "active" and doc["route_id"] != route.id
    assert [s["shipment_id"] for s in doc["stops"]] == world.shipments[::-1]
    r = world.client.post("/api/courier/position", headers=world.courier, json=_pos(*DEPOT, NOW))
    assert [e["shipment_id"] for e in r.json()["etas"]] == world.shipments[::-1]


def test_the_operations_board_shows_the_couriers_position(sqlite_world: World) -> None:
    """Staff see where the courier last reported, not where the plan puts the van."""
    world = sqlite_world
    world.client.post("/api/courier/start", headers=world.courier)
    world.client.post("/api/courier/position", headers=world.courier, json=_pos(*DOORS[1], NOW))
    board = world.client.get("/api/ops/board", params={"day": DAY.isoformat()}, headers=world.staff)
    assert board.status_code == 200, board.text
    (route,) = [r for r in board.json()["routes"] if r["vehicle"] == "van-1"]
    assert route["position"]["source"] == "reported"
    assert (route["position"]["lat"], route["position"]["lon"]) == DOORS[1]
