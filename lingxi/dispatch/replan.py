"""Re-planning with routes under way: served stops stay served, vehicles go on from where they are.

Goods for a vehicle's remaining deliveries are already on board, so those stops stay on that
vehicle and are only re-sequenced (from its current position, time and load). New stops go to
vehicles still at the depot, or to a vehicle's second trip after it gets back. Each part is a
small problem of its own, which is what keeps re-planning fast.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from lingxi.dispatch.params import DispatchParams
from lingxi.dispatch.plan import (
    DispatchPlan,
    PlannedStop,
    Unassigned,
    VehicleRoute,
    evaluate_route,
)
from lingxi.dispatch.problem import DispatchProblem, DispatchVehicle, subproblem
from lingxi.dispatch.solver import solve
from lingxi.dispatch.td import TimeDependent
from lingxi.dispatch.tdsearch import solve_td

__all__ = ["VehicleState", "replan", "retime_in_flight", "states_at"]


@dataclass(frozen=True, slots=True)
class VehicleState:
    """Where a vehicle is and what it still has to do."""

    vehicle: int
    """Index into ``problem.vehicles``."""
    location: int
    """Location index it is at (or will next be free at)."""
    available_at: float
    on_board: tuple[int, ...] = ()
    """Stops whose goods it carries and has not served, in planned order."""
    load: int = 0
    """Picked-up units on board (returns)."""

    @property
    def at_depot(self) -> bool:
        """True when it has nothing on board (it is, or will be, back at its depot)."""
        return not self.on_board


def states_at(problem: DispatchProblem, plan: DispatchPlan, now: float) -> list[VehicleState]:
    """Vehicle states at time ``now`` if the plan was followed.

    A stop counts as served once the vehicle has left for it (it will not turn round mid-leg);
    the vehicle is then free at that stop when its service there ends.
    """
    states = []
    planned = {r.vehicle for r in plan.routes}
    for r in plan.routes:
        veh = problem.vehicles[r.vehicle]
        if r.start_time >= now or not r.stops:
            states.append(
                VehicleState(
                    r.vehicle,
                    problem.vehicle_start(veh),
                    max(now, veh.shift_start),
                    tuple(s.stop for s in r.stops),
                )
            )
            continue
        # A stop is committed once the vehicle has left for it (no U-turns mid-leg).
        leaves = [r.start_time] + [s.departure for s in r.stops[:-1]]
        done = [s for s, left in zip(r.stops, leaves, strict=True) if left <= now]
        left = tuple(s.stop for s, gone in zip(r.stops, leaves, strict=True) if gone > now)
        if not left:
            states.append(VehicleState(r.vehicle, veh.depot, max(now, r.end_time)))
            continue
        last = done[-1] if done else None
        loc = last.location if last else problem.vehicle_start(veh)
        free = max(now, last.departure if last else r.start_time)
        picked = sum(problem.stops[s.stop].pickup for s in done)
        states.append(VehicleState(r.vehicle, loc, free, left, picked))
    for k, veh in enumerate(problem.vehicles):
        if k not in planned:
            states.append(VehicleState(k, problem.vehicle_start(veh), max(now, veh.shift_start)))
    return states


def retime_in_flight(
    problem: DispatchProblem,
    plan: DispatchPlan,
    states: Sequence[VehicleState],
    now: float,
    model: TimeDependent,
) -> tuple[list[VehicleState], dict[str, float]]:
    """Re-time the legs under way at ``now`` under ``model`` (new traffic).

    A vehicle that has left for a stop still goes there first (no U-turns mid-leg), but when
    it gets there depends on the traffic it drives into: its arrival is estimated again from
    the departure, and the vehicle is free after that stop correspondingly later (or earlier).
    Returns the states with that time and the new service start of each stop under way, by
    stop id.
    """
    free_at: dict[int, float] = {}
    starts: dict[str, float] = {}
    for r in plan.routes:
        leaves = [r.start_time] + [st.departure for st in r.stops[:-1]]
        froms = [problem.vehicle_start(problem.vehicles[r.vehicle])] + [
            st.location for st in r.stops[:-1]
        ]
        for st, left, origin in zip(r.stops, leaves, froms, strict=True):
            if left <= now < st.arrival:
                arrival = left + model.travel(origin, st.location, left)
                waited = st.start > st.arrival  # the stop's window had not opened yet
                start = max(arrival, st.start) if waited else arrival
                starts[st.stop_id] = start
                free_at[r.vehicle] = start + (st.departure - st.start)
                break
    retimed = [
        replace(s, available_at=max(now, free_at[s.vehicle])) if s.vehicle in free_at else s
        for s in states
    ]
    return retimed, starts


def _shift(
    route: VehicleRoute,
    index: Sequence[int],
    stop_map: Sequence[int],
    vehicle: int,
    problem: DispatchProblem,
) -> VehicleRoute:
    """Map a route of a subproblem back to the full problem's numbering."""
    stops = tuple(
        replace(
            s,
            stop=stop_map[s.stop],
            stop_id=problem.stops[stop_map[s.stop]].id,
            location=index[s.location],
        )
        for s in route.stops
    )
    return replace(route, vehicle=vehicle, vehicle_id=problem.vehicles[vehicle].id, stops=stops)


def replan(
    problem: DispatchProblem,
    states: Sequence[VehicleState],
    new_stops: Sequence[int],
    params: DispatchParams | None = None,
    *,
    model: TimeDependent | None = None,
) -> DispatchPlan:
    """Re-plan from the vehicles' current states.

    Parameters
    ----------
    problem
        All stops (served ones included; they are simply not in any state or ``new_stops``).
    states
        One per vehicle: position, time, stops on board and load.
    new_stops
        Stops not yet on any vehicle (new orders, or left over).
    params
        ``time_limit`` is split between the on-board re-sequencing and the new-stop solve.
    model
        Time-dependent travel; ``None`` plans with the static matrices.
    """
    params = params or DispatchParams()
    started = time.perf_counter()
    busy = [s for s in states if s.on_board]
    idle = [s for s in states if not s.on_board]
    budget = params.time_limit / (2 if new_stops else 1)
    per_vehicle = max(budget / max(len(busy), 1), 0.05)
    routes: list[VehicleRoute] = []
    unassigned: list[Unassigned] = []
    returns: dict[int, float] = {}
    n_dep = len(problem.depots)
    for st in busy:
        veh = problem.vehicles[st.vehicle]
        stops = list(st.on_board)
        extra = [] if st.location < n_dep else [st.location]
        # At a depot (its start depot, which may not be the one it ends at) or a waypoint.
        start_loc = st.location if not extra else n_dep + len(stops)
        if st.location >= n_dep and st.location in [problem.stop_location(i) for i in stops]:
            extra = []
            start_loc = n_dep + [problem.stop_location(i) for i in stops].index(st.location)
        moved = replace(
            veh,
            start_location=start_loc if start_loc != veh.depot else None,
            shift_start=st.available_at,
            initial_load=min(st.load, veh.capacity),
        )
        sub, index = subproblem(problem, stops, [moved], extra)
        sub_params = replace(params, time_limit=per_vehicle, td_iterations=1)
        sub_model = model.subset(index) if model is not None else None
        # Warm start from the current order: the re-plan is never worse than keeping it.
        keep = DispatchPlan(
            (evaluate_route(sub, 0, list(range(len(stops))), travel=sub_model),),
            objective=params.objective,
        )
        if sub_model is not None:
            plan = solve_td(sub, sub_model, sub_params, initial=keep)
        else:
            plan = solve(sub, sub_params, initial=keep)
        for r in plan.routes:
            mapped = _shift(r, index, stops, st.vehicle, problem)
            routes.append(mapped)
            returns[st.vehicle] = r.end_time
        unassigned += [
            Unassigned(stops[u.stop], problem.stops[stops[u.stop]].id, u.reason)
            for u in plan.unassigned
        ]
    if new_stops:
        fleet: list[DispatchVehicle] = []
        owners: list[int] = []
        for st in idle:
            veh = problem.vehicles[st.vehicle]
            at = st.location if st.location != veh.depot else None
            fleet.append(
                replace(veh, shift_start=st.available_at, start_location=None if at is None else at)
            )
            owners.append(st.vehicle)
        for st in busy:
            if st.vehicle in returns:
                veh = problem.vehicles[st.vehicle]
                # Back at the depot its returns are unloaded: a second trip starts empty.
                fleet.append(
                    replace(
                        veh,
                        shift_start=returns[st.vehicle],
                        start_location=None,
                        initial_load=0,
                    )
                )
                owners.append(st.vehicle)
        if fleet:
            stops = list(new_stops)
            extra = sorted({v.start_location for v in fleet if v.start_location is not None})
            renum = {loc: n_dep + len(stops) + k for k, loc in enumerate(extra)}
            fleet = [
                replace(
                    v, start_location=None if v.start_location is None else renum[v.start_location]
                )
                for v in fleet
            ]
            sub, index = subproblem(problem, stops, fleet, extra)
            remaining = max(params.time_limit - (time.perf_counter() - started), 0.1)
            sub_params = replace(params, time_limit=remaining)
            if model is not None:
                plan = solve_td(sub, model.subset(index), sub_params)
            else:
                plan = solve(sub, sub_params)
            for r in plan.routes:
                routes.append(_shift(r, index, stops, owners[r.vehicle], problem))
            unassigned += [
                Unassigned(stops[u.stop], problem.stops[stops[u.stop]].id, u.reason)
                for u in plan.unassigned
            ]
        else:
            unassigned += [Unassigned(i, problem.stops[i].id, "fleet_exhausted") for i in new_stops]
    return DispatchPlan(
        routes=tuple(sorted(routes, key=lambda r: (r.vehicle, r.start_time))),
        unassigned=tuple(unassigned),
        objective=params.objective,
        runtime=time.perf_counter() - started,
    )


def served_before(plan: DispatchPlan, now: float) -> list[PlannedStop]:
    """Stops whose service started by ``now``."""
    return [s for r in plan.routes for s in r.stops if s.start <= now]
