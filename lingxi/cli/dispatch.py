"""`lingxi dispatch ...`: the dispatch engine's commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lingxi.cli._common import console, emit_json, handle_errors
from lingxi.errors import InvalidInputError

__all__ = ["app"]

app = typer.Typer(help="The dispatch engine.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Plan delivery routes: solve benchmark files, simulate a day of orders."""


_FORMATS = ("solomon", "vrplib")
_OBJECTIVES = ("distance", "duration", "hierarchical")


@app.command("solve")
@handle_errors
def solve_cmd(
    file: Annotated[Path, typer.Argument(help="Instance file (Solomon text or VRPLIB).")],
    fmt: Annotated[str, typer.Option("--format", help="solomon or vrplib.")] = "solomon",
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds of search.")] = 5.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    objective: Annotated[
        str,
        typer.Option(help="distance, duration (ORTEC), or hierarchical (vehicles, then distance)."),
    ] = "",
    fleet: Annotated[
        int | None, typer.Option(help="Vehicles available (default: the file's, else unlimited).")
    ] = None,
    params_file: Annotated[
        Path | None, typer.Option("--params", help="TOML file with [dispatch] parameters.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Solve a benchmark instance and print the routes (client numbers: depot 0, 1..n)."""
    from dataclasses import replace

    from lingxi.dispatch import DispatchParams, read_problem, solve

    if fmt not in _FORMATS:
        raise InvalidInputError.for_field("--format", f"one of {', '.join(_FORMATS)}", fmt)
    if objective and objective not in _OBJECTIVES:
        raise InvalidInputError.for_field(
            "--objective", f"one of {', '.join(_OBJECTIVES)}", objective
        )
    if not time_limit > 0:
        raise InvalidInputError.for_field("--time-limit", "a number of seconds > 0", time_limit)
    if seed < 0:
        raise InvalidInputError.for_field("--seed", "an integer >= 0", seed)
    if fleet is not None and fleet < 1:
        raise InvalidInputError.for_field("--fleet", "an integer >= 1", fleet)
    base = DispatchParams.from_file(params_file) if params_file else DispatchParams()
    if not objective:
        objective = "hierarchical" if fmt == "solomon" else base.objective
    params = replace(
        base,
        time_limit=time_limit,
        seed=seed,
        objective=objective,  # type: ignore[arg-type]
        precision=1000 if fmt == "solomon" else base.precision,
    )
    problem = read_problem(file, fmt, fleet=fleet)  # type: ignore[arg-type]
    with console.status(f"Solving {problem.name} for {time_limit:g} s...", spinner="dots"):
        plan = solve(problem, params)
    if as_json:
        emit_json(plan.to_dict())
        return
    table = Table(title=f"{problem.name}: {plan.summary()}")
    for col in ("vehicle", "stops", "distance", "duration", "load"):
        table.add_column(col)
    for r in plan.routes:
        if r.stops:
            table.add_row(
                r.vehicle_id,
                " ".join(str(s.stop + 1) for s in r.stops),
                f"{r.distance:.2f}",
                f"{r.duration:.2f}",
                str(r.max_load),
            )
    console.print(table)
    for u in plan.unassigned:
        console.print(f"unassigned: client {u.stop + 1} ({u.stop_id}): {u.reason}")


_POLICIES = ("prize", "postpone", "greedy")


@app.command("simulate")
@handle_errors
def simulate_cmd(
    instance: Annotated[Path, typer.Argument(help="A static VRPLIB instance (ORTEC format).")],
    seed: Annotated[int, typer.Option(help="Instance seed: which requests arrive when.")] = 1,
    policy: Annotated[
        str,
        typer.Option(
            help="prize (prize-collecting epochs, the default), postpone (scenario voting) "
            "or greedy (everything goes every epoch)."
        ),
    ] = "prize",
    epoch_time: Annotated[
        float, typer.Option("--epoch-time", help="Seconds of decision time per epoch.")
    ] = 5.0,
    baseline: Annotated[
        bool,
        typer.Option(
            "--baseline/--no-baseline",
            help="Also run greedy on the same day and epoch time, and report cost vs greedy.",
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Simulate a day of orders arriving hourly (EURO Meets NeurIPS 2022 rules) and re-plan."""
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from lingxi.dispatch.dynamic import (
        EpisodeResult,
        GreedyPolicy,
        OrtecInstance,
        Policy,
        PostponePolicy,
        run_episode,
    )
    from lingxi.dispatch.prize import PrizePolicy

    if policy not in _POLICIES:
        raise InvalidInputError.for_field("--policy", f"one of {', '.join(_POLICIES)}", policy)
    if not epoch_time > 0:
        raise InvalidInputError.for_field("--epoch-time", "a number > 0", epoch_time)
    if seed < 0:
        raise InvalidInputError.for_field("--seed", "an integer >= 0", seed)
    data = OrtecInstance.read(instance)
    chosen: Policy
    if policy == "greedy":
        chosen = GreedyPolicy(epoch_time, seed=0)
    elif policy == "postpone":
        chosen = PostponePolicy(epoch_time)
    else:
        chosen = PrizePolicy(epoch_time)
    runs = [(policy, chosen)]
    if baseline and policy != "greedy":
        runs.append(("greedy", GreedyPolicy(epoch_time, seed=0)))
    rows: list[tuple[int, int]] = []
    results: dict[str, EpisodeResult] = {}
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("epoch {task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
    ) as progress:
        for label, pol in runs:
            task = progress.add_task(f"{data.name} ({label})", total=None)

            def tick(
                done: int, total: int, cost: int, task: TaskID = task, mine: bool = label == policy
            ) -> None:
                if mine:
                    rows.append((done, cost))
                progress.update(task, completed=done, total=total)

            results[label] = run_episode(data, seed, pol, on_epoch=tick)
    result = results[policy]
    decisions = chosen.decisions if isinstance(chosen, PrizePolicy) else []
    modes = [d.mode for d in decisions]
    greedy = results.get("greedy") if policy != "greedy" else None
    ratio = round(result.total_cost / greedy.total_cost, 4) if greedy else None
    if as_json:
        emit_json(
            {
                "instance": result.instance,
                "seed": seed,
                "policy": policy,
                "epoch_time": epoch_time,
                "total_cost": result.total_cost,
                "greedy_cost": greedy.total_cost if greedy else None,
                "cost_vs_greedy": ratio,
                "epochs": len(result.epoch_seconds),
                "epoch_costs": {str(k): v for k, v in result.epoch_costs.items()},
                "epoch_seconds": [round(s, 2) for s in result.epoch_seconds],
                "epoch_modes": modes,
                "epoch_scenarios": [d.scenarios for d in decisions],
                "max_epoch_seconds": round(result.max_epoch_seconds, 2),
                "requests": result.requests,
                "routes": result.routes,
            }
        )
        return
    table = Table(title=f"{result.instance}, seed {seed}, policy {policy}, {epoch_time:g} s/epoch")
    table.add_column("epoch")
    table.add_column("driving time", justify="right")
    table.add_column("decision s", justify="right")
    if modes:
        table.add_column("how")
        table.add_column("scenarios", justify="right")
    for k, ((done, cost), secs) in enumerate(zip(rows, result.epoch_seconds, strict=False)):
        extra = [modes[k], str(decisions[k].scenarios)] if modes else []
        table.add_row(str(done), str(cost), f"{secs:.1f}", *extra)
    table.add_row("total", str(result.total_cost), f"{sum(result.epoch_seconds):.1f}")
    console.print(table)
    console.print(
        f"{len(result.epoch_seconds)} epochs, {result.requests} requests, "
        f"{result.routes} routes dispatched; slowest decision "
        f"{result.max_epoch_seconds:.1f} s of {epoch_time:g} s."
    )
    if modes:
        console.print(
            "how: prize = sampled futures priced each optional request, then a prize-collecting "
            "solve; greedy = too little time for 2 scenarios, so everything open went; "
            "last = the last epoch, everything goes."
        )
    if greedy is not None and ratio is not None:
        console.print(
            f"Policy {policy}: total driving time {result.total_cost} vs greedy "
            f"{greedy.total_cost} on the same day = {ratio:.3f} x greedy "
            f"({100 * (ratio - 1):+.1f} %)."
        )
    else:
        console.print(f"Policy {policy}: total driving time {result.total_cost}.")
