"""The Ichoua speed model: FIFO, exact arrival functions, traffic slow-downs, TD planning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lingxi.dispatch import (
    DispatchParams,
    DispatchProblem,
    DispatchStop,
    DispatchVehicle,
    Location,
    read_problem,
    solve,
)
from lingxi.dispatch.plan import evaluate_route
from lingxi.dispatch.td import (
    ArrivalFunctions,
    SpeedModel,
    read_category_matrix,
    read_speed_table,
)
from lingxi.dispatch.tdsearch import retime, solve_td
from lingxi.errors import InvalidInputError

TABLE = np.array([[0.5, 1.0, 1.5], [1.0, 2.0, 3.0], [0.5, 1.0, 1.5]])


def _model(seed: int = 0, n: int = 6) -> SpeedModel:
    rng = np.random.default_rng(seed)
    length = rng.uniform(5, 100, (n, n))
    np.fill_diagonal(length, 0)
    cats = rng.integers(0, 3, (n, n))
    return SpeedModel.from_categories(length, cats, TABLE, (0.0, 300.0))


def test_fifo_and_matrix_agree() -> None:
    """A later departure never arrives earlier; the vectorised matrix equals the scalar walk."""
    m = _model()
    for i, j in [(0, 1), (2, 5), (4, 3)]:
        departures = np.linspace(-50, 400, 901)
        arrivals = [t + m.travel(i, j, t) for t in departures]
        assert np.all(np.diff(arrivals) >= -1e-9)
    dep = np.array([0.0, 60.0, 99.0, 150.0, 230.0, 310.0])
    mat = m.travel_matrix(dep)
    for i in range(6):
        for j in range(6):
            assert mat[i, j] == pytest.approx(m.travel(i, j, dep[i]))


def test_speed_change_mid_arc() -> None:
    """Crossing a boundary mid-arc: the first part at the old speed, the rest at the new."""
    m = SpeedModel(np.array([[0.0, 30.0], [30.0, 0.0]]), np.array([100.0]), np.ones((2, 2, 2)))
    m = SpeedModel(m.length, m.bounds, np.stack([np.full((2, 2), 0.5), np.full((2, 2), 2.0)]))
    # Leave at 90: 10 time units at 0.5 cover 5; the remaining 25 at 2.0 take 12.5.
    assert m.travel(0, 1, 90.0) == pytest.approx(22.5)


def test_arrival_function_is_exact_piecewise_linear() -> None:
    """Interpolating the breakpoints reproduces every arrival time."""
    m = _model(3)
    xs, ys = m.arrival_function(1, 2)
    for t in np.linspace(xs[0], xs[-1], 200):
        assert np.interp(t, xs, ys) == pytest.approx(t + m.travel(1, 2, t), abs=1e-7)


def test_slowdown_only_in_span_and_stays_fifo() -> None:
    """A factor-0.5 report on all arcs during [100, 150) slows trips in it, not before it."""
    m = _model(1)
    slow = m.with_slowdown(np.ones((6, 6)), 0.5, 100.0, 150.0)
    early = [(i, j) for i in range(6) for j in range(6) if m.travel(i, j, 0.0) < 100.0]
    assert early
    for i, j in early:  # arrives before the span starts: unaffected
        assert slow.travel(i, j, 0.0) == pytest.approx(m.travel(i, j, 0.0))
    assert slow.travel(0, 1, 110.0) > m.travel(0, 1, 110.0)
    arrivals = [t + slow.travel(0, 1, t) for t in np.linspace(0, 300, 601)]
    assert np.all(np.diff(arrivals) >= -1e-9)


def test_balseiro_files_read(tmp_path: Path) -> None:
    """The upper-triangle category file is read as a symmetric matrix; tables by period."""
    cat = tmp_path / "catheg.dat"
    cat.write_text("999\n0 1 2\n-1 2 0\n-1 -1 1\n")
    full = read_category_matrix(cat, 3)
    assert (full == full.T).all() and full[2, 0] == 2
    tab = tmp_path / "t.dat"
    tab.write_text("NB_PERIODES 2\nNB_CATHEGORIES 2\nVITESSES 4\n0.5 1\n1 2\n")
    assert read_speed_table(tab).tolist() == [[0.5, 1.0], [1.0, 2.0]]


def test_solve_td_plans_on_time_where_static_is_late(tiny_solomon: Path) -> None:
    """Slow mornings make the static plan late; the TD plan is on time under the same speeds."""
    problem = read_problem(tiny_solomon, "solomon")
    n = problem.num_locations
    slow_morning = np.stack([np.full((n, n), 0.35), np.full((n, n), 1.5), np.full((n, n), 1.0)])
    model = SpeedModel(problem.dist, np.array([300.0, 900.0]), slow_morning)
    params = DispatchParams(time_limit=0.6, objective="duration", precision=1000, seed=2)

    static = retime(problem, solve(problem, params), model)
    planned = solve_td(problem, model, params)
    assert planned.feasible
    assert not static.feasible
    for r in planned.routes:
        again = evaluate_route(problem, r.vehicle, [s.stop for s in r.stops], travel=model)
        assert again.end_time == pytest.approx(r.end_time)


def test_arrival_functions_with_vertical_step() -> None:
    """MAMUT-style ATFs: interpolation between breakpoints, smallest value at a step."""
    atf = ArrivalFunctions(2, {(0, 1): ([0.0, 10.0, 10.0, 20.0], [5.0, 15.0, 18.0, 28.0])})
    assert atf.travel(0, 1, 5.0) == pytest.approx(5.0)
    assert atf.travel(0, 1, 10.0) == pytest.approx(5.0)
    assert atf.travel(0, 1, 15.0) == pytest.approx(8.0)
    assert atf.travel(0, 1, 50.0) == pytest.approx(8.0)
    assert atf.travel(1, 0, 3.0) == float("inf")
    with pytest.raises(InvalidInputError, match="FIFO"):
        ArrivalFunctions(2, {(0, 1): ([0.0, 10.0], [50.0, 20.0])})


def test_route_duration_departure_search() -> None:
    """With a slow morning, the best departure for a short route is after the rush."""
    length = np.array([[0.0, 10.0], [10.0, 0.0]])
    model = SpeedModel(length, np.array([100.0]), np.stack([np.full((2, 2), 0.2), np.ones((2, 2))]))
    problem = DispatchProblem(
        (Location("d", 0, 0, 0, 500),),
        (DispatchVehicle("v", 5),),
        (DispatchStop("a", 1, 0),),
        distance=length,
    )
    early = evaluate_route(problem, 0, [0], travel=model)
    best = evaluate_route(problem, 0, [0], travel=model, objective_duration=True)
    assert early.duration == pytest.approx(100.0)
    assert best.duration == pytest.approx(20.0, abs=1.0)
    assert best.start_time >= 100.0 - 1e-6
