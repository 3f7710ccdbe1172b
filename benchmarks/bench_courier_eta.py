"""ETA error against a simulated courier: how good are ETAs re-computed from live positions?

The demo city (Monaco) and its ten "other customers" doors are planned for one van (the real
solver, 1 s). A simulated courier then drives that plan on the road network, late: it leaves
``late_start`` minutes after the plan, each leg takes its free-flow time times a random factor
(traffic the plan does not know), and each door takes a random 1-6 minutes (the plan says 3).
Every 30 s of simulated time it posts its position (with ~10 m of GPS noise) through
:func:`lingxi.dispatch.courier.record_position` on a real SQLite database, and closes each stop
when it leaves the door. After each post, every remaining stop's ETA (as the customer's ETA
route reads it) is compared with the simulated arrival; so is the plan's ETA, the baseline
the positions replace. Errors are predicted minus true arrival, in minutes, by how many stops
ahead the parcel is.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from benchmarks._common import write_result
from lingxi.data import Database, upgrade
from lingxi.data.models import Depot, Role, Vehicle
from lingxi.data.repos import catalog, courier as courier_repo, fleet, identity, orders
from lingxi.data.repos.demo import _read_yaml
from lingxi.dispatch import DispatchParams, load_network, plan_shipments
from lingxi.dispatch.courier import PositionReport, close_stop, record_position
from lingxi.dispatch.roadnet import RoadNetwork

DAY = date(2026, 11, 26)
POST_EVERY_S = 30.0
EARTH_M = 6_371_000.0


@dataclass
class _Leg:
    """One simulated drive: the road nodes, their times from the leg's start, the true end."""

    lat: np.ndarray
    lon: np.ndarray
    t: np.ndarray
    """Seconds after the leg's start at each node (already slowed by the leg's factor)."""


def _setup(db: Database) -> tuple[int, list[int]]:
    """A depot, one van with its courier, and the demo's ten doors as confirmed orders."""
    spec = _read_yaml("households.yaml")
    with db.session() as s:
        d = spec["depot"]
        depot = Depot(name=d["name"], lat=d["lat"], lon=d["lon"])
        s.add(depot)
        s.flush()
        s.add(Vehicle(depot_id=depot.id, name="van-1", capacity=40))
        s.flush()
        catalog.upsert_products(
            s,
            records=[
                catalog.ProductRecord(
                    sku="B-1",
                    brand="B",
                    name="Parcel",
                    category="Cleanser",
                    price_minor=100,
                    rating=None,
                    ingredients_raw="",
                )
            ],
        )
        product = catalog.list_products(s)[0].id
        household = identity.create_household(s, name="Monaco customers")
        customer = identity.create_customer(
            s, household_id=household, email="c@example.org", display_name="C"
        )
        shipments = []
        for i, stop in enumerate(spec["other_stops"]):
            address = identity.add_address(
                s,
                customer_id=customer,
                label=f"stop-{i}",
                line1=stop["line1"],
                city="Monaco",
                lat=stop["lat"],
                lon=stop["lon"],
            )
            o = orders.create_order(
                s,
                household_id=household,
                customer_id=customer,
                lines=[orders.LineRequest(product, 1)],
                address_id=address,
            )
            o = orders.confirm_order(s, household_id=household, order_id=o.id)
            shipments.append(o.shipments[0].id)
        courier_id = identity.create_customer(
            s,
            household_id=identity.deployment_household(s),
            email="sam@courier.example",
            display_name="Sam",
            role=Role.COURIER,
        )
        courier_repo.assign_vehicle(s, customer_id=courier_id, vehicle_name="van-1")
    return courier_id, shipments


def _legs(
    network: RoadNetwork, points: list[tuple[float, float]], factors: list[float]
) -> list[_Leg]:
    nodes, _ = network.snap(points)
    mats = network.matrices(nodes)
    legs = []
    for k in range(len(points) - 1):
        path = np.asarray(network.path(mats, k, k + 1), np.int64)
        if len(path) < 2:
            path = np.asarray([nodes[k], nodes[k + 1]], np.int64)
            dt = np.zeros(1)
        else:
            edges = network._edge_ids(path[:-1], path[1:])
            dt = np.where(edges >= 0, network.time_s[np.maximum(edges, 0)], 0.0)
        t = np.concatenate([[0.0], np.cumsum(dt)]) * factors[k]
        legs.append(_Leg(network.lat[path], network.lon[path], t))
    return legs


def _where(leg: _Leg, s: float) -> tuple[float, float]:
    """The point ``s`` seconds into a leg (interpolated between road nodes)."""
    if s >= leg.t[-1]:
        return float(leg.lat[-1]), float(leg.lon[-1])
    i = int(np.searchsorted(leg.t, s, side="right")) - 1
    span = leg.t[i + 1] - leg.t[i]
    f = 0.0 if span <= 0 else (s - leg.t[i]) / span
    return (
        float(leg.lat[i] + f * (leg.lat[i + 1] - leg.lat[i])),
        float(leg.lon[i] + f * (leg.lon[i + 1] - leg.lon[i])),
    )


def _noisy(rng: np.random.Generator, lat: float, lon: float, sd_m: float) -> tuple[float, float]:
    dy, dx = rng.normal(0.0, sd_m, 2)
    return (
        lat + math.degrees(dy / EARTH_M),
        lon + math.degrees(dx / (EARTH_M * math.cos(math.radians(lat)))),
    )


def _run(network: RoadNetwork, template: Path, seed: int, late_start_min: float) -> dict[str, list]:
    """One simulated day; errors (minutes) per stops-ahead bucket, for positions and plan."""
    rng = np.random.default_rng(seed)
    work = Path(tempfile.mkdtemp(prefix="bench-courier-"))
    try:
        shutil.copyfile(template, work / "db.sqlite")
        db = Database.from_url(f"sqlite:///{work / 'db.sqlite'}")
        courier_id, _ = _setup(db)
        plan_shipments(
            db,
            DAY,
            params=DispatchParams(time_limit=1.0, seed=seed),
            network=network,
            not_before=datetime(2026, 11, 26, 7, 0, tzinfo=UTC),
        )
        with db.session() as s:
            (route,) = fleet.current_routes(s, plan_date=DAY)
            depot = fleet.get_fleet(s)[0][0]
        stops = [st for st in route.stops if st.shipment_id is not None]
        planned = {st.shipment_id: st.planned_arrival for st in stops}
        factors = [float(rng.uniform(1.0, 1.6)) for _ in stops]
        legs = _legs(
            network, [(depot.lat, depot.lon)] + [(st.lat, st.lon) for st in stops], factors
        )
        # The truth: leave late, drive slower than free flow, stay 1-6 minutes per door.
        first = stops[0].planned_arrival
        assert first is not None
        t = first - timedelta(seconds=float(legs[0].t[-1]) / factors[0])
        t += timedelta(minutes=late_start_min)
        start = t
        arrive, leave = [], []
        for leg in legs:
            t += timedelta(seconds=float(leg.t[-1]))
            arrive.append(t)
            t += timedelta(seconds=float(rng.uniform(60, 360)))
            leave.append(t)
        truth = {st.shipment_id: a for st, a in zip(stops, arrive, strict=True)}
        errors: dict[str, list] = {"position": [], "plan": [], "ahead": [], "post_ms": []}
        with db.session() as s:
            courier_repo.start_route(s, route_id=route.id, at=start)
        now, k = start, 0
        posts = 0
        while k < len(stops):
            # Close the stops the courier has left by now.
            while k < len(stops) and leave[k] <= now:
                close_stop(db, courier_id, stops[k].shipment_id, delivered=True, now=leave[k])
                k += 1
            if k == len(stops):
                break
            leg_start = start if k == 0 else leave[k - 1]
            lat, lon = _where(legs[k], (now - leg_start).total_seconds())
            if now >= arrive[k]:  # at the door
                lat, lon = stops[k].lat, stops[k].lon
            lat, lon = _noisy(rng, lat, lon, 10.0)
            clock = time.perf_counter()
            result = record_position(
                db,
                courier_id,
                PositionReport(lat=lat, lon=lon, recorded_at=now, accuracy_m=10.0),
                now=now,
                network=network,
            )
            errors["post_ms"].append((time.perf_counter() - clock) * 1000)
            posts += 1
            for ahead, (sid, eta) in enumerate(result.etas):
                if now >= truth[sid]:
                    continue  # already there: nothing left to predict
                errors["position"].append((eta - truth[sid]).total_seconds() / 60)
                errors["plan"].append((planned[sid] - truth[sid]).total_seconds() / 60)
                errors["ahead"].append(ahead)
            now += timedelta(seconds=POST_EVERY_S)
        errors["posts"] = [posts]
        db.dispose()
        return errors
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    a = np.abs(np.asarray(values))
    return {
        "n": len(values),
        "mae_min": round(float(a.mean()), 2),
        "p50_abs_min": round(float(np.percentile(a, 50)), 2),
        "p90_abs_min": round(float(np.percentile(a, 90)), 2),
        "bias_min": round(float(np.mean(values)), 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks bench_courier_eta")
    parser.add_argument("--runs", type=int, default=3, help="simulated days (seeds)")
    parser.add_argument("--late-start", type=float, default=10.0, help="minutes behind the plan")
    args = parser.parse_args(argv or [])
    network = load_network()
    template = Path(tempfile.mkdtemp(prefix="bench-courier-tpl-")) / "db.sqlite"
    db = Database.from_url(f"sqlite:///{template}")
    upgrade(db.engine)
    db.dispose()
    started = time.perf_counter()
    merged: dict[str, list] = {"position": [], "plan": [], "ahead": [], "posts": [], "post_ms": []}
    for seed in range(1, args.runs + 1):
        out = _run(network, template, seed, args.late_start)
        for key in merged:
            merged[key] += out[key]
    shutil.rmtree(template.parent, ignore_errors=True)
    buckets = {"next_stop": (0, 0), "2_3_stops_ahead": (1, 2), "4_plus_stops_ahead": (3, 99)}
    by_ahead = {}
    for name, (lo, hi) in buckets.items():
        pick = [i for i, a in enumerate(merged["ahead"]) if lo <= a <= hi]
        by_ahead[name] = {
            "position": _stats([merged["position"][i] for i in pick]),
            "plan": _stats([merged["plan"][i] for i in pick]),
        }
    write_result(
        "bench_courier_eta",
        {
            "setting": {
                "city": "Monaco (shipped OSM extract)",
                "stops": 10,
                "runs": args.runs,
                "late_start_min": args.late_start,
                "leg_slowdown": "uniform 1.0-1.6 x free flow, unknown to the plan",
                "door_time_min": "uniform 1-6 (plan: 3)",
                "gps_noise_m": 10,
                "post_every_s": POST_EVERY_S,
                "positions_posted": sum(merged["posts"]),
                "error": "predicted minus simulated arrival, minutes",
            },
            "position_eta": _stats(merged["position"]),
            "plan_eta": _stats(merged["plan"]),
            "by_stops_ahead": by_ahead,
            "runtime_s": round(time.perf_counter() - started, 1),
            "post_ms": {
                "p50": round(statistics.median(merged["post_ms"]), 1),
                "p95": round(float(np.percentile(merged["post_ms"], 95)), 1),
                "note": "store the fix and re-time the remaining stops (SQLite, shared 2 cores)",
            },
        },
    )


if __name__ == "__main__":
    main()
