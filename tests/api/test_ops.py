"""The operator console's API (`/api/ops`) on SQLite and PostgreSQL: staff only, planning as
background jobs started exactly once per day, the fleet board, the history of plans, devices."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.api.services import get_clock
from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.models import DeliveryPromise, OpsJob
from lingxi.data.repos import home, ops as ops_repo, orders
from tests.helpers import Seeded, add_staff, seed_fleet, sign_in

DAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
"""The tests' clock: early on the planned day, before the vans' shift (08:00-18:00)."""


def _fleet(db: Database) -> tuple[Seeded, list[int]]:
    """Two households, a depot with two vans, four confirmed orders (their shipment ids), staff."""
    ids, shipments = seed_fleet(db)
    add_staff(db)
    return ids, shipments


@pytest.fixture
def ops_client(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    """The app over ``db``, its clock pinned to :data:`NOW`, planning in-process."""
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        db={"url": f"sqlite:///{tmp_path / 'unused.db'}"},  # type: ignore[arg-type]
        rate_limit={"enabled": False},  # type: ignore[arg-type]
        dispatch={"solver_processes": 0},  # type: ignore[arg-type]
    )
    app = create_app(settings, database=db)
    app.dependency_overrides[get_clock] = lambda: lambda: NOW
    with TestClient(app) as c:
        yield c


def _wait(client: TestClient, job_id: int, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every answer of GET /api/ops/jobs/{id} until the job ends (at most 60 s)."""
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = client.get(f"/api/ops/jobs/{job_id}", headers=headers)
        assert r.status_code == 200, r.text
        seen.append(r.json())
        if r.json()["status"] in ("done", "failed"):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end: {seen[-1]}")


def _report(**area: Any) -> dict[str, Any]:
    start = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    return {
        **area,
        "speed_factor": 0.2,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=6)).isoformat(),
        "day": DAY.isoformat(),
    }


ZONE = {"kind": "zone", "lat": 43.733, "lon": 7.42, "radius_m": 1500}


def test_every_ops_route_refuses_household_members(db: Database, ops_client: TestClient) -> None:
    """An owner (and an adult) gets 403 naming the role from every /api/ops operation."""
    _fleet(db)
    paths = ops_client.get("/openapi.json").json()["paths"]
    ops_routes = [
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/ops")
        for method in operations
    ]
    assert len(ops_routes) >= 6
    for email, role in (("alice@example.org", "owner"), ("bob@example.org", "adult")):
        headers = sign_in(ops_client, email)
        for method, path in ops_routes:
            body = {"day": DAY.isoformat()} if method == "POST" else None
            r = ops_client.request(
                method, path.replace("{job_id}", "1"), json=body, headers=headers
            )
            assert r.status_code == 403, (email, method, path, r.text)
            assert r.json()["error"]["details"] == {"field": "role", "value": role, "act": "fleet"}
    with db.session() as s:
        assert s.query(OpsJob).count() == 0


@pytest.mark.slow
def test_plan_job_reports_progress_then_the_plan(db: Database, ops_client: TestClient) -> None:
    """POST starts a job (202 and its id); GET follows its stages to the stored plan; the plan
    is in the history with its totals, and the board shows the routes with planned positions."""
    _ids, shipments = _fleet(db)
    staff = sign_in(ops_client, "ops@example.org")
    r = ops_client.post(
        "/api/ops/plan", json={"day": DAY.isoformat(), "time_limit_s": 0.5}, headers=staff
    )
    assert r.status_code == 202, r.text
    job = r.json()
    assert (
        job["created"] is True and job["kind"] == "plan" and job["status"] in ("queued", "running")
    )
    assert r.headers["location"] == f"/api/ops/jobs/{job['id']}"
    seen = _wait(ops_client, job["id"], staff)
    progress = [s["progress"] for s in seen]
    assert progress == sorted(progress) and progress[-1] == 1.0
    done = seen[-1]
    assert done["status"] == "done" and done["error"] is None, done
    planned = sorted(s["shipment_id"] for r in done["plan"]["routes"] for s in r["stops"])
    assert planned == sorted(shipments)

    history = ops_client.get("/api/ops/history", params={"day": DAY.isoformat()}, headers=staff)
    assert history.status_code == 200
    [record] = history.json()["data"]
    assert record["kind"] == "plan" and record["stops"] == 4 and record["unassigned"] == 0
    assert record["on_time"] == 1.0 and record["duration_s"] == done["plan"]["duration_s"]

    board = ops_client.get("/api/ops/board", params={"day": DAY.isoformat()}, headers=staff)
    assert board.status_code == 200, board.text
    doc = board.json()
    assert doc["unassigned"] == [] and doc["late"] == [] and doc["exceptions"] == []
    for route in doc["routes"]:
        assert route["position"]["source"] == "planned"
        assert all(s["promised_eta"] == s["eta"] and s["late_by_s"] == 0 for s in route["stops"])
    # The old board route is the same document.
    assert (
        ops_client.get("/api/web/ops", params={"day": DAY.isoformat()}, headers=staff).json()[
            "routes"
        ]
        == doc["routes"]
    )


@pytest.mark.slow
def test_concurrent_plan_starts_make_one_job(db: Database, ops_client: TestClient) -> None:
    """Eight simultaneous clicks on "plan the day": one job starts, seven get that same job;
    a traffic report meanwhile is refused (409) rather than racing the plan, and the
    synchronous plan route answers that job's plan instead of planning again."""
    _fleet(db)
    staff = sign_in(ops_client, "ops@example.org")

    def start(_: int) -> Any:
        return ops_client.post(
            "/api/ops/plan", json={"day": DAY.isoformat(), "time_limit_s": 1}, headers=staff
        )

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(start, range(8)))
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["id"] for a in answers}) == 1
    assert sorted(a.json()["created"] for a in answers) == [False] * 7 + [True]
    job_id = answers[0].json()["id"]
    busy = ops_client.post("/api/ops/traffic", json=_report(**ZONE), headers=staff)
    assert busy.status_code == 409 and busy.json()["error"]["details"]["job_id"] == job_id
    # A script asking for the plan meanwhile waits for that job and gets its plan.
    sync = ops_client.post(
        "/api/dispatch/plan", json={"day": DAY.isoformat(), "time_limit_s": 1}, headers=staff
    )
    assert sync.status_code == 200, sync.text
    done = _wait(ops_client, job_id, staff)[-1]
    assert done["status"] == "done" and sync.json() == done["plan"]
    with db.session() as s:
        assert s.query(OpsJob).count() == 1
        assert len(ops_repo.list_plan_records(s, day=DAY)) == 1
    # The day is free again: the next click starts a new job.
    again = start(0)
    assert again.json()["created"] is True and again.json()["id"] != job_id
    _wait(ops_client, again.json()["id"], staff)


@pytest.mark.slow
def test_traffic_job_says_what_it_changed(db: Database, ops_client: TestClient) -> None:
    """A slowdown over the routes re-plans them (plan_updated, a history entry); one where no
    route goes re-plans nothing and says so (no "plan updated", no history entry)."""
    _fleet(db)
    staff = sign_in(ops_client, "ops@example.org")
    first = ops_client.post(
        "/api/ops/plan", json={"day": DAY.isoformat(), "time_limit_s": 0.5}, headers=staff
    )
    _wait(ops_client, first.json()["id"], staff)
    r = ops_client.post("/api/ops/traffic", json=_report(**ZONE), headers=staff)
    assert r.status_code == 202, r.text
    result = _wait(ops_client, r.json()["id"], staff)[-1]
    assert result["status"] == "done", result
    changed = result["traffic"]
    assert changed["routes_replanned"] and changed["plan_updated"] is True
    # Far out at sea, for a day with no routes: nothing to re-plan.
    quiet = {
        **_report(kind="zone", lat=43.70, lon=7.50, radius_m=100),
        "day": (DAY + timedelta(days=3)).isoformat(),
        "starts_at": "2026-11-29T07:00:00Z",
        "ends_at": "2026-11-29T08:00:00Z",
    }
    r = ops_client.post("/api/ops/traffic", json=quiet, headers=staff)
    nothing = _wait(ops_client, r.json()["id"], staff)[-1]["traffic"]
    assert nothing["routes_replanned"] == [] and nothing["plan_updated"] is False
    kinds = [h["kind"] for h in ops_client.get("/api/ops/history", headers=staff).json()["data"]]
    assert kinds == ["plan", "traffic"]
    # A span outside the day is refused before any job starts.
    bad = {**_report(**ZONE), "starts_at": "2026-11-28T07:00:00Z", "ends_at": "2026-11-28T08:00Z"}
    r = ops_client.post("/api/ops/traffic", json=bad, headers=staff)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "starts_at"


@pytest.mark.slow
def test_board_shows_reasons_exceptions_late_stops_and_reported_positions(
    db: Database, ops_client: TestClient
) -> None:
    """Failed deliveries, stops planned past their promise, a courier's reported position, and an
    order that came after the plan (not planned yet)."""
    ids, shipments = _fleet(db)
    staff = sign_in(ops_client, "ops@example.org")
    job = ops_client.post(
        "/api/ops/plan", json={"day": DAY.isoformat(), "time_limit_s": 0.5}, headers=staff
    )
    _wait(ops_client, job.json()["id"], staff)
    failed, late, scanned = shipments[0], shipments[1], shipments[2]
    with db.session() as s:
        orders.add_tracking_event(
            s,
            shipment_id=failed,
            status="exception",
            note="nobody home",
            occurred_at=NOW - timedelta(minutes=5),
        )
        orders.add_tracking_event(
            s,
            shipment_id=scanned,
            status="out_for_delivery",
            lat=43.7301,
            lon=7.4202,
            occurred_at=NOW - timedelta(minutes=1),
        )
        promise = s.get(DeliveryPromise, late)
        assert promise is not None
        promise.eta = promise.eta - timedelta(minutes=40)
        o = orders.create_order(
            s,
            household_id=ids.household_a,
            customer_id=ids.alice,
            lines=[orders.LineRequest(ids.products[0], 1)],
            address_id=ids.alice_address,
        )
        newcomer = orders.confirm_order(s, household_id=ids.household_a, order_id=o.id)
    doc = ops_client.get("/api/ops/board", params={"day": DAY.isoformat()}, headers=staff).json()
    assert [e["shipment_id"] for e in doc["exceptions"]] == [failed]
    assert doc["exceptions"][0]["note"] == "nobody home"
    assert [x["shipment_id"] for x in doc["late"]] == [late]
    assert doc["late"][0]["late_by_s"] == 40 * 60
    [route] = [r for r in doc["routes"] if any(s["shipment_id"] == scanned for s in r["stops"])]
    assert route["position"] == {
        "lat": 43.7301,
        "lon": 7.4202,
        "at": (NOW - timedelta(minutes=1)).isoformat().replace("+00:00", "Z"),
        "source": "reported",
    }
    assert [(u["shipment_id"], u["reason"]) for u in doc["unassigned"]] == [
        (newcomer.shipments[0].id, "not_planned")
    ]
    # The next day's board: what today's routes serve is planned, on another day.
    nxt = (DAY + timedelta(days=1)).isoformat()
    doc = ops_client.get("/api/ops/board", params={"day": nxt}, headers=staff).json()
    other = {u["shipment_id"]: (u["reason"], u["planned_day"]) for u in doc["unassigned"]}
    assert other[late] == ("other_day", DAY.isoformat())
    assert other[newcomer.shipments[0].id] == ("not_planned", None)


@pytest.mark.slow
def test_a_stale_job_frees_its_day(db: Database, ops_client: TestClient) -> None:
    """A job whose worker vanished long ago (a killed process) no longer holds the day."""
    _fleet(db)
    staff = sign_in(ops_client, "ops@example.org")
    long_ago = NOW - timedelta(hours=2)  # stale by the pinned clock and by the real one
    with db.session() as s:
        lost = ops_repo.insert_job(s, kind="plan", day=DAY, time_limit_s=2, params={}, now=long_ago)
        assert lost is not None
    r = ops_client.post(
        "/api/ops/plan", json={"day": DAY.isoformat(), "time_limit_s": 0.5}, headers=staff
    )
    assert r.json()["created"] is True and r.json()["id"] != lost.id
    old = ops_client.get(f"/api/ops/jobs/{lost.id}", headers=staff).json()
    assert old["status"] == "failed" and old["error"]["code"] == "interrupted"
    _wait(ops_client, r.json()["id"], staff)
    assert ops_client.get("/api/ops/jobs/999999", headers=staff).status_code == 404


def test_household_device_list(db: Database, ops_client: TestClient) -> None:
    """The device list counts each household's entities and how many are available."""
    ids, _ = _fleet(db)
    with db.session() as s:
        for entity, state in (("light.porch", "on"), ("lock.front", "unavailable")):
            home.create_entity(s, household_id=ids.household_a, entity_id=entity, name=entity)
            home.record_state(s, household_id=ids.household_a, entity_id=entity, state=state)
        home.create_entity(s, household_id=ids.household_b, entity_id="switch.fan", name="fan")
    staff = sign_in(ops_client, "ops@example.org")
    r = ops_client.get("/api/ops/homes", headers=staff)
    assert r.status_code == 200, r.text
    rows = {row["household_id"]: row for row in r.json()["data"]}
    a, b = rows[ids.household_a], rows[ids.household_b]
    assert (a["entities"], a["available"], a["unavailable"], a["unknown"]) == (2, 1, 1, 0)
    assert (b["entities"], b["available"], b["unknown"]) == (1, 0, 1)
    assert a["last_change"] is not None and b["last_change"] is None
