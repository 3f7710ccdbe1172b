"""`lingxi chat`: the assistant."""

from __future__ import annotations

from typing import Annotated

import typer

from lingxi.cli._common import err_console

__all__ = ["chat"]


def chat(
    text: Annotated[str | None, typer.Argument(help="One message; interactive without it.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Talk to the assistant (interactive without TEXT)."""
    err_console.print("The assistant is not built yet (issue 7).")
    raise typer.Exit(1)
