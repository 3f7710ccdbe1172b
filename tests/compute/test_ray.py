"""The same code paths on a local Ray head give the same answers as one process; a killed
worker's task is retried."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from lingxi import compute
from lingxi.config import RaySettings
from lingxi.dispatch import DispatchParams, DispatchProblem, read_problem
from lingxi.dispatch.batch import simulate_days, solve_many
from lingxi.dispatch.dynamic import GreedyPolicy, OrtecInstance
from lingxi.errors import UnavailableError
from lingxi.guide.recommender import EASERecommender, SLISTRecommender
from lingxi.guide.training import fit_many, recommend_many
from tests.compute import _tasks

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DISPATCH_DATA = Path(__file__).parents[1] / "dispatch" / "data"


def test_tasks_and_errors_match_one_process(ray_head: compute.LocalHead) -> None:
    """Results come back in order and the function's own error is raised as itself."""
    on_ray = ray_head.settings()
    assert compute.map_tasks(_tasks.square, range(9), settings=on_ray) == [x * x for x in range(9)]
    assert compute.map_with(_tasks.add, 100, [1, 2, 3], settings=on_ray) == [101, 102, 103]
    with pytest.raises(ValueError, match="three is refused: 3"):
        compute.map_tasks(_tasks.fail_on_three, [1, 3], settings=on_ray)


def _kill_first_attempt(folder: Path, killed: list[int]) -> None:
    marker = folder / "attempt-1"
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # the pid is written before the task starts waiting
    pid = int(marker.read_text())
    os.kill(pid, signal.SIGKILL)
    killed.append(pid)


def test_killed_worker_task_is_retried(ray_head: compute.LocalHead, tmp_path: Path) -> None:
    """kill -9 of the worker running a task: Ray re-runs it on another worker and the call
    returns the second attempt's answer."""
    killed: list[int] = []
    killer = threading.Thread(target=_kill_first_attempt, args=(tmp_path, killed))
    killer.start()
    result = compute.map_tasks(_tasks.slow_once, [str(tmp_path)], settings=ray_head.settings())
    killer.join()
    second = int((tmp_path / "attempt-2").read_text())
    assert result == [2] and killed and second != killed[0]


def test_killed_worker_without_retries_is_unavailable(
    ray_head: compute.LocalHead, tmp_path: Path
) -> None:
    """With max_retries=0 the lost task is reported as UnavailableError, not hung or hidden."""
    killed: list[int] = []
    killer = threading.Thread(target=_kill_first_attempt, args=(tmp_path, killed))
    killer.start()
    with pytest.raises(UnavailableError, match="retries"):
        compute.map_tasks(
            _tasks.slow_once, [str(tmp_path)], settings=ray_head.settings(max_retries=0)
        )
    killer.join()
    assert killed and not (tmp_path / "attempt-2").exists()


def _depots() -> list[DispatchProblem]:
    path = DISPATCH_DATA / "tiny_solomon.txt"
    return [read_problem(path, fmt="solomon", fleet=n) for n in (3, 4, 5, 3)]


def test_solve_many_matches_one_process(ray_head: compute.LocalHead) -> None:
    """Several depots planned as Ray tasks get the plans one process makes."""
    problems = _depots()
    params = DispatchParams(time_limit=0.5, seed=3)
    local = solve_many(problems, params)
    remote = solve_many(problems, params, settings=ray_head.settings())
    # A time-limited search may return an equally good twin (a route driven backwards), so
    # compare what is planned and what it costs, not the stop order.
    assert [round(p.cost, 6) for p in remote] == [round(p.cost, 6) for p in local]
    assert [p.vehicles for p in remote] == [p.vehicles for p in local]
    assert all(p.feasible for p in remote) and all(p.feasible for p in local)


def _line_instance() -> OrtecInstance:
    n = 9
    pos = np.arange(n) * 300
    tw = np.array([[0, 20000]] + [[7200 + 600 * k, 7200 + 600 * k + 5400] for k in range(8)])
    return OrtecInstance(
        name="line",
        coords=np.column_stack([pos, np.zeros(n)]).astype(np.int64),
        demands=np.array([0] + [3] * 8, np.int64),
        capacity=20,
        time_windows=tw.astype(np.int64),
        service_times=np.array([0] + [300] * 8, np.int64),
        duration=np.abs(pos[:, None] - pos[None, :]).astype(np.int64),
    )


def test_simulated_days_match_one_process(ray_head: compute.LocalHead) -> None:
    """Sampled days of the dynamic simulator as Ray tasks see the same requests as in one
    process and cost the same up to the time-limited search (about 200 requests a day)."""
    ins = _line_instance()
    local = simulate_days(ins, [1, 2, 3], GreedyPolicy(0.3))
    remote = simulate_days(ins, [1, 2, 3], GreedyPolicy(0.3), settings=ray_head.settings())
    assert [r.requests for r in remote] == [r.requests for r in local]
    assert [r.epoch_costs.keys() for r in remote] == [r.epoch_costs.keys() for r in local]
    for a, b in zip(remote, local, strict=True):
        assert a.total_cost == pytest.approx(b.total_cost, rel=0.03)


SEQUENCES = [[0, 1, 2, 3, 7], [0, 1, 2, 7], [4, 5, 6, 7], [4, 5, 6], [1, 2, 3], [5, 6, 7]] * 5


def test_training_and_scoring_match_one_process(ray_head: compute.LocalHead) -> None:
    """Candidate models fitted as Ray tasks, and histories scored in blocks, equal local runs."""
    on_ray: RaySettings = ray_head.settings()
    candidates = [EASERecommender(l2=1.0), SLISTRecommender(alpha=0.5, l2=1.0)]
    local = fit_many(candidates, SEQUENCES, n_items=8)
    remote = fit_many(candidates, SEQUENCES, n_items=8, settings=on_ray)
    for a, b in zip(local, remote, strict=True):
        assert a.B_ is not None and b.B_ is not None
        np.testing.assert_allclose(a.B_, b.B_, rtol=1e-5, atol=1e-6)
    histories = [[0, 1], [4], [5, 6], [2], []] * 3
    mine = recommend_many(local[1], histories, k=3, block=4)
    theirs = recommend_many(remote[1], histories, k=3, block=4, settings=on_ray)
    assert len(theirs) == len(histories)
    for (ia, sa), (ib, sb) in zip(mine, theirs, strict=True):
        assert ia.tolist() == ib.tolist()
        np.testing.assert_allclose(sa, sb, rtol=1e-5)
