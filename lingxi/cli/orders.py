"""`lingxi orders import FILE [--dry-run] [--skip-invalid]`: an operator's orders from a CSV.

The columns are described in :mod:`lingxi.commerce.intake_csv`. Each order is made by the
rules of :mod:`lingxi.commerce` (confirmed, with its delivery shipment), once per external id:
importing the same file again makes no second order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lingxi import commerce
from lingxi.cli._common import console, database, emit_json, err_console, handle_errors, settings
from lingxi.errors import InvalidInputError

__all__ = ["app"]

app = typer.Typer(help="Orders from outside: CSV import.", no_args_is_help=True)

MAX_FILE_BYTES = 50_000_000


def _read(path: Path) -> str:
    if not path.is_file():
        raise InvalidInputError.for_field("file", "an existing file", str(path))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInputError.for_field("file", f"at most {MAX_FILE_BYTES} bytes", str(path))
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError.for_field("file", "a UTF-8 CSV file", str(path)) from None


@app.command("import")
@handle_errors
def import_orders(
    file: Annotated[Path, typer.Argument(help="A CSV file, one order per row.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and report; write nothing.")
    ] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Import the valid rows and report the others."),
    ] = False,
    create_customers: Annotated[
        bool,
        typer.Option(
            "--create-customers",
            help="Create an account and household for an unknown customer e-mail "
            "(default: LINGXI_INTEGRATIONS__CREATE_CUSTOMERS).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Import orders (customer, address and point, SKUs and quantities, delivery window).

    Exit 0 when every row was imported (or skipped with --skip-invalid, or already imported);
    exit 2 with the report, naming row, field and value, when a row is invalid and nothing
    was imported.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    incoming, unreadable = commerce.read_orders_csv(_read(file))
    create = create_customers or settings().integrations.create_customers
    with Progress(
        TextColumn("importing orders"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
        disable=as_json or dry_run,
    ) as progress:
        task = progress.add_task("import", total=len(incoming))
        report = commerce.import_orders(
            database(),
            incoming,
            unreadable=unreadable,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            create_customers=create,
            progress=lambda _result: progress.advance(task),
        )
    if as_json:
        emit_json(report.to_dict())
    else:
        _print(report)
    if report.refused:
        raise typer.Exit(2)


def _print(report: commerce.IntakeReport) -> None:
    for p in report.problems:
        err_console.print(
            f"row {p.row}: {p.field} = {p.value!r}: {p.message}", highlight=False, soft_wrap=True
        )
    c = report.counts
    if report.refused:
        err_console.print(
            f"[red]nothing imported[/red]: {c['invalid'] + len(report.unreadable)} invalid "
            "row(s); fix them, or pass --skip-invalid to import the others.",
            highlight=False,
        )
        return
    verb = "would create" if report.dry_run else "created"
    count = c["would_create"] if report.dry_run else c["created"]
    console.print(
        f"{verb} {count} order(s); {c['duplicate']} already imported; "
        f"{c['invalid'] + len(report.unreadable)} skipped as invalid",
        highlight=False,
    )
