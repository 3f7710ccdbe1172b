"""The demo city's dispatch service: open shipments -> routes on the road network -> ETAs.

Glue between the engine (problem, solver, time-dependent travel, re-planning), the road
network and the shared data layer: plans are saved as Route/RouteStop rows, ETAs are written to
``Shipment.eta`` and, when a re-plan changes them, appended as tracking events.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from lingxi.data import Database
from lingxi.data.models import RouteStatus, ShipmentKind, TrackingStatus
from lingxi.data.repos import fleet as fleet_repo, orders as orders_repo
from lingxi.dispatch.dayplan import (
    DayPlan,
    as_saved,
    at_time,
    check_span_in_day,
    merge_day_plans,
    midnight,
    window_on_day,
)
from lingxi.dispatch.fleet import city_districts
from lingxi.dispatch.history import record_plan
from lingxi.dispatch.params import DispatchParams
from lingxi.dispatch.plan import DispatchPlan
from lingxi.dispatch.problem import (
    DispatchProblem,
    DispatchStop,
    DispatchVehicle,
    Location,
    TimeWindow,
)
from lingxi.dispatch.replan import replan, retime_in_flight, states_at
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
]

SERVICE_S = 180.0
"""Time at each door."""
ETA_CHANGE_S = 60.0
"""A re-plan reports an ETA change (tracking event) when it moves by more than this."""

_networks: dict[tuple[Path, int], RoadNetwork] = {}
_lock = threading.Lock()


def default_osm_path() -> Path:
    """The road network shipped with the package (Monaco, © OpenStreetMap contributors, ODbL)."""
    return Path(str(resources.files("lingxi.data") / "demo" / "monaco.osm.pbf"))


def load_network(path: Path | None = None) -> RoadNetwork:
    """The road network of ``path`` (default: the shipped demo city), read once per process.

    ``path`` is an OSM extract or a city cached by ``lingxi city import`` (``.npz``); a cache
    imported again (a newer file) is read again.
    """
    path = (path or default_osm_path()).resolve()
    key = (path, path.stat().st_mtime_ns if path.is_file() else 0)
    with _lock:
        if key not in _networks:
            loaded = RoadNetwork.load(path) if path.suffix == ".npz" else RoadNetwork.from_pbf(path)
            _networks[key] = loaded
        return _networks[key]


_midnight = midnight
_at = at_time


@dataclass
class _City:
    """A dispatch problem built from the data layer, with its road matrices."""

    problem: DispatchProblem
    mats: RoadMatrices
    vehicle_ids: list[int]
    shipment_ids: list[int]
    no_address: list[int]
    off_window: dict[int, str]
    """Shipments whose delivery window has nothing on the day: ``time_window``."""


def _can_leave(shift_start_s: float, shift_end_s: float, depot: Any, not_before_s: float) -> bool:
    """True when a vehicle can still leave the depot on its shift at or after ``not_before_s``."""
    start = max(float(shift_start_s), not_before_s)
    return start < min(float(shift_end_s), float(depot.closes_s))


@dataclass(frozen=True)
class _Kept:
    """Routes a re-plan leaves as they are: their stops and (on the planned day) vehicles."""

    shipments: frozenset[int]
    vehicles: frozenset[int]


def _kept_routes(db: Database, day: date) -> _Kept:
    """What a re-plan of ``day`` must leave where it is.

    A route the courier has started keeps its stops (their goods are on the vehicle), and on
    ``day`` its vehicle keeps its route (the new plan leaves it out). A parcel out for delivery
    on a route of another day is never moved to ``day`` (it stays late, not tomorrow's).
    """
    with db.session() as s:
        live = fleet_repo.routes_with_open_stops(s)
    shipments: set[int] = set()
    vehicles: set[int] = set()
    for route, statuses in live:
        if route.status == RouteStatus.ACTIVE.value:
            shipments.update(statuses)
            if route.plan_date == day:
                vehicles.add(route.vehicle_id)
        elif route.plan_date != day:
            out = TrackingStatus.OUT_FOR_DELIVERY.value
            shipments.update(sid for sid, st in statuses.items() if st == out)
    return _Kept(frozenset(shipments), frozenset(vehicles))


def _stop_for(sh: orders_repo.ShipmentView, windows: tuple[TimeWindow, ...] = ()) -> DispatchStop:
    """A shipment as a stop: a delivery, or a return picked up and brought to the depot; service
    starts in ``windows`` (the shipment's delivery window on the day; empty: any time)."""
    units = max(1, int(sh.demand))
    is_return = sh.kind == ShipmentKind.RETURN.value
    return DispatchStop(
        id=str(sh.id),
        x=float(sh.lon or 0),
        y=float(sh.lat or 0),
        demand=0 if is_return else units,
        pickup=units if is_return else 0,
        service_time=SERVICE_S,
        windows=windows,
    )


def _build(
    db: Database,
    network: RoadNetwork,
    day: date,
    shipment_filter: set[int] | frozenset[int] | None = None,
    *,
    not_before_s: float = 0.0,
    depot_ids: tuple[int, ...] | None = None,
    kept: _Kept | None = None,
) -> _City:
    """The problem of ``network``'s city on ``day``: its depots (or ``depot_ids``), their vehicles
    and the open shipments inside it (or ``shipment_filter``), each in its delivery window."""
    with db.session() as s:
        all_depots, all_vehicles = fleet_repo.get_fleet(s)
        shipments = orders_repo.list_open_shipments(s)
    depots = [
        d for d in all_depots if d.city == network.city and (depot_ids is None or d.id in depot_ids)
    ]
    index = {d.id: k for k, d in enumerate(depots)}
    vehicles = [
        v
        for v in all_vehicles
        if v.depot_id in index
        and v.end_depot in index
        and _can_leave(v.shift_start_s, v.shift_end_s, depots[index[v.depot_id]], not_before_s)
    ]
    if not depots or not vehicles:
        raise ConflictError(
            f"There is no depot or vehicle to plan with in {network.city!r}; load the demo "
            "fleet or add them (`lingxi fleet depot add`, `lingxi fleet vehicle add`)."
        )
    if kept is not None:
        vehicles = [v for v in vehicles if v.id not in kept.vehicles]
        shipments = [sh for sh in shipments if sh.id not in kept.shipments]
    ships = [sh for sh in shipments if shipment_filter is None or sh.id in shipment_filter]
    no_address = [sh.id for sh in ships if sh.lat is None or sh.lon is None]
    hours = (float(min(d.opens_s for d in depots)), float(max(d.closes_s for d in depots)))
    windows = {
        sh.id: window_on_day(day, sh.window_start, sh.window_end, hours)
        for sh in ships
        if sh.lat is not None and sh.lon is not None
    }
    off_window = {sid: "time_window" for sid, w in windows.items() if w is None}
    located = [sh for sh in ships if windows.get(sh.id) is not None]
    points = [(d.lat, d.lon) for d in depots] + [
        (float(sh.lat or 0), float(sh.lon or 0)) for sh in located
    ]
    nodes, _snap = network.snap(points)
    mats = network.matrices(nodes)
    stops = tuple(_stop_for(sh, windows[sh.id] or ()) for sh in located)
    fleet = tuple(
        DispatchVehicle(
            v.name,
            v.capacity,
            depot=index[v.end_depot],
            shift_start=max(float(v.shift_start_s), not_before_s),
            shift_end=float(v.shift_end_s),
            start_location=None if v.end_depot == v.depot_id else index[v.depot_id],
        )
        for v in vehicles
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
        depots=tuple(
            Location(d.name, d.lon, d.lat, float(d.opens_s), float(d.closes_s)) for d in depots
        ),
        vehicles=fleet,
        stops=stops,
        distance=mats.distance_m,
        duration=mats.time_s,
        name="city",
    )
    return _City(
        problem, mats, [v.id for v in vehicles], [sh.id for sh in located], no_address, off_window
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
    with db.session() as s:
        ids = fleet_repo.save_routes(s, plan_date=day, routes=specs)
        starts = {st.stop_id: st.start for r in chosen for st in r.stops}
        changes = _record_etas(s, day, starts, note)
    return ids, geoms, changes


def _record_etas(
    session: Any, day: date, starts: dict[str, float], note: str
) -> list[tuple[int, datetime]]:
    """Store each shipment's ETA (its service start); with ``note``, an ETA that moved by more
    than a minute is a tracking event. Returns the moved ones."""
    changes: list[tuple[int, datetime]] = []
    for stop_id, start in starts.items():
        sid, eta = int(stop_id), _at(day, start)
        view = orders_repo.get_shipment(session, shipment_id=sid)
        old = view.eta
        if note and old is not None and abs((eta - old).total_seconds()) > ETA_CHANGE_S:
            orders_repo.add_tracking_event(
                session, shipment_id=sid, status=view.status, note=note, eta=eta
            )
            changes.append((sid, eta))
        else:
            orders_repo.set_shipment_eta(session, shipment_id=sid, eta=eta)
    return changes


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
    kept = _kept_routes(db, day)
    if not_before is not None and not_before.astimezone(UTC).date() == day:
        not_before_s = (not_before - _midnight(day)).total_seconds()
        with db.session() as s:
            depots, vehicles = fleet_repo.get_fleet(s)
        ours = {d.id: d for d in depots if d.city == network.city}
        if ours and not any(
            _can_leave(v.shift_start_s, v.shift_end_s, ours[v.depot_id], not_before_s)
            for v in vehicles
            if v.depot_id in ours and v.id not in kept.vehicles
        ):
            return plan_shipments(db, day + timedelta(days=1), params=params, network=network)
    parts: list[DayPlan] = []
    groups, left_out = city_districts(db, network)
    for group in groups:
        city = _build(
            db,
            network,
            day,
            group.shipment_ids,
            not_before_s=not_before_s,
            depot_ids=group.depot_ids if len(groups) > 1 else None,
            kept=kept,
        )
        if not city.problem.stops:
            parts.append(
                DayPlan(
                    day, DispatchPlan(()), [], [], [], city.no_address, left_out=city.off_window
                )
            )
            continue
        model, reports = _traffic_model(db, network, city, day)
        plan = (
            solve_td(city.problem, model, params)
            if model is not None
            else solve(city.problem, params)
        )
        ids, geoms, _ = _save(db, city, network, day, plan)
        with db.session() as s:  # a vehicle the new plan leaves idle keeps no stale route
            used = {city.vehicle_ids[r.vehicle] for r in plan.routes if r.stops}
            fleet_repo.supersede_routes(
                s, plan_date=day, vehicle_ids=[v for v in city.vehicle_ids if v not in used]
            )
        parts.append(
            DayPlan(
                day,
                plan,
                ids,
                city.shipment_ids,
                geoms,
                city.no_address,
                reports,
                _points(city),
                kinds=_kinds(city),
                left_out=city.off_window,
            )
        )
    return _recorded(db, merge_day_plans(day, parts, left_out), "plan", not_before)


def _recorded(db: Database, plan: DayPlan, kind: str, at: datetime | None) -> DayPlan:
    """``plan``, once its totals are in the history of plans."""
    reasons = plan.to_dict()["unassigned"]
    return record_plan(db, plan, day=plan.day, kind=kind, reasons=reasons, at=at)


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
            "plan_updated": bool(self.routes_replanned),
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

    Raises
    ------
    InvalidInputError
        The span is empty, has no zone offset, or does not overlap ``day``; or the area is
        malformed. Nothing is saved then.
    """
    network = network or load_network()
    params = params or DispatchParams(time_limit=1.0)
    check_span_in_day(day, starts_at, ends_at)
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
    t_now = ((now or starts_at) - _midnight(day)).total_seconds()
    note = f"ETA updated after traffic report #{obs_id}"
    with db.session() as s:
        depots, vehicles = fleet_repo.get_fleet(s)
    groups, _ = city_districts(db, network)
    # Each depot's district on its own, as its day plan was made; then any route of a vehicle
    # in none of them (it ends at another district's depot) with every depot of the city.
    passes = [g.depot_ids for g in groups] if len(groups) > 1 else []
    parts: list[DayPlan] = []
    changes: list[tuple[int, datetime]] = []
    todo = list(live)
    for depot_ids in [*passes, None]:
        ours = set(depot_ids or (d.id for d in depots if d.city == network.city))
        mine = {v.id for v in vehicles if v.depot_id in ours and v.end_depot in ours}
        routes = [r for r in todo if r.vehicle_id in mine]
        todo = [r for r in todo if r.vehicle_id not in mine]
        done = _replan_part(db, network, day, routes, depot_ids, t_now, params, note)
        if done is not None:
            parts.append(done[0])
            changes += done[1]
    if not parts:
        return TrafficResult(obs_id, [], [], None)
    day_plan = merge_day_plans(day, parts, {})
    if day_plan.route_ids:
        _recorded(db, day_plan, "traffic", now)
    return TrafficResult(obs_id, day_plan.route_ids, changes, day_plan)


def _replan_part(
    db: Database,
    network: RoadNetwork,
    day: date,
    live: Sequence[fleet_repo.RouteView],
    depot_ids: tuple[int, ...] | None,
    t_now: float,
    params: DispatchParams,
    note: str,
) -> tuple[DayPlan, list[tuple[int, datetime]]] | None:
    """Re-time ``live`` routes under the day's traffic with the depots ``depot_ids`` (``None``:
    the city's): each keeps its stops, re-sequenced from where its vehicle is."""
    planned = {st.shipment_id for r in live for st in r.stops if st.shipment_id is not None}
    if not planned:
        return None
    city = _build(db, network, day, shipment_filter=planned, depot_ids=depot_ids)
    model, reports = _traffic_model(db, network, city, day)
    if model is None:  # cannot happen after check_span_in_day: the report just saved overlaps
        return None
    # The plan as saved, re-timed statically (what vehicles are doing).
    stop_of = {int(st.id): k for k, st in enumerate(city.problem.stops)}
    veh_of = {vid: k for k, vid in enumerate(city.vehicle_ids)}
    routes = []
    for r in live:
        seq = [stop_of[st.shipment_id] for st in r.stops if st.shipment_id in stop_of]
        if seq and r.vehicle_id in veh_of:
            routes.append(as_saved(city.problem, veh_of[r.vehicle_id], seq, r, day))
    saved = DispatchPlan(tuple(routes))
    # A leg under way keeps its stop, but its arrival depends on the traffic ahead of it.
    states, under_way = retime_in_flight(
        city.problem, saved, states_at(city.problem, saved, t_now), t_now, model
    )
    new_plan = replan(city.problem, states, [], params, model=model)
    moved = sorted({r.vehicle for r in new_plan.routes})
    ids, geoms, changes = _save(db, city, network, day, new_plan, vehicles=moved, note=note)
    with db.session() as s:
        changes += _record_etas(s, day, under_way, note)
    return DayPlan(
        day,
        new_plan,
        ids,
        city.shipment_ids,
        geoms,
        [],
        reports,
        _points(city),
        kinds=_kinds(city),
        left_out=city.off_window,
    ), changes


def eta_for_shipment(
    db: Database,
    shipment_id: int,
    *,
    household_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The current ETA of a shipment and where it sits on its route.

    With ``household_id``, only that household's shipments are visible (NotFoundError otherwise).
    ``now`` (default: the wall clock) decides whether the ETA has passed (``eta_state``) and
    places the vehicle: where the courier last reported, else on its planned line; only while
    the parcel is near (:func:`lingxi.dispatch.courier.customer_position_allowed`).
    """
    from lingxi.dispatch.courier import shipment_live_view

    with db.session() as s:
        view = orders_repo.get_shipment(s, shipment_id=shipment_id, household_id=household_id)
        found = fleet_repo.route_for_shipment(s, shipment_id=shipment_id)
    return shipment_live_view(db, view, found, now or datetime.now(UTC))


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
