"""Time-dependent travel: Solomon + Ichoua/Balseiro speeds, and the Rifki 2020 Lyon instances.

Part 1: each Solomon instance with the Ichoua et al. (2003) scenario-1 speed table
(``t_dep.dat``) and Balseiro's category matrix (``catheg_2.dat``), hard windows. The baseline
is the static plan (PyVRP on the static matrix, driving-time objective) re-timed under the same
speeds; ours is :func:`solve_td` with the same time limit. Part 2: the Rifki 2020 Lyon
instances (route-duration objective) against their BKS.

Options: ``python -m benchmarks bench_dispatch_td --help``. The full set (``--instances all``:
56 x (static + TD solve) at 10 s, plus the Lyon instances) takes about 25 min. Environment:
``BENCH_TD_TIME`` seconds per solve (default 10), ``BENCH_TD_INSTANCES`` = "all" for all 56
Solomon instances (default: the first two of each of the six classes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from typing import Any

from benchmarks._common import SHARED_DATA, write_result
from lingxi.dispatch import DispatchParams, read_problem, solve
from lingxi.dispatch.io import read_mamut_td
from lingxi.dispatch.plan import DispatchPlan, evaluate_route
from lingxi.dispatch.td import SpeedModel, read_category_matrix, read_speed_table
from lingxi.dispatch.tdsearch import retime, solve_td

VRP = SHARED_DATA / "vrp"
TD = VRP / "tdvrp" / "ichoua2003_balseiro2011"


def _metrics(plan: DispatchPlan) -> dict[str, Any]:
    late_stops = sum(1 for r in plan.routes for s in r.stops if s.late > 1e-6)
    return {
        "vehicles": plan.vehicles,
        "travel_time": round(plan.travel_time, 2),
        "route_duration": round(plan.duration, 2),
        "distance": round(plan.distance, 2),
        "late_stops": late_stops,
        "late_total": round(sum(r.late for r in plan.routes), 2),
        "infeasible_routes": sum(not r.feasible for r in plan.routes),
        "unassigned": len(plan.unassigned),
        "feasible": plan.feasible,
    }


def _solomon(names: list[str], limit: float) -> dict[str, Any]:
    table = read_speed_table(TD / "t_dep.dat")
    cats = read_category_matrix(TD / "catheg_2.dat", 101)
    rows = []
    for name in names:
        problem = read_problem(VRP / "solomon" / f"{name}.txt", "solomon")
        depot = problem.depots[0]
        model = SpeedModel.from_categories(problem.dist, cats, table, (depot.opens, depot.closes))
        unreachable = [
            s.id
            for i, s in enumerate(problem.stops)
            if not evaluate_route(problem, 0, [i], travel=model).feasible
        ]
        params = DispatchParams(time_limit=limit, objective="duration", precision=1000)
        static = retime(problem, solve(problem, params), model)
        td = solve_td(problem, model, params)
        row = {
            "instance": name,
            "unreachable_alone_under_td": unreachable,
            "static_retimed": _metrics(static),
            "td_aware": _metrics(td),
            "td_runtime_s": round(td.runtime, 2),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    feas_static = sum(r["static_retimed"]["late_stops"] == 0 for r in rows)
    feas_td = sum(r["td_aware"]["late_stops"] == 0 for r in rows)
    both = [r for r in rows if r["static_retimed"]["late_stops"] == 0 and r["td_aware"]["feasible"]]
    return {
        "instances": len(rows),
        "static_plans_on_time_under_td": feas_static,
        "td_plans_on_time": feas_td,
        "td_plans_fully_feasible": sum(r["td_aware"]["feasible"] for r in rows),
        "static_late_stops_total": sum(r["static_retimed"]["late_stops"] for r in rows),
        "td_late_stops_total": sum(r["td_aware"]["late_stops"] for r in rows),
        "td_unassigned_total": sum(r["td_aware"]["unassigned"] for r in rows),
        "mean_travel_time_static_retimed": round(
            statistics.mean(r["static_retimed"]["travel_time"] for r in rows), 2
        ),
        "mean_travel_time_td": round(
            statistics.mean(r["td_aware"]["travel_time"] for r in rows), 2
        ),
        "mean_travel_time_ratio_td_over_static_where_both_on_time": round(
            statistics.mean(
                r["td_aware"]["travel_time"] / r["static_retimed"]["travel_time"] for r in both
            ),
            4,
        )
        if both
        else None,
        "rows": rows,
    }


def _rifki(limit: float) -> dict[str, Any]:
    rows = []
    for path in sorted((VRP / "tdvrp" / "rifki2020_lyon").glob("n=*/*.vrp.json")):
        problem, atf = read_mamut_td(path)
        bks = json.loads(
            path.with_name(path.name.replace(".vrp.json", ".bks.Duration.json")).read_text()
        )
        params = DispatchParams(time_limit=limit, objective="route_duration", precision=10)
        plan = solve_td(problem, atf, params)
        rows.append(
            {
                "instance": f"{path.parent.name}/{problem.name}",
                "bks": bks["cost"],
                "ours": round(plan.duration, 1),
                "gap_pct": round(100 * (plan.duration / bks["cost"] - 1), 2),
                "vehicles": plan.vehicles,
                "bks_vehicles": len(bks["routes"]),
                "feasible": plan.feasible,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return {"mean_gap_pct": round(statistics.mean(r["gap_pct"] for r in rows), 2), "rows": rows}


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    p = argparse.ArgumentParser(
        prog="python -m benchmarks bench_dispatch_td", description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "--time", type=float, default=float(env("BENCH_TD_TIME", "10")),
        help="seconds per solve (default 10)",
    )  # fmt: skip
    p.add_argument(
        "--instances", default=env("BENCH_TD_INSTANCES", "reduced"),
        help="Solomon: all, reduced (first two of each class, default), none, or a comma list",
    )  # fmt: skip
    p.add_argument("--no-rifki", action="store_true", help="skip the Rifki 2020 Lyon part")
    p.add_argument("--name", default="bench_dispatch_td", help="result file name")
    return p


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    limit = args.time
    every = sorted(p.stem for p in (VRP / "solomon").glob("*.txt"))
    if args.instances == "all":
        names = every
        label = "all 56"
    elif args.instances in ("reduced", ""):
        names = []
        for cls in ("C1", "C2", "R1", "R2", "RC1", "RC2"):
            names += [n for n in every if n[: len(cls)] == cls and n[len(cls)].isdigit()][:2]
        label = "reduced: first two instances of each class (12)"
    elif args.instances == "none":
        names, label = [], "none"
    else:
        names = [n.strip() for n in args.instances.split(",") if n.strip()]
        unknown = sorted(set(names) - set(every))
        if unknown:
            raise SystemExit(f"--instances: unknown {unknown}; known: {every}")
        label = f"subset: {', '.join(names)}"
    load_start = [round(x, 2) for x in os.getloadavg()]
    solomon = _solomon(names, limit) if names else None
    rifki = None if args.no_rifki else _rifki(limit)
    write_result(
        args.name,
        {
            "setting": {
                "solomon_instances": label,
                "speed_table": "t_dep.dat (Ichoua scenario 1)",
                "categories": "catheg_2.dat (Balseiro)",
                "time_limit_s_per_solve": limit,
                "baseline": "static PyVRP plan (same time limit) re-timed under the same speeds",
                "load_avg_start": load_start,
                "load_avg_end": [round(x, 2) for x in os.getloadavg()],
            },
            "solomon_td": solomon,
            "rifki2020_lyon": rifki,
        },
    )


if __name__ == "__main__":
    main()
