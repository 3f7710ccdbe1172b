"""The Typer CLI, ``lingxi``. Outermost layer: nothing imports it."""

from lingxi.cli.main import app as app, main as main

__all__ = ["app", "main"]
