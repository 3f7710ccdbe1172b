"""The home's record: every change with what, who, how and when (the ``entity_state`` table)."""

from __future__ import annotations

from typing import Any

from lingxi.data import Database
from lingxi.data.repos import home as repo
from lingxi.home.devices import DeviceState

__all__ = ["history_rows", "record_changes"]


def record_changes(
    db: Database, household_id: int, changes: list[DeviceState], source: str, actor: int | None
) -> None:
    """Append each new state, recorded as coming from ``source`` and ``actor`` (a customer id;
    the local operator's 0 and automations' None are stored as no one)."""
    if not changes:
        return
    with db.session() as s:
        for state in changes:
            repo.record_state(
                s,
                household_id=household_id,
                entity_id=state.entity_id,
                state=state.state,
                attributes=state.attributes,
                source=source,
                actor_customer_id=actor if actor and actor > 0 else None,
            )


def history_rows(
    db: Database, household_id: int, *, entity_id: str | None, limit: int
) -> list[dict[str, Any]]:
    """Recorded changes, newest first."""
    with db.session() as s:
        return [
            r.to_dict()
            for r in repo.state_history(
                s, household_id=household_id, entity_id=entity_id, limit=limit
            )
        ]
