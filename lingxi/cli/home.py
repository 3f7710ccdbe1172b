"""`lingxi home ...`: the home engine's commands."""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(help="The home engine.", no_args_is_help=True)
