"""Where a controller's home comes from and where its changes go.

On a plain SQLite file both go over the stdlib ``sqlite3`` module
(:mod:`lingxi.data.repos.lean`, which reads and stores exactly what the repositories do), so
a cold ``lingxi home parse`` or ``home do`` never imports SQLAlchemy and the 43 ORM models
(~0.35 s of its start). PostgreSQL, memory databases and URLs with options go through the
repositories.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lingxi.data import Database
from lingxi.data.records import AreaRecord, EntityRecord, StateRecord
from lingxi.home.devices import DeviceState

__all__ = ["HomeRows", "load_rows", "record_changes"]


@dataclass(frozen=True)
class HomeRows:
    """What a controller loads for a household."""

    areas: list[AreaRecord]
    entities: list[EntityRecord]
    states: dict[str, StateRecord]
    """The newest recorded state of each entity that has one."""
    settings: dict[str, Any]
    """The household's own switches (``heat_limit_c``)."""


def _lean(db: Database) -> bool:
    path = db.sqlite_file
    return path is not None and path.is_file()


def load_rows(db: Database, household_id: int) -> HomeRows:
    """The household's areas, entities, current states and settings."""
    if _lean(db):
        from lingxi.data.repos import lean

        with db.lean() as conn:
            return HomeRows(
                lean.list_areas(conn, household_id=household_id),
                lean.list_entities(conn, household_id=household_id),
                lean.current_states(conn, household_id=household_id),
                lean.household_settings(conn, household_id=household_id),
            )
    from lingxi.data.repos import home as repo
    from lingxi.data.repos.conversation import household_settings

    with db.session() as s:
        return HomeRows(
            repo.list_areas(s, household_id=household_id),
            repo.list_entities(s, household_id=household_id),
            repo.current_states(s, household_id=household_id),
            household_settings(s, household_id=household_id),
        )


def record_changes(
    db: Database, household_id: int, changes: list[DeviceState], source: str, actor: int | None
) -> None:
    """Append each new state, recorded as coming from ``source`` and ``actor`` (a customer id;
    the local operator's 0 and automations' None are stored as no one), in one transaction."""
    if not changes:
        return
    actor_id = actor if actor and actor > 0 else None
    if _lean(db):
        from lingxi.data.repos import lean

        with db.lean(write=True) as conn:
            lean.record_states(
                conn,
                household_id=household_id,
                states=[(c.entity_id, c.state, c.attributes) for c in changes],
                source=source,
                actor_customer_id=actor_id,
            )
        return
    from lingxi.data.repos import home as repo

    with db.session() as s:
        for state in changes:
            repo.record_state(
                s,
                household_id=household_id,
                entity_id=state.entity_id,
                state=state.state,
                attributes=state.attributes,
                source=source,
                actor_customer_id=actor_id,
            )
