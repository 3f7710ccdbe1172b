"""Planning for time-dependent travel: the search optimises the time-dependent objective.

:func:`solve_td` alternates two steps. (1) PyVRP searches on a duration matrix whose entry
``(i, j)`` is the time-dependent travel time when leaving ``i`` at the time the current plan
leaves it (first round: a window-based estimate), so arcs are priced for the period in which
they are driven. (2) The plan is re-timed exactly with the speed model, the departure estimates
are updated from it, and the next round starts warm from it. A final local search (relocate moves,
with exact time-dependent evaluation of every move) repairs any stop made late by the
estimate and improves the time-dependent cost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from lingxi.dispatch.params import DispatchParams
from lingxi.dispatch.plan import DispatchPlan, TravelTime, Unassigned, evaluate_route
from lingxi.dispatch.problem import DispatchProblem, DispatchStop
from lingxi.dispatch.solver import solve
from lingxi.dispatch.td import TimeDependent

__all__ = ["estimate_departures", "retime", "solve_td"]

_LATE = 1e6  # penalty per unit of lateness in the local search
_LOAD = 1e6


def _window_start(stop: DispatchStop) -> float:
    return stop.windows[0].start if stop.windows else 0.0


def estimate_departures(problem: DispatchProblem, model: TimeDependent) -> NDArray[np.float64]:
    """A departure time per location before any plan exists.

    Depots leave when they open; a stop is left after service, starting at the later of its
    window opening and the earliest arrival from the depot.
    """
    n = problem.num_locations
    dep = np.zeros(n)
    for d, depot in enumerate(problem.depots):
        dep[d] = depot.opens
    first = model.travel_matrix(dep)[0]
    for i, s in enumerate(problem.stops):
        loc = problem.stop_location(i)
        arrive = problem.depots[0].opens + first[loc]
        start = max(arrive, _window_start(s))
        if s.windows:
            start = min(start, s.windows[-1].end)
        dep[loc] = start + s.service_time
    for w in range(len(problem.waypoints)):
        dep[len(problem.depots) + len(problem.stops) + w] = max(
            (v.shift_start for v in problem.vehicles), default=0.0
        )
    return dep


def retime(problem: DispatchProblem, plan: DispatchPlan, travel: TravelTime) -> DispatchPlan:
    """The same routes timed with ``travel`` (ETAs, lateness, driving time)."""
    by_duration = plan.objective == "route_duration"
    routes = tuple(
        evaluate_route(
            problem,
            r.vehicle,
            [s.stop for s in r.stops],
            travel=travel,
            objective_duration=by_duration,
        )
        for r in plan.routes
    )
    return replace(plan, routes=routes)


def _score(plan: DispatchPlan, hierarchical: bool) -> tuple[float, ...]:
    late = sum(r.late for r in plan.routes) + sum(r.excess_load for r in plan.routes)
    missing = sum(1 for u in plan.unassigned if u.reason != "not_profitable")
    vehicles = plan.vehicles if hierarchical else 0
    return (missing, 1 if late > 1e-6 else 0, late, vehicles, plan.cost)


def solve_td(
    problem: DispatchProblem,
    model: TimeDependent,
    params: DispatchParams | None = None,
    *,
    initial: DispatchPlan | None = None,
) -> DispatchPlan:
    """Plan for time-dependent travel; the plan's times come from ``model``.

    Parameters
    ----------
    problem
        Stops and fleet; its static matrices are used only for distances.
    model
        The speed model over the same locations.
    params
        ``time_limit`` is shared by ``td_iterations`` PyVRP rounds (80 %) and the exact
        time-dependent local search (20 %).
    initial
        A previous plan to start from (re-planning).
    """
    params = params or DispatchParams()
    started = time.perf_counter()
    deadline = started + params.time_limit
    hierarchical = params.objective == "hierarchical"
    rounds = params.td_iterations
    per_round = params.time_limit * 0.8 / rounds
    dep = estimate_departures(problem, model)
    if initial is not None:
        dep = _departures_from(problem, retime(problem, initial, model), dep)
    best: DispatchPlan | None = None
    prev = initial
    history: list[float] = []
    for _ in range(rounds):
        matrix = model.travel_matrix(dep)
        sub = replace(params, time_limit=per_round)
        plan = solve(problem, sub, duration=matrix, initial=prev)
        timed = retime(problem, plan, model)
        history.append(float(timed.cost))
        if best is None or _score(timed, hierarchical) < _score(best, hierarchical):
            best = timed
        dep = _departures_from(problem, timed, dep)
        prev = plan
    assert best is not None
    improved = local_search(problem, model, best, deadline=deadline, hierarchical=hierarchical)
    stats = dict(best.stats)
    stats.update(td_round_costs=history, td_local_search_gain=best.cost - improved.cost)
    return replace(improved, runtime=time.perf_counter() - started, stats=stats)


def _departures_from(
    problem: DispatchProblem, plan: DispatchPlan, dep: NDArray[np.float64]
) -> NDArray[np.float64]:
    out = dep.copy()
    for r in plan.routes:
        out[problem.vehicle_start(problem.vehicles[r.vehicle])] = r.start_time
        for s in r.stops:
            out[s.location] = s.departure
    return out


class _Evaluator:
    """Fast exact time-dependent cost of a route (earliest departure, no delay search)."""

    def __init__(self, problem: DispatchProblem, model: TimeDependent, objective: str) -> None:
        self.problem = problem
        self.model = model
        self.by_time = objective == "duration"
        self.by_route = objective == "route_duration"
        self.dist = problem.dist
        self.loc = [problem.stop_location(i) for i in range(len(problem.stops))]

    def cost(self, vehicle: int, stops: Sequence[int]) -> float:
        """Objective plus penalties for lateness and excess load."""
        if not stops:
            return 0.0
        base, late, excess = self.parts(vehicle, stops)
        fixed = self.problem.vehicles[vehicle].fixed_cost
        return base + fixed + _LATE * late + _LOAD * excess

    def violated(self, vehicle: int, stops: Sequence[int]) -> bool:
        """True when the route is late somewhere or over capacity."""
        if not stops:
            return False
        _base, late, excess = self.parts(vehicle, stops)
        return late > 1e-6 or excess > 0

    def parts(self, vehicle: int, stops: Sequence[int]) -> tuple[float, float, int]:
        """(objective, lateness, excess load) leaving as early as allowed."""
        p = self.problem
        veh = p.vehicles[vehicle]
        here = p.vehicle_start(veh)
        t = max(veh.shift_start, p.depots[veh.depot].opens if veh.start_location is None else 0.0)
        load = veh.initial_load + sum(p.stops[i].demand for i in stops)
        peak = load
        late = driving = dist = 0.0
        first_wait = -1.0
        depart = t
        travel = self.model.travel
        for i in stops:
            s = p.stops[i]
            loc = self.loc[i]
            leg = travel(here, loc, t)
            driving += leg
            dist += self.dist[here, loc]
            t += leg
            if s.windows:
                for w in s.windows:
                    if t <= w.end + 1e-6:
                        if first_wait < 0:
                            first_wait = max(0.0, w.start - t)
                        t = max(t, w.start)
                        break
                else:
                    late += t - s.windows[-1].end
            t += s.service_time
            load += s.pickup - s.demand
            peak = max(peak, load)
            here = loc
        leg = travel(here, veh.depot, t)
        driving += leg
        dist += self.dist[here, veh.depot]
        t += leg
        late += max(0.0, t - min(veh.shift_end, p.depots[veh.depot].closes))
        excess = max(0, peak - veh.capacity)
        if self.by_route:
            return float(t - depart - max(first_wait, 0.0)), late, excess
        return float(driving if self.by_time else dist), late, excess


def local_search(
    problem: DispatchProblem,
    model: TimeDependent,
    plan: DispatchPlan,
    *,
    deadline: float,
    hierarchical: bool = False,
) -> DispatchPlan:
    """Relocate moves evaluated exactly under ``model`` until no gain or the deadline.

    Unassigned required stops are tried first (cheapest feasible insertion).
    """
    ev = _Evaluator(problem, model, plan.objective)
    routes: dict[int, list[int]] = {k: [] for k in range(len(problem.vehicles))}
    for r in plan.routes:
        routes[r.vehicle] = [s.stop for s in r.stops]
    vehicle_cost = 1e5 if hierarchical else 0.0
    cost = {k: ev.cost(k, st) + (vehicle_cost if st else 0.0) for k, st in routes.items()}

    def rc(k: int, st: list[int]) -> float:
        return ev.cost(k, st) + (vehicle_cost if st else 0.0)

    # Prefer one empty vehicle per type as a candidate, not all of them (speed).
    def candidates() -> list[int]:
        seen: set[tuple[object, ...]] = set()
        out = []
        for k, st in routes.items():
            if st:
                out.append(k)
                continue
            v = problem.vehicles[k]
            key = (v.capacity, v.depot, v.start_location, v.shift_start, v.shift_end)
            if key not in seen:
                seen.add(key)
                out.append(k)
        return out

    def best_insertion(i: int) -> tuple[float, int, int]:
        best = (math.inf, -1, -1)
        for k in candidates():
            st = routes[k]
            for pos in range(len(st) + 1):
                delta = rc(k, st[:pos] + [i] + st[pos:]) - cost[k]
                if delta < best[0]:
                    best = (delta, k, pos)
        return best

    pool = [u.stop for u in plan.unassigned if u.reason != "not_profitable"]
    # Repair: take out stops that are late until every route is on time.
    for k in list(routes):
        while ev.violated(k, routes[k]):
            st = routes[k]
            trials = [(rc(k, st[:p] + st[p + 1 :]), p) for p in range(len(st))]
            _c, p = min(trials)
            pool.append(st.pop(p))
            cost[k] = rc(k, st)
    still: list[int] = []
    for i in pool:
        delta, k, pos = best_insertion(i)
        if k >= 0 and not ev.violated(k, routes[k][:pos] + [i] + routes[k][pos:]):
            routes[k].insert(pos, i)
            cost[k] = rc(k, routes[k])
        else:
            still.append(i)

    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for k in list(routes):
            for idx in range(len(routes[k]) - 1, -1, -1):
                if time.perf_counter() >= deadline:
                    break
                if idx >= len(routes[k]):
                    continue
                i = routes[k][idx]
                rest = routes[k][:idx] + routes[k][idx + 1 :]
                gain_out = cost[k] - rc(k, rest)
                # Relocate within or across routes; exact TD cost of every candidate.
                best = (-1e-7, -1, -1)
                for k2 in candidates():
                    if k2 == k:
                        for pos in range(len(rest) + 1):
                            if pos != idx:
                                delta = rc(k, rest[:pos] + [i] + rest[pos:]) - cost[k]
                                if delta < best[0]:
                                    best = (delta, k, pos)
                        continue
                    st = routes[k2]
                    for pos in range(len(st) + 1):
                        delta = rc(k2, st[:pos] + [i] + st[pos:]) - cost[k2] - gain_out
                        if delta < best[0]:
                            best = (delta, k2, pos)
                if best[1] >= 0:
                    _d, k2, pos = best
                    if k2 == k:
                        routes[k] = rest[:pos] + [i] + rest[pos:]
                    else:
                        routes[k] = rest
                        routes[k2].insert(pos, i)
                        cost[k2] = rc(k2, routes[k2])
                    cost[k] = rc(k, routes[k])
                    improved = True
    new_routes = tuple(
        evaluate_route(
            problem, k, st, travel=model, objective_duration=plan.objective == "route_duration"
        )
        for k, st in sorted(routes.items())
        if st
    )
    served = {st for r in new_routes for st in (x.stop for x in r.stops)}
    unassigned = [
        Unassigned(u.stop, u.stop_id, _td_reason(problem, model, u.stop))
        for u in plan.unassigned
        if u.stop not in served
    ]
    known = {u.stop for u in unassigned}
    unassigned += [
        Unassigned(i, problem.stops[i].id, _td_reason(problem, model, i))
        for i in still
        if i not in known and i not in served
    ]
    return replace(plan, routes=new_routes, unassigned=tuple(unassigned))


def _td_reason(problem: DispatchProblem, model: TimeDependent, i: int) -> str:
    """Why stop ``i`` is unserved, judged with time-dependent travel."""
    stop = problem.stops[i]
    if not stop.required:
        return "not_profitable"
    for k, v in enumerate(problem.vehicles):
        if (
            v.capacity >= max(stop.demand, stop.pickup)
            and evaluate_route(problem, k, [i], travel=model).feasible
        ):
            return "fleet_exhausted"
    return "time_window"
