"""`lingxi db upgrade|downgrade`, `lingxi demo load|disable` and `lingxi doctor`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from lingxi.cli._common import console, database, emit_json, err_console, handle_errors, settings
from lingxi.data import Database, current_revision, downgrade, upgrade
from lingxi.errors import ForbiddenError, InvalidInputError
from lingxi.status import check_parts

__all__ = ["db_app", "demo_app", "doctor"]

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)


@contextmanager
def _revision_named(revision: str) -> Iterator[None]:
    """An unknown revision is the caller's input (exit 2 naming it), not an internal error."""
    from alembic.util import CommandError

    try:
        yield
    except CommandError as err:
        raise InvalidInputError.for_field(
            "revision", f"a known migration revision ({err})", revision
        ) from None


@db_app.command("upgrade")
@handle_errors
def db_upgrade(revision: Annotated[str, typer.Argument()] = "heads") -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    db = database()
    with _revision_named(revision):
        upgrade(db.engine, revision)
    console.print(f"database at revision {current_revision(db.engine)}")


@db_app.command("downgrade")
@handle_errors
def db_downgrade(revision: Annotated[str, typer.Argument()] = "base") -> None:
    """Migrate the database down to REVISION (default: empty)."""
    db = database()
    with _revision_named(revision):
        downgrade(db.engine, revision)
    console.print(f"database at revision {current_revision(db.engine)}")


@demo_app.command("load")
@handle_errors
def demo_load(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Load the demo catalogue, households, orders, fleet and home (idempotent).

    Refused in production: the demo accounts' passwords are published.
    """
    from rich.progress import Progress

    from lingxi.data.repos.demo import DEMO_STEPS, load_demo

    if settings().environment == "production":
        raise ForbiddenError(
            "`lingxi demo load` is refused in production (LINGXI_ENVIRONMENT=production): the "
            "demo accounts' passwords are published.",
            field="environment",
            value="production",
        )
    db = database()
    upgrade(db.engine)
    with Progress(console=err_console, transient=True, disable=as_json) as progress:
        task = progress.add_task("loading demo data", total=len(DEMO_STEPS) + 1)

        def step(name: str) -> None:
            progress.update(task, advance=1, description=f"loading {name}")

        report = load_demo(db, on_step=step)
        step("today's delivery plan")
        report["routes_planned"] = _plan_today(db)
    if as_json:
        emit_json(report)
    else:
        console.print("demo data: " + ", ".join(f"{k} {v}" for k, v in report.items()))


@demo_app.command("disable")
@handle_errors
def demo_disable(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Remove the demo accounts' passwords and end their sessions (their data stays)."""
    from lingxi.data.repos.demo import disable_demo_accounts

    with database().session() as session:
        emails = disable_demo_accounts(session)
    if as_json:
        emit_json({"disabled": emails})
    else:
        console.print(
            f"demo accounts disabled: {len(emails)}" + (f" ({', '.join(emails)})" if emails else "")
        )


def _plan_today(db: Database) -> int:
    """Plan today's open shipments once (a second load keeps the plan); returns routes planned."""
    from lingxi.data.repos import fleet
    from lingxi.dispatch import plan_shipments

    now = datetime.now(UTC)
    today = now.date()
    with db.session() as session:
        for day in (today, today + timedelta(days=1)):
            if fleet.current_routes(session, plan_date=day):
                return 0
    # Vehicles leave from now on; after the last shift the plan is for tomorrow.
    plan = plan_shipments(db, today, not_before=now)
    return len(plan.route_ids)


@handle_errors
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Report which real parts are reachable and configured; exit 3 when a configured one is down."""
    parts = check_parts(settings(), database())["parts"]
    if as_json:
        emit_json(parts)
    else:
        table = Table("part", "status", "detail")
        for name, part in parts.items():
            colour = {"up": "green", "down": "red"}.get(part["status"], "yellow")
            table.add_row(name, f"[{colour}]{part['status']}[/{colour}]", part["detail"])
        console.print(table)
    if any(part["status"] == "down" for part in parts.values()):
        raise typer.Exit(3)  # the README's code for "a part is down"
