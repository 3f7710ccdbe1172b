"""Rows as plain frozen dataclasses, importable without SQLAlchemy.

The repositories (:mod:`lingxi.data.repos.home`, :mod:`~lingxi.data.repos.home_automations`,
:mod:`~lingxi.data.repos.identity`) return these and re-export them; so does the stdlib
``sqlite3`` path (:mod:`lingxi.data.repos.lean`). A cold ``lingxi home parse`` or ``home do``
on a SQLite file needs them but not the ORM (~0.35 s of its start).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lingxi.errors import InvalidInputError

__all__ = [
    "LANGUAGES",
    "STATE_SOURCES",
    "AreaRecord",
    "AutomationRecord",
    "EntityRecord",
    "GestureBindingRecord",
    "Member",
    "StateRecord",
    "check_state",
    "language_key",
]

LANGUAGES = ("en", "zh")
"""The languages a home's display names may be given in."""


def language_key(language: str) -> str:
    """``"zh"`` for any Chinese tag (``zh``, ``zh-CN``), else ``"en"``."""
    return "zh" if language.casefold().startswith("zh") else "en"


STATE_SOURCES = ("voice", "text", "touch", "gesture", "device", "automation", "undo")
"""How a state change came about."""


@dataclass(frozen=True, slots=True)
class AreaRecord:
    """A room or zone, with its aliases (``客厅`` for ``Living Room``)."""

    area_id: str
    name: str
    aliases: tuple[str, ...] = ()
    floor: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    """The display name per language (``{"zh": "客厅"}``); ``name`` where one is missing."""

    def name_in(self, language: str) -> str:
        """The display name in ``language`` (``en``, ``zh``, ``zh-CN``), else ``name``."""
        return self.names.get(language_key(language)) or self.name


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """A Home Assistant style entity of a household."""

    entity_id: str
    domain: str
    name: str
    aliases: tuple[str, ...] = ()
    area_id: str | None = None
    """The area's slug (``living_room``), not the row id."""
    device_class: str | None = None
    capabilities: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    """The display name per language; ``name`` where one is missing."""

    def name_in(self, language: str) -> str:
        """The display name in ``language`` (``en``, ``zh``, ``zh-CN``), else ``name``."""
        return self.names.get(language_key(language)) or self.name


@dataclass(frozen=True, slots=True)
class StateRecord:
    """One recorded state: what, who (``actor_customer_id``), how (``source``) and when."""

    entity_id: str
    state: str
    attributes: dict[str, Any]
    changed_at: datetime
    source: str
    actor_customer_id: int | None = None
    id: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "entity_id": self.entity_id,
            "state": self.state,
            "attributes": self.attributes,
            "changed_at": self.changed_at.isoformat(),
            "source": self.source,
            "actor_customer_id": self.actor_customer_id,
        }


@dataclass(frozen=True, slots=True)
class GestureBindingRecord:
    """A gesture of a household bound to an intent with fixed slots."""

    gesture: str
    intent: str
    slots: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"gesture": self.gesture, "intent": self.intent, "slots": self.slots}


def check_state(state: str, source: str) -> None:
    """What every recorded state must be, whichever path writes it."""
    if source not in STATE_SOURCES:
        raise InvalidInputError.for_field("source", f"one of {', '.join(STATE_SOURCES)}", source)
    if len(state) > 100:
        raise InvalidInputError.for_field("state", "at most 100 characters", state)


@dataclass(frozen=True, slots=True)
class Member:
    """A signed-in household member, as every service sees the caller."""

    customer_id: int
    household_id: int
    role: str
    display_name: str
    email: str
    locale: str = "en"


@dataclass(frozen=True, slots=True)
class AutomationRecord:
    """A stored command for later."""

    id: int
    household_id: int
    customer_id: int | None
    text: str
    language: str
    commands: list[dict[str, Any]]
    schedule: dict[str, Any]
    due_at: datetime
    confirmed: bool
    status: str
    created_at: datetime
    finished_at: datetime | None
    outcome: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (times in ISO 8601, UTC)."""
        return {
            "id": self.id,
            "text": self.text,
            "language": self.language,
            "commands": self.commands,
            "schedule": self.schedule,
            "due_at": self.due_at.isoformat(),
            "confirmed": self.confirmed,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "outcome": self.outcome,
        }
