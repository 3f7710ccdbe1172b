"""EURO Meets NeurIPS 2022 dynamic VRPTW: greedy, postponement and prize-collecting epochs.

For each of the 14 final-phase configurations in ``bks/ortec_dynamic_final_phase.csv``
(instance + the competition's instance seed), and ``--extra-seeds`` other seeds of the same
instance, we run the chosen policies in the same process at the same seconds per epoch:
:class:`GreedyPolicy` (the named baseline; on the competition seed it lands within about 1 %
of the published greedy, which shows the simulator follows the rules), :class:`PostponePolicy`
and :class:`PrizePolicy`. Every cost is divided by our greedy's on the same day; on the
competition seed also by the published greedy, next to the published winner (Kleopatra, 120 s
per epoch). The summary gives, per policy, the mean ± sd over all days and per instance.

Settings were chosen only on the training instance ``0bdff870`` (seeds 1-3), which is not
among the 14 (runs in ``results/bench_dispatch_dynamic_tuning.json``). The result file is
rewritten after every day, so a run stopped early still leaves what it measured
(``"complete": false``).

Run ``python -m benchmarks bench_dispatch_dynamic --help`` for the options. Every decision is
bounded by wall clock: the run takes about days x 6.5 epochs x (sum of the policies' seconds).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
from collections.abc import Callable
from typing import Any

from benchmarks._common import SHARED_DATA, write_result
from lingxi.dispatch.dynamic import (
    EpisodeResult,
    GreedyPolicy,
    OrtecInstance,
    Policy,
    PostponePolicy,
    run_episode,
)
from lingxi.dispatch.prize import PrizePolicy

VRP = SHARED_DATA / "vrp"
POLICIES = ("greedy", "postpone", "prize")
TUNING = (
    "settings chosen only on ORTEC-VRPTW-ASYM-0bdff870-d1-n458-k35 (the competition's training "
    "instance, not among the 14), seeds 1-3, at 2 s and 5 s per epoch; see "
    "bench_dispatch_dynamic_tuning.json"
)


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    p = argparse.ArgumentParser(
        prog="python -m benchmarks bench_dispatch_dynamic", description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "--policies", default=env("BENCH_DYN_POLICIES", "greedy,prize"),
        help="comma list of greedy, postpone, prize (default greedy,prize; greedy is the "
        "baseline every ratio divides by)",
    )  # fmt: skip
    p.add_argument(
        "--epoch-time", type=float, default=float(env("BENCH_DYN_EPOCH_TIME", "10")),
        help="wall-clock seconds per epoch for every policy, everything included (default 10)",
    )  # fmt: skip
    p.add_argument(
        "--limit", type=int, default=int(env("BENCH_DYN_LIMIT", "14")),
        help="only the first N of the 14 configurations",
    )  # fmt: skip
    p.add_argument(
        "--instances", default="",
        help="comma list of instance ids (e.g. 05362619,3ab6b5d5) instead of --limit",
    )  # fmt: skip
    p.add_argument(
        "--extra-seeds", type=int, default=int(env("BENCH_DYN_EXTRA_SEEDS", "2")),
        help="other seeds per instance besides the competition's (default 2: 3 days each)",
    )  # fmt: skip
    p.add_argument("--name", default="", help="result file name (default by epoch time)")
    return p


def _factories(names: list[str], seconds: float) -> dict[str, Callable[[], Policy]]:
    """A fresh policy per day (their samplers are seeded)."""
    make: dict[str, Callable[[], Policy]] = {
        "greedy": lambda: GreedyPolicy(seconds),
        "postpone": lambda: PostponePolicy(seconds),
        "prize": lambda: PrizePolicy(seconds),
    }
    return {n: make[n] for n in names}


def _day(
    ins: OrtecInstance, seed: int, policies: dict[str, Callable[[], Policy]]
) -> dict[str, Any]:
    row: dict[str, Any] = {"instance": ins.name, "seed": seed}
    for label, make in policies.items():
        policy = make()
        res: EpisodeResult = run_episode(ins, seed, policy)
        row[label] = res.total_cost
        row[f"{label}_max_epoch_s"] = round(res.max_epoch_seconds, 2)
        row["epochs"] = len(res.epoch_seconds)
        if isinstance(policy, PrizePolicy):
            row["prize_epoch_modes"] = [d.mode for d in policy.decisions]
            row["prize_scenarios"] = [d.scenarios for d in policy.decisions]
    for label in policies:
        if label != "greedy" and "greedy" in row:
            row[f"{label}_over_greedy"] = round(row[label] / row["greedy"], 4)
    row["load_avg"] = [round(x, 2) for x in os.getloadavg()]
    return row


def _stats(values: list[float]) -> dict[str, float | int]:
    return {
        "mean": round(statistics.mean(values), 4),
        "sd": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
        "n": len(values),
    }


def _summary(rows: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"days": len(rows)}
    official = [r for r in rows if "published_greedy" in r]
    for label in names:
        key = f"{label}_over_greedy"
        values = [r[key] for r in rows if key in r]
        if values:
            out[f"{label}_over_our_greedy_all_days"] = _stats(values)
            per: dict[str, list[float]] = {}
            for r in rows:
                if key in r:
                    per.setdefault(r["instance"], []).append(r[key])
            out[f"{label}_over_our_greedy_per_instance"] = {k: _stats(v) for k, v in per.items()}
        pub = [r[label] / r["published_greedy"] for r in official if label in r]
        if pub:
            out[f"{label}_over_published_greedy_competition_seeds"] = _stats(pub)
        worst = [r[label] / r["published_kleopatra"] for r in official if label in r]
        if worst:
            out[f"{label}_over_kleopatra_competition_seeds"] = {
                **_stats(worst),
                "max": round(max(worst), 4),
            }
        secs = [r[f"{label}_max_epoch_s"] for r in rows if f"{label}_max_epoch_s" in r]
        if secs:
            out[f"{label}_max_epoch_seconds"] = max(secs)
    if official:
        out["kleopatra_over_published_greedy"] = _stats(
            [r["published_kleopatra"] / r["published_greedy"] for r in official]
        )
    return out


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    names = [n.strip() for n in args.policies.split(",") if n.strip()]
    bad = [n for n in names if n not in POLICIES]
    if bad or not names:
        raise SystemExit(f"--policies: expected a comma list of {', '.join(POLICIES)}, got {bad}")
    with open(VRP / "bks" / "ortec_dynamic_final_phase.csv", encoding="utf-8") as fh:
        configs = list(csv.DictReader(fh))
    if args.instances:
        wanted = [w.strip() for w in args.instances.split(",") if w.strip()]
        configs = [c for c in configs if any(w in c["instance"] for w in wanted)]
    else:
        configs = configs[: args.limit]
    policies = _factories(names, args.epoch_time)
    name = args.name or f"bench_dispatch_dynamic_{args.epoch_time:g}s"
    defaults = PrizePolicy()
    setting = {
        "policies": names,
        "baseline": "greedy (GreedyPolicy at the same seconds per epoch, same run)",
        "seconds_per_epoch": args.epoch_time,
        "seeds": "the competition's instance seed, then 1000 + 17 k + seed for k < extra_seeds",
        "extra_seeds": args.extra_seeds,
        "prize_params": {
            k: getattr(defaults, k)
            for k in (
                "lookahead",
                "scenario_time",
                "final_share",
                "consensus",
                "prize_scale",
                "optional_routes",
                "min_scenarios",
            )
        },
        "configurations": [c["instance"] for c in configs],
        "published_epoch_limit_s": 120,
        "tuning": TUNING,
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "note": "wall-clock limits on a shared 2-core machine (load average per row)",
    }
    rows: list[dict[str, Any]] = []
    for c in configs:
        ins = OrtecInstance.read(VRP / "ortec" / f"{c['instance']}.txt")
        seed = int(c["instance_seed"])
        for k, s in enumerate([seed] + [1000 + 17 * j + seed for j in range(args.extra_seeds)]):
            row = _day(ins, s, policies)
            if k == 0:
                row["published_greedy"] = int(c["greedy"])
                row["published_kleopatra"] = int(c["winner_kleopatra"])
                if "greedy" in row:
                    row["our_greedy_vs_published_pct"] = round(
                        100 * (row["greedy"] / row["published_greedy"] - 1), 2
                    )
            rows.append(row)
            print(json.dumps(row), flush=True)
            done = len(rows) == len(configs) * (1 + args.extra_seeds)
            doc = {"setting": setting, "complete": done, "summary": _summary(rows, names)}
            _write_quietly(name, {**doc, "rows": rows}, final=done)


def _write_quietly(name: str, doc: dict[str, Any], *, final: bool) -> None:
    """Rewrite the result after every day; print the whole document only at the end."""
    if final:
        write_result(name, doc)
        return
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        write_result(name, doc)


if __name__ == "__main__":
    main()
