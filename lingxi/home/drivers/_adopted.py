"""Adopted devices on their own topics: Lingxi's device payloads -> the device's command
messages, and the device's state messages -> :class:`DeviceState`.

An adopted entity's ``capabilities["mqtt"]`` holds what its discovery config said (see
:mod:`lingxi.home.adopt`): ``command_topic``, ``state_topic``, ``schema`` (``json`` for
Zigbee2MQTT's lights), payload and state words, ``value_template`` and ``brightness_scale``.
Templates are read in the one form devices use, ``{{ value_json.KEY }}`` (with an optional
``| lower``/``| upper``); any other template takes the payload as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from lingxi.home.devices import DeviceState
from lingxi.home.drivers._ha import MalformedStateError, read_answer

__all__ = ["command_messages", "read_adopted", "state_topic"]

_VALUE_JSON = re.compile(r"^\{\{\s*value_json(?:\.(\w+)|\[['\"](\w+)['\"]\])\s*(\|\s*\w+\s*)?\}\}$")
_DEFAULT_WORDS = {
    "payload_on": "ON",
    "payload_off": "OFF",
    "payload_lock": "LOCK",
    "payload_unlock": "UNLOCK",
    "state_locked": "LOCKED",
    "state_unlocked": "UNLOCKED",
    "payload_open": "OPEN",
    "payload_close": "CLOSE",
    "state_open": "open",
    "state_closed": "closed",
}


def _word(mqtt: Mapping[str, Any], key: str) -> str:
    value = mqtt.get(key, _DEFAULT_WORDS.get(key, ""))
    return str(value)


def state_topic(mqtt: Mapping[str, Any]) -> str | None:
    """The topic the device reports its state on, if any."""
    topic = mqtt.get("state_topic")
    return topic if isinstance(topic, str) and topic else None


def _scale(mqtt: Mapping[str, Any]) -> float:
    scale = mqtt.get("brightness_scale", 255)
    return float(scale) if isinstance(scale, int | float) and scale > 0 else 255.0


def command_messages(
    domain: str, mqtt: Mapping[str, Any], payload: Mapping[str, Any]
) -> list[tuple[str, bytes]]:
    """The ``(topic, body)`` messages that carry ``payload`` to the device.

    Raises
    ------
    ValueError
        The device announced no topic for that part of the command.
    """
    topic = str(mqtt["command_topic"])
    command = str(payload.get("state", "")).upper()
    if domain == "light" and mqtt.get("schema") == "json":
        body = {k: v for k, v in payload.items() if k != "color_temp_kelvin"}
        if "brightness" in body:
            body["brightness"] = round(float(body["brightness"]) * _scale(mqtt) / 255)
        if "color_temp_kelvin" in payload:
            body["color_temp"] = round(1_000_000 / float(payload["color_temp_kelvin"]))
        return [(topic, json.dumps(body).encode())]
    out: list[tuple[str, bytes]] = []
    words = {
        "ON": "payload_on", "OFF": "payload_off", "LOCK": "payload_lock",
        "UNLOCK": "payload_unlock", "OPEN": "payload_open", "CLOSE": "payload_close",
    }  # fmt: skip
    if command in words:
        out.append((topic, _word(mqtt, words[command]).encode()))
    for key, topic_key, scale in (
        ("brightness", "brightness_command_topic", _scale(mqtt) / 255),
        ("percentage", "percentage_command_topic", 1.0),
        ("position", "set_position_topic", 1.0),
    ):
        if key in payload:
            target = mqtt.get(topic_key)
            if not isinstance(target, str):
                raise ValueError(f"the device announced no {topic_key} for {key}")
            out.append((target, str(round(float(payload[key]) * scale)).encode()))
    if not out:
        raise ValueError(f"the device takes no command like {dict(payload)!r:.80}")
    return out


def _value(mqtt: Mapping[str, Any], payload: bytes) -> Any:
    template = mqtt.get("state_value_template") or mqtt.get("value_template")
    text = payload.decode("utf-8")
    if not isinstance(template, str):
        return text
    match = _VALUE_JSON.match(template.strip())
    if match is None:
        return text
    data = json.loads(text)
    if not isinstance(data, dict):
        raise MalformedStateError("the state is not a JSON object")
    value = data.get(match.group(1) or match.group(2))
    return value


def read_adopted(
    entity_id: str,
    mqtt: Mapping[str, Any],
    payload: bytes,
    previous: DeviceState | None,
    household_id: int,
) -> DeviceState:
    """The device's state message as a DeviceState (attributes kept from ``previous`` when the
    message carries only the state word).

    Raises
    ------
    MalformedStateError
        Not a state this device can be in.
    """
    domain = entity_id.partition(".")[0]
    if domain == "light" and mqtt.get("schema") == "json":
        state, _ = read_answer(entity_id, payload, household_id)
        attrs = dict(state.attributes)
        if "brightness" in attrs:
            attrs["brightness"] = min(255, round(attrs["brightness"] * 255 / _scale(mqtt)))
        return DeviceState(entity_id, state.state, attrs, household_id)
    try:
        value = _value(mqtt, payload)
    except (ValueError, UnicodeDecodeError) as err:
        raise MalformedStateError(f"state payload not readable: {err}") from None
    word = str(value).strip()
    pairs = {
        "lock": (("state_locked", "locked"), ("state_unlocked", "unlocked")),
        "cover": (("state_open", "open"), ("state_closed", "closed")),
        "valve": (("state_open", "open"), ("state_closed", "closed")),
    }.get(domain, (("state_on", "on"), ("state_off", "off")))
    for key, state_word in pairs:
        fallback = (
            "payload_on" if key == "state_on" else "payload_off" if key == "state_off" else key
        )
        expected = str(mqtt.get(key, _word(mqtt, fallback)))
        if word.casefold() == expected.casefold() or word.casefold() == state_word:
            attrs = dict(previous.attributes) if previous is not None else {}
            return DeviceState(entity_id, state_word, attrs, household_id)
    raise MalformedStateError(f"{word[:40]!r} is not a state of this {domain}")
