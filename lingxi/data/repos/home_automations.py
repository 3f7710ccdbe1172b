"""Home automations: commands for later, stored when asked and done once when due.

Every function takes the household explicitly (but :func:`claim_due`, the scheduler's, which
serves every household). Rows leave this module as frozen dataclasses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lingxi.data.base import utcnow
from lingxi.data.models import HomeAutomation
from lingxi.data.records import AutomationRecord as AutomationRecord
from lingxi.errors import ConflictError, NotFoundError

__all__ = [
    "AUTOMATION_STATUSES",
    "AutomationRecord",
    "cancel_automation",
    "claim_due",
    "create_automation",
    "finish_automation",
    "list_automations",
]

AUTOMATION_STATUSES = ("scheduled", "running", "done", "failed", "cancelled")


def _record(row: HomeAutomation) -> AutomationRecord:
    return AutomationRecord(
        row.id,
        row.household_id,
        row.customer_id,
        row.text,
        row.language,
        list(row.commands),
        dict(row.schedule),
        row.due_at,
        row.confirmed,
        row.status,
        row.created_at,
        row.finished_at,
        row.outcome,
    )


def create_automation(
    session: Session,
    *,
    household_id: int,
    customer_id: int | None,
    text: str,
    language: str,
    commands: list[dict[str, Any]],
    schedule: dict[str, Any],
    due_at: datetime,
    confirmed: bool,
    now: datetime | None = None,
) -> AutomationRecord:
    """Store a command for later; it waits in status ``scheduled``."""
    row = HomeAutomation(
        household_id=household_id,
        customer_id=customer_id or None,
        text=text[:2000],
        language=language,
        commands=commands,
        schedule=schedule,
        due_at=due_at,
        confirmed=confirmed,
        status="scheduled",
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return _record(row)


def list_automations(
    session: Session, *, household_id: int, include_finished: bool = False
) -> list[AutomationRecord]:
    """The household's automations, soonest first (only those still to run, by default)."""
    query = select(HomeAutomation).where(HomeAutomation.household_id == household_id)
    if not include_finished:
        query = query.where(HomeAutomation.status == "scheduled")
    rows = session.scalars(query.order_by(HomeAutomation.due_at, HomeAutomation.id))
    return [_record(r) for r in rows]


def cancel_automation(
    session: Session, *, household_id: int, automation_id: int, now: datetime | None = None
) -> AutomationRecord:
    """Cancel an automation that has not run yet.

    Raises
    ------
    NotFoundError
        No automation with this id in the household.
    ConflictError
        It already ran, failed or was cancelled (code ``automation_finished``).
    """
    row = session.get(HomeAutomation, automation_id)
    if row is None or row.household_id != household_id:
        raise NotFoundError(f"No automation {automation_id} in this household.", field="id")
    result = session.execute(
        update(HomeAutomation)
        .where(HomeAutomation.id == automation_id, HomeAutomation.status == "scheduled")
        .values(status="cancelled", finished_at=now or utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        raise ConflictError(
            f"Automation {automation_id} is {row.status}; only a scheduled one can be cancelled.",
            code="automation_finished",
            field="id",
        )
    session.refresh(row)
    return _record(row)


def claim_due(session: Session, *, now: datetime, limit: int = 50) -> list[AutomationRecord]:
    """Mark the scheduled automations due by ``now`` as running and return them.

    A row is claimed by one conditional update, so two schedulers never run it twice.
    """
    ids = list(
        session.scalars(
            select(HomeAutomation.id)
            .where(HomeAutomation.status == "scheduled", HomeAutomation.due_at <= now)
            .order_by(HomeAutomation.due_at, HomeAutomation.id)
            .limit(limit)
        )
    )
    claimed = []
    for automation_id in ids:
        result = session.execute(
            update(HomeAutomation)
            .where(HomeAutomation.id == automation_id, HomeAutomation.status == "scheduled")
            .values(status="running")
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(automation_id)
    rows = session.scalars(select(HomeAutomation).where(HomeAutomation.id.in_(claimed)))
    return sorted((_record(r) for r in rows), key=lambda r: (r.due_at, r.id))


def finish_automation(
    session: Session, *, automation_id: int, ok: bool, outcome: str, now: datetime
) -> None:
    """Record how a claimed automation ended: ``done`` or ``failed``, with its reply or error."""
    session.execute(
        update(HomeAutomation)
        .where(HomeAutomation.id == automation_id)
        .values(status="done" if ok else "failed", finished_at=now, outcome=outcome[:2000])
    )
