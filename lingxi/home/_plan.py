"""A request's plan: every device payload it will send, each classified for the one risk
policy, decided before anything is sent (so a refusal or a pending yes changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lingxi.errors import NotFoundError
from lingxi.home._payloads import QUERY_INTENTS, device_payload
from lingxi.home._replies import entity_names, say
from lingxi.home.devices import DeviceState, restore_command
from lingxi.home.model import Command, Home
from lingxi.home.risk import classify
from lingxi.policy import Act

__all__ = [
    "Part",
    "Plan",
    "Step",
    "describe_acts",
    "other_candidates",
    "plan_commands",
    "plan_undo",
]

StateOf = Callable[[str], DeviceState]
"""The current state of an entity of the household (``unknown`` when none is known)."""


@dataclass(frozen=True)
class Step:
    """One device command of a plan, with the risky act it is (None when safe)."""

    entity_id: str
    payload: dict[str, Any]
    act: Act | None


@dataclass(frozen=True)
class Part:
    """One command of a plan: its device steps (none for a query), recorded as ``source``."""

    command: Command | None
    """None for the restoring steps of an undo."""
    steps: tuple[Step, ...]
    source: str


@dataclass(frozen=True)
class Plan:
    """Everything a request will send."""

    household_id: int
    parts: tuple[Part, ...]
    language: str = "en"

    @property
    def risky(self) -> list[Step]:
        """The steps the policy must decide on, in order."""
        return [s for p in self.parts for s in p.steps if s.act is not None]

    @property
    def commands(self) -> list[Command]:
        """The commands of the plan (undo steps have none)."""
        return [p.command for p in self.parts if p.command is not None]


def _step(
    home: Home, entity_id: str, payload: dict[str, Any], state_of: StateOf, limit: float
) -> Step:
    entity = home.entity(entity_id)
    act = (
        None
        if entity is None
        else classify(entity, state_of(entity_id), payload, heat_limit_c=limit)
    )
    return Step(entity_id, payload, act)


def plan_commands(
    commands: list[Command], home: Home, *, source: str, state_of: StateOf, heat_limit_c: float
) -> Plan:
    """The device payloads of ``commands`` (refusing what a device cannot do), classified."""
    parts = []
    for command in commands:
        steps = []
        if command.intent not in QUERY_INTENTS:
            for entity_id in command.targets:
                entity = home.entity(entity_id)
                if entity is None:
                    raise NotFoundError(f"No entity {entity_id!r} in this home.", field="entity_id")
                current = state_of(entity_id)
                payload = device_payload(command, entity.domain, entity.capabilities, current)
                steps.append(_step(home, entity_id, payload, state_of, heat_limit_c))
        parts.append(Part(command, tuple(steps), source))
    language = commands[0].language if commands else "en"
    return Plan(home.household_id, tuple(parts), language)


def plan_undo(
    previous: list[DeviceState], home: Home, *, state_of: StateOf, heat_limit_c: float
) -> Part:
    """The restoring commands of an undo, classified like any other command: restoring an
    unlocked door is an unlock."""
    steps = (
        _step(home, s.entity_id, restore_command(s).payload, state_of, heat_limit_c)
        for s in previous
    )
    return Part(None, tuple(steps), "undo")


def describe_acts(home: Home, risky: list[Step], language: str, heat_limit_c: float) -> str:
    """What a yes is for: "unlock Front Door; open Garage Door"."""
    by_act: dict[str, list[str]] = {}
    for step in risky:
        if step.act is not None:
            entity = home.entity(step.entity_id)
            key = step.act.value
            if (
                step.act is Act.HEAT_ABOVE_LIMIT
                and entity is not None
                and entity.domain != "climate"
            ):
                key = "heater_on"  # a kettle or heater: switching it on is the act, no set point
            by_act.setdefault(key, []).append(step.entity_id)
    return "; ".join(
        say(
            f"acts.{key}",
            language,
            names=entity_names(home, ids, language),
            limit=f"{heat_limit_c:g}",
        )
        for key, ids in by_act.items()
    )


def other_candidates(home: Home, last: Command, asked: tuple[str, ...]) -> list[str]:
    """For "no, the other one": the candidates the last question offered, else the devices of
    the same kind in the same area, else of the same kind anywhere."""
    done = set(last.targets)
    candidates = [c for c in asked if c not in done]
    if candidates:
        return candidates
    first = home.entity(last.targets[0])
    if first is None:
        return []
    same_kind = [e for e in home.entities if e.domain == first.domain and e.entity_id not in done]
    same_area = [e.entity_id for e in same_kind if e.area_id == first.area_id]
    return same_area or [e.entity_id for e in same_kind]
