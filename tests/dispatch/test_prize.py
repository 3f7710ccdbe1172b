"""Prize-collecting epochs: must-dispatch kept, budget held, seeded, and the CLI end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lingxi.cli.dispatch import app
from lingxi.dispatch.dynamic import OrtecInstance, Simulator, run_episode
from lingxi.dispatch.prize import PrizePolicy, _later_costs
from lingxi.dispatch.solver import ArrayPlan
from lingxi.errors import InvalidInputError


def _instance() -> OrtecInstance:
    """A depot and 20 customers on a line; windows spread over a 6-hour day."""
    n = 21
    pos = np.arange(n) * 250
    duration = np.abs(pos[:, None] - pos[None, :]).astype(np.int64)
    tw = np.array([[0, 22000]] + [[7200 + 400 * k, 7200 + 400 * k + 5400] for k in range(20)])
    return OrtecInstance(
        name="line20",
        coords=np.column_stack([pos, np.zeros(n)]).astype(np.int64),
        demands=np.array([0] + [2] * 20, np.int64),
        capacity=20,
        time_windows=tw.astype(np.int64),
        service_times=np.array([0] + [300] * 20, np.int64),
        duration=duration,
    )


def _play(policy: PrizePolicy, seed: int) -> list[list[list[int]]]:
    """One day; every epoch's must-dispatch requests are checked to be dispatched."""
    sim = Simulator(_instance(), seed)
    chosen: list[list[list[int]]] = []
    while not sim.done:
        state = sim.observe()
        routes = policy.act(state, sim)
        must = {int(r) for r, m in zip(state.request_idx, state.must_dispatch, strict=True) if m}
        assert must <= {r for route in routes for r in route}
        sim.step(state, routes)  # the competition's validation: raises on a bad dispatch
        chosen.append(routes)
    assert sim.dispatched[1:].all()
    return chosen


def test_prize_epochs_keep_must_dispatch_and_postpone_some() -> None:
    """Every must-dispatch request goes in its epoch; scenarios ran; before the last epoch
    some optional request waited (the policy is not greedy in disguise)."""
    policy = PrizePolicy(5.0, scenarios=3, iterations=30, scenario_time=0.5)
    _play(policy, 11)
    modes = [d.mode for d in policy.decisions]
    assert modes[-1] == "last" and "prize" in modes
    assert all(d.scenarios == 3 for d in policy.decisions if d.mode == "prize")
    early = [d for d in policy.decisions if d.mode == "prize"]
    assert any(d.dispatched < d.open_requests for d in early)


def test_same_seed_same_decisions() -> None:
    """With a fixed number of scenarios and iterations a seed gives the same routes."""
    first = _play(PrizePolicy(5.0, scenarios=2, iterations=20, seed=3), 7)
    again = _play(PrizePolicy(5.0, scenarios=2, iterations=20, seed=3), 7)
    assert first == again


def test_wall_clock_budget_is_kept() -> None:
    """Bounded by the clock only, no epoch's decision passes its budget by more than a
    generous margin (a busy shared machine)."""
    budget = 1.0
    policy = PrizePolicy(budget, scenario_time=0.1)
    result = run_episode(_instance(), 5, policy)
    assert result.max_epoch_seconds <= budget + 0.75
    assert [d.seconds for d in policy.decisions] == pytest.approx(result.epoch_seconds, abs=0.05)


def test_too_short_budget_falls_back_to_greedy() -> None:
    """When the scenarios cannot fit, every epoch is solved as greedy does (all go)."""
    policy = PrizePolicy(0.2)
    _play(policy, 11)
    assert {d.mode for d in policy.decisions} <= {"greedy", "last"}
    assert all(d.dispatched == d.open_requests for d in policy.decisions)


def test_later_cost_is_cheapest_feasible_insertion() -> None:
    """Request 1 (today) costs its detour into the future route 0-2-0; request 3 rides on
    that route and costs its removal gain; an impossible window means its round trip."""
    d = np.array(
        [[0, 10, 10, 12], [10, 0, 1, 3], [10, 1, 0, 2], [12, 3, 2, 0]],
        np.int64,
    )
    tw = np.array([[0, 1000], [0, 1000], [0, 1000], [0, 1000]], np.int64)
    srv = np.zeros(4, np.int64)
    dem = np.ones(4, np.int64)
    # nodes 1 and 3 are open now (n_open = 2 means only node 1 is open: node 2 and 3 future)
    plan = ArrayPlan(routes=[[2]], feasible=[True], starts=[100], iterations=0)
    cost = _later_costs(plan, d, tw, srv, dem, 10, 2)
    assert cost[1] == 10 + 1 - 10  # 0-1-2 instead of 0-2
    tw_late = tw.copy()
    tw_late[1] = [0, 50]  # the future route leaves at 100: too late for request 1
    assert _later_costs(plan, d, tw_late, srv, dem, 10, 2)[1] == 20
    ride = ArrayPlan(routes=[[1, 2]], feasible=[True], starts=[100], iterations=0)
    assert _later_costs(ride, d, tw, srv, dem, 10, 2)[1] == 10 + 1 - 10


def test_params_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="consensus"):
        PrizePolicy(consensus=1.5)
    with pytest.raises(InvalidInputError, match="time_limit"):
        PrizePolicy(0)


def _write_vrplib(ins: OrtecInstance, path: Path) -> None:
    n = len(ins.coords)
    lines = [
        f"NAME : {ins.name}",
        "TYPE : VRPTW",
        f"DIMENSION : {n}",
        "EDGE_WEIGHT_TYPE : EXPLICIT",
        "EDGE_WEIGHT_FORMAT : FULL_MATRIX",
        f"CAPACITY : {ins.capacity}",
        "EDGE_WEIGHT_SECTION",
        *("\t".join(str(int(v)) for v in row) for row in ins.duration),
        "NODE_COORD_SECTION",
        *(f"{k + 1}\t{x}\t{y}" for k, (x, y) in enumerate(ins.coords)),
        "DEMAND_SECTION",
        *(f"{k + 1}\t{q}" for k, q in enumerate(ins.demands)),
        "DEPOT_SECTION",
        "1",
        "-1",
        "SERVICE_TIME_SECTION",
        *(f"{k + 1}\t{s}" for k, s in enumerate(ins.service_times)),
        "TIME_WINDOW_SECTION",
        *(f"{k + 1}\t{a}\t{b}" for k, (a, b) in enumerate(ins.time_windows)),
        "EOF",
    ]
    path.write_text("\n".join(lines) + "\n")


def test_cli_simulate_prize_reports_policy_and_greedy(tmp_path: Path) -> None:
    """`lingxi dispatch simulate` reads a VRPLIB file, runs the prize policy and greedy on
    the same day, and reports the policy, the cost vs greedy and the epochs."""
    path = tmp_path / "line20.txt"
    _write_vrplib(_instance(), path)
    runner = CliRunner()
    result = runner.invoke(
        app, ["simulate", str(path), "--seed", "11", "--epoch-time", "0.6", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["policy"] == "prize" and doc["epochs"] == len(doc["epoch_modes"]) >= 2
    assert doc["cost_vs_greedy"] == round(doc["total_cost"] / doc["greedy_cost"], 4)
    assert doc["total_cost"] == sum(doc["epoch_costs"].values()) > 0
    text = runner.invoke(app, ["simulate", str(path), "--seed", "11", "--epoch-time", "0.3"])
    assert text.exit_code == 0, text.output
    assert "Policy prize" in text.stdout and "x greedy" in text.stdout
    bad = runner.invoke(app, ["simulate", str(path), "--policy", "lazy"])
    assert bad.exit_code == 2 and "--policy" in bad.output and "lazy" in bad.output
