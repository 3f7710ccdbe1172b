"""Scale-out: the same batch jobs serially, in a 2-process pool, and as Ray tasks on 2 CPUs.

Starts a Ray head on loopback (2 CPUs, no dashboard), runs each job three ways and stops the
head. Two jobs, because they scale for different reasons:

* **routing** (:func:`lingxi.dispatch.batch.solve_many`): 8 Solomon instances, each searched for
  a fixed wall-clock ``--time-limit`` (PyVRP's MaxRuntime). Its speed-up is the wall time to
  plan every depot within the same per-depot budget; the costs show whether the parallel
  searches, sharing the cores, still found plans as good as the serial ones.
* **training** (:func:`lingxi.guide.training.fit_many` and ``recommend_many``): 8 closed-form
  recommender fits (EASE/SLIST grid) on synthetic interactions, then top-10 scoring of every
  history in 8 blocks. Fixed work, so its speed-up measures the real overhead, and the serial
  fraction for the projection comes from it. BLAS is held to one thread everywhere so one task
  uses one core.

The projection to a 10-node cluster uses Amdahl's law on the serial fraction measured here:
with speed-up ``S`` on ``P`` workers, ``s = (P/S - 1) / (P - 1)``; then
``S(N) = 1 / (s + (1 - s) / N)``, capped by the number of tasks (a batch of ``n`` equal tasks on
``N`` workers takes ``ceil(n/N)`` rounds). The per-task overhead of Ray (submit, schedule,
return) is measured with no-op tasks and reported.

Options: ``--time-limit S`` (default 2), ``--instances C101,R101,...``, ``--people N``
(default 6000), ``--items N`` (default 2500). About 3 minutes at the defaults on a quiet
machine (head start ~15-25 s, routing 16 + 2 x ~9 s, training ~20 + 2 x ~11 s). Writes
``results/bench_scale_ray.json``.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: one core per task

import time
from typing import Any

import numpy as np

from benchmarks._common import SHARED_DATA, write_result
from lingxi import compute
from lingxi.config import RaySettings
from lingxi.dispatch import DispatchParams, read_problem
from lingxi.dispatch.batch import solve_many
from lingxi.guide.recommender import EASERecommender, SLISTRecommender
from lingxi.guide.training import fit_many, recommend_many

SOLOMON = SHARED_DATA / "vrp" / "solomon"
DEFAULT = "C101,C201,R101,R201,RC101,RC201,R102,C102"


def _noop(x: int) -> int:
    return x


def _amdahl(serial: float, workers: int) -> float:
    return 1.0 / (serial + (1.0 - serial) / workers)


def _interactions(people: int, n_items: int, seed: int = 7) -> list[list[int]]:
    """Synthetic sessions: each person walks a few item neighbourhoods (so models learn)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(people):
        start = int(rng.integers(n_items))
        steps = rng.integers(-6, 7, size=int(rng.integers(4, 16)))
        out.append([int(x) % n_items for x in start + np.cumsum(steps)])
    return out


def _candidates() -> list[Any]:
    return [EASERecommender(l2=l2) for l2 in (10.0, 50.0, 100.0, 200.0)] + [
        SLISTRecommender(alpha=a, l2=l2) for a in (0.2, 0.5) for l2 in (10.0, 50.0)
    ]


def _train(
    label: str, seqs: list[list[int]], n_items: int, settings: RaySettings
) -> dict[str, Any]:
    load = os.getloadavg()
    t = time.perf_counter()
    models = fit_many(_candidates(), seqs, n_items=n_items, settings=settings)
    fit_s = time.perf_counter() - t
    t = time.perf_counter()
    top = recommend_many(models[-1], seqs, k=10, block=math.ceil(len(seqs) / 8), settings=settings)
    score_s = time.perf_counter() - t
    print(f"{label}: fit {fit_s:.2f} s, score {score_s:.2f} s", flush=True)
    return {
        "fit_wall_s": round(fit_s, 3),
        "score_wall_s": round(score_s, 3),
        "wall_s": round(fit_s + score_s, 3),
        "loadavg_before": [round(x, 2) for x in load],
        "checksum_top1": int(sum(int(ids[0]) for ids, _ in top if ids.size)),
    }


def _run(
    label: str, problems: list[Any], params: DispatchParams, settings: RaySettings
) -> dict[str, Any]:
    load = os.getloadavg()
    t = time.perf_counter()
    plans = solve_many(problems, params, settings=settings)
    wall = time.perf_counter() - t
    print(f"{label}: {wall:.2f} s", flush=True)
    return {
        "wall_s": round(wall, 3),
        "loadavg_before": [round(x, 2) for x in load],
        "costs": [round(p.cost, 1) for p in plans],
        "vehicles": [p.vehicles for p in plans],
        "feasible": all(p.feasible for p in plans),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench_scale_ray", description=__doc__.split("\n")[0])
    ap.add_argument("--time-limit", type=float, default=2.0)
    ap.add_argument("--instances", default=DEFAULT)
    ap.add_argument("--people", type=int, default=6000, help="synthetic histories to train on")
    ap.add_argument("--items", type=int, default=2500, help="synthetic catalogue size")
    args = ap.parse_args(argv or [])
    # A plain kill (SIGTERM) still runs the clean-up below (the head / the server and database).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    names = args.instances.split(",")
    problems = [read_problem(SOLOMON / f"{n}.txt", fmt="solomon") for n in names]
    params = DispatchParams(time_limit=args.time_limit, seed=1, objective="hierarchical")
    seqs = _interactions(args.people, args.items)

    local, pool_settings = RaySettings(), RaySettings(local_workers=2)
    routing = {
        "serial": _run("routing serial", problems, params, local),
        "process_pool_2": _run("routing process pool (2)", problems, params, pool_settings),
    }
    training = {
        "serial": _train("training serial", seqs, args.items, local),
        "process_pool_2": _train("training process pool (2)", seqs, args.items, pool_settings),
    }

    t = time.perf_counter()
    head = compute.start_local_head(num_cpus=2)
    head_start = time.perf_counter() - t
    try:
        on_ray = head.settings()
        # Warm the workers (process start, imports) once, as a long-running cluster would be.
        t = time.perf_counter()
        compute.map_tasks(_noop, range(2), settings=on_ray)
        first_call = time.perf_counter() - t
        t = time.perf_counter()
        compute.map_tasks(_noop, range(200), settings=on_ray)
        per_task_ms = (time.perf_counter() - t) / 200 * 1000
        routing["ray_2_cpus"] = _run("routing ray (2 CPUs)", problems, params, on_ray)
        training["ray_2_cpus"] = _train("training ray (2 CPUs)", seqs, args.items, on_ray)
    finally:
        head.stop()

    workers = 2
    for job in (routing, training):
        for mode in ("process_pool_2", "ray_2_cpus"):
            job[f"speedup_{mode}"] = round(job["serial"]["wall_s"] / job[mode]["wall_s"], 3)
    speedup = training["serial"]["wall_s"] / training["ray_2_cpus"]["wall_s"]
    serial_fraction = min(max((workers / speedup - 1) / (workers - 1), 0.0), 1.0)
    cores_per_node = 2
    projection = {}
    for nodes in (1, 2, 5, 10):
        n_workers = nodes * cores_per_node
        for batch in (8, 80):
            ideal = _amdahl(serial_fraction, n_workers)
            granularity_cap = batch / math.ceil(batch / n_workers)
            projection[f"{nodes}_nodes_{batch}_tasks"] = round(min(ideal, granularity_cap), 2)

    write_result(
        "bench_scale_ray",
        {
            "routing": {
                "instances": names,
                "time_limit_s_each": args.time_limit,
                **routing,
            },
            "training": {
                "synthetic_people": args.people,
                "items": args.items,
                "models": [f"{type(m).__name__}{m._params()}" for m in _candidates()],
                "score_blocks": 8,
                **training,
            },
            "ray_head_start_s": round(head_start, 2),
            "ray_first_call_s": round(first_call, 2),
            "ray_noop_task_ms": round(per_task_ms, 2),
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
            "serial_fraction_amdahl": round(serial_fraction, 4),
            "projected_speedup": projection,
            "projection_reasoning": (
                "Amdahl's law, S(N) = 1/(s + (1-s)/N), with the serial fraction s solved from the "
                "measured 2-worker speed-up of the fixed-work training job (s = (P/S - 1)/(P - 1), "
                "P = 2); nodes of 2 cores like this machine; capped by task granularity (n equal "
                "tasks on N workers take ceil(n/N) rounds, so 8 tasks never go past 8x). The "
                "routing job's speed-up is wall time for a fixed per-depot budget and is near P "
                "by construction, so it is not used for s. Routing tasks ship a few kB and return "
                "a plan; model tasks ship the interactions once (ray.put) and return an n_items^2 "
                "float32 matrix (25 MB at 2,500 items), which over a 10 Gbit/s network adds ~20 ms "
                "per model: small next to a fit. The machine was shared with other work (see "
                "loadavg), so the measured figures are a floor."
            ),
        },
    )


if __name__ == "__main__":
    main()
