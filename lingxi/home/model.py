"""The home as the engine sees it, and the values parsing returns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lingxi.data.records import AreaRecord, EntityRecord
from lingxi.home._lang import Schedule

__all__ = [
    "DOMAIN_OF_INTENT",
    "Command",
    "Home",
    "NoMatchReason",
    "ParseResult",
]

# Intents whose target domain is implied; a "domain" slot equal to it carries no information.
DOMAIN_OF_INTENT: dict[str, str] = {
    "HassLightSet": "light",
    "HassClimateSetTemperature": "climate",
    "HassClimateGetTemperature": "climate",
    "HassSetVolume": "media_player",
    "HassSetVolumeRelative": "media_player",
    "HassMediaPause": "media_player",
    "HassMediaUnpause": "media_player",
    "HassMediaNext": "media_player",
    "HassMediaPrevious": "media_player",
    "HassMediaPlayerMute": "media_player",
    "HassMediaPlayerUnmute": "media_player",
    "HassVacuumStart": "vacuum",
    "HassVacuumReturnToBase": "vacuum",
    "HassFanSetSpeed": "fan",
}


class NoMatchReason(StrEnum):
    """Why a request produced no command; the assistant can phrase each as a reply."""

    NO_INTENT = "no_intent"
    """Nothing in the text is a home command."""
    NO_TARGET = "no_target"
    """A command, but no device of the home fits the named device or area."""
    AMBIGUOUS_TARGET = "ambiguous_target"
    """Several devices fit and the text does not say which: ask, never guess."""
    NO_CAPABILITY = "no_capability"
    """The device cannot do that (colour on a plain dimmer)."""
    EMPTY = "empty"
    """The text was empty."""
    SCHEDULED = "scheduled"
    """The commands are for later ("at nine thirty pm"): see ``ParseResult.scheduled``."""


@dataclass(frozen=True)
class Home:
    """A household's areas and entities (aliases included)."""

    household_id: int
    areas: tuple[AreaRecord, ...]
    entities: tuple[EntityRecord, ...]

    @classmethod
    def from_records(
        cls, household_id: int, areas: Iterable[AreaRecord], entities: Iterable[EntityRecord]
    ) -> Home:
        """Build from the data layer's records."""
        return cls(household_id, tuple(areas), tuple(entities))

    def entity(self, entity_id: str) -> EntityRecord | None:
        """The entity with this id, or None."""
        for e in self.entities:
            if e.entity_id == entity_id:
                return e
        return None

    def area(self, area_id: str) -> AreaRecord | None:
        """The area with this slug, or None."""
        for a in self.areas:
            if a.area_id == area_id:
                return a
        return None

    def area_by_name(self, name: str) -> AreaRecord | None:
        """The area whose name or alias is ``name`` (case-insensitive), or None."""
        key = name.casefold()
        for a in self.areas:
            if a.name.casefold() == key or any(x.casefold() == key for x in a.aliases):
                return a
        return None

    def entity_by_name(self, name: str) -> EntityRecord | None:
        """The entity whose name is ``name`` (case-insensitive), or None."""
        key = name.casefold()
        for e in self.entities:
            if e.name.casefold() == key:
                return e
        return None

    @property
    def floors(self) -> tuple[str, ...]:
        """The distinct floor names of the areas."""
        return tuple(sorted({a.floor for a in self.areas if a.floor}))


@dataclass(frozen=True)
class Command:
    """One recognised command: Home Assistant intent and slot names.

    Target slots are ``name``, ``area``, ``floor``, ``domain``, ``device_class``; value slots
    are ``brightness``, ``color``, ``temperature``, ``position``, ``percentage``,
    ``volume_level`` and the relative steps ``brightness_step``, ``temperature_step``,
    ``volume_step`` (``"up"``/``"down"``, as HassSetVolumeRelative's ``volume_step``).
    """

    intent: str
    slots: dict[str, Any]
    tier: int = 1
    """1 = Home Assistant's templates, 2 = Lingxi's offline rules, 3 = the learned tier
    (e5 embeddings), 4 = the LLM."""
    targets: tuple[str, ...] = ()
    """Resolved entity ids (filled when a home is known)."""
    language: str = "en"
    all_requested: bool = False
    """The text said "all"/"every"/"所有": several targets are meant, not ambiguous."""
    singular: bool = False
    """The text named one device ("the light"), so several matches are ambiguous."""
    schedule: Schedule | None = None
    """When it is to be done, for a scheduled command; None = now."""

    def to_dict(self) -> dict[str, Any]:
        """``{"intent", "slots"}`` as in ``lingxi home parse --json`` (and ``"schedule"``)."""
        doc: dict[str, Any] = {"intent": self.intent, "slots": dict(self.slots)}
        if self.schedule is not None:
            doc["schedule"] = self.schedule.as_slots()
            doc["automation"] = self.schedule.automation(_service(self), self.targets)
        return doc


def _service(command: Command) -> str:
    """The Home Assistant service a scheduled command's automation calls."""
    domain = command.targets[0].split(".")[0] if command.targets else "homeassistant"
    verbs = {"HassTurnOn": "turn_on", "HassTurnOff": "turn_off"}
    if domain == "lock":
        verbs = {"HassTurnOn": "lock", "HassTurnOff": "unlock"}
    elif domain == "cover":
        verbs = {"HassTurnOn": "open_cover", "HassTurnOff": "close_cover"}
    elif domain == "vacuum":
        verbs = {"HassVacuumStart": "start", "HassVacuumReturnToBase": "return_to_base"}
    return f"{domain}.{verbs.get(command.intent, command.intent)}"


@dataclass(frozen=True)
class ParseResult:
    """What a text means: commands in order, or none and a reason."""

    commands: tuple[Command, ...]
    reason: str | None = None
    """A :class:`NoMatchReason` value when there is no command."""
    text: str = ""
    language: str = "en"
    question: str | None = None
    """A clarifying question when the target is ambiguous."""
    candidates: tuple[str, ...] = field(default=())
    """Entity ids among which the question asks to choose."""
    pending: Command | None = None
    """The command that waits for the answer to the question."""
    scheduled: tuple[Command, ...] = ()
    """Commands for later (each with a ``schedule``); ``commands`` is then empty, so nothing
    is done now."""

    def to_dict(self) -> dict[str, Any]:
        """The ``lingxi home parse --json`` document."""
        doc: dict[str, Any] = {
            "commands": [c.to_dict() for c in self.commands],
            "reason": self.reason,
        }
        if self.question:
            doc["question"] = self.question
            doc["candidates"] = list(self.candidates)
        if self.scheduled:
            doc["scheduled"] = [c.to_dict() | {"targets": list(c.targets)} for c in self.scheduled]
        return doc
