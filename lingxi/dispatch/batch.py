"""Many independent planning jobs at once: one per depot or city, one per sampled day.

A retailer with several depots (or a carrier with several cities) plans each of them
independently every few minutes; each plan is one task for :func:`lingxi.compute.map_tasks`,
so the same call runs in this process by default and on a Ray cluster when
``LINGXI_RAY__ADDRESS`` is set. Results come back in input order.

The dynamic simulator's sampled days (:func:`simulate_days`) are independent too: each is
one episode of :func:`~lingxi.dispatch.dynamic.run_episode` with its own seed and its own copy
of the policy. (The sampled *scenarios inside one decision* of
:class:`~lingxi.dispatch.dynamic.PostponePolicy` share one random stream and one wall-clock
budget per epoch, so they stay in-process: spreading them would change their draws.)
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

from lingxi.compute import map_tasks
from lingxi.config import RaySettings
from lingxi.dispatch.dynamic import EpisodeResult, OrtecInstance, Policy, run_episode
from lingxi.dispatch.params import DispatchParams
from lingxi.dispatch.plan import DispatchPlan
from lingxi.dispatch.problem import DispatchProblem
from lingxi.dispatch.solver import solve

__all__ = ["simulate_days", "solve_many"]


@dataclass(frozen=True, slots=True)
class _SolveJob:
    problem: DispatchProblem
    params: DispatchParams


@dataclass(frozen=True, slots=True)
class _EpisodeJob:
    instance: OrtecInstance
    seed: int
    policy: Policy


def _solve_job(job: _SolveJob) -> DispatchPlan:
    return solve(job.problem, job.params)


def _episode_job(job: _EpisodeJob) -> EpisodeResult:
    # A fresh copy per day: policies may carry a random stream that must not leak between days.
    return run_episode(job.instance, job.seed, copy.deepcopy(job.policy))


def solve_many(
    problems: Sequence[DispatchProblem],
    params: DispatchParams | None = None,
    *,
    settings: RaySettings | None = None,
) -> list[DispatchPlan]:
    """Plan each problem (one depot or city each) independently.

    Parameters
    ----------
    problems
        Independent problems; each is one task.
    params
        Search parameters for every problem; defaults to :class:`DispatchParams()`.
    settings
        Where to run (see :mod:`lingxi.compute`); default in this process.

    Returns
    -------
    list[DispatchPlan]
        One plan per problem, in order.
    """
    params = params or DispatchParams()
    jobs = [_SolveJob(p, params) for p in problems]
    return map_tasks(_solve_job, jobs, settings=settings or RaySettings())


def simulate_days(
    instance: OrtecInstance,
    seeds: Sequence[int],
    policy: Policy,
    *,
    settings: RaySettings | None = None,
) -> list[EpisodeResult]:
    """Simulate one day of the dynamic problem per seed, each with a fresh copy of ``policy``."""
    jobs = [_EpisodeJob(instance, int(s), policy) for s in seeds]
    return map_tasks(_episode_job, jobs, settings=settings or RaySettings())
