"""Re-planning speed on a 200-stop plan: one new order, or one traffic report.

The plan: Gehring-Homberger ``r2_2_1`` (200 customers, long horizon) solved once for 20 s.
Then, 20 times each, at a random moment of the day with routes under way: (a) one new order
(a random customer's place with a fresh 2-hour window) is inserted with :func:`replan`, which
keeps stops already left for and re-sequences the rest from each vehicle's position; (b) one
traffic report (a zone around a random customer, speed x0.4 for 2 hours) re-plans every route
under way with time-dependent travel. We report wall-clock p50/p95 and feasibility.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import replace

import numpy as np

from benchmarks._common import SHARED_DATA, write_result
from lingxi.dispatch import DispatchParams, DispatchStop, TimeWindow, read_problem, solve
from lingxi.dispatch.replan import replan, states_at
from lingxi.dispatch.td import SpeedModel


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    trials = int(os.environ.get("BENCH_REPLAN_TRIALS", "20"))
    budget = float(os.environ.get("BENCH_REPLAN_LIMIT", "1.0"))
    base = read_problem(SHARED_DATA / "vrp" / "homberger" / "r2_2_1.txt", "solomon")
    rng = np.random.default_rng(2026)
    # One extra stop slot for the new order (its place and window are set per trial).
    horizon = base.depots[0].closes
    plan = solve(base, DispatchParams(time_limit=20.0, seed=1))
    new_order_s: list[float] = []
    traffic_s: list[float] = []
    feasible_new = feasible_traffic = 0
    for _ in range(trials):
        now = float(rng.uniform(0.15, 0.5) * horizon)
        k = int(rng.integers(len(base.stops)))
        src = base.stops[k]
        new = DispatchStop(
            "new",
            src.x + 1.0,
            src.y + 1.0,
            demand=10,
            service_time=10.0,
            windows=(TimeWindow(now + 60.0, now + 60.0 + 120.0 * 10),),
        )
        problem = replace(base, stops=(*base.stops, new), distance=None, duration=None)
        states = states_at(problem, plan, now)
        t = time.perf_counter()
        out = replan(problem, states, [len(base.stops)], DispatchParams(time_limit=budget, seed=1))
        new_order_s.append(time.perf_counter() - t)
        feasible_new += int(out.feasible)
        states = states_at(base, plan, now)
        centre = base.points[base.stop_location(k)]
        xy = np.asarray(base.points)
        inside = np.hypot(xy[:, 0] - centre[0], xy[:, 1] - centre[1]) < 15.0
        share = (inside[:, None] | inside[None, :]).astype(float)
        model = SpeedModel.static(base.dur).with_slowdown(share, 0.4, now, now + 7200.0 / 36)
        t = time.perf_counter()
        out = replan(base, states, [], DispatchParams(time_limit=budget, seed=1), model=model)
        traffic_s.append(time.perf_counter() - t)
        feasible_traffic += int(out.feasible)
    write_result(
        "bench_dispatch_replan",
        {
            "setting": {
                "instance": "homberger r2_2_1 (200 stops)",
                "trials": trials,
                "replan_time_limit_s": budget,
                "initial_plan": plan.summary(),
                "note": "wall clock on a shared 2-core machine",
            },
            "new_order": {
                "p50_s": round(_pct(new_order_s, 50), 3),
                "p95_s": round(_pct(new_order_s, 95), 3),
                "max_s": round(max(new_order_s), 3),
                "feasible": f"{feasible_new}/{trials}",
            },
            "traffic_report": {
                "p50_s": round(_pct(traffic_s, 50), 3),
                "p95_s": round(_pct(traffic_s, 95), 3),
                "max_s": round(max(traffic_s), 3),
                "feasible": f"{feasible_traffic}/{trials}",
                "mean_s": round(statistics.mean(traffic_s), 3),
            },
            "target_p95_s": 2.0,
        },
    )


if __name__ == "__main__":
    main()
