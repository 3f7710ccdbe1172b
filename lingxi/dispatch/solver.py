"""The PyVRP adapter: the only module that imports pyvrp.

:func:`solve` turns a :class:`DispatchProblem` into PyVRP's ``ProblemData`` (scaled integer
matrices, one client per time window in a mutually exclusive group, vehicles with the same
attributes grouped into one type), runs the iterated local search and maps the result back to
our own :class:`DispatchPlan`, timed by :func:`lingxi.dispatch.plan.evaluate_route` in floating
point. Required stops that cannot all be served are retried as optional stops with a large
prize, so the plan names what was left out and why instead of failing.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pyvrp import (
    Client,
    ClientGroup,
    Depot,
    Location as PyLocation,
    ProblemData,
    Route as PyRoute,
    Solution,
    VehicleType,
    solve as pyvrp_solve,
)
from pyvrp.stop import FirstFeasible, MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from lingxi.dispatch.params import DispatchParams
from lingxi.dispatch.plan import DispatchPlan, Unassigned, VehicleRoute, evaluate_route
from lingxi.dispatch.problem import DispatchProblem

__all__ = ["ArrayPlan", "solve", "solve_arrays"]

logger = logging.getLogger(__name__)

_MAX = np.iinfo(np.int64).max // 4
_UNREACHABLE = 10**12  # stands for an arc that does not exist (scaled units)


@dataclass
class _Mapping:
    """How PyVRP indices map back to ours."""

    client_stop: list[int]
    """PyVRP client index -> stop index."""
    stop_clients: list[list[int]]
    """Stop index -> PyVRP client indices (one per window)."""
    type_vehicles: list[list[int]]
    """PyVRP vehicle type -> our vehicle indices."""


def _scaled(matrix: NDArray[np.float64], precision: int) -> NDArray[np.int64]:
    out = np.where(np.isfinite(matrix), np.rint(matrix * precision), _UNREACHABLE)
    return out.astype(np.int64)


def _t(value: float, precision: int) -> int:
    if not np.isfinite(value):
        return int(_MAX)
    return int(round(value * precision))


def _build(
    problem: DispatchProblem,
    params: DispatchParams,
    *,
    duration: NDArray[np.float64] | None,
    optional_all: bool,
    active_vehicles: Sequence[int] | None = None,
) -> tuple[ProblemData, _Mapping]:
    p = params.precision
    n_depots = len(problem.depots)
    locations = [PyLocation(x, y) for x, y in problem.points]
    depots: list[Depot] = [
        Depot(i, tw_early=_t(d.opens, p), tw_late=_t(d.closes, p), name=d.id)
        for i, d in enumerate(problem.depots)
    ]
    # A vehicle under way starts at a waypoint: give it a start depot there.
    start_depot: dict[int, int] = {}
    for v in problem.vehicles:
        loc = v.start_location
        if loc is not None and loc >= n_depots and loc not in start_depot:
            start_depot[loc] = len(depots)
            depots.append(Depot(loc, name=f"start-{v.id}"))
    clients: list[Client] = []
    groups: list[ClientGroup] = []
    client_stop: list[int] = []
    stop_clients: list[list[int]] = []
    dist = problem.dur if params.objective == "duration" else problem.dist
    finite = dist[np.isfinite(dist)]
    longest = float(finite.max()) if finite.size else 1.0
    fixed = max((v.fixed_cost for v in problem.vehicles), default=0.0)
    # Worth more than any one insertion (at most two of the longest arcs) and a vehicle.
    big = params.unassigned_penalty * (2 * longest + fixed + 1) * p
    for i, s in enumerate(problem.stops):
        loc = problem.stop_location(i)
        required = s.required and not optional_all
        if s.prize is not None:
            prize = int(round(s.prize * p))
        elif optional_all:
            prize = int(big * (1 + max(0, s.priority)))
        else:
            prize = 0
        windows = s.windows or ()
        spans = [(w.start, w.end) for w in windows] or [(0.0, float("inf"))]
        ids: list[int] = []
        multi = len(spans) > 1
        if multi:
            groups.append(ClientGroup([], required=required, name=s.id))
        for early, late in spans:
            ids.append(len(clients))
            client_stop.append(i)
            clients.append(
                Client(
                    loc,
                    delivery=[s.demand],
                    pickup=[s.pickup],
                    service_duration=_t(s.service_time, p),
                    tw_early=_t(early, p),
                    tw_late=_t(late, p),
                    release_time=_t(s.release_time, p),
                    prize=prize,
                    required=required and not multi,
                    group=len(groups) - 1 if multi else None,
                    name=s.id,
                )
            )
        stop_clients.append(ids)
    if groups:
        # ClientGroup membership is set through the clients; rebuild with their indices.
        rebuilt: list[ClientGroup] = []
        g = 0
        for i, s in enumerate(problem.stops):
            if len(stop_clients[i]) > 1:
                rebuilt.append(ClientGroup(stop_clients[i], required=groups[g].required, name=s.id))
                g += 1
        groups = rebuilt

    wanted = range(len(problem.vehicles)) if active_vehicles is None else active_vehicles
    keys: dict[tuple[object, ...], list[int]] = {}
    for k in wanted:
        v = problem.vehicles[k]
        key = (
            v.capacity,
            v.depot,
            v.start_location,
            v.shift_start,
            v.shift_end,
            v.initial_load,
            v.fixed_cost,
        )
        keys.setdefault(key, []).append(k)
    vehicle_types: list[VehicleType] = []
    type_vehicles: list[list[int]] = []
    for members in keys.values():
        v = problem.vehicles[members[0]]
        start = v.depot
        if v.start_location is not None:
            start = start_depot.get(v.start_location, v.start_location)
        closes = min(v.shift_end, problem.depots[v.depot].closes)
        by_duration = params.objective == "route_duration"
        vehicle_types.append(
            VehicleType(
                num_available=len(members),
                capacity=[v.capacity],
                start_depot=start,
                end_depot=v.depot,
                fixed_cost=_t(v.fixed_cost, p),
                tw_early=_t(v.shift_start, p),
                tw_late=_t(closes, p),
                initial_load=[v.initial_load],
                unit_distance_cost=0 if by_duration else 1,
                unit_duration_cost=1 if by_duration else 0,
                name=v.id,
            )
        )
        type_vehicles.append(members)
    dur = problem.dur if duration is None else duration
    dist = dur if params.objective == "duration" else problem.dist
    data = ProblemData(
        locations,
        clients,
        depots,
        vehicle_types,
        [_scaled(dist, p)],  # type: ignore[list-item]
        [_scaled(dur, p)],  # type: ignore[list-item]
        groups=groups,
    )
    return data, _Mapping(client_stop, stop_clients, type_vehicles)


def _to_plan(
    problem: DispatchProblem,
    params: DispatchParams,
    solution: Solution,
    mapping: _Mapping,
    runtime: float,
    stats: dict[str, object],
) -> DispatchPlan:
    routes: list[VehicleRoute] = []
    used: dict[int, int] = {}
    served: set[int] = set()
    for r in solution.routes():
        t = r.vehicle_type()
        k = mapping.type_vehicles[t][used.get(t, 0)]
        used[t] = used.get(t, 0) + 1
        stops = [mapping.client_stop[a.idx] for a in r.schedule() if a.is_client()]
        served.update(stops)
        routes.append(evaluate_route(problem, k, stops))
    unassigned = [
        Unassigned(i, s.id, _reason(problem, i))
        for i, s in enumerate(problem.stops)
        if i not in served
    ]
    fixed = sum(problem.vehicles[r.vehicle].fixed_cost for r in routes if r.stops)
    return DispatchPlan(
        routes=tuple(sorted(routes, key=lambda r: r.vehicle)),
        unassigned=tuple(unassigned),
        objective=params.objective,
        runtime=runtime,
        fixed_costs=fixed,
        stats=stats,
    )


def _reason(problem: DispatchProblem, i: int) -> str:
    """Why stop ``i`` is unserved: optional, unreachable in time, or no room left."""
    stop = problem.stops[i]
    if not stop.required:
        return "not_profitable"
    for k, v in enumerate(problem.vehicles):
        if v.capacity < max(stop.demand, stop.pickup):
            continue
        if evaluate_route(problem, k, [i]).feasible:
            return "fleet_exhausted"
    return "time_window"


def _initial(data: ProblemData, mapping: _Mapping, plan: DispatchPlan | None) -> Solution | None:
    if plan is None:
        return None
    vehicle_type = {k: t for t, ks in enumerate(mapping.type_vehicles) for k in ks}
    routes = []
    for r in plan.routes:
        if r.stops and r.vehicle in vehicle_type:
            visits = [mapping.stop_clients[s.stop][0] for s in r.stops]
            routes.append(PyRoute(data, visits, vehicle_type[r.vehicle]))
    try:
        return Solution(data, routes)
    except (ValueError, RuntimeError, IndexError):  # too many routes for a type, etc.
        return None


def _rebuild(data: ProblemData, solution: Solution) -> Solution:
    """The same routes as a solution of ``data`` (another fleet size)."""
    return Solution(data, [PyRoute(data, _visits(r), 0) for r in solution.routes()])


def _visits(route: PyRoute) -> list[int]:
    return [a.idx for a in route.schedule() if a.is_client()]


def _minimise_fleet(
    data: ProblemData, budget: float, seed: int
) -> tuple[VehicleType, Solution | None]:
    """Fewest vehicles first: re-solve with one vehicle fewer than the last feasible plan
    used, until the search cannot make the smaller fleet feasible within ``budget`` seconds
    in all.

    Each smaller fleet gets two tries: from scratch, as :func:`pyvrp.minimise_fleet` does
    (half the time left), then from the last feasible plan without its smallest route (the
    search re-inserts those clients; the rest of the time). Unlike PyVRP's function this also
    returns the last feasible plan, so the distance stage starts from it: starting that stage
    over can fail to find any plan with the smallest fleet in the time left (measured on R104
    and R112 under load: 9 vehicles found, then 10-11 used). Returns the original fleet and
    ``None`` when no feasible plan was found. One vehicle type, required clients only.
    """
    started = time.perf_counter()
    vehicle_type = data.vehicle_type(0)
    demand = sum(c.delivery[0] for c in data.clients())
    pickup = sum(c.pickup[0] for c in data.clients())
    lower = max(1, -(-max(demand, pickup) // max(vehicle_type.capacity[0], 1)))
    best: Solution | None = None
    fleet = vehicle_type.num_available
    while fleet >= lower:
        trial = data.replace(vehicle_types=[vehicle_type.replace(num_available=fleet)])
        found: Solution | None = None
        for share, warm in ((0.5, False), (1.0, True)):
            left = budget - (time.perf_counter() - started)
            if left <= 0.05 or (warm and best is None):
                break
            start = None
            if warm and best is not None:
                routes = sorted(best.routes(), key=lambda r: (r.num_clients(), r.distance()))
                start = Solution(trial, [PyRoute(trial, _visits(r), 0) for r in routes[1:]])
            attempt = pyvrp_solve(
                trial,
                MultipleCriteria([FirstFeasible(), MaxRuntime(left * share)]),
                seed=seed,
                collect_stats=False,
                initial_solution=start,
            ).best
            if attempt.is_feasible() and attempt.is_complete():
                found = attempt
                break
        if found is None:
            break
        best = found
        fleet = found.num_routes() - 1
    if best is None:
        return vehicle_type, None
    return vehicle_type.replace(num_available=best.num_routes()), best


def solve(
    problem: DispatchProblem,
    params: DispatchParams | None = None,
    *,
    duration: NDArray[np.float64] | None = None,
    initial: DispatchPlan | None = None,
    relax: bool = True,
) -> DispatchPlan:
    """Plan routes for ``problem``.

    Parameters
    ----------
    problem
        Depots, vehicles and stops.
    params
        Time limit, seed and objective; defaults to :class:`DispatchParams()`.
    duration
        A duration matrix to search with instead of ``problem.duration`` (the time-dependent
        planner passes departure-time-aware estimates); the plan is still timed on the problem.
    initial
        A previous plan to warm-start from.
    relax
        When the search finds no plan serving every required stop, search again (half the
        time limit) serving what fits. ``False`` returns the best plan found as it is (routes
        may then be late or over capacity: check ``feasible``), so the call keeps its limit.

    Returns
    -------
    DispatchPlan
        Routes timed in floating point, and every stop that is not served with a reason.

    Notes
    -----
    When the search finds no plan serving every required stop, a second search of half the
    time limit serves what it can (by priority), so the call can take up to 1.5 x the limit.
    """
    params = params or DispatchParams()
    started = time.perf_counter()
    stats: dict[str, object] = {}
    limit = params.time_limit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyVRP's penalty warnings: we report feasibility
        data, mapping = _build(problem, params, duration=duration, optional_all=False)
        warm: Solution | None = None
        if (
            params.objective == "hierarchical"
            and data.num_vehicle_types == 1
            and all(c.required for c in data.clients())
            and initial is None
        ):
            fleet_time = limit * params.fleet_share
            fleet, warm = _minimise_fleet(data, fleet_time, params.seed)
            data = data.replace(vehicle_types=[fleet])
            stats["fleet"] = fleet.num_available
            limit -= time.perf_counter() - started
        result = pyvrp_solve(
            data,
            MaxRuntime(max(limit, 0.05)),
            seed=params.seed,
            collect_stats=False,
            initial_solution=_rebuild(data, warm) if warm else _initial(data, mapping, initial),
        )
        best = result.best
        stats["iterations"] = result.num_iterations
        if relax and not best.is_feasible():
            # Not everything fits: serve what we can, by priority, and say what is left out.
            data, mapping = _build(problem, params, duration=duration, optional_all=True)
            remaining = max(params.time_limit * 0.5, 0.1)
            result = pyvrp_solve(
                data,
                MaxRuntime(remaining),
                seed=params.seed,
                collect_stats=False,
                initial_solution=_initial(data, mapping, initial),
            )
            best = result.best
            stats["relaxed"] = True
    return _to_plan(problem, params, best, mapping, time.perf_counter() - started, stats)


@dataclass(frozen=True)
class ArrayPlan:
    """Routes of a :func:`solve_arrays` call, as node indices (the depot is node 0)."""

    routes: list[list[int]]
    feasible: list[bool]
    """Per route: on time and within capacity."""
    starts: list[int]
    """Per route: when it leaves the depot."""
    iterations: int


def solve_arrays(
    duration: NDArray[np.int64],
    windows: NDArray[np.int64],
    service: NDArray[np.int64],
    demand: NDArray[np.int64],
    capacity: int,
    *,
    time_limit: float,
    seed: int,
    release: NDArray[np.int64] | None = None,
    prizes: NDArray[np.int64] | None = None,
    iterations: int | None = None,
    initial: Sequence[Sequence[int]] = (),
) -> ArrayPlan:
    """Solve a single-depot integer VRPTW given as arrays, without the problem model.

    The fast path for the dynamic policies' many short solves: no stop objects, no timing
    in floating point afterwards. Node 0 is the depot (``windows[0]`` its opening hours),
    the cost is the driving time, the fleet is unlimited. ``prizes[k] < 0`` makes node
    ``k`` required, ``>= 0`` optional with that prize (``None``: all required). The search
    stops after ``time_limit`` seconds or ``iterations`` iterations, whichever is first;
    ``initial`` routes (node indices, possibly not all nodes) warm-start it.
    """
    n = len(demand)
    horizon = int(windows[0, 1])
    rel = np.zeros(n, np.int64) if release is None else release
    clients = [
        Client(
            k,
            delivery=[int(demand[k])],
            service_duration=int(service[k]),
            tw_early=int(windows[k, 0]),
            tw_late=int(windows[k, 1]),
            release_time=int(rel[k]),
            prize=0 if prizes is None else max(int(prizes[k]), 0),
            required=prizes is None or int(prizes[k]) < 0,
        )
        for k in range(1, n)
    ]
    data = ProblemData(
        [PyLocation(0, 0)] * n,
        clients,
        [Depot(0, tw_early=int(windows[0, 0]), tw_late=horizon)],
        [VehicleType(max(n - 1, 1), capacity=[capacity], tw_late=horizon)],
        [duration],  # type: ignore[list-item]
        [duration],  # type: ignore[list-item]
    )
    stop: StoppingCriterion = MaxRuntime(max(time_limit, 0.01))
    if iterations is not None:
        stop = MultipleCriteria([MaxIterations(iterations), stop])
    start: Solution | None = None
    if initial:
        try:
            start = Solution(data, [[k - 1 for k in r] for r in initial if r])
        except (ValueError, RuntimeError, IndexError):
            start = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = pyvrp_solve(data, stop, seed=seed, collect_stats=False, initial_solution=start)
    routes, feasible, starts = [], [], []
    for r in result.best.routes():
        routes.append([k + 1 for k in _visits(r)])  # client indices count from 0
        feasible.append(r.is_feasible())
        starts.append(r.start_time())
    return ArrayPlan(routes, feasible, starts, result.num_iterations)
