"""Delivery windows of imported orders in planning, and traffic re-plans by district, on SQLite
and PostgreSQL with the real solver: orders come in with `lingxi orders import`, the fleet is set
and planned with `lingxi fleet ...`, traffic is reported over `/api/ops/traffic`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lingxi.api import create_app
from lingxi.api.services import get_clock
from lingxi.cli.fleet import app as fleet_app
from lingxi.cli.main import app as lingxi
from lingxi.config import Settings, get_settings
from lingxi.data import Database
from lingxi.data.repos import fleet, orders
from tests.helpers import add_staff, seed, sign_in

pytestmark = pytest.mark.slow
DAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
"""The API's clock: early on the planned day, before the vans' shift (08:00-18:00)."""
HEADER = "external_id,customer_email,line1,city,lat,lon,items,window_start,window_end"
WEST, EAST = (43.7320, 7.4195), (43.7440, 7.4295)
"""Two Monaco neighbourhoods: near the Fontvieille depot, and near Larvotto's."""

runner = CliRunner()


@pytest.fixture
def cli(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The CLI on ``db`` with the shipped city (Monaco) active; returns a scratch directory."""
    monkeypatch.setenv("LINGXI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LINGXI_DB__URL", db.engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("LINGXI_DISPATCH__CITY", raising=False)
    get_settings.cache_clear()
    seed(db)
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str) -> dict[str, Any]:
    """``lingxi ARGS --json`` (exit 0): its document."""
    app, rest = (fleet_app, args[1:]) if args[0] == "fleet" else (lingxi, args)
    result = runner.invoke(app, [*rest, "--json"])
    assert result.exit_code == 0, result.stdout
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _import(folder: Path, rows: list[tuple[str, tuple[float, float], str, str]]) -> dict[str, int]:
    """``lingxi orders import`` of one order per row (external id, point, window): shipment ids."""
    lines = [
        f"{ext},alice@example.org,{k} Rue Grimaldi,Monaco,{lat},{lon},T-1:1,{start},{end}"
        for k, (ext, (lat, lon), start, end) in enumerate(rows)
    ]
    path = folder / "orders.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    report = run("orders", "import", str(path))
    assert report["counts"]["created"] == len(rows), report
    return {r["external_id"]: r["shipment_id"] for r in report["orders"]}


def _inside(eta: datetime | str, start: int, end: int) -> bool:
    at = datetime.fromisoformat(eta) if isinstance(eta, str) else eta
    lo, hi = datetime(2026, 11, 26, start, tzinfo=UTC), datetime(2026, 11, 26, end, tzinfo=UTC)
    return lo <= at.astimezone(UTC) <= hi


def test_imported_windows_are_planned_inside_or_left_out(db: Database, cli: Path) -> None:
    """A 14:00-16:00 window (given as +01:00) gets its ETA inside it; a window after every shift
    and one on another day are not planned (time_window); an order without one is."""
    run("fleet", "depot", "add", "Fontvieille", "--lat", "43.72905", "--lon", "7.41520")
    run("fleet", "vehicle", "add", "van-1", "--capacity", "10", "--depot", "Fontvieille")
    ids = _import(
        cli,
        [
            ("W-1", WEST, "2026-11-26T15:00:00+01:00", "2026-11-26T17:00:00+01:00"),
            ("W-2", EAST, "2026-11-26T20:00:00Z", "2026-11-26T21:00:00Z"),
            ("W-3", EAST, "2026-11-27T10:00:00Z", "2026-11-27T12:00:00Z"),
            ("W-4", EAST, "", ""),
        ],
    )
    doc = run("fleet", "plan", DAY.isoformat(), "--time-limit", "0.3")
    etas = {s["shipment_id"]: s["eta"] for r in doc["routes"] for s in r["stops"]}
    assert set(etas) == {ids["W-1"], ids["W-4"]}, doc
    assert _inside(etas[ids["W-1"]], 14, 16), etas
    assert sorted((u["shipment_id"], u["reason"]) for u in doc["unassigned"]) == [
        (ids["W-2"], "time_window"),
        (ids["W-3"], "time_window"),
    ]
    with db.session() as s:
        view = orders.get_shipment(s, shipment_id=ids["W-1"])
    assert view.eta is not None and _inside(view.eta, 14, 16)
    assert view.to_dict()["window"] == {
        "start": "2026-11-26T14:00:00+00:00",
        "end": "2026-11-26T16:00:00+00:00",
    }


def _wait(client: TestClient, job_id: int, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        doc: dict[str, Any] = client.get(f"/api/ops/jobs/{job_id}", headers=headers).json()
        if doc["status"] in ("done", "failed"):
            return doc
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end")


def test_a_traffic_replan_keeps_each_district_and_the_windows(db: Database, cli: Path) -> None:
    """Two depots with their own areas: the day plan serves each area from its depot; a heavy
    slowdown over the city re-plans both routes, each shipment stays on its depot's van, and the
    14:00-16:00 window still holds its ETA."""
    for name, lat, lon in (
        ("Fontvieille", "43.72905", "7.41520"),
        ("Larvotto", "43.7445", "7.4300"),
    ):
        run("fleet", "depot", "add", name, "--lat", lat, "--lon", lon)
    run("fleet", "vehicle", "add", "fv-1", "--capacity", "10", "--depot", "Fontvieille")
    run("fleet", "vehicle", "add", "lv-1", "--capacity", "10", "--depot", "Larvotto")
    run(
        "fleet",
        "area",
        "add",
        "west",
        "--bbox=7.40,43.72,7.4240,43.738",
        "--depot",
        "Fontvieille",
    )
    run("fleet", "area", "add", "east", "--bbox=7.4240,43.72,7.45,43.76", "--depot", "Larvotto")
    window = ("2026-11-26T14:00:00Z", "2026-11-26T16:00:00Z")
    ids = _import(
        cli,
        [
            ("E-1", EAST, *window),
            ("E-2", (43.7400, 7.4270), "", ""),
            ("W-1", WEST, "", ""),
            ("W-2", (43.7350, 7.4210), *window),
        ],
    )
    home = {ids["E-1"]: "lv-1", ids["E-2"]: "lv-1", ids["W-1"]: "fv-1", ids["W-2"]: "fv-1"}
    doc = run("fleet", "plan", DAY.isoformat(), "--time-limit", "0.3")
    assert {s["shipment_id"]: r["vehicle"] for r in doc["routes"] for s in r["stops"]} == home
    add_staff(db)
    settings = Settings(
        environment="test",
        data_dir=cli,
        db={"url": f"sqlite:///{cli / 'unused.db'}"},
        rate_limit={"enabled": False},
        dispatch={"solver_processes": 0},
    )
    api = create_app(settings, database=db)
    api.dependency_overrides[get_clock] = lambda: lambda: NOW
    report = {
        "kind": "zone",
        "lat": 43.737,
        "lon": 7.423,
        "radius_m": 3000,
        "speed_factor": 0.2,
        "starts_at": "2026-11-26T07:00:00Z",
        "ends_at": "2026-11-26T13:00:00Z",
        "day": DAY.isoformat(),
    }
    with TestClient(api) as client:
        staff = sign_in(client, "ops@example.org")
        r = client.post("/api/ops/traffic", json=report, headers=staff)
        assert r.status_code == 202, r.text
        done = _wait(client, r.json()["id"], staff)
    assert done["status"] == "done", done
    assert len(done["traffic"]["routes_replanned"]) == 2, done
    with db.session() as s:
        routes = fleet.current_routes(s, plan_date=DAY)
        vans = {v.id: v.name for v in fleet.get_fleet(s)[1]}
        served = {st.shipment_id: vans[r.vehicle_id] for r in routes for st in r.stops}
        assert served == home
        for sid in (ids["E-1"], ids["W-2"]):
            eta = orders.get_shipment(s, shipment_id=sid).eta
            assert eta is not None and _inside(eta, 14, 16), (sid, eta)
