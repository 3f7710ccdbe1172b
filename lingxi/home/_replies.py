"""What the home controller says, read from ``lingxi/home/lang/<language>.yaml``."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from lingxi.home.devices import DeviceState
from lingxi.home.model import Command, Home
from lingxi.text import load_yaml

__all__ = [
    "describe_states",
    "done_reply",
    "entity_names",
    "no_match_reply",
    "say",
    "state_label",
    "state_labels",
]


@cache
def _phrases(language: str) -> dict[str, Any]:
    name = "zh" if language.casefold().startswith("zh") else "en"
    text = resources.files("lingxi.home").joinpath(f"lang/{name}.yaml").read_text("utf-8")
    phrases: dict[str, Any] = load_yaml(text)
    return phrases


def say(key: str, language: str, **values: Any) -> str:
    """The phrase ``key`` in ``language`` (``en`` or ``zh-CN``) with ``values`` filled in."""
    template = _phrases(language)
    for part in key.split("."):
        template = template[part]
    return str(template).format(**values)


def state_labels(language: str) -> dict[str, str]:
    """How each Home Assistant state value reads in ``language`` (``locked`` -> ``已上锁``)."""
    return {str(k): str(v) for k, v in _phrases(language)["states"].items()}


def state_label(state: str, language: str) -> str:
    """How the state value ``state`` reads in ``language``; a value without a label (a sensor's
    reading) reads as itself."""
    return state_labels(language).get(state, state)


def _spoken_name(entity: Any, language: str) -> str:
    if language.casefold().startswith("zh"):
        own = getattr(entity, "names", {}).get("zh")
        if own:
            return str(own)
        zh = [a for a in entity.aliases if any("\u4e00" <= ch <= "\u9fff" for ch in a)]
        if zh:
            return str(zh[0])
    return str(entity.name)


def entity_names(home: Home, entity_ids: list[str] | tuple[str, ...], language: str) -> str:
    """The entities' names joined as a list in ``language`` ("A, B and C", "甲、乙和丙")."""
    names = [_spoken_name(e, language) for t in entity_ids if (e := home.entity(t))]
    joiner = _phrases(language)["list"]
    if len(names) <= 1:
        return "".join(names)
    return str(joiner["separator"]).join(names[:-1]) + str(joiner["last"]) + names[-1]


def done_reply(command: Command, home: Home, language: str) -> str:
    """What was done: "Turned on Kitchen Light.", "已解锁大门。"."""
    phrases = _phrases(language)
    entities = [e for t in command.targets if (e := home.entity(t))]
    domain = entities[0].domain if entities else ""
    verb = phrases["domain_verbs"].get(command.intent, {}).get(domain) or phrases["verbs"].get(
        command.intent, phrases["default_verb"]
    )
    names = entity_names(home, command.targets, language)
    template = phrases.get("done_by_intent", {}).get(command.intent)
    if template:  # "Added oat milk to Shopping List." (the intent's own slots fill it)
        return str(template).format(names=names, **{k: str(v) for k, v in command.slots.items()})
    return say("done", language, verb=verb, names=names)


def no_match_reply(reason: str | None, language: str) -> str:
    """The reply to a request that matched no command, by its no-match reason."""
    replies = _phrases(language)["no_match"]
    return str(replies.get(reason or "no_intent", replies["no_intent"]))


def describe_states(
    home: Home, command: Command, language: str, state_of: Callable[[str], DeviceState | None]
) -> str:
    """The answer to a query: "Front Door is locked.", the temperature of a climate."""
    parts = []
    for entity_id in command.targets:
        entity, state = home.entity(entity_id), state_of(entity_id)
        if entity is None or state is None:
            continue
        if command.intent == "HassClimateGetTemperature" and entity.domain == "sensor":
            unit = state.attributes.get("unit_of_measurement") or ""
            name = _spoken_name(entity, language)
            parts.append(say("reading", language, name=name, value=state.state, unit=unit))
        elif command.intent == "HassClimateGetTemperature":
            attrs = state.attributes
            current = attrs.get("current_temperature", attrs.get("temperature"))
            target = attrs.get("temperature")
            name = _spoken_name(entity, language)
            parts.append(say("temperature", language, name=name, current=current, target=target))
        else:
            label = state_label(state.state, language)
            parts.append(say("state", language, name=_spoken_name(entity, language), state=label))
    return " ".join(parts) or say("no_reading", language)
