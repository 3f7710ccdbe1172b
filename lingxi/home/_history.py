"""The home's record: every change with what, who, how and when (the ``entity_state`` table)."""

from __future__ import annotations

from typing import Any

from lingxi.data import Database
from lingxi.home._store import record_changes as record_changes

__all__ = ["history_rows", "record_changes"]


def history_rows(
    db: Database, household_id: int, *, entity_id: str | None, limit: int
) -> list[dict[str, Any]]:
    """Recorded changes, newest first."""
    from lingxi.data.repos import home as repo

    with db.session() as s:
        return [
            r.to_dict()
            for r in repo.state_history(
                s, household_id=household_id, entity_id=entity_id, limit=limit
            )
        ]
