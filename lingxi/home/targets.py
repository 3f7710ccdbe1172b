"""Slots -> entities of the home: name, area, floor, domain, device class; "here"; ambiguity."""

from __future__ import annotations

from dataclasses import dataclass

from lingxi.data.records import EntityRecord
from lingxi.home.model import DOMAIN_OF_INTENT, Command, Home, NoMatchReason

__all__ = ["TargetMatch", "clarifying_question", "resolve_targets"]

# Domains an intent may act on when its slots name no domain (HassTurnOn: anything switchable).
_SWITCHABLE = (
    "light", "switch", "fan", "climate", "cover", "valve", "lock", "media_player", "vacuum",
)  # fmt: skip
_READABLE = (*_SWITCHABLE, "sensor", "binary_sensor", "todo")
_WINDOW_COVERINGS = frozenset({"curtain", "blind", "shade", "shutter"})
# "Everything in the kitchen" never opens the door or the blinds.
_EVERYTHING = ("light", "switch", "fan", "media_player", "climate")


@dataclass(frozen=True)
class TargetMatch:
    """The entities a command acts on, or why there are none."""

    entity_ids: tuple[str, ...] = ()
    reason: NoMatchReason | None = None
    candidates: tuple[str, ...] = ()
    """For an ambiguous target: the entity ids to choose from."""


def _domains_for(command: Command) -> tuple[str, ...]:
    if command.intent == "HassClimateGetTemperature" and "domain" not in command.slots:
        return ("climate", "sensor")  # a room with no thermostat may have a thermometer
    domain = command.slots.get("domain")
    if isinstance(domain, list):
        return tuple(str(d) for d in domain)
    if isinstance(domain, str):
        return (domain,)
    implied = DOMAIN_OF_INTENT.get(command.intent)
    if implied:
        return (implied,)
    if command.intent == "HassGetState":
        return _READABLE
    if command.all_requested:
        return _EVERYTHING
    return _SWITCHABLE


def resolve_targets(
    command: Command, home: Home, *, context_area: str | None = None
) -> TargetMatch:
    """The home's entities that ``command``'s slots select.

    Parameters
    ----------
    command
        A parsed command (HA slot names).
    home
        The household's areas and entities.
    context_area
        The ``area_id`` the request came from (the speaker's room), used when the
        command names no area, floor or device ("turn off the lights").
    """
    slots = command.slots
    domains = _domains_for(command)
    pool: list[EntityRecord] = list(home.entities)
    name = slots.get("name")
    if isinstance(name, str) and name:
        named = [e for e in pool if e.name.casefold() == name.casefold()]
        if not named:
            return TargetMatch(reason=NoMatchReason.NO_TARGET)
        area = home.area_by_name(str(slots["area"])) if "area" in slots else None
        if area is not None and any(e.area_id == area.area_id for e in named):
            named = [e for e in named if e.area_id == area.area_id]
        return TargetMatch(entity_ids=tuple(e.entity_id for e in named))
    pool = [e for e in pool if e.domain in domains]
    located = False
    if "area" in slots:
        area = home.area_by_name(str(slots["area"]))
        if area is None:
            return TargetMatch(reason=NoMatchReason.NO_TARGET)
        pool = [e for e in pool if e.area_id == area.area_id]
        located = True
    if "floor" in slots:
        floor = str(slots["floor"]).casefold()
        on_floor = {a.area_id for a in home.areas if (a.floor or "").casefold() == floor}
        pool = [e for e in pool if e.area_id in on_floor]
        located = True
    device_class = slots.get("device_class")
    if device_class:
        classes = set(device_class) if isinstance(device_class, list) else {device_class}
        narrowed = [e for e in pool if e.device_class in classes]
        if not narrowed and classes <= _WINDOW_COVERINGS:
            # "curtains" still means the blinds when those are all there is.
            narrowed = [e for e in pool if (e.device_class or "blind") in _WINDOW_COVERINGS]
        pool = narrowed
    if not located and not command.all_requested and context_area is not None:
        here = [e for e in pool if e.area_id == context_area]
        pool = here or pool
    if command.intent == "HassClimateGetTemperature":
        # A temperature sensor answers only where no thermostat does.
        climates = [e for e in pool if e.domain == "climate"]
        pool = climates or [e for e in pool if e.device_class == "temperature"]
    if command.intent == "HassClimateGetTemperature" and len(pool) > 1:
        pool = pool[:1] if not located else pool
    ids = tuple(e.entity_id for e in pool)
    if not ids:
        return TargetMatch(reason=NoMatchReason.NO_TARGET)
    if len(ids) > 1 and not command.all_requested:
        area_only = "domain" not in slots and command.intent in ("HassTurnOn", "HassTurnOff")
        if command.singular or (area_only and located):
            return TargetMatch(reason=NoMatchReason.AMBIGUOUS_TARGET, candidates=ids)
    return TargetMatch(entity_ids=ids)


def clarifying_question(home: Home, candidates: tuple[str, ...], language: str) -> str:
    """Ask which of ``candidates`` was meant, in the request's language."""
    names = [e.name for c in candidates if (e := home.entity(c)) is not None]
    if language == "zh-CN":
        aliases = []
        for c in candidates:
            e = home.entity(c)
            if e is None:
                continue
            zh = next((a for a in e.aliases if any("\u4e00" <= ch <= "\u9fff" for ch in a)), e.name)
            aliases.append(zh)
        return "您指的是哪一个：" + "、".join(aliases) + "？"
    if len(names) == 1:
        return f"Did you mean the {names[0]}?"
    return "Which one do you mean: " + ", ".join(names[:-1]) + f" or {names[-1]}?"
