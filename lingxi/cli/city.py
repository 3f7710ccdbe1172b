"""`lingxi city ...`: import an OpenStreetMap extract as a routable city, list, choose one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lingxi.cli._common import console, emit_json, handle_errors, settings
from lingxi.errors import InvalidInputError

__all__ = ["app"]

app = typer.Typer(help="The cities the deployment delivers in.", no_args_is_help=True)

_STAGES = {"read": 1, "connect": 2, "save": 3}
_LABELS = {"read": "reading roads", "connect": "keeping the connected roads", "save": "saving"}


@app.callback()
def _group() -> None:
    """Import OSM extracts as routable cities; choose the one the deployment plans in."""


@app.command("import")
@handle_errors
def import_cmd(
    file: Annotated[Path, typer.Argument(help="An OSM extract: .osm.pbf, .osm.bz2 or .osm.")],
    name: Annotated[str, typer.Option("--name", help="The city's name (e.g. west-oakland).")],
    use: Annotated[bool, typer.Option("--use", help="Make it the active city too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Build the road network of an extract and cache it under the data dir."""
    from lingxi.dispatch.cities import import_city, use_city

    if not file.is_file():  # the caller's input (exit 2), not a part that is down
        raise InvalidInputError.for_field("file", "an existing OSM extract", str(file))
    conf = settings()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
        transient=False,
    ) as progress:
        task = progress.add_task(f"{name}: reading roads", total=len(_STAGES), detail="")

        def tick(stage: str, count: int) -> None:
            detail = f"{count:,} ways" if stage == "read" else ""
            progress.update(
                task,
                completed=_STAGES[stage] - 1,
                description=f"{name}: {_LABELS[stage]}",
                detail=detail,
            )

        info = import_city(file, name=name, settings=conf, progress=tick)
        progress.update(task, completed=len(_STAGES), description=f"{info.name}: done")
    if use:
        info = use_city(conf, info.name)
    if as_json:
        emit_json(info.to_dict())
        return
    console.print(
        f"city {info.name}: {info.nodes:,} road nodes, {info.edges:,} arcs, "
        f"built in {info.import_s:.1f} s" + (" (active)" if info.active else ""),
        highlight=False,
    )


@app.command("list")
@handle_errors
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """The demo city and every imported city; the active one is marked."""
    from lingxi.dispatch.cities import list_cities

    cities = list_cities(settings())
    if as_json:
        emit_json({"cities": [c.to_dict() for c in cities], "count": len(cities)})
        return
    table = Table(title="Cities")
    for col in ("", "name", "nodes", "arcs", "source"):
        table.add_column(col)
    for c in cities:
        table.add_row(
            "*" if c.active else "",
            c.name + (" (demo)" if c.builtin else ""),
            f"{c.nodes:,}" if c.nodes is not None else "",
            f"{c.edges:,}" if c.edges is not None else "",
            c.source,
        )
    console.print(table)


@app.command("use")
@handle_errors
def use_cmd(
    name: Annotated[str, typer.Argument(help="An imported city, or monaco (the demo).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Make a city the deployment's active one (plans and maps use it; restart the server)."""
    from lingxi.dispatch.cities import use_city

    info = use_city(settings(), name)
    if as_json:
        emit_json(info.to_dict())
        return
    console.print(f"active city: {info.name}", highlight=False)


@app.command("show")
@handle_errors
def show_cmd(
    name: Annotated[str | None, typer.Argument(help="A city (default: the active one).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """One city's size and bounding box."""
    from lingxi.dispatch.cities import find_city

    info = find_city(settings(), name)
    if as_json:
        emit_json(info.to_dict())
        return
    console.print(
        f"{info.name}{' (active)' if info.active else ''}: {info.nodes:,} nodes, "
        f"{info.edges:,} arcs, box {info.bbox}, from {info.source}",
        highlight=False,
    )
