"""solve_many and simulate_days plan independent jobs in input order (in-process here; on Ray
in tests/compute/test_ray.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lingxi.dispatch import DispatchParams, DispatchProblem, read_problem, solve
from lingxi.dispatch.batch import simulate_days, solve_many
from lingxi.dispatch.dynamic import GreedyPolicy, PostponePolicy, run_episode
from tests.dispatch.test_dynamic import _instance


@pytest.mark.slow
def test_solve_many_plans_each_problem_as_solve_does(
    tiny_solomon: Path, line_problem: DispatchProblem
) -> None:
    """One plan per problem, in order, each costing what a lone solve costs."""
    problems = [read_problem(tiny_solomon, fmt="solomon"), line_problem]
    params = DispatchParams(time_limit=0.3, seed=1)
    plans = solve_many(problems, params)
    alone = [solve(p, params) for p in problems]
    assert [round(p.cost, 6) for p in plans] == [round(p.cost, 6) for p in alone]
    assert [sum(len(r.stops) for r in p.routes) for p in plans] == [8, 6]


def test_solve_many_of_nothing_is_empty() -> None:
    """No problems, no plans (and no worker started)."""
    assert solve_many([]) == []


@pytest.mark.slow
def test_simulated_days_use_a_fresh_policy_each() -> None:
    """Each day gets its own copy of the policy: the caller's random stream is untouched, and
    two days of one seed see the same requests and epochs (costs are left to the benchmark: the
    search stops on a wall-clock limit, so on a loaded machine they drift by several per cent)."""
    policy = PostponePolicy(0.4, scenarios=1)
    before = policy._rng.bit_generator.state
    days = simulate_days(_instance(), [5, 5], policy)
    assert policy._rng.bit_generator.state == before
    assert (
        days[0].requests
        == days[1].requests
        == run_episode(_instance(), 5, GreedyPolicy(0.2)).requests
    )
    assert days[0].epoch_costs.keys() == days[1].epoch_costs.keys()
    assert all(day.total_cost > 0 for day in days)
