"""The PyVRP adapter on tiny instances."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lingxi.dispatch import (
    DispatchParams,
    DispatchProblem,
    DispatchStop,
    DispatchVehicle,
    TimeWindow,
    read_problem,
    solve,
)
from lingxi.errors import InvalidInputError

FAST = DispatchParams(time_limit=0.2, seed=1)


def test_serves_every_stop_when_it_fits(line_problem: DispatchProblem) -> None:
    """All six stops are served, each once, and the plan keeps capacity and windows."""
    plan = solve(line_problem, FAST)
    served = sorted(s.stop_id for r in plan.routes for s in r.stops)
    assert served == [f"s{i}" for i in range(1, 7)]
    assert plan.feasible and not plan.unassigned
    visit = plan.route_for_stop("s2")
    assert visit is not None
    assert 40 <= visit[1].start <= 60  # the second window: the first closes at 1


def test_unassigned_comes_back_with_reason(line_problem: DispatchProblem) -> None:
    """With too little capacity the plan leaves stops out and names why, keeping priorities."""
    stops = tuple(replace(s, priority=5) if s.id == "s6" else s for s in line_problem.stops)
    small = replace(
        line_problem,
        stops=stops,
        vehicles=(DispatchVehicle("v1", 4),),
        distance=None,
        duration=None,
    )
    plan = solve(small, FAST)
    assert len(plan.unassigned) == 4
    assert {u.reason for u in plan.unassigned} == {"fleet_exhausted"}
    assert "s6" not in {u.stop_id for u in plan.unassigned}
    assert not plan.feasible
    assert all(r.feasible for r in plan.routes)


def test_unreachable_window_reason(line_problem: DispatchProblem) -> None:
    """A stop whose only window closes before anyone can get there is 'time_window'."""
    stops = (*line_problem.stops, DispatchStop("far", 50.0, 0.0, windows=(TimeWindow(0, 10),)))
    plan = solve(replace(line_problem, stops=stops, distance=None, duration=None), FAST)
    assert [(u.stop_id, u.reason) for u in plan.unassigned] == [("far", "time_window")]


def test_optional_stop_with_small_prize_is_skipped(line_problem: DispatchProblem) -> None:
    """A far optional stop worth less than the detour is left out as not profitable."""
    stops = (*line_problem.stops, DispatchStop("optional", 0.0, 40.0, prize=1.0))
    plan = solve(replace(line_problem, stops=stops, distance=None, duration=None), FAST)
    assert [(u.stop_id, u.reason) for u in plan.unassigned] == [("optional", "not_profitable")]
    assert plan.feasible


def test_returns_are_picked_up(line_problem: DispatchProblem) -> None:
    """A pickup adds load after the stop; the route's max load counts it."""
    stops = (DispatchStop("ret", 1.0, 0.0, pickup=6), DispatchStop("del", 2.0, 0.0, demand=6))
    problem = replace(line_problem, stops=stops, distance=None, duration=None)
    plan = solve(problem, FAST)
    assert plan.feasible
    for r in plan.routes:
        assert r.max_load <= 6


def test_tiny_solomon_hierarchical(tiny_solomon: Path) -> None:
    """The first 8 C101 customers fit on one vehicle (depot 0, clients 1..8 in file order)."""
    problem = read_problem(tiny_solomon, "solomon")
    plan = solve(problem, DispatchParams(time_limit=0.5, objective="hierarchical", precision=1000))
    doc = plan.to_dict()
    assert doc["vehicles"] == 1 and doc["feasible"]
    assert sorted(doc["routes"][0]["stops"]) == list(range(1, 9))
    assert doc["distance"] == pytest.approx(plan.distance, abs=0.01)


def test_params_validate_and_load(tmp_path: Path) -> None:
    """Params name the bad field; from_file reads [dispatch] and refuses unknown keys."""
    with pytest.raises(InvalidInputError, match="time_limit"):
        DispatchParams(time_limit=0)
    f = tmp_path / "p.toml"
    f.write_text('[dispatch]\ntime_limit = 3.5\nobjective = "duration"\n')
    assert DispatchParams.from_file(f) == DispatchParams(time_limit=3.5, objective="duration")
    f.write_text("[dispatch]\ntimelimit = 3\n")
    with pytest.raises(InvalidInputError, match="timelimit"):
        DispatchParams.from_file(f)
