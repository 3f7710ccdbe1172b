"""`lingxi guide ...`: the guide engine's commands."""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(help="The guide engine.", no_args_is_help=True)
