"""The dynamic simulator follows the competition's rules; policies dispatch everything."""

from __future__ import annotations

import numpy as np
import pytest

from lingxi.dispatch import DispatchPlan
from lingxi.dispatch.dynamic import (
    EPOCH_DURATION,
    GreedyPolicy,
    OrtecInstance,
    PostponePolicy,
    Simulator,
    _dispatchable,
    _epoch_problem,
    run_episode,
)
from lingxi.dispatch.plan import evaluate_route
from lingxi.errors import InvalidInputError


def _instance() -> OrtecInstance:
    """A depot and 12 customers on a line; windows spread over a 6-hour day."""
    n = 13
    pos = np.arange(n) * 300
    duration = np.abs(pos[:, None] - pos[None, :]).astype(np.int64)
    tw = np.array([[0, 20000]] + [[7200 + 500 * k, 7200 + 500 * k + 5400] for k in range(12)])
    return OrtecInstance(
        name="line",
        coords=np.column_stack([pos, np.zeros(n)]).astype(np.int64),
        demands=np.array([0] + [3] * 12, np.int64),
        capacity=20,
        time_windows=tw.astype(np.int64),
        service_times=np.array([0] + [300] * 12, np.int64),
        duration=duration,
    )


def test_epochs_and_sampling_are_seeded() -> None:
    """Epoch range follows the windows; the same seed samples the same requests."""
    ins = _instance()
    a, b = Simulator(ins, 7), Simulator(ins, 7)
    assert (
        a.start_epoch == 1
        and a.end_epoch == (int(ins.time_windows[1:, 0].max()) - 3600) // EPOCH_DURATION
    )
    sa, sb = a.observe(), b.observe()
    assert (sa.customer_idx == sb.customer_idx).all()
    assert sa.request_idx[0] == 0 and sa.time_windows[0, 0] == 0
    assert (sa.time_windows >= 0).all()


def test_step_refuses_missing_must_dispatch_and_late_routes() -> None:
    """Leaving out a must-dispatch request, or a late route, is refused with a message."""
    ins = _instance()
    sim = Simulator(ins, 3)
    state = sim.observe()
    while not state.must_dispatch.any() and not sim.done:
        sim.step(state, [])
        state = sim.observe()
    with pytest.raises(InvalidInputError, match="must-dispatch"):
        sim.step(state, [])


@pytest.mark.parametrize(
    "policy",
    [
        GreedyPolicy(0.2),
        PostponePolicy(1.5, scenarios=2, scenario_time=0.2),
        PostponePolicy(1.5, scenarios=2, scenario_time=0.1, rounds=2),
        PostponePolicy(1.5, scenarios=2, scenario_time=0.1, prize_share=None),
        PostponePolicy(0.6, scenarios=1, scenario_time=0.1, route_filter=True),
    ],
)
def test_policies_dispatch_every_request(policy: GreedyPolicy | PostponePolicy) -> None:
    """By the last epoch every sampled request is dispatched, and cost is driving time."""
    ins = _instance()
    sim = Simulator(ins, 11)
    total = 0
    while not sim.done:
        state = sim.observe()
        routes = policy.act(state, sim)
        pos = {int(r): k for k, r in enumerate(state.request_idx)}
        expected = 0
        for route in routes:
            path = [0] + [pos[r] for r in route] + [0]
            expected += sum(int(state.duration[a, b]) for a, b in zip(path, path[1:], strict=False))
        assert sim.step(state, routes) == expected
        total += expected
    assert sim.dispatched[1:].all()
    assert sum(sim.costs.values()) == total > 0


def test_run_episode_reports_epochs() -> None:
    """run_episode calls back once per epoch and sums the epoch costs."""
    seen: list[int] = []
    result = run_episode(_instance(), 5, GreedyPolicy(0.1), on_epoch=lambda e, n, c: seen.append(c))
    assert sum(seen) == result.total_cost and len(seen) == len(result.epoch_seconds)


def test_late_route_is_split_into_single_trips() -> None:
    """A route the search left late is dispatched as one trip per request, which the
    simulator accepts; a required request missing from the plan gets its own trip."""
    ins = _instance()
    sim = Simulator(ins, 11)
    state = sim.observe()
    while len(state.request_idx) < 4:
        sim.step(state, [[int(r)] for r in state.request_idx[1:]])
        state = sim.observe()
    keep = np.ones(len(state.request_idx), bool)
    problem, index = _epoch_problem(state, keep)
    # Every open request on one vehicle, in reverse window order: late somewhere.
    order = sorted(range(len(problem.stops)), key=lambda i: -problem.stops[i].windows[0].end)
    late = evaluate_route(problem, 0, order[:-1])
    assert not late.feasible
    routes = _dispatchable(
        DispatchPlan((late,)), index, state, required={int(r) for r in state.request_idx[1:]}
    )
    assert sorted(len(r) for r in routes) == [1] * (len(state.request_idx) - 1)
    assert sim.step(state, routes) > 0


def test_postpone_params_are_checked() -> None:
    """Thresholds out of range are refused, naming the field."""
    with pytest.raises(InvalidInputError, match="fix_threshold"):
        PostponePolicy(fix_threshold=0.5)
    with pytest.raises(InvalidInputError, match="dispatch_threshold"):
        PostponePolicy(dispatch_threshold=0)
    with pytest.raises(InvalidInputError, match="ride_threshold"):
        PostponePolicy(ride_threshold=1.5)
