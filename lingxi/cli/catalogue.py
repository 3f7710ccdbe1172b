"""`lingxi catalogue ...`: import an operator's catalogue, list its versions, roll one back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn
from rich.table import Table

from lingxi.cli._common import console, database, emit_json, err_console, handle_errors

__all__ = ["app"]

app = typer.Typer(help="The product catalogue: import, versions, rollback.", no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
_SHOWN_ISSUES = 20


@app.callback()
def _group() -> None:
    """Bring your own catalogue (CSV or JSON with a column mapping); every change is a version
    that can be rolled back."""


@contextmanager
def _progress(*, quiet: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar on stderr fed by the importer's ``(stage, done, total)`` calls."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        console=err_console,
        transient=True,
        disable=quiet,
    ) as progress:
        tasks: dict[str, TaskID] = {}
        labels = {"rows": "reading rows", "embedding": "embedding products"}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(labels.get(stage, stage), total=total or None)
            progress.update(tasks[stage], completed=done, total=total or None)

        yield update


@app.command("import")
@handle_errors
def import_cmd(
    file: Annotated[
        Path, typer.Argument(help="A CSV, JSON (array of objects) or JSON Lines file.")
    ],
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="A YAML/JSON column mapping (examples/catalogues/)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count; store nothing.")
    ] = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the good rows even if some are invalid.")
    ] = False,
    embed: Annotated[
        bool,
        typer.Option("--embed/--no-embed", help="Embed new and changed products now (default)."),
    ] = True,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Rows per upsert batch.")] = 500,
    as_json: AsJson = False,
) -> None:
    """Validate FILE row by row and upsert its products by SKU (exit 2 when rows are invalid
    and nothing was imported)."""
    from lingxi.guide.catalogue_admin import ImportParams, import_catalogue
    from lingxi.guide.importer import CatalogueMapping

    columns = CatalogueMapping.from_file(mapping) if mapping else None
    params = ImportParams(
        dry_run=dry_run, skip_invalid=skip_invalid, embed=embed, batch_size=batch_size
    )
    db = database()
    with _progress(quiet=as_json) as update:
        report = import_catalogue(db, file, mapping=columns, params=params, on_progress=update)
    if as_json:
        emit_json(report.to_dict())
    else:
        if report.issues:
            table = Table("row", "field", "value", "problem", title="invalid rows")
            for issue in report.issues[:_SHOWN_ISSUES]:
                table.add_row(str(issue.row), issue.field, issue.value, issue.problem)
            console.print(table)
            if report.issues_total > _SHOWN_ISSUES:
                more = ", ".join(f"{k} {v}" for k, v in sorted(report.by_problem.items()))
                console.print(f"... {report.issues_total - _SHOWN_ISSUES} more issues ({more})")
        console.print(report.message)
    if report.refused:
        raise typer.Exit(2)


@app.command("versions")
@handle_errors
def versions_cmd(
    limit: Annotated[int, typer.Option("--limit", help="How many, newest first.")] = 20,
    as_json: AsJson = False,
) -> None:
    """The catalogue's versions (imports and edits), newest first."""
    from lingxi.guide.catalogue_admin import list_versions

    rows = list_versions(database(), limit=limit)
    if as_json:
        emit_json(
            {
                "data": [
                    {
                        "id": v.id,
                        "created_at": v.created_at.isoformat(),
                        "kind": v.kind,
                        "source": v.source,
                        "actor": v.actor,
                        "status": v.status,
                        "inserted": v.inserted,
                        "updated": v.updated,
                        "unchanged": v.unchanged,
                        "skipped": v.skipped,
                        "rolled_back_at": v.rolled_back_at.isoformat()
                        if v.rolled_back_at
                        else None,
                    }
                    for v in rows
                ],
                "count": len(rows),
            }
        )
        return
    table = Table("version", "when", "kind", "source", "by", "status", "+", "~", "=", "skipped")
    for v in rows:
        table.add_row(
            str(v.id),
            f"{v.created_at:%Y-%m-%d %H:%M}",
            v.kind,
            v.source,
            v.actor,
            v.status,
            str(v.inserted),
            str(v.updated),
            str(v.unchanged),
            str(v.skipped),
        )
    console.print(table)


@app.command("rollback")
@handle_errors
def rollback_cmd(
    version: Annotated[
        int,
        typer.Argument(
            help="The version to undo (later ones are undone too).", min=1, max=2**31 - 1
        ),
    ],
    embed: Annotated[
        bool, typer.Option("--embed/--no-embed", help="Re-embed restored products now.")
    ] = True,
    as_json: AsJson = False,
) -> None:
    """Put the catalogue back as it was before VERSION: products it added are removed, products
    it changed get their previous values (every later version still applied is undone first)."""
    from lingxi.guide.catalogue_admin import rollback_version

    with _progress(quiet=as_json) as update:
        report = rollback_version(database(), version, embed=embed, on_progress=update)
    if as_json:
        emit_json(report.to_dict())
    else:
        console.print(report.message)


@app.command("reindex")
@handle_errors
def reindex_cmd(as_json: AsJson = False) -> None:
    """Embed the products that have no cached embedding (after an import with --no-embed)."""
    from lingxi.guide.catalogue_admin import refresh_index

    with _progress(quiet=as_json) as update:
        n = refresh_index(database(), on_progress=update)
    if as_json:
        emit_json({"reembedded": n})
    else:
        console.print(f"{n} products embedded.")
