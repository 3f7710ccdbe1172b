"""Static benchmarks: Solomon (hierarchical, vs SINTEF BKS), ORTEC static, Gehring-Homberger 1000.

OR-Tools' routing solver (guided local search, same time limit, same integer-scaled data) is
the named baseline on the Solomon set. Full length is hours of CPU; the defaults run a reduced,
clearly labelled subset.

Options: ``python -m benchmarks bench_dispatch_static --help`` (a Solomon subset, time limits,
which parts). The full set (``--solomon all``: 56 x 30 s with OR-Tools at 30 s each, 3 ORTEC x
60 s, 1 Homberger x 120 s) takes about 1 h 5 min. Environment variables set the same defaults:
``BENCH_STATIC_SOLOMON`` = ``all`` or ``reduced`` (first two instances of each class, default),
``BENCH_STATIC_SOLOMON_TIME`` (s, default 30), ``BENCH_STATIC_ORTEC_N`` (default 3),
``BENCH_STATIC_ORTEC_TIME`` (default 60), ``BENCH_STATIC_HOMBERGER_TIME`` (default 120),
``BENCH_STATIC_HOMBERGER`` (comma list, default ``r1_10_1``), ``BENCH_STATIC_ORTOOLS`` (1/0),
``BENCH_STATIC_NAME`` (result file name, default ``bench_dispatch_static``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import time
from typing import Any

from benchmarks._common import SHARED_DATA, write_result
from lingxi.dispatch import DispatchParams, DispatchProblem, read_problem, read_solution, solve

VRP = SHARED_DATA / "vrp"


def _ortools(problem: DispatchProblem, limit: float, precision: int = 1000) -> dict[str, Any]:
    """OR-Tools VRPTW: fixed cost per vehicle (fewest vehicles first), then distance."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = problem.num_locations
    vehicles = len(problem.vehicles)
    dist = (problem.dist * precision).round().astype(int)
    service = [0] + [int(round(s.service_time * precision)) for s in problem.stops]
    travel = (problem.dur * precision).round().astype(int)
    manager = pywrapcp.RoutingIndexManager(n, vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    def d_cb(i: int, j: int) -> int:
        return int(dist[manager.IndexToNode(i), manager.IndexToNode(j)])

    def t_cb(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return int(travel[a, b] + service[a])

    def q_cb(i: int) -> int:
        node = manager.IndexToNode(i)
        return 0 if node == 0 else problem.stops[node - 1].demand

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(d_cb))
    routing.SetFixedCostOfAllVehicles(int(dist.max()) * n)
    horizon = int(problem.depots[0].closes * precision)
    routing.AddDimension(routing.RegisterTransitCallback(t_cb), horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for k, s in enumerate(problem.stops, start=1):
        w = s.windows[0]
        time_dim.CumulVar(manager.NodeToIndex(k)).SetRange(
            int(w.start * precision), int(w.end * precision)
        )
    for v in range(vehicles):
        time_dim.CumulVar(routing.Start(v)).SetRange(0, horizon)
        time_dim.CumulVar(routing.End(v)).SetRange(0, horizon)
    cap = routing.RegisterUnaryTransitCallback(q_cb)
    routing.AddDimensionWithVehicleCapacity(
        cap, 0, [v.capacity for v in problem.vehicles], True, "load"
    )
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    search.time_limit.FromMilliseconds(int(limit * 1000))
    solution = routing.SolveWithParameters(search)
    if solution is None:
        return {"feasible": False}
    used = 0
    total = 0.0
    for v in range(vehicles):
        i = routing.Start(v)
        path = []
        while not routing.IsEnd(i):
            path.append(manager.IndexToNode(i))
            i = solution.Value(routing.NextVar(i))
        path.append(0)
        if len(path) > 2:
            used += 1
            total += sum(float(problem.dist[a, b]) for a, b in zip(path, path[1:], strict=False))
    return {"feasible": True, "vehicles": used, "distance": round(total, 2)}


def _solomon(names: list[str], limit: float, with_ortools: bool) -> dict[str, Any]:
    with open(VRP / "bks" / "solomon_bks.csv", encoding="utf-8") as fh:
        bks = {r["instance"]: r for r in csv.DictReader(fh)}
    rows = []
    for name in names:
        problem = read_problem(VRP / "solomon" / f"{name}.txt", "solomon")
        params = DispatchParams(time_limit=limit, objective="hierarchical", precision=1000, seed=1)
        plan = solve(problem, params)
        b = bks[name]
        bv, bd = int(b["sintef_vehicles"]), float(b["sintef_distance"])
        row: dict[str, Any] = {
            "instance": name,
            "bks_vehicles": bv,
            "bks_distance": bd,
            "vehicles": plan.vehicles,
            "distance": round(plan.distance, 2),
            "gap_pct": round(100 * (plan.distance / bd - 1), 3),
            "feasible": plan.feasible,
            "vehicles_above_bks": plan.vehicles > bv,
        }
        if with_ortools:
            ot = _ortools(problem, limit)
            row["ortools"] = ot
            if ot.get("feasible"):
                row["ortools_gap_pct"] = round(100 * (ot["distance"] / bd - 1), 3)
        rows.append(row)
        print(json.dumps(row), flush=True)
    same_fleet = [r for r in rows if r["vehicles"] == r["bks_vehicles"]]
    out: dict[str, Any] = {
        "instances": len(rows),
        "mean_gap_pct": round(statistics.mean(r["gap_pct"] for r in rows), 3),
        "mean_gap_pct_where_vehicles_equal_bks": round(
            statistics.mean(r["gap_pct"] for r in same_fleet), 3
        )
        if same_fleet
        else None,
        "instances_vehicles_above_bks": sum(r["vehicles_above_bks"] for r in rows),
        "instances_vehicles_below_bks": sum(r["vehicles"] < r["bks_vehicles"] for r in rows),
        "all_feasible": all(r["feasible"] for r in rows),
    }
    if with_ortools:
        ok = [r for r in rows if "ortools_gap_pct" in r]
        out["ortools_mean_gap_pct"] = (
            round(statistics.mean(r["ortools_gap_pct"] for r in ok), 3) if ok else None
        )
        out["ortools_vehicles_above_bks"] = sum(
            r["ortools"]["vehicles"] > r["bks_vehicles"] for r in ok
        )
        out["ortools_infeasible"] = len(rows) - len(ok)
    out["rows"] = rows
    return out


def _ortec(count: int, limit: float) -> dict[str, Any]:
    with open(VRP / "bks" / "ortec_subset_bks.csv", encoding="utf-8") as fh:
        bks = list(csv.DictReader(fh))[:count]
    rows: list[dict[str, Any]] = []
    for b in bks:
        path = VRP / "ortec" / f"{b['instance']}.txt"
        problem = read_problem(path, "vrplib", fleet=int(b["customers"]))
        plan = solve(problem, DispatchParams(time_limit=limit, objective="duration", precision=1))
        _routes, sol_cost = read_solution(path.with_suffix(".sol"))
        best = float(b["bks_total_driving_duration"])
        rows.append(
            {
                "instance": b["instance"],
                "bks": best,
                "bks_file_cost": sol_cost,
                "ours": round(plan.travel_time, 1),
                "gap_pct": round(100 * (plan.travel_time / best - 1), 3),
                "feasible": plan.feasible,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return {
        "instances": len(rows),
        "mean_gap_pct": round(statistics.mean(r["gap_pct"] for r in rows), 3) if rows else None,
        "rows": rows,
    }


def _homberger(names: list[str], limit: float) -> dict[str, Any]:
    with open(VRP / "bks" / "homberger_subset_bks.csv", encoding="utf-8") as fh:
        bks = {r["instance"]: r for r in csv.DictReader(fh)}
    rows: list[dict[str, Any]] = []
    for name in names:
        problem = read_problem(VRP / "homberger" / f"{name}.txt", "solomon")
        t = time.perf_counter()
        plan = solve(
            problem,
            DispatchParams(time_limit=limit, objective="hierarchical", precision=1000, seed=1),
        )
        b = bks[name]
        bd = float(b["distance"])
        rows.append(
            {
                "instance": name,
                "bks_vehicles": int(b["vehicles"]),
                "bks_distance": bd,
                "vehicles": plan.vehicles,
                "distance": round(plan.distance, 2),
                "gap_pct": round(100 * (plan.distance / bd - 1), 3),
                "feasible": plan.feasible,
                "seconds": round(time.perf_counter() - t, 1),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return {"rows": rows}


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    p = argparse.ArgumentParser(
        prog="python -m benchmarks bench_dispatch_static", description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "--solomon", default=env("BENCH_STATIC_SOLOMON", "reduced"),
        help="all, reduced (first two of each class, default), none, or a comma list (C101,R104)",
    )  # fmt: skip
    p.add_argument(
        "--solomon-time", type=float, default=float(env("BENCH_STATIC_SOLOMON_TIME", "30")),
        help="seconds per Solomon instance (default 30)",
    )  # fmt: skip
    p.add_argument(
        "--ortec-n", type=int, default=int(env("BENCH_STATIC_ORTEC_N", "3")),
        help="how many ORTEC static instances (default 3; 0 skips)",
    )  # fmt: skip
    p.add_argument(
        "--ortec-time", type=float, default=float(env("BENCH_STATIC_ORTEC_TIME", "60")),
        help="seconds per ORTEC instance (default 60)",
    )  # fmt: skip
    p.add_argument(
        "--homberger", default=env("BENCH_STATIC_HOMBERGER", "r1_10_1"),
        help="comma list of Gehring-Homberger instances (default r1_10_1; empty skips)",
    )  # fmt: skip
    p.add_argument(
        "--homberger-time", type=float, default=float(env("BENCH_STATIC_HOMBERGER_TIME", "120")),
        help="seconds per Gehring-Homberger instance (default 120)",
    )  # fmt: skip
    p.add_argument(
        "--no-ortools", action="store_true", default=env("BENCH_STATIC_ORTOOLS", "1") != "1",
        help="skip the OR-Tools baseline on Solomon",
    )  # fmt: skip
    p.add_argument(
        "--name", default=env("BENCH_STATIC_NAME", "bench_dispatch_static"),
        help="result file name (default bench_dispatch_static)",
    )  # fmt: skip
    return p


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    every = sorted(p.stem for p in (VRP / "solomon").glob("*.txt"))
    if args.solomon == "all":
        names, label = every, "all 56"
    elif args.solomon == "reduced":
        names = []
        for cls in ("C1", "C2", "R1", "R2", "RC1", "RC2"):
            names += [n for n in every if n[: len(cls)] == cls and n[len(cls)].isdigit()][:2]
        label = "reduced: first two instances of each class (12 of 56)"
    elif args.solomon == "none":
        names, label = [], "none"
    else:
        names = [n.strip() for n in args.solomon.split(",") if n.strip()]
        unknown = sorted(set(names) - set(every))
        if unknown:
            raise SystemExit(f"--solomon: unknown instances {unknown}; known: {every}")
        label = f"subset: {', '.join(names)}"
    s_time, o_n, o_time = args.solomon_time, args.ortec_n, args.ortec_time
    h_time = args.homberger_time
    h_names = [n for n in args.homberger.split(",") if n]
    with_ot = not args.no_ortools
    load_start = [round(x, 2) for x in os.getloadavg()]
    solomon = _solomon(names, s_time, with_ot) if names else None
    ortec = _ortec(o_n, o_time) if o_n > 0 else None
    homberger = _homberger(h_names, h_time) if h_names else None
    write_result(
        args.name,
        {
            "setting": {
                "solomon": label,
                "solomon_time_s": s_time,
                "ortec_instances": o_n,
                "ortec_time_s": o_time,
                "homberger": h_names,
                "homberger_time_s": h_time,
                "baseline": "OR-Tools 9.15 routing (GLS), same time limit" if with_ot else None,
                "load_avg_start": load_start,
                "load_avg_end": [round(x, 2) for x in os.getloadavg()],
                "note": "wall clock on a shared 2-core machine",
            },
            "solomon": solomon,
            "ortec_static": ortec,
            "homberger_1000": homberger,
        },
    )


if __name__ == "__main__":
    main()
