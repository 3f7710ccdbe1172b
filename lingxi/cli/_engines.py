"""Where each engine's CLI module is plugged in (guide, dispatch, home, chat)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import typer

__all__ = ["commands", "sub_apps"]


def sub_apps() -> Iterator[tuple[str, typer.Typer]]:
    """``(name, Typer)`` for each engine sub-command group."""
    from lingxi.cli import catalogue, city, dispatch, fleet, guide, home

    yield "guide", guide.app
    yield "dispatch", dispatch.app
    yield "home", home.app
    yield "city", city.app
    yield "fleet", fleet.app
    yield "catalogue", catalogue.app


def commands() -> Iterator[tuple[str, Callable[..., Any]]]:
    """Top-level commands contributed by engines (``chat``)."""
    from lingxi.cli import chat

    yield "chat", chat.chat
