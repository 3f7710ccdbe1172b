"""A command -> the device payload for one entity (the MQTT command body); refuses what a device cannot do."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from lingxi.errors import InvalidInputError
from lingxi.home.devices import COLORS, DeviceState
from lingxi.home.model import Command

__all__ = ["QUERY_INTENTS", "clean_json", "device_payload", "intent_fits", "refuse_unsafe_text"]

QUERY_INTENTS = ("HassGetState", "HassClimateGetTemperature")
"""Intents that read a device and change nothing."""

_BRIGHTNESS_STEP = 51  # 20 % of 255
_TEMPERATURE_STEP = 1.0
_VOLUME_STEP = 0.1
_FAN_STEP = 20.0  # percentage points per "faster"
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
"""NUL and lone surrogates: PostgreSQL refuses them, and no JSON answer can carry them."""


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:  # iterative: slots are bounded, but never trust nesting
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def refuse_unsafe_text(value: Any, field_name: str) -> None:
    """Raise a 422-style error naming ``field_name`` when any string in ``value`` holds a NUL
    or a lone surrogate."""
    for text in _strings(value):
        if _UNSAFE.search(text):
            raise InvalidInputError.for_field(
                field_name, "text without NUL characters or lone surrogates", text
            )


def clean_json(value: Any) -> Any:
    """``value`` with NULs dropped and lone surrogates replaced by U+FFFD, in every string
    (keys too): data stored before inputs were checked must never break an answer."""
    if isinstance(value, str):
        return _UNSAFE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)
    if isinstance(value, dict):
        return {clean_json(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value


# The domains each intent can act on (None: anything switchable).
_INTENT_DOMAINS: dict[str, frozenset[str]] = {
    "HassLightSet": frozenset({"light"}),
    "HassClimateSetTemperature": frozenset({"climate"}),
    "HassFanSetSpeed": frozenset({"fan"}),
    "HassSetPosition": frozenset({"cover", "valve"}),
    "HassListAddItem": frozenset({"todo"}),
    "HassShoppingListAddItem": frozenset({"todo"}),
}
_NOT_SWITCHABLE = frozenset({"sensor", "binary_sensor", "todo"})


def intent_fits(intent: str, domain: str) -> bool:
    """True when an entity of ``domain`` can carry out ``intent`` at all."""
    if intent.startswith("HassMedia") or intent.startswith("HassSetVolume"):
        return domain == "media_player"
    if intent.startswith("HassVacuum"):
        return domain == "vacuum"
    if intent in _INTENT_DOMAINS:
        return domain in _INTENT_DOMAINS[intent]
    return domain not in _NOT_SWITCHABLE


def _percent(value: Any, field_name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError.for_field(field_name, "a number from 0 to 100", value) from None
    if not 0 <= number <= 100:
        raise InvalidInputError.for_field(field_name, "a number from 0 to 100", value)
    return number


Payload = Callable[[Command, str, dict[str, Any], DeviceState], dict[str, Any]]
"""``(command, domain, capabilities, current state) -> device payload``; raises on bad slots."""

_ON: dict[str, dict[str, Any]] = {
    "cover": {"state": "OPEN"},
    "valve": {"state": "OPEN"},
    "lock": {"state": "LOCK"},
    "vacuum": {"command": "start"},
}
_OFF: dict[str, dict[str, Any]] = {
    "cover": {"state": "CLOSE"},
    "valve": {"state": "CLOSE"},
    "lock": {"state": "UNLOCK"},
    "vacuum": {"command": "return_to_base"},
}


def _turn_on(
    command: Command, domain: str, caps: dict[str, Any], cur: DeviceState
) -> dict[str, Any]:
    return dict(_ON.get(domain, {"state": "ON"}))


def _turn_off(
    command: Command, domain: str, caps: dict[str, Any], cur: DeviceState
) -> dict[str, Any]:
    return dict(_OFF.get(domain, {"state": "OFF"}))


def _step(slots: dict[str, Any], name: str, size: float) -> float:
    step = slots.get(name)
    if step not in ("up", "down"):
        raise InvalidInputError.for_field(name, "'up' or 'down'", step)
    return size if step == "up" else -size


def _light_set(
    command: Command, domain: str, caps: dict[str, Any], cur: DeviceState
) -> dict[str, Any]:
    slots = command.slots
    payload: dict[str, Any] = {}
    if "brightness" in slots:
        payload["brightness"] = round(_percent(slots["brightness"], "brightness") * 255 / 100)
    if "brightness_step" in slots:
        step = slots["brightness_step"]
        if isinstance(step, int) and not isinstance(step, bool) and -100 <= step <= 100:
            # "dim the lights by twenty percent": points of 0-100, as HA's brightness_step_pct
            payload["brightness_step"] = round(step * 255 / 100)
        elif step in ("up", "down"):
            payload["brightness_step"] = round(_step(slots, "brightness_step", _BRIGHTNESS_STEP))
        else:
            raise InvalidInputError.for_field("brightness_step", "'up', 'down' or -100..100", step)
    if "color" in slots:
        if "rgb" not in (caps.get("color_modes") or []):
            raise InvalidInputError.for_field(
                "color", "supported by this light (it has no colour)", slots["color"]
            )
        rgb = COLORS.get(str(slots["color"]).lower())
        if rgb is None:
            raise InvalidInputError.for_field(
                "color", f"one of {', '.join(COLORS)}", slots["color"]
            )
        payload["color"] = {"r": rgb[0], "g": rgb[1], "b": rgb[2]}
    if not payload:
        raise InvalidInputError.for_field("slots", "a brightness, step or colour", slots)
    if ("brightness" in payload or "brightness_step" in payload) and not caps.get("brightness"):
        raise InvalidInputError.for_field(
            "brightness", "supported by this light (it only turns on and off)", slots
        )
    return payload


def _set_temperature(
    command: Command, domain: str, caps: dict[str, Any], cur: DeviceState
) -> dict[str, Any]:
    slots = command.slots
    if "temperature" not in slots:
        return {"temperature_step": _step(slots, "temperature_step", _TEMPERATURE_STEP)}
    low, high = caps.get("min_temp", 7), caps.get("max_temp", 35)
    try:
        value = float(slots["temperature"])
    except (TypeError, ValueError):
        raise InvalidInputError.for_field("temperature", "a number", slots["temperature"]) from None
    if not low <= value <= high:
        raise InvalidInputError.for_field("temperature", f"between {low} and {high} degrees", value)
    return {"temperature": value, **({"mode": "auto"} if cur.state == "off" else {})}


def _fan_speed(
    command: Command, domain: str, caps: dict[str, Any], cur: DeviceState
) -> dict[str, Any]:
    slots = command.slots
    if "percentage_step" not in slots:
        return {"percentage": _percent(slots.get("percentage"), "percentage")}
    step = slots["percentage_step"]
    # At least _FAN_STEP: Home Assistant's own percentage_step is often 1 (100 speeds).
    size = max(float(cur.attributes.get("percentage_step") or 0), _FAN_STEP)
    if step in ("up", "down"):
        delta = _step(slots, "percentage_step", size)
    elif isinstance(step, int) and not isinstance(step, bool) and -100 <= step <= 100:
        delta = float(step)
    else:
        raise InvalidInputError.for_field("percentage_step", "'up', 'down' or -100..100", step)
    base = float(cur.attributes.get("percentage") or 0) if cur.state == "on" else 0.0
    return {"percentage": min(100.0, max(0.0, base + delta))}


def _volume_relative(
    command: Command, domain: str, caps: dict[str, Any], cur: DeviceState
) -> dict[str, Any]:
    step = command.slots.get("volume_step")
    if step in ("up", "down"):
        return {"volume_step": _VOLUME_STEP if step == "up" else -_VOLUME_STEP}
    try:
        number = float(step or 0)
    except (TypeError, ValueError):
        raise InvalidInputError.for_field(
            "volume_step", "'up', 'down' or a percentage", step
        ) from None
    return {"volume_step": _percent(abs(number), "volume_step") / 100 * (1 if number >= 0 else -1)}


def _add_item(
    command: Command, domain: str, caps: dict[str, Any], cur: DeviceState
) -> dict[str, Any]:
    item = command.slots.get("item")
    if not isinstance(item, str) or not item.strip() or len(item) > 200:
        raise InvalidInputError.for_field("item", "the text of the item to add", item)
    return {"add_item": item.strip()}


def _slot(name: str, key: str, scale: float = 1) -> Payload:
    def payload(
        command: Command, domain: str, caps: dict[str, Any], cur: DeviceState
    ) -> dict[str, Any]:
        return {key: _percent(command.slots.get(name), name) / scale}

    return payload


def _fixed(body: dict[str, Any]) -> Payload:
    return lambda command, domain, caps, cur: dict(body)


_PAYLOADS: dict[str, Payload] = {
    "HassTurnOn": _turn_on,
    "HassTurnOff": _turn_off,
    "HassLightSet": _light_set,
    "HassClimateSetTemperature": _set_temperature,
    "HassSetPosition": _slot("position", "position"),
    "HassFanSetSpeed": _fan_speed,
    "HassSetVolume": _slot("volume_level", "volume_level", 100),
    "HassSetVolumeRelative": _volume_relative,
    "HassMediaPause": _fixed({"state": "PAUSE"}),
    "HassMediaUnpause": _fixed({"state": "PLAY"}),
    "HassMediaNext": _fixed({"state": "NEXT"}),
    "HassMediaPrevious": _fixed({"state": "PREVIOUS"}),
    "HassMediaPlayerMute": _fixed({"mute": True}),
    "HassMediaPlayerUnmute": _fixed({"mute": False}),
    "HassVacuumStart": _fixed({"command": "start"}),
    "HassVacuumReturnToBase": _fixed({"command": "return_to_base"}),
    "HassListAddItem": _add_item,
    "HassShoppingListAddItem": _add_item,
}
"""One row per intent Lingxi can carry out: how it becomes a device payload."""


def device_payload(
    command: Command, domain: str, capabilities: dict[str, Any], current: DeviceState
) -> dict[str, Any]:
    """The device payload of ``command`` for one entity; refuses what it cannot do."""
    if not intent_fits(command.intent, domain):
        raise InvalidInputError.for_field(
            "intent", f"an action a {domain} supports", command.intent
        )
    row = _PAYLOADS.get(command.intent)
    if row is None:
        raise InvalidInputError.for_field(
            "intent", "a device action Lingxi supports", command.intent
        )
    return row(command, domain, capabilities, current)
