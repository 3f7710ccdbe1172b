"""The demo city's dispatch service: open shipments -> routes on the road network -> ETAs.

Glue between the engine (problem, solver, time-dependent travel, re-planning), the road
network and the shared data layer: plans are saved as Route/RouteStop rows, ETAs are written to
``Shipment.eta`` and, when a re-plan changes them, appended as tracking events.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from lingxi.data import Database
from lingxi.data.models import ShipmentKind
from lingxi.data.repos import fleet as fleet_repo, orders as orders_repo
from lingxi.dispatch.params import DispatchParams
from lingxi.dispatch.plan import DispatchPlan, evaluate_route
from lingxi.dispatch.problem import (
    DispatchProblem,
    DispatchStop,
    DispatchVehicle,
    Location,
)
from lingxi.dispatch.replan import replan, states_at
from lingxi.dispatch.roadnet import RoadMatrices, RoadNetwork
from lingxi.dispatch.solver import solve
from lingxi.dispatch.td import SpeedModel
from lingxi.dispatch.tdsearch import solve_td
from lingxi.errors import ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "DayPlan",
    "TrafficResult",
    "default_osm_path",
    "eta_for_shipment",
    "load_network",
    "plan_shipments",
    "report_traffic",
    "route_geometry",
    "route_svg",
]

SERVICE_S = 180.0
"""Time at each door."""
ETA_CHANGE_S = 60.0
"""A re-plan reports an ETA change (tracking event) when it moves by more than this."""

_networks: dict[Path, RoadNetwork] = {}
_lock = threading.Lock()


def default_osm_path() -> Path:
    """The road network shipped with the package (Monaco, © OpenStreetMap contributors, ODbL)."""
    return Path(str(resources.files("lingxi.data") / "demo" / "monaco.osm.pbf"))


def load_network(path: Path | None = None) -> RoadNetwork:
    """The road network of ``path`` (default: the shipped demo city), read once per process."""
    path = (path or default_osm_path()).resolve()
    with _lock:
        if path not in _networks:
            _networks[path] = RoadNetwork.from_pbf(path)
        return _networks[path]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _at(day: date, seconds: float) -> datetime:
    return _midnight(day) + timedelta(seconds=round(float(seconds)))


@dataclass
class _City:
    """A dispatch problem built from the data layer, with its road matrices."""

    problem: DispatchProblem
    mats: RoadMatrices
    vehicle_ids: list[int]
    shipment_ids: list[int]
    no_address: list[int]


def _can_leave(shift_start_s: float, shift_end_s: float, depot: Any, not_before_s: float) -> bool:
    """True when a vehicle can still leave the depot on its shift at or after ``not_before_s``."""
    start = max(float(shift_start_s), not_before_s)
    return start < min(float(shift_end_s), float(depot.closes_s))


def _stop_for(sh: orders_repo.ShipmentView) -> DispatchStop:
    """A shipment as a stop: a delivery, or a return picked up and brought to the depot."""
    units = max(1, int(sh.demand))
    is_return = sh.kind == ShipmentKind.RETURN.value
    return DispatchStop(
        id=str(sh.id),
        x=float(sh.lon or 0),
        y=float(sh.lat or 0),
        demand=0 if is_return else units,
        pickup=units if is_return else 0,
        service_time=SERVICE_S,
    )


def _build(
    db: Database,
    network: RoadNetwork,
    shipment_filter: set[int] | None = None,
    *,
    not_before_s: float = 0.0,
) -> _City:
    with db.session() as s:
        depots, vehicles = fleet_repo.get_fleet(s)
        shipments = orders_repo.list_open_shipments(s)
    if not depots or not vehicles:
        raise ConflictError("There is no depot or vehicle to plan with; load the demo fleet.")
    depot = depots[0]
    ships = [sh for sh in shipments if shipment_filter is None or sh.id in shipment_filter]
    located = [sh for sh in ships if sh.lat is not None and sh.lon is not None]
    no_address = [sh.id for sh in ships if sh.lat is None or sh.lon is None]
    points = [(depot.lat, depot.lon)] + [(float(sh.lat or 0), float(sh.lon or 0)) for sh in located]
    nodes, _snap = network.snap(points)
    mats = network.matrices(nodes)
    stops = tuple(_stop_for(sh) for sh in located)
    fleet = tuple(
        DispatchVehicle(
            v.name,
            v.capacity,
            shift_start=max(float(v.shift_start_s), not_before_s),
            shift_end=float(v.shift_end_s),
        )
        for v in vehicles
        if v.depot_id == depot.id
        and _can_leave(v.shift_start_s, v.shift_end_s, depot, not_before_s)
    )
    big = max((v.capacity for v in fleet), default=0)
    too_big = [st for st in stops if max(st.demand, st.pickup) > big]
    if too_big:
        st = too_big[0]
        what = "returns" if st.pickup else "needs"
        raise InvalidInputError(
            f"Shipment {st.id} {what} {max(st.demand, st.pickup)} units; the largest vehicle "
            f"carries {big}.",
            field="demand",
            shipment_id=int(st.id),
            rule="pickup above every capacity" if st.pickup else "demand above every capacity",
        )
    problem = DispatchProblem(
        depots=(
            Location(depot.name, depot.lon, depot.lat, float(depot.opens_s), float(depot.closes_s)),
        ),
        vehicles=fleet,
        stops=stops,
        distance=mats.distance_m,
        duration=mats.time_s,
        name="city",
    )
    return _City(
        problem,
        mats,
        [
            v.id
            for v in vehicles
            if v.depot_id == depot.id
            and _can_leave(v.shift_start_s, v.shift_end_s, depot, not_before_s)
        ],
        [sh.id for sh in located],
        no_address,
    )


def _traffic_model(
    db: Database, network: RoadNetwork, city: _City, day: date
) -> tuple[SpeedModel | None, list[int]]:
    start = _midnight(day)
    with db.session() as s:
        reports = fleet_repo.traffic_overlapping(s, start=start, end=start + timedelta(days=1))
    if not reports:
        return None, []
    model = SpeedModel.static(city.problem.dur)
    for r in reports:
        edges = _edges_for(network, r.kind, r.area)
        share = network.share_inside(city.mats, edges)
        model = model.with_slowdown(
            share,
            r.speed_factor,
            (r.starts_at - start).total_seconds(),
            (r.ends_at - start).total_seconds(),
        )
    return model, [r.id for r in reports]


def _edges_for(network: RoadNetwork, kind: str, area: dict[str, Any]) -> np.ndarray[Any, Any]:
    try:
        if kind == "zone":
            return network.edges_in_zone(
                float(area["lat"]), float(area["lon"]), float(area["radius_m"])
            )
        return network.edges_of_way(int(area["way_id"]))
    except (KeyError, TypeError, ValueError):
        need = "lat, lon and radius_m" if kind == "zone" else "way_id"
        raise InvalidInputError.for_field("area", f"an object with {need}", area) from None


def _kinds(city: _City) -> dict[str, str]:
    return {st.id: "return" if st.pickup else "delivery" for st in city.problem.stops}


def _points(city: _City) -> dict[str, tuple[float, float]]:
    return {st.id: (st.x, st.y) for st in city.problem.stops}


@dataclass(frozen=True)
class DayPlan:
    """A saved plan: routes with shipment ids, ETAs and geometry."""

    day: date
    plan: DispatchPlan
    route_ids: list[int]
    shipment_ids: list[int]
    geometries: list[list[list[float]]]
    no_address: list[int] = field(default_factory=list)
    traffic_reports: list[int] = field(default_factory=list)
    points: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Stop id -> (lon, lat)."""
    kinds: dict[str, str] = field(default_factory=dict)
    """Stop id -> ``delivery`` or ``return`` (a pickup brought back to the depot)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view: per route its stops (shipment ids) with ETAs, distance, duration."""
        routes = []
        for rid, r, geom in zip(
            self.route_ids, [r for r in self.plan.routes if r.stops], self.geometries, strict=True
        ):
            routes.append(
                {
                    "route_id": rid,
                    "vehicle": r.vehicle_id,
                    "stops": [
                        {
                            "shipment_id": int(s.stop_id),
                            "eta": _at(self.day, s.start).isoformat(),
                            "kind": self.kinds.get(s.stop_id, "delivery"),
                            "load_after": s.load,
                        }
                        for s in r.stops
                    ],
                    "start": _at(self.day, r.start_time).isoformat(),
                    "end": _at(self.day, r.end_time).isoformat(),
                    "distance_m": round(r.distance),
                    "duration_s": round(r.duration),
                    "max_load": r.max_load,
                    "geometry": geom,
                }
            )
        return {
            "day": self.day.isoformat(),
            "routes": routes,
            "unassigned": [
                {"shipment_id": int(u.stop_id), "reason": u.reason} for u in self.plan.unassigned
            ]
            + [{"shipment_id": sid, "reason": "no_address"} for sid in self.no_address],
            "distance_m": round(self.plan.distance),
            "duration_s": round(self.plan.duration),
            "vehicles": self.plan.vehicles,
            "feasible": self.plan.feasible,
            "traffic_reports": self.traffic_reports,
        }

    def geojson(self) -> dict[str, Any]:
        """The routes as a GeoJSON FeatureCollection (lines and stop points, lon/lat order)."""
        features: list[dict[str, Any]] = []
        for rid, r, geom in zip(
            self.route_ids, [r for r in self.plan.routes if r.stops], self.geometries, strict=True
        ):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": [[p[1], p[0]] for p in geom]},
                    "properties": {"route_id": rid, "vehicle": r.vehicle_id},
                }
            )
            for k, s in enumerate(r.stops, start=1):
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {
                            "type": "Point",
                            "coordinates": list(self.points.get(s.stop_id, (0.0, 0.0))),
                        },
                        "properties": {
                            "route_id": rid,
                            "sequence": k,
                            "shipment_id": int(s.stop_id),
                            "eta": _at(self.day, s.start).isoformat(),
                        },
                    }
                )
        return {"type": "FeatureCollection", "features": features}


def _save(
    db: Database,
    city: _City,
    network: RoadNetwork,
    day: date,
    plan: DispatchPlan,
    *,
    vehicles: Sequence[int] | None = None,
    note: str = "",
) -> tuple[list[int], list[list[list[float]]], list[tuple[int, datetime]]]:
    """Save routes and ETAs; returns route ids, geometries and the ETA changes."""
    p = city.problem
    specs, geoms = [], []
    chosen = [r for r in plan.routes if r.stops and (vehicles is None or r.vehicle in vehicles)]
    for r in chosen:
        seq = (
            [p.vehicle_start(p.vehicles[r.vehicle])]
            + [s.location for s in r.stops]
            + [p.vehicles[r.vehicle].depot]
        )
        geom = network.geometry(city.mats, seq)
        geoms.append(geom)
        specs.append(
            fleet_repo.RouteSpec(
                vehicle_id=city.vehicle_ids[r.vehicle],
                distance_m=round(r.distance),
                duration_s=round(r.duration),
                geometry=geom,
                stops=tuple(
                    fleet_repo.StopSpec(
                        lat=p.stops[s.stop].y,
                        lon=p.stops[s.stop].x,
                        shipment_id=int(s.stop_id),
                        planned_arrival=_at(day, s.start),
                        planned_departure=_at(day, s.departure),
                    )
                    for s in r.stops
                ),
            )
        )
    changes: list[tuple[int, datetime]] = []
    with db.session() as s:
        ids = fleet_repo.save_routes(s, plan_date=day, routes=specs)
        for r in chosen:
            for st in r.stops:
                sid = int(st.stop_id)
                eta = _at(day, st.start)
                view = orders_repo.get_shipment(s, shipment_id=sid)
                old = view.eta
                if note and old is not None and abs((eta - old).total_seconds()) > ETA_CHANGE_S:
                    orders_repo.add_tracking_event(
                        s, shipment_id=sid, status=view.status, note=note, eta=eta
                    )
                    changes.append((sid, eta))
                else:
                    orders_repo.set_shipment_eta(s, shipment_id=sid, eta=eta)
    return ids, geoms, changes


def plan_shipments(
    db: Database,
    day: date,
    *,
    params: DispatchParams | None = None,
    network: RoadNetwork | None = None,
    not_before: datetime | None = None,
) -> DayPlan:
    """Plan the open shipments into routes with the fleet, save them and the ETAs.

    Parameters
    ----------
    db
        The shared database (depots, vehicles, shipments with their addresses).
    day
        The delivery day; times are seconds after its midnight (UTC).
    params
        Solver parameters (default: 2 s).
    network
        The road network (default: the configured/shipped demo city).
    not_before
        Usually "now": on that day no vehicle leaves before it. When every shift of
        the day has ended by then, the shipments are planned for the next day instead
        (the returned plan's ``day`` says which).
    """
    network = network or load_network()
    params = params or DispatchParams(time_limit=2.0)
    not_before_s = 0.0
    if not_before is not None and not_before.astimezone(UTC).date() == day:
        not_before_s = (not_before - _midnight(day)).total_seconds()
        with db.session() as s:
            depots, vehicles = fleet_repo.get_fleet(s)
        if depots and not any(
            _can_leave(v.shift_start_s, v.shift_end_s, depots[0], not_before_s) for v in vehicles
        ):
            return plan_shipments(db, day + timedelta(days=1), params=params, network=network)
    city = _build(db, network, not_before_s=not_before_s)
    if not city.problem.stops:
        return DayPlan(day, DispatchPlan(()), [], [], [], city.no_address)
    model, reports = _traffic_model(db, network, city, day)
    plan = (
        solve_td(city.problem, model, params) if model is not None else solve(city.problem, params)
    )
    ids, geoms, _ = _save(db, city, network, day, plan)
    return DayPlan(
        day,
        plan,
        ids,
        city.shipment_ids,
        geoms,
        city.no_address,
        reports,
        _points(city),
        kinds=_kinds(city),
    )


@dataclass(frozen=True)
class TrafficResult:
    """What a traffic report changed."""

    observation_id: int
    routes_replanned: list[int]
    eta_changes: list[tuple[int, datetime]]
    plan: DayPlan | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "observation_id": self.observation_id,
            "routes_replanned": self.routes_replanned,
            "eta_changes": [{"shipment_id": s, "eta": e.isoformat()} for s, e in self.eta_changes],
        }


def report_traffic(
    db: Database,
    *,
    day: date,
    kind: str,
    area: dict[str, Any],
    speed_factor: float,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime | None = None,
    params: DispatchParams | None = None,
    network: RoadNetwork | None = None,
    source: str = "api",
) -> TrafficResult:
    """Record a traffic report, re-plan the day's routes under way, update ETAs.

    ``area`` is ``{"lat", "lon", "radius_m"}`` for a zone or ``{"way_id"}`` (an OSM way) for a
    segment; ``speed_factor`` < 1 slows traffic there during ``[starts_at, ends_at)``. Stops a
    vehicle has already left for stay as they are; the rest are re-sequenced from each vehicle's
    position. Shipments whose ETA moves by more than a minute get a tracking event.
    """
    network = network or load_network()
    params = params or DispatchParams(time_limit=1.0)
    if kind == "zone" or kind == "segment":
        _edges_for(network, kind, area)  # validates the area before anything is saved
    with db.session() as s:
        obs_id = fleet_repo.add_traffic(
            s,
            kind=kind,
            area=area,
            speed_factor=speed_factor,
            starts_at=starts_at,
            ends_at=ends_at,
            source=source,
        )
        live = fleet_repo.current_routes(s, plan_date=day)
    planned = {st.shipment_id for r in live for st in r.stops if st.shipment_id is not None}
    if not planned:
        return TrafficResult(obs_id, [], [], None)
    city = _build(db, network, shipment_filter=planned)
    model, reports = _traffic_model(db, network, city, day)
    assert model is not None
    # The plan as saved, re-timed statically (what vehicles are doing).
    stop_of = {int(st.id): k for k, st in enumerate(city.problem.stops)}
    veh_of = {vid: k for k, vid in enumerate(city.vehicle_ids)}
    routes = []
    for r in live:
        seq = [stop_of[st.shipment_id] for st in r.stops if st.shipment_id in stop_of]
        if seq and r.vehicle_id in veh_of:
            routes.append(evaluate_route(city.problem, veh_of[r.vehicle_id], seq))
    current = DispatchPlan(tuple(routes))
    t_now = ((now or starts_at) - _midnight(day)).total_seconds()
    states = states_at(city.problem, current, t_now)
    new_plan = replan(city.problem, states, [], params, model=model)
    note = f"ETA updated after traffic report #{obs_id}"
    moved = {r.vehicle for r in new_plan.routes}
    ids, geoms, changes = _save(db, city, network, day, new_plan, vehicles=sorted(moved), note=note)
    day_plan = DayPlan(
        day, new_plan, ids, city.shipment_ids, geoms, [], reports, _points(city), kinds=_kinds(city)
    )
    return TrafficResult(obs_id, ids, changes, day_plan)


def eta_for_shipment(
    db: Database, shipment_id: int, *, household_id: int | None = None
) -> dict[str, Any]:
    """The current ETA of a shipment and where it sits on its route.

    With ``household_id``, only that household's shipments are visible (NotFoundError otherwise).
    """
    with db.session() as s:
        view = orders_repo.get_shipment(s, shipment_id=shipment_id, household_id=household_id)
        found = fleet_repo.route_for_shipment(s, shipment_id=shipment_id)
    out: dict[str, Any] = {
        "shipment_id": view.id,
        "status": view.status,
        "eta": view.eta.isoformat() if view.eta else None,
        "route": None,
    }
    if found is not None:
        route, stop = found
        out["route"] = {
            "route_id": route.id,
            "vehicle": route.vehicle_name,
            "sequence": stop.sequence,
            "stops_before": stop.sequence - 1,
            "planned_arrival": stop.planned_arrival.isoformat() if stop.planned_arrival else None,
        }
        if view.status not in ("delivered", "exception"):
            out["vehicle_position"] = planned_position(route, datetime.now(UTC))
    return out


def planned_position(route: fleet_repo.RouteView, when: datetime) -> dict[str, Any] | None:
    """Where the plan puts the route's vehicle at ``when`` (no GPS: interpolated on the road line).

    Between two stops the vehicle moves along the route's road geometry in proportion to the
    time between leaving one and reaching the next; at a stop it waits there; before the first
    arrival it is at the depot, after the last departure at the last stop.
    """
    line = route.geometry
    stops = [st for st in route.stops if st.planned_arrival and st.planned_departure]
    if len(line) < 2 or not stops:
        return None
    # Each stop's place on the line: the nearest point at or after the previous stop's.
    marks: list[tuple[int, datetime, datetime]] = []
    start = 0
    for st in stops:
        best = min(
            range(start, len(line)),
            key=lambda i: (line[i][0] - st.lat) ** 2 + (line[i][1] - st.lon) ** 2,
        )
        marks.append((best, st.planned_arrival, st.planned_departure))  # type: ignore[arg-type]
        start = best
    index: float = 0.0
    if when >= marks[0][1]:
        index = float(marks[-1][0])
        for (i0, _a0, d0), (i1, a1, _d1) in zip(marks, marks[1:], strict=False):
            if when <= d0:
                index = float(i0)
                break
            if when < a1:
                share = (when - d0) / (a1 - d0) if a1 > d0 else 1.0
                index = i0 + share * (i1 - i0)
                break
    lo = int(math.floor(index))
    hi = min(lo + 1, len(line) - 1)
    frac = index - lo
    lat = line[lo][0] + frac * (line[hi][0] - line[lo][0])
    lon = line[lo][1] + frac * (line[hi][1] - line[lo][1])
    return {"lat": lat, "lon": lon, "at": when.isoformat(), "source": "plan"}


def route_geometry(db: Database, shipment_id: int) -> tuple[list[list[float]], tuple[float, float]]:
    """The live route line (``[[lat, lon], ...]``) serving a shipment, and its stop's point."""
    with db.session() as s:
        found = fleet_repo.route_for_shipment(s, shipment_id=shipment_id)
    if found is None:
        raise NotFoundError(
            f"Shipment {shipment_id} is not on a planned route.", field="shipment_id"
        )
    route, stop = found
    return route.geometry, (stop.lat, stop.lon)


def route_svg(
    geometry: list[list[float]], stop: tuple[float, float] | None = None, *, size: int = 480
) -> str:
    """A route line (``[[lat, lon], ...]``) as a self-contained SVG, north up, no tiles."""
    points = list(geometry) + ([list(stop)] if stop else [])
    if not points:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}"/>'
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    kx = math.cos(math.radians(sum(lats) / len(lats)))
    w = max((max(lons) - min(lons)) * kx, 1e-6)
    h = max(max(lats) - min(lats), 1e-6)
    scale = (size - 40) / max(w, h)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return 20 + (lon - min(lons)) * kx * scale, size - 20 - (lat - min(lats)) * scale

    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(p[0], p[1]) for p in geometry))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="Delivery route">',
        f'<rect width="{size}" height="{size}" fill="#f8f8f5"/>',
        f'<polyline points="{path}" fill="none" stroke="#2b6cb0" stroke-width="3" '
        'stroke-linejoin="round" stroke-linecap="round"/>',
    ]
    if geometry:
        sx, sy = xy(geometry[0][0], geometry[0][1])
        parts.append(
            f'<rect x="{sx - 6:.1f}" y="{sy - 6:.1f}" width="12" height="12" fill="#444"/>'
        )
    if stop:
        px, py = xy(stop[0], stop[1])
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="8" fill="#e53e3e"/>')
    parts.append(
        f'<text x="{size - 8}" y="{size - 6}" font-size="10" text-anchor="end" '
        'fill="#666">© OpenStreetMap contributors</text></svg>'
    )
    return "".join(parts)
