"""A command -> the device payload for one entity (the MQTT command body); refuses what a device cannot do."""

from __future__ import annotations

import re
from collections.abc import Iterator
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


def intent_fits(intent: str, domain: str) -> bool:
    """True when an entity of ``domain`` can carry out ``intent`` at all."""
    if intent.startswith("HassMedia") or intent.startswith("HassSetVolume"):
        return domain == "media_player"
    if intent == "HassLightSet":
        return domain == "light"
    if intent == "HassClimateSetTemperature":
        return domain == "climate"
    if intent == "HassFanSetSpeed":
        return domain == "fan"
    if intent == "HassSetPosition":
        return domain == "cover"
    if intent.startswith("HassVacuum"):
        return domain == "vacuum"
    return domain != "sensor"


def _percent(value: Any, field_name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError.for_field(field_name, "a number from 0 to 100", value) from None
    if not 0 <= number <= 100:
        raise InvalidInputError.for_field(field_name, "a number from 0 to 100", value)
    return number


def device_payload(
    command: Command, domain: str, capabilities: dict[str, Any], current: DeviceState
) -> dict[str, Any]:
    """The device payload of ``command`` for one entity; refuses what it cannot do."""
    intent, slots = command.intent, command.slots
    if not intent_fits(intent, domain):
        raise InvalidInputError.for_field("intent", f"an action a {domain} supports", intent)
    if intent == "HassTurnOn":
        return {
            "cover": {"state": "OPEN"},
            "lock": {"state": "LOCK"},
            "vacuum": {"command": "start"},
        }.get(domain, {"state": "ON"})
    if intent == "HassTurnOff":
        return {
            "cover": {"state": "CLOSE"},
            "lock": {"state": "UNLOCK"},
            "vacuum": {"command": "return_to_base"},
        }.get(domain, {"state": "OFF"})
    if intent == "HassLightSet":
        payload: dict[str, Any] = {}
        if "brightness" in slots:
            payload["brightness"] = round(_percent(slots["brightness"], "brightness") * 255 / 100)
        if "brightness_step" in slots:
            step = slots["brightness_step"]
            if isinstance(step, int) and not isinstance(step, bool) and -100 <= step <= 100:
                # "dim the lights by twenty percent": points of 0-100, as HA's brightness_step_pct
                payload["brightness_step"] = round(step * 255 / 100)
            elif step in ("up", "down"):
                payload["brightness_step"] = _BRIGHTNESS_STEP if step == "up" else -_BRIGHTNESS_STEP
            else:
                raise InvalidInputError.for_field(
                    "brightness_step", "'up', 'down' or -100..100", step
                )
        if "color" in slots:
            modes = capabilities.get("color_modes") or []
            if "rgb" not in modes:
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
        return payload
    if intent == "HassClimateSetTemperature":
        if "temperature" in slots:
            low, high = capabilities.get("min_temp", 7), capabilities.get("max_temp", 35)
            try:
                value = float(slots["temperature"])
            except (TypeError, ValueError):
                raise InvalidInputError.for_field(
                    "temperature", "a number", slots["temperature"]
                ) from None
            if not low <= value <= high:
                raise InvalidInputError.for_field(
                    "temperature", f"between {low} and {high} degrees", value
                )
            return {"temperature": value, **({"mode": "auto"} if current.state == "off" else {})}
        step = slots.get("temperature_step")
        if step not in ("up", "down"):
            raise InvalidInputError.for_field("temperature_step", "'up' or 'down'", step)
        return {"temperature_step": _TEMPERATURE_STEP if step == "up" else -_TEMPERATURE_STEP}
    if intent == "HassSetPosition":
        return {"position": _percent(slots.get("position"), "position")}
    if intent == "HassFanSetSpeed":
        return {"percentage": _percent(slots.get("percentage"), "percentage")}
    if intent == "HassSetVolume":
        return {"volume_level": _percent(slots.get("volume_level"), "volume_level") / 100}
    if intent == "HassSetVolumeRelative":
        step = slots.get("volume_step")
        if step in ("up", "down"):
            return {"volume_step": _VOLUME_STEP if step == "up" else -_VOLUME_STEP}
        return {
            "volume_step": _percent(abs(float(step or 0)), "volume_step")
            / 100
            * (1 if float(step or 0) >= 0 else -1)
        }
    simple: dict[str, dict[str, Any]] = {
        "HassMediaPause": {"state": "PAUSE"},
        "HassMediaUnpause": {"state": "PLAY"},
        "HassMediaNext": {"state": "NEXT"},
        "HassMediaPrevious": {"state": "PREVIOUS"},
        "HassMediaPlayerMute": {"mute": True},
        "HassMediaPlayerUnmute": {"mute": False},
        "HassVacuumStart": {"command": "start"},
        "HassVacuumReturnToBase": {"command": "return_to_base"},
    }
    if intent in simple:
        return simple[intent]
    raise InvalidInputError.for_field("intent", "a device action Lingxi supports", intent)
