"""`lingxi fleet ...` and `/api/fleet` on SQLite and PostgreSQL: depots, vehicles and service
areas of an imported city (West Oakland), checked against it, and planning in it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lingxi.api import create_app
from lingxi.cli.fleet import app
from lingxi.config import DatabaseSettings, Settings, get_settings
from lingxi.data import Database
from lingxi.data.repos import identity, orders
from lingxi.data.repos.fleet import DepotView
from lingxi.data.repos.fleet_setup import AreaView
from lingxi.dispatch import import_city, use_city
from lingxi.dispatch.fleet import District, districts, inside
from tests.conftest import SHARED_DATA
from tests.helpers import add_staff, seed, sign_in

OAKLAND = SHARED_DATA / "osm" / "West-Oakland.osm.bz2"
DAY = date(2026, 11, 26)
HUB = ("37.8080", "-122.2990")
PORT = ("37.8150", "-122.2950")
HOMES = [(37.8075, -122.3010), (37.8100, -122.2970), (37.8140, -122.2940), (37.8065, -122.2960)]
"""Delivery addresses inside West Oakland's roads."""

runner = CliRunner()


@pytest.fixture
def oakland(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """West Oakland imported and active; the CLI on ``db`` and a temporary data dir."""
    monkeypatch.setenv("LINGXI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LINGXI_DB__URL", db.engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("LINGXI_DISPATCH__CITY", raising=False)
    get_settings.cache_clear()
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        db=DatabaseSettings(url=f"sqlite:///{tmp_path / 'unused.db'}"),
    )
    import_city(OAKLAND, name="west-oakland", settings=settings)
    use_city(settings, "west-oakland")
    yield settings
    get_settings.cache_clear()


def fleet(*args: str) -> tuple[int, dict[str, Any]]:
    """Run ``lingxi fleet ARGS --json``: exit code and the document."""
    result = runner.invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def _error(args: tuple[str, ...]) -> tuple[int, str, dict[str, Any]]:
    code, doc = fleet(*args)
    return code, doc["error"]["message"], doc["error"]["details"]


def _add_fleet() -> None:
    assert fleet("depot", "add", "Hub", "--lat", HUB[0], "--lon", HUB[1])[0] == 0
    assert fleet("depot", "add", "Port", "--lat", PORT[0], "--lon", PORT[1])[0] == 0
    code, doc = fleet("vehicle", "add", "oak-1", "--capacity", "6", "--depot", "Hub")
    assert code == 0, doc
    code, doc = fleet(
        "vehicle", "add", "oak-2", "--capacity", "6", "--depot", "Hub", "--end-depot", "Port"
    )
    assert code == 0 and doc["end_depot"] == "Port", doc


def test_fleet_cli_validates_names_field_and_value(oakland: Settings) -> None:
    """Depots outside the city, capacity <= 0, a shift ending before it starts and an unknown
    depot are refused (exit 2) naming the field and value; what is set is listed and removed."""
    _add_fleet()
    cases: list[tuple[tuple[str, ...], str, str]] = [
        (("depot", "add", "Far", "--lat", "43.73", "--lon", "7.42"), "lat", "43.73"),
        (("vehicle", "add", "v", "--capacity", "0", "--depot", "Hub"), "capacity", "Got 0"),
        (
            ("vehicle", "add", "v", "--capacity", "3", "--depot", "Hub", "--shift-start", "09:00")
            + ("--shift-end", "08:00"),
            "shift_end",
            "'08:00'",
        ),
        (
            ("vehicle", "add", "v", "--capacity", "3", "--depot", "Nowhere"),
            "start_depot",
            "Nowhere",
        ),
        (
            ("vehicle", "add", "v", "--capacity", "3", "--depot", "Hub", "--shift-end", "25:00"),
            "shift_end",
            "25:00",
        ),
        (("area", "add", "a", "--polygon", "[[1, 2], [3, 4]]"), "polygon", "[[1, 2]"),
        (("area", "add", "a", "--bbox", "7.40,43.72,7.44,43.75"), "bbox", "7.4"),
    ]
    for args, field, value in cases:
        code, message, details = _error(args)
        assert code == 2, (args, message)
        assert details["field"] == field and value in message and field in message, message
    code, doc = fleet("vehicle", "list")
    assert code == 0 and [(v["name"], v["start_depot"], v["end_depot"]) for v in doc["data"]] == [
        ("oak-1", "Hub", "Hub"),
        ("oak-2", "Hub", "Port"),
    ]
    code, doc = fleet("area", "add", "west", "--bbox=-122.31,37.80,-122.29,37.82")
    assert code == 0 and doc["kind"] == "bbox" and doc["depot"] is None
    code, message, _ = _error(("depot", "remove", "Port"))
    assert code == 1 and "oak-2" in message  # a vehicle still ends there
    assert fleet("vehicle", "remove", "oak-2")[0] == 0
    assert fleet("depot", "remove", "Port")[0] == 0
    assert fleet("area", "remove", "west")[0] == 0
    code, doc = fleet("depot", "list")
    assert [d["name"] for d in doc["data"]] == ["Hub"] and doc["data"][0]["city"] == "west-oakland"
    code, doc = fleet("depot", "list", "--city", "monaco")
    assert code == 0 and doc["count"] == 0


def _shipments(db: Database) -> dict[str, int]:
    """One order per address: four in West Oakland, one in Monaco (seed's own address)."""
    ids = seed(db)
    out: dict[str, int] = {}
    with db.session() as s:
        addresses = [
            identity.add_address(
                s, customer_id=ids.alice, line1=f"{k} Oak St", city="Oakland", lat=lat, lon=lon
            )
            for k, (lat, lon) in enumerate(HOMES)
        ]
        for name, address in [*((f"oak{k}", a) for k, a in enumerate(addresses))] + [
            ("monaco", ids.alice_address)
        ]:
            o = orders.create_order(
                s,
                household_id=ids.household_a,
                customer_id=ids.alice,
                lines=[orders.LineRequest(ids.products[0], 1)],
                address_id=address,
            )
            o = orders.confirm_order(s, household_id=ids.household_a, order_id=o.id)
            out[name] = o.shipments[0].id
    return out


@pytest.mark.slow
def test_plan_in_west_oakland_with_the_cli_fleet(db: Database, oakland: Settings) -> None:
    """With West Oakland active and its fleet set by CLI, its open shipments get planned; one in
    Monaco is left out (outside_city); a depot's own area makes its district."""
    _add_fleet()
    ships = _shipments(db)
    code, doc = fleet("plan", DAY.isoformat(), "--time-limit", "0.3")
    assert code == 0, doc
    assert doc["city"] == "west-oakland" and doc["feasible"]
    planned = sorted(s["shipment_id"] for r in doc["routes"] for s in r["stops"])
    assert planned == sorted(v for k, v in ships.items() if k != "monaco")
    assert doc["unassigned"] == [{"shipment_id": ships["monaco"], "reason": "outside_city"}]
    assert {r["vehicle"] for r in doc["routes"]} <= {"oak-1", "oak-2"}
    # Port gets a vehicle and its own district north of 37.812; the rest of the city is shared.
    assert fleet("vehicle", "add", "port-1", "--capacity", "6", "--depot", "Port")[0] == 0
    north = "--bbox=-122.31,37.812,-122.28,37.82"
    assert fleet("area", "add", "north", north, "--depot", "Port")[0] == 0
    assert fleet("area", "add", "south", "--bbox=-122.31,37.80,-122.28,37.812")[0] == 0
    code, doc = fleet("plan", DAY.isoformat(), "--time-limit", "0.3")
    assert code == 0, doc
    served = {s["shipment_id"]: r["vehicle"] for r in doc["routes"] for s in r["stops"]}
    assert served[ships["oak2"]] == "port-1"  # (37.8140, -122.2940): in Port's district
    assert all(served[ships[k]] in ("oak-1", "oak-2") for k in ("oak0", "oak1", "oak3"))


def test_fleet_api_is_staff_only_and_serves_the_active_city(
    db: Database, oakland: Settings
) -> None:
    """Staff set depots, vehicles and areas over HTTP with typed answers; customers get 403;
    bad input is a 422 naming the field; the web map draws the active city's roads."""
    seed(db)
    add_staff(db)
    with TestClient(create_app(oakland, database=db)) as client:
        alice = sign_in(client, "alice@example.org")
        staff = sign_in(client, "ops@example.org")
        depot = {"name": "Hub", "lat": float(HUB[0]), "lon": float(HUB[1])}
        vehicle = {"name": "oak-1", "capacity": 5, "start_depot": "Hub"}
        for method, path, body in [
            ("GET", "/api/fleet", None),
            ("GET", "/api/fleet/cities", None),
            ("PUT", "/api/fleet/city", {"name": "monaco"}),
            ("POST", "/api/fleet/depots", depot),
            ("POST", "/api/fleet/vehicles", vehicle),
            ("DELETE", "/api/fleet/depots/Hub", None),
        ]:
            r = client.request(method, path, json=body, headers=alice)
            assert r.status_code == 403, (path, r.text)
        r = client.post("/api/fleet/depots", json=depot, headers=staff)
        assert r.status_code == 201 and r.json()["city"] == "west-oakland", r.text
        r = client.post(
            "/api/fleet/depots", json={**depot, "name": "Far", "lat": 43.7}, headers=staff
        )
        assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "lat"
        cases: list[tuple[dict[str, Any], str]] = [
            ({"capacity": -1}, "capacity"),
            ({"shift_start": "10:00", "shift_end": "09:30"}, "shift_end"),
            ({"start_depot": "Nowhere"}, "start_depot"),
        ]
        for bad, field in cases:
            r = client.post("/api/fleet/vehicles", json={**vehicle, **bad}, headers=staff)
            assert r.status_code == 422 and r.json()["error"]["details"]["field"] == field, r.text
        r = client.post("/api/fleet/vehicles", json=vehicle, headers=staff)
        assert r.status_code == 201 and r.json()["end_depot"] == "Hub", r.text
        area = {"name": "all", "polygon": [[-122.31, 37.80], [-122.28, 37.80], [-122.29, 37.82]]}
        r = client.post("/api/fleet/areas", json=area, headers=staff)
        assert r.status_code == 201 and r.json()["kind"] == "polygon", r.text
        r = client.get("/api/fleet", headers=staff)
        doc = r.json()
        assert doc["city"] == "west-oakland" and len(doc["depots"]) == len(doc["vehicles"]) == 1
        roads = client.get("/api/web/city.geojson", headers=staff).json()
        lon, lat = roads["features"][0]["geometry"]["coordinates"][0][0]
        assert 37.80 < lat < 37.82 and -122.31 < lon < -122.28  # Oakland's roads, not Monaco's
        r = client.put("/api/fleet/city", json={"name": "atlantis"}, headers=staff)
        assert r.status_code == 404 and r.json()["error"]["details"]["value"] == "atlantis"
        r = client.get("/api/fleet/cities", headers=staff)
        assert [c["name"] for c in r.json()["data"]] == ["monaco", "west-oakland"]
        r = client.delete("/api/fleet/vehicles/oak-1", headers=staff)
        assert r.status_code == 200 and r.json()["name"] == "oak-1"


def test_districts_split_shipments_by_service_area() -> None:
    """No areas: every depot serves every shipment; with areas, one outside them all is left
    out, one in a depot's own area goes to that depot, the rest to the depots without one."""
    square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
    assert inside(0.5, 0.5, square) and not inside(1.5, 0.5, square)
    depots = [
        DepotView(1, "A", 0.1, 0.1, 0, 86400, "c"),
        DepotView(2, "B", 0.9, 0.9, 0, 86400, "c"),
    ]
    points = {10: (0.2, 0.2), 11: (0.8, 0.8), 12: (5.0, 5.0)}
    assert districts(depots, [], points) == ([District((1, 2), None)], {})
    areas = [
        AreaView(1, "city", "c", None, "bbox", square),
        AreaView(2, "b-own", "c", 2, "bbox", [[0.7, 0.7], [1.0, 0.7], [1.0, 1.0], [0.7, 1.0]]),
    ]
    groups, left_out = districts(depots, areas, points)
    assert left_out == {12: "outside_service_area"}
    assert groups == [District((2,), frozenset({11})), District((1,), frozenset({10}))]
