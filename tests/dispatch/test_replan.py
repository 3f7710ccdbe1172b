"""Re-planning with routes under way."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lingxi.dispatch import (
    DispatchParams,
    DispatchProblem,
    DispatchStop,
    DispatchVehicle,
    Location,
    TimeWindow,
    solve,
)
from lingxi.dispatch.replan import replan, retime_in_flight, states_at
from lingxi.dispatch.td import SpeedModel

FAST = DispatchParams(time_limit=0.3, seed=3)


def _problem() -> DispatchProblem:
    rng = np.random.default_rng(7)
    stops = [
        DispatchStop(
            f"s{i}",
            float(rng.uniform(0, 50)),
            float(rng.uniform(0, 50)),
            demand=1,
            service_time=2.0,
            windows=(TimeWindow(0.0, 400.0),),
        )
        for i in range(16)
    ]
    stops.append(DispatchStop("new", 25.0, 40.0, demand=1, windows=(TimeWindow(0.0, 400.0),)))
    vehicles = (DispatchVehicle("v1", 8), DispatchVehicle("v2", 8), DispatchVehicle("v3", 8))
    return DispatchProblem((Location("d", 25.0, 25.0, 0.0, 500.0),), vehicles, tuple(stops))


def test_served_stops_fixed_new_order_placed() -> None:
    """Stops already left for are not re-planned; the new order is served; loads fit."""
    problem = _problem()
    first = solve(replace(problem, stops=problem.stops[:16], distance=None, duration=None), FAST)
    now = 60.0
    states = states_at(problem, first, now)
    committed = {s.stop for r in first.routes for s in r.stops} - {
        i for st in states for i in st.on_board
    }
    assert committed  # some stops were already under way at t=60
    plan = replan(problem, states, [16], FAST)
    planned = [s.stop for r in plan.routes for s in r.stops]
    assert 16 in planned
    assert not committed & set(planned)
    assert sorted(planned + sorted(committed)) == list(range(17))
    assert plan.feasible
    for r in plan.routes:
        assert r.start_time >= now - 1e-6
    # On-board stops stay on their vehicle.
    for st in states:
        for i in st.on_board:
            assert any(
                r.vehicle == st.vehicle and i in [s.stop for s in r.stops] for r in plan.routes
            )


def test_traffic_replan_uses_slowdown() -> None:
    """Under a slowdown the re-planned ETAs are later than in the original plan."""
    problem = _problem()
    first = solve(replace(problem, stops=problem.stops[:16], distance=None, duration=None), FAST)
    states = states_at(problem, first, 30.0)
    slow = SpeedModel.static(problem.dur).with_slowdown(
        np.ones(problem.dur.shape), 0.5, 30.0, 300.0
    )
    plan = replan(problem, states, [], FAST, model=slow)
    before = {s.stop: s.start for r in first.routes for s in r.stops}
    after = {s.stop: s.start for r in plan.routes for s in r.stops}
    assert after and all(after[i] >= before[i] - 1e-6 for i in after)
    assert sum(after[i] - before[i] for i in after) > 0


def test_a_leg_under_way_is_retimed_by_the_traffic_ahead() -> None:
    """A vehicle that has left for a stop still goes there first, but a slowdown on the way
    makes it arrive, and be free, later; a stop not yet left for is not a leg under way."""
    problem = _problem()
    first = solve(replace(problem, stops=problem.stops[:16], distance=None, duration=None), FAST)
    now = 30.0
    states = states_at(problem, first, now)
    in_flight = {
        s.stop_id: s
        for r in first.routes
        for s, left in zip(
            r.stops, [r.start_time] + [x.departure for x in r.stops[:-1]], strict=True
        )
        if left <= now < s.arrival
    }
    assert in_flight  # the example has legs under way at t=30
    same = SpeedModel.static(problem.dur)
    kept, starts = retime_in_flight(problem, first, states, now, same)
    assert starts.keys() == in_flight.keys()
    assert all(abs(starts[k] - in_flight[k].start) < 1e-6 for k in starts)  # no news, no change
    assert kept == states
    slow = same.with_slowdown(np.ones(problem.dur.shape), 0.5, 0.0, 300.0)
    later, slow_starts = retime_in_flight(problem, first, states, now, slow)
    assert all(slow_starts[k] > in_flight[k].start + 1e-6 for k in slow_starts)
    assert all(b.available_at >= a.available_at for a, b in zip(states, later, strict=True))
    assert any(b.available_at > a.available_at + 1e-6 for a, b in zip(states, later, strict=True))
