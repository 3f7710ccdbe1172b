"""Plans: routes with their stops and times, unassigned stops with a reason.

Routes are (re-)timed here by one function, :func:`evaluate_route`, for both static travel
times (the problem's duration matrix) and time-dependent ones (any :class:`TravelTime`), so
ETAs, feasibility and cost always come from the same arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from lingxi.dispatch.problem import DispatchProblem, DispatchStop

__all__ = [
    "DispatchPlan",
    "PlannedStop",
    "TravelTime",
    "Unassigned",
    "VehicleRoute",
    "evaluate_route",
]

_EPS = 1e-6


class TravelTime(Protocol):
    """Travel time from location ``i`` to ``j`` when leaving at time ``t`` (FIFO)."""

    def travel(self, i: int, j: int, t: float) -> float:
        """Seconds to drive from ``i`` to ``j`` departing at ``t``."""
        ...


@dataclass(frozen=True, slots=True)
class PlannedStop:
    """One stop on a route with its planned times and the load on board after it."""

    stop: int
    """Index into ``problem.stops`` (the client number is ``stop + 1``)."""
    stop_id: str
    location: int
    arrival: float
    start: float
    """Service start (after any wait for the window)."""
    departure: float
    load: int
    """Units on board when leaving (deliveries still to make plus pickups collected)."""
    late: float = 0.0
    """How far past its window service starts (0 in a feasible plan)."""


@dataclass(frozen=True, slots=True)
class VehicleRoute:
    """One vehicle's route."""

    vehicle: int
    """Index into ``problem.vehicles``."""
    vehicle_id: str
    stops: tuple[PlannedStop, ...]
    start_time: float
    end_time: float
    distance: float
    travel_time: float
    """Driving time only (no service or waiting)."""
    max_load: int
    excess_load: int = 0
    start_load: int = 0
    """Units on board when leaving: the deliveries for its stops plus any initial load."""
    late: float = 0.0
    """Total lateness at stops and on return (time warp); 0 when feasible."""

    @property
    def duration(self) -> float:
        """From leaving the start to returning to the depot."""
        return self.end_time - self.start_time

    @property
    def feasible(self) -> bool:
        """True when the route keeps every window, the shift and the capacity."""
        return self.excess_load == 0 and self.late <= _EPS

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view with client numbers (stop + 1) and times."""
        return {
            "vehicle": self.vehicle_id,
            "stops": [s.stop + 1 for s in self.stops],
            "stop_ids": [s.stop_id for s in self.stops],
            "etas": [round(float(s.start), 2) for s in self.stops],
            "start_time": round(float(self.start_time), 2),
            "end_time": round(float(self.end_time), 2),
            "distance": round(float(self.distance), 2),
            "duration": round(float(self.duration), 2),
            "start_load": self.start_load,
            "loads": [s.load for s in self.stops],
            "max_load": self.max_load,
            "feasible": self.feasible,
        }


@dataclass(frozen=True, slots=True)
class Unassigned:
    """A stop the plan does not serve, and why."""

    stop: int
    stop_id: str
    reason: str
    """``time_window`` (cannot be reached in any window by any vehicle), ``fleet_exhausted``
    (no vehicle has room or time left), ``not_profitable`` (optional stop, prize below its
    cost), ``infeasible`` (solver found no feasible placement)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (``client`` counts the depot as 0)."""
        return {"client": self.stop + 1, "id": self.stop_id, "reason": self.reason}


@dataclass(frozen=True)
class DispatchPlan:
    """A solution: routes, unassigned stops and how it was found."""

    routes: tuple[VehicleRoute, ...]
    unassigned: tuple[Unassigned, ...] = ()
    objective: str = "distance"
    runtime: float = 0.0
    fixed_costs: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def distance(self) -> float:
        """Total distance."""
        return sum(r.distance for r in self.routes)

    @property
    def duration(self) -> float:
        """Total route duration (driving, service and waiting)."""
        return sum(r.duration for r in self.routes)

    @property
    def travel_time(self) -> float:
        """Total driving time."""
        return sum(r.travel_time for r in self.routes)

    @property
    def vehicles(self) -> int:
        """Vehicles used (routes with at least one stop)."""
        return sum(1 for r in self.routes if r.stops)

    @property
    def feasible(self) -> bool:
        """Every route keeps its windows, shift and capacity, and no required stop is left."""
        return all(r.feasible for r in self.routes) and not any(
            u.reason != "not_profitable" for u in self.unassigned
        )

    @property
    def cost(self) -> float:
        """The objective: distance (+ fixed costs), or driving time for ``duration``."""
        if self.objective == "duration":
            return self.travel_time + self.fixed_costs
        if self.objective == "route_duration":
            return self.duration + self.fixed_costs
        return self.distance + self.fixed_costs

    def route_for_stop(self, stop_id: str) -> tuple[VehicleRoute, PlannedStop] | None:
        """The route and planned visit of a stop, if it is planned."""
        for r in self.routes:
            for s in r.stops:
                if s.stop_id == stop_id:
                    return r, s
        return None

    def to_dict(self) -> dict[str, Any]:
        """The ``lingxi dispatch solve --json`` document (see DESIGN.md)."""
        return {
            "routes": [r.to_dict() for r in self.routes if r.stops],
            "cost": round(float(self.cost), 2),
            "distance": round(float(self.distance), 2),
            "duration": round(float(self.duration), 2),
            "vehicles": self.vehicles,
            "feasible": self.feasible,
            "unassigned": [u.to_dict() for u in self.unassigned],
            "objective": self.objective,
            "runtime_s": round(self.runtime, 3),
        }

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{self.vehicles} vehicles, distance {self.distance:.2f}, duration "
            f"{self.duration:.2f}, {len(self.unassigned)} unassigned, "
            f"{'feasible' if self.feasible else 'INFEASIBLE'}"
        )


def _service_start(stop: DispatchStop, arrival: float) -> tuple[float, float]:
    """(service start, lateness) for a stop reached at ``arrival``."""
    if not stop.windows:
        return arrival, 0.0
    for w in stop.windows:
        if arrival <= w.end + _EPS:
            return max(arrival, w.start), 0.0
    last = stop.windows[-1]
    return arrival, arrival - last.end


def _simulate(
    problem: DispatchProblem,
    vehicle: int,
    stops: Sequence[int],
    depart: float,
    travel: TravelTime | None,
) -> tuple[list[PlannedStop], float, float, float, float]:
    """Forward pass; returns (visits, end time, driving time, lateness, total wait)."""
    veh = problem.vehicles[vehicle]
    dur = problem.dur
    load = veh.initial_load + sum(problem.stops[i].demand for i in stops)
    here = problem.vehicle_start(veh)
    t = depart
    driving = late = wait = 0.0
    visits: list[PlannedStop] = []
    for i in stops:
        stop = problem.stops[i]
        loc = problem.stop_location(i)
        leg = dur[here, loc] if travel is None else travel.travel(here, loc, t)
        driving += leg
        arrival = t + leg
        start, lateness = _service_start(stop, arrival)
        wait += start - arrival
        late += lateness
        load += stop.pickup - stop.demand
        t = start + stop.service_time
        visits.append(PlannedStop(i, stop.id, loc, arrival, start, t, load, lateness))
        here = loc
    leg = dur[here, veh.depot] if travel is None else travel.travel(here, veh.depot, t)
    driving += leg
    end = t + leg
    closes = min(veh.shift_end, problem.depots[veh.depot].closes)
    late += max(0.0, end - closes)
    return visits, end, driving, late, wait


def evaluate_route(
    problem: DispatchProblem,
    vehicle: int,
    stops: Sequence[int],
    *,
    travel: TravelTime | None = None,
    earliest: float | None = None,
    objective_duration: bool = False,
) -> VehicleRoute:
    """Time a route: earliest feasible departure, then delayed as far as it cuts waiting.

    Parameters
    ----------
    problem
        The problem the stop indices refer to.
    vehicle
        Index into ``problem.vehicles``.
    stops
        Stop indices in visiting order.
    travel
        Time-dependent travel times; ``None`` uses the static duration matrix.
    earliest
        Earliest departure (the current time for a vehicle under way); default the later of
        the shift start, the depot opening and the stops' release times.
    objective_duration
        With time-dependent travel, search the departure time that makes the route shortest
        (end minus start) without making it later anywhere.
    """
    veh = problem.vehicles[vehicle]
    if earliest is None:
        earliest = max(
            veh.shift_start,
            problem.depots[veh.depot].opens if veh.start_location is None else 0.0,
            max((problem.stops[i].release_time for i in stops), default=0.0),
        )
    visits, end, driving, late, wait = _simulate(problem, vehicle, stops, earliest, travel)
    depart = earliest
    if wait > _EPS and stops:
        # Leave later to cut waiting, as long as it does not make anything late.
        lo, hi = 0.0, wait
        for _ in range(30 if travel is not None else 40):
            mid = (lo + hi) / 2
            v2, e2, d2, l2, _w2 = _simulate(problem, vehicle, stops, earliest + mid, travel)
            if l2 <= late + _EPS and e2 <= end + _EPS:
                lo = mid
            else:
                hi = mid
            if hi - lo < 1e-3:
                break
        if lo > 0:
            depart = earliest + lo
            visits, end, driving, late, wait = _simulate(problem, vehicle, stops, depart, travel)
    if travel is not None and stops and objective_duration:
        depart, visits, end, driving, late = _best_departure(
            problem, vehicle, stops, travel, earliest, (depart, visits, end, driving, late)
        )
    here = problem.vehicle_start(veh)
    distance = 0.0
    for v in visits:
        distance += float(problem.dist[here, v.location])
        here = v.location
    distance += float(problem.dist[here, veh.depot])
    start_load = veh.initial_load + sum(problem.stops[i].demand for i in stops)
    max_load = max([start_load] + [v.load for v in visits])
    return VehicleRoute(
        vehicle=vehicle,
        vehicle_id=veh.id,
        stops=tuple(visits),
        start_time=depart,
        end_time=end,
        distance=distance,
        travel_time=driving,
        max_load=max_load,
        excess_load=max(0, max_load - veh.capacity),
        start_load=start_load,
        late=late,
    )


def _best_departure(
    problem: DispatchProblem,
    vehicle: int,
    stops: Sequence[int],
    travel: TravelTime,
    earliest: float,
    current: tuple[float, list[PlannedStop], float, float, float],
) -> tuple[float, list[PlannedStop], float, float, float]:
    """Scan departure times for the shortest on-time route, then refine around the best."""
    best = current
    best_key = (current[4] > _EPS, current[2] - current[0])
    veh = problem.vehicles[vehicle]
    closes = min(veh.shift_end, problem.depots[veh.depot].closes)
    windows = [w.end for i in stops for w in problem.stops[i].windows[-1:]]
    latest = min([*windows, closes])
    if not latest > earliest or not np.isfinite(latest):
        return best
    step = (latest - earliest) / 48
    grid = [earliest + k * step for k in range(49)]
    for _round in range(2):
        for d in grid:
            visits, end, driving, late, _w = _simulate(problem, vehicle, stops, d, travel)
            key = (late > current[4] + _EPS, end - d)
            if key < best_key:
                best, best_key = (d, visits, end, driving, late), key
        centre = best[0]
        grid = [
            centre + (k - 8) * step / 8
            for k in range(17)
            if earliest <= centre + (k - 8) * step / 8
        ]
    return best


def total_late(routes: Sequence[VehicleRoute]) -> float:
    """Sum of lateness over routes."""
    return math.fsum(r.late for r in routes)
