"""Response models of `/api/home`: what every answer holds, so /openapi.json describes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

__all__ = [
    "ActionPublic",
    "AdoptedPublic",
    "AutomationPublic",
    "AutomationsPublic",
    "BindingPublic",
    "BindingsPublic",
    "CancelPublic",
    "CommandPublic",
    "EntityStatePublic",
    "HistoryPublic",
    "OfferPublic",
    "OffersPublic",
    "ParsePublic",
    "StateChangePublic",
    "StatesPublic",
]


class CommandPublic(BaseModel):
    """One recognised command: a Home Assistant intent name and its slots."""

    intent: str
    slots: dict[str, Any]


class ParsePublic(BaseModel):
    """The `lingxi home parse --json` document plus the resolved targets per command."""

    commands: list[CommandPublic]
    reason: str | None
    """Why nothing matched (no_intent, no_target, ambiguous_target, ...); null on a match."""
    question: str | None = None
    candidates: list[str] | None = None
    targets: list[list[str]]


class AutomationPublic(BaseModel):
    """A command for later, stored (``lingxi serve`` carries it out once when due)."""

    id: int
    text: str
    language: str
    commands: list[dict[str, Any]]
    """``{"intent", "slots", "targets", "tier"}`` as resolved when it was asked."""
    schedule: dict[str, Any]
    """As said: ``{"at": "21:30"}`` (local time) or ``{"delay": 600}`` (seconds)."""
    due_at: datetime
    confirmed: bool
    """A risky act in it had its yes before it was stored."""
    status: Literal["scheduled", "running", "done", "failed", "cancelled"]
    created_at: datetime
    finished_at: datetime | None
    outcome: str | None


class AutomationsPublic(BaseModel):
    """The household's automations still to run, soonest first."""

    data: list[AutomationPublic]
    count: int


class ActionPublic(BaseModel):
    """What a command, touch, gesture, undo or confirmation did."""

    ok: bool
    reply: str
    commands: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    """``{"entity_id", "state", "attributes"}`` of each entity after the action."""
    reason: str | None
    question: str | None
    candidates: list[str]
    automation: AutomationPublic | None = None
    """Set when the request was for later: stored, nothing done now."""


class CancelPublic(BaseModel):
    """Whether a pending confirmation was withdrawn."""

    cancelled: bool


class EntityStatePublic(BaseModel):
    """An entity of the home and its current state."""

    entity_id: str
    name: str
    """The display name in the asked language (``lang``), else the default one."""
    names: dict[str, str] = {}
    """The display name per language the home has (``{"en": ..., "zh": ...}``)."""
    area: str | None
    """The area's slug (``living_room``)."""
    area_name: str | None = None
    """The area's display name in the asked language."""
    area_names: dict[str, str] = {}
    domain: str
    device_class: str | None
    state: str
    """Home Assistant's state value (``locked``, ``on``, a sensor's reading)."""
    state_label: str = ""
    """How the state reads in the asked language (``已上锁``)."""
    attributes: dict[str, Any]
    capabilities: dict[str, Any]


class StatesPublic(BaseModel):
    """The household's entities, and how every state value reads in the asked language (for
    the states a live stream brings later)."""

    data: list[EntityStatePublic]
    count: int
    language: str = "en"
    state_labels: dict[str, str] = {}


class StateChangePublic(BaseModel):
    """One recorded change: what, who (actor), how (source) and when."""

    id: int
    entity_id: str
    state: str
    attributes: dict[str, Any]
    changed_at: str
    source: str
    actor_customer_id: int | None


class HistoryPublic(BaseModel):
    """Recorded changes, newest first."""

    data: list[StateChangePublic]
    count: int


class BindingPublic(BaseModel):
    """A gesture bound to an intent with fixed slots."""

    gesture: str
    intent: str
    slots: dict[str, Any]


class BindingsPublic(BaseModel):
    """The household's own bindings and the defaults of the gestures it has not bound."""

    data: list[BindingPublic]
    count: int
    defaults: list[BindingPublic]


class OfferPublic(BaseModel):
    """A device announced on the broker (its retained discovery config) that can be adopted."""

    id: str
    """``<component>/<node>/<object>``: what ``POST /api/home/adopt`` takes."""
    component: str
    name: str
    entity_id: str
    command_topic: str | None
    state_topic: str | None
    suggested_area: str | None
    manufacturer: str | None
    model: str | None


class OffersPublic(BaseModel):
    """Every adoptable device on the broker."""

    data: list[OfferPublic]
    count: int


class AdoptedPublic(BaseModel):
    """An adopted device: now an entity of the household, commanded on its own topics."""

    entity_id: str
    name: str
    area: str | None
    outcome: str
    """``created``, ``updated`` or ``unchanged`` (adopting again changes nothing)."""
