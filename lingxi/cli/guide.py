"""`lingxi guide ...`: parse a need, recommend products, compare two products."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lingxi.cli._common import console, emit_json, handle_errors

__all__ = ["app"]

app = typer.Typer(help="The shopping guide.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Parse shopping needs (English or Chinese), recommend and compare skincare products."""


AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


@app.command("parse")
@handle_errors
def parse_cmd(
    text: Annotated[str, typer.Argument(help="The request, e.g. 'oily skin, cleanser under $30'.")],
    as_json: AsJson = False,
) -> None:
    """Show the need parsed from TEXT: category, skin types, budget, brands, ingredients."""
    from lingxi.guide import parse_need

    query = parse_need(text)
    doc = query.to_dict()
    if as_json:
        emit_json(doc)
        return
    table = Table(show_header=False)
    for key, value in doc.items():
        table.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    if query.medical_conditions:
        table.add_row("medical", ", ".join(query.medical_conditions))
    console.print(table)
