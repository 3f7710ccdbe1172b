"""Shared CLI plumbing: one error -> exit-code table, JSON output, settings and database."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from lingxi.errors import (
    ConfirmationRequiredError,
    ConflictError,
    InvalidInputError,
    LingxiError,
    NotFoundError,
    UnauthorizedError,
    UnavailableError,
)

if TYPE_CHECKING:  # settings (pydantic) and the data layer (SQLAlchemy) load when first used
    from lingxi.config import Settings
    from lingxi.data import Database

__all__ = ["EXIT_CODES", "console", "database", "emit_json", "err_console", "handle_errors"]

logger = logging.getLogger(__name__)

console = Console()
err_console = Console(stderr=True)

# One place maps the error tree to exit codes: 2 = the caller's input, 1 = state, 3 = a part down.
EXIT_CODES: tuple[tuple[type[LingxiError], int], ...] = (
    (InvalidInputError, 2),
    (NotFoundError, 2),
    (UnauthorizedError, 2),
    (ConfirmationRequiredError, 1),
    (ConflictError, 1),
    (UnavailableError, 3),
    (LingxiError, 1),
)

P = ParamSpec("P")
R = TypeVar("R")


def exit_code_for(err: LingxiError) -> int:
    """The exit code of an error, from :data:`EXIT_CODES`."""
    for cls, code in EXIT_CODES:
        if isinstance(err, cls):
            return code
    return 1


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`LingxiError` into a one-line message (or JSON) and its exit code."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except LingxiError as err:
            _report(err.to_dict(), as_json=bool(kwargs.get("as_json")))
            raise typer.Exit(exit_code_for(err)) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as err:
            logger.debug("unexpected error", exc_info=True)
            body = {
                "code": "internal_error",
                "message": f"{type(err).__name__}: {err}",
                "details": {},
            }
            _report(body, as_json=bool(kwargs.get("as_json")))
            raise typer.Exit(1) from None

    return wrapper


def _report(error: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps({"error": error}, ensure_ascii=False) + "\n")
    else:
        from rich.markup import escape  # "lingxi[voice]" is text, not a style tag

        err_console.print(
            f"[red]error[/red] ({error['code']}): {escape(error['message'])}",
            highlight=False,
            soft_wrap=True,  # one line, however narrow the terminal: scripts grep it
        )


def emit_json(document: Any) -> None:
    """Print one JSON document to stdout and nothing else."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, default=str) + "\n")


def settings() -> Settings:
    """The process settings; a bad variable is an InvalidInputError (one line, exit 2)."""
    from pydantic import ValidationError

    from lingxi.config import get_settings

    try:
        return get_settings()
    except ValidationError as err:
        first = err.errors()[0]
        where = "LINGXI_" + "__".join(str(p).upper() for p in first["loc"]) if first["loc"] else ""
        raise InvalidInputError(
            f"The configuration is refused: {first['msg']}" + (f" ({where})" if where else ""),
            field=where or "settings",
        ) from None


def database() -> Database:
    """The configured database."""
    from lingxi.data import Database

    return Database.from_settings(settings().db)
