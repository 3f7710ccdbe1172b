"""Pickups (returns) and deliveries on one route: the load must fit all along it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lingxi.dispatch import (
    DispatchParams,
    DispatchPlan,
    DispatchProblem,
    DispatchStop,
    DispatchVehicle,
    Location,
    SpeedModel,
    TimeWindow,
    read_problem,
    solve,
    solve_td,
)
from lingxi.dispatch.replan import VehicleState, replan
from lingxi.errors import InvalidInputError

FAST = DispatchParams(time_limit=0.3, seed=1)


def _loads(problem: DispatchProblem, stops: list[int], initial: int = 0) -> list[int]:
    """Load on board leaving the depot and after each stop, counted here from the stops."""
    load = initial + sum(problem.stops[i].demand for i in stops)
    out = [load]
    for i in stops:
        load += problem.stops[i].pickup - problem.stops[i].demand
        out.append(load)
    return out


@pytest.fixture
def returns_first() -> DispatchProblem:
    """A return 'ret' (6 units) that must be collected first (window [0, 2]), then two
    deliveries of 6 and 4; vehicles carry 10. Ignoring the pickup, one route ret, d6, d4
    is cheapest, but it would carry 16 after the return."""
    stops = (
        DispatchStop("ret", 1.0, 0.0, pickup=6, windows=(TimeWindow(0, 2),)),
        DispatchStop("d6", 2.0, 0.0, demand=6),
        DispatchStop("d4", 2.0, 1.0, demand=4),
    )
    return DispatchProblem(
        depots=(Location("depot", 0.0, 0.0),),
        vehicles=(DispatchVehicle("v1", 10), DispatchVehicle("v2", 10)),
        stops=stops,
    )


def _check_capacity(problem: DispatchProblem, plan: DispatchPlan) -> None:
    served = sorted(s.stop for r in plan.routes for s in r.stops)
    assert served == list(range(len(problem.stops)))
    for r in plan.routes:
        cap = problem.vehicles[r.vehicle].capacity
        loads = _loads(problem, [s.stop for s in r.stops], problem.vehicles[r.vehicle].initial_load)
        assert max(loads) <= cap, (r.vehicle_id, loads)
        assert r.start_load == loads[0]
        assert [s.load for s in r.stops] == loads[1:]


def test_ignoring_pickups_would_overload(returns_first: DispatchProblem) -> None:
    """Without the pickup the solver's best plan is one route that is 6 over capacity."""
    blind = replace(
        returns_first,
        stops=tuple(replace(s, pickup=0) for s in returns_first.stops),
        distance=None,
        duration=None,
    )
    plan = solve(blind, FAST)
    assert plan.vehicles == 1
    stops = [s.stop for r in plan.routes for s in r.stops]
    assert max(_loads(returns_first, stops)) == 16


def test_solve_keeps_load_within_capacity_with_pickups(returns_first: DispatchProblem) -> None:
    """With the pickup modelled, every route's load stays within 10 at every point."""
    plan = solve(returns_first, FAST)
    assert plan.feasible
    assert plan.vehicles == 2
    _check_capacity(returns_first, plan)
    doc = plan.to_dict()
    for route in doc["routes"]:
        assert len(route["loads"]) == len(route["stops"])
        assert max([route["start_load"], *route["loads"]]) <= 10


def test_time_dependent_search_counts_pickups(returns_first: DispatchProblem) -> None:
    """The time-dependent planner keeps the same capacity rule."""
    model = SpeedModel.static(returns_first.dur)
    plan = solve_td(returns_first, model, FAST)
    assert plan.feasible
    _check_capacity(returns_first, plan)


def test_replan_counts_returns_already_on_board() -> None:
    """A vehicle under way with 6 returned units on board (capacity 11) must deliver before
    its next pickup, although collecting first would be shorter (and fit, were the 6 ignored)."""
    stops = (
        DispatchStop("done", 1.0, 0.0, pickup=6),
        DispatchStop("r3", 2.0, 0.0, pickup=3),
        DispatchStop("d3", 3.0, 3.0, demand=3),
    )
    problem = DispatchProblem(
        depots=(Location("depot", 0.0, 0.0),),
        vehicles=(DispatchVehicle("v1", 11),),
        stops=stops,
    )
    state = VehicleState(0, problem.stop_location(0), 2.0, on_board=(1, 2), load=6)
    plan = replan(problem, [state], [], FAST)
    (route,) = plan.routes
    assert [s.stop_id for s in route.stops] == ["d3", "r3"]
    assert route.feasible
    assert _loads(problem, [2, 1], initial=6) == [9, 6, 9]
    assert [s.load for s in route.stops] == [6, 9]
    unloaded = replan(problem, [replace(state, load=0)], [], FAST)
    assert [s.stop_id for s in unloaded.routes[0].stops] == ["r3", "d3"]


def test_pickup_above_every_capacity_names_stop_and_rule() -> None:
    """A return too big for any vehicle is refused, naming the stop and the pickup rule."""
    with pytest.raises(InvalidInputError, match=r"Stop 'sofa'.*pickup \(return\).*largest is 10"):
        DispatchProblem(
            (Location("depot", 0.0, 0.0),),
            (DispatchVehicle("v1", 10),),
            (DispatchStop("sofa", 1, 1, pickup=11),),
        )
    with pytest.raises(InvalidInputError, match=r"Stop 'neg'.*pickup must be non-negative"):
        DispatchProblem(
            (Location("depot", 0.0, 0.0),),
            (DispatchVehicle("v1", 10),),
            (DispatchStop("neg", 1, 1, pickup=-1),),
        )


def test_vrplib_delivery_and_pickup_sections(tmp_path: Path) -> None:
    """A VRPSPD file's DELIVERY and PICKUP sections become demand and pickup."""
    f = tmp_path / "spd.vrp"
    f.write_text(
        "NAME : spd\nTYPE : VRPSPD\nDIMENSION : 3\nCAPACITY : 10\n"
        "EDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 3 0\n3 0 4\n"
        "DELIVERY_SECTION\n1 0\n2 4\n3 0\nPICKUP_SECTION\n1 0\n2 0\n3 9\n"
        "DEPOT_SECTION\n1\n-1\nEOF\n"
    )
    problem = read_problem(f, "vrplib")
    assert [(s.demand, s.pickup) for s in problem.stops] == [(4, 0), (0, 9)]
    plan = solve(problem, FAST)
    assert plan.feasible
    _check_capacity(problem, plan)
    assert np.isfinite(plan.distance)
