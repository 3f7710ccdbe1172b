"""Home Assistant's side of the MQTT wire: discovery configs, and states as devices publish them.

Checked against Home Assistant's MQTT schemas of 2024.3 and 2025.4:

* lights use ``schema: json`` with ``supported_color_modes`` (``onoff`` or ``brightness``
  alone, else ``color_temp`` and/or ``rgb``), ``brightness: true`` unless on/off only, and
  ``color_mode: true``: 2024.x requires that flag with ``supported_color_modes`` (an
  inclusion group), 2025.x ignores it with a "removed option" warning. A light's state always
  names a ``color_mode`` out of its supported ones, with the value that mode needs
  (``color_temp`` in mireds, ``color`` as r/g/b);
* fans take ``payload_on``/``payload_off`` ``ON``/``OFF`` through a JSON ``command_template``
  and render the state topic's ``state`` to the same words, so Home Assistant knows on from
  off;
* the other components map the same JSON command and state topics with ``*_template``
  options. Home Assistant's MQTT integration has no ``media_player`` component.

:func:`read_state` validates what arrives on a state topic field by field: anyone who can
publish there could send anything, and one bad message must cost only itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from lingxi.data.records import EntityRecord
from lingxi.home.devices import DeviceState

__all__ = [
    "MalformedStateError",
    "discovery_config",
    "ha_entity",
    "light_color_modes",
    "read_answer",
    "read_state",
    "topics",
    "wire_state",
]

_COMPONENTS = ("light", "switch", "fan", "climate", "cover", "valve", "lock", "vacuum", "sensor")

DEFAULT_KELVIN = 2700
"""A colour-temperature light that has never been set reports warm white."""
MAX_PAYLOAD_BYTES = 8192

_STATES: dict[str, frozenset[str]] = {
    "light": frozenset({"on", "off"}),
    "switch": frozenset({"on", "off"}),
    "fan": frozenset({"on", "off"}),
    "cover": frozenset({"open", "closed", "opening", "closing", "stopped"}),
    "valve": frozenset({"open", "closed", "opening", "closing"}),
    "lock": frozenset({"locked", "unlocked", "locking", "unlocking", "jammed", "open", "opening"}),
    "climate": frozenset({"off", "heat", "cool", "heat_cool", "auto", "dry", "fan_only"}),
    "media_player": frozenset({"off", "on", "idle", "playing", "paused", "standby", "buffering"}),
    "vacuum": frozenset({"cleaning", "docked", "returning", "idle", "paused", "error"}),
}
_NUMBERS: dict[str, tuple[float, float]] = {
    "brightness": (0, 255),
    "percentage": (0, 100),
    "position": (0, 100),
    "temperature": (-50, 100),
    "current_temperature": (-100, 150),
    "volume_level": (0, 1),
    "track": (-(10**6), 10**6),
}
_COLOR_MODES = frozenset({"onoff", "brightness", "color_temp", "rgb", "hs", "xy", "white"})


class MalformedStateError(ValueError):
    """A state message that is not a valid state of its entity; it is dropped."""


def topics(base: str, household_id: int, entity_id: str) -> tuple[str, str]:
    """``(command_topic, state_topic)`` of one entity."""
    domain, _, obj = entity_id.partition(".")
    root = f"{base}/{household_id}/{domain}/{obj}"
    return f"{root}/set", f"{root}/state"


def light_color_modes(capabilities: Mapping[str, Any]) -> list[str]:
    """The light's ``supported_color_modes`` as Home Assistant accepts them."""
    modes = [m for m in capabilities.get("color_modes") or [] if m in ("rgb", "color_temp")]
    if modes:
        return modes
    if capabilities.get("brightness") or "brightness" in (capabilities.get("color_modes") or []):
        return ["brightness"]
    return ["onoff"]


def discovery_config(
    entity: EntityRecord, *, household_id: int, base: str, discovery_prefix: str
) -> tuple[str, dict[str, Any]] | None:
    """The retained discovery topic and config of ``entity``, or None (no HA component)."""
    component = entity.domain
    if component not in _COMPONENTS or "mqtt" in entity.capabilities:
        return None  # adopted devices announce themselves
    node = f"lingxi_{household_id}"
    obj = entity.entity_id.partition(".")[2]
    command_topic, state_topic = topics(base, household_id, entity.entity_id)
    caps = entity.capabilities
    config: dict[str, Any] = {
        "name": None,
        "unique_id": f"{node}_{entity.entity_id.replace('.', '_')}",
        "object_id": obj,
        "device": {
            "identifiers": [f"{node}_{entity.entity_id}"],
            "name": entity.name,
            "manufacturer": "Lingxi",
            "suggested_area": (entity.area_id or "").replace("_", " ").title() or None,
        },
        "availability": [
            {"topic": f"{base}/bridge/availability"},
            {"topic": f"{base}/{household_id}/hub/availability"},
        ],
        "availability_mode": "all",
        "state_topic": state_topic,
    }
    if component != "sensor":
        config["command_topic"] = command_topic
    config.update(_component_config(entity, command_topic, state_topic, caps))
    if component == "climate":
        del config["command_topic"], config["state_topic"]
    return f"{discovery_prefix}/{component}/{node}/{obj}/config", config


def _component_config(
    entity: EntityRecord, command_topic: str, state_topic: str, caps: Mapping[str, Any]
) -> dict[str, Any]:
    json_state = "{{ value_json.state }}"
    component = entity.domain
    if component == "light":
        modes = light_color_modes(caps)
        config: dict[str, Any] = {
            "schema": "json",
            "color_mode": True,
            "supported_color_modes": modes,
            "brightness": modes != ["onoff"],
        }
        if "color_temp" in modes:
            # Mireds on the wire (what both HA versions send without color_temp_kelvin).
            config["min_mireds"] = int(caps.get("min_mireds", 153))
            config["max_mireds"] = int(caps.get("max_mireds", 500))
        return config
    if component == "switch":
        return {
            "payload_on": '{"state": "ON"}',
            "payload_off": '{"state": "OFF"}',
            "value_template": "{{ value_json.state | lower }}",
            "state_on": "on",
            "state_off": "off",
        }
    if component == "fan":
        return {
            "payload_on": "ON",
            "payload_off": "OFF",
            "command_template": '{"state": "{{ value }}"}',
            "state_value_template": "{{ value_json.state | upper }}",
            "percentage_command_topic": command_topic,
            "percentage_command_template": '{"percentage": {{ value }} }',
            "percentage_state_topic": state_topic,
            "percentage_value_template": "{{ value_json.percentage | default(0) }}",
        }
    if component == "climate":
        return {
            "modes": list(caps.get("hvac_modes") or ["off", "auto"]),
            "min_temp": caps.get("min_temp", 7),
            "max_temp": caps.get("max_temp", 35),
            "mode_command_topic": command_topic,
            "mode_command_template": '{"mode": "{{ value }}"}',
            "mode_state_topic": state_topic,
            "mode_state_template": json_state,
            "temperature_command_topic": command_topic,
            "temperature_command_template": '{"temperature": {{ value }} }',
            "temperature_state_topic": state_topic,
            "temperature_state_template": "{{ value_json.temperature }}",
            "current_temperature_topic": state_topic,
            "current_temperature_template": "{{ value_json.current_temperature }}",
        }
    if component == "cover":
        return {
            "payload_open": '{"state": "OPEN"}',
            "payload_close": '{"state": "CLOSE"}',
            "payload_stop": None,
            "value_template": json_state,
            "state_open": "open",
            "state_closed": "closed",
            "set_position_topic": command_topic,
            "set_position_template": '{"position": {{ position }} }',
            "position_topic": state_topic,
            "position_template": "{{ value_json.position }}",
            "device_class": entity.device_class,
        }
    if component == "valve":
        config = {
            "payload_open": '{"state": "OPEN"}',
            "payload_close": '{"state": "CLOSE"}',
            "payload_stop": None,
            "value_template": json_state,
            "state_open": "open",
            "state_closed": "closed",
            "device_class": entity.device_class,
        }
        if caps.get("position"):
            # A positioned valve reports its position as the state (HA's valve schema).
            config.update(
                reports_position=True,
                value_template="{{ value_json.position }}",
                command_template='{"position": {{ value }} }',
            )
            for key in ("payload_open", "payload_close", "state_open", "state_closed"):
                del config[key]
        return config
    if component == "lock":
        return {
            "payload_lock": '{"state": "LOCK"}',
            "payload_unlock": '{"state": "UNLOCK"}',
            "value_template": json_state,
            "state_locked": "locked",
            "state_unlocked": "unlocked",
        }
    if component == "vacuum":
        return {
            "payload_start": '{"command": "start"}',
            "payload_return_to_base": '{"command": "return_to_base"}',
            "payload_stop": '{"command": "stop"}',
            "supported_features": ["start", "stop", "return_home", "status"],
        }
    return {  # sensor
        "value_template": json_state,
        "unit_of_measurement": caps.get("unit"),
        "device_class": entity.device_class,
    }


def _light_mode(attrs: Mapping[str, Any], modes: list[str]) -> str:
    mode = attrs.get("color_mode")
    if isinstance(mode, str) and mode in modes:
        return mode
    if "rgb" in modes and attrs.get("rgb_color"):
        return "rgb"
    if "color_temp" in modes and attrs.get("color_temp_kelvin"):
        return "color_temp"
    return modes[0]


def wire_state(state: DeviceState, capabilities: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A state as a device publishes it: lights in HA's JSON schema, fans ``ON``/``OFF``."""
    attrs = dict(state.attributes)
    domain = state.entity_id.partition(".")[0]
    if domain == "light":
        caps: Mapping[str, Any] = (
            capabilities
            if capabilities is not None
            else {
                "brightness": "brightness" in attrs,
                "color_modes": ["rgb"] if attrs.get("rgb_color") else [],
            }
        )
        modes = light_color_modes(caps)
        out: dict[str, Any] = {"state": state.state.upper()}
        if modes != ["onoff"]:
            out["brightness"] = int(attrs.get("brightness") or 0)
        mode = _light_mode(attrs, modes)
        out["color_mode"] = mode
        if mode == "rgb":
            r, g, b = attrs.get("rgb_color") or (255, 255, 255)
            out["color"] = {"r": r, "g": g, "b": b}
        elif mode == "color_temp":
            kelvin = float(attrs.get("color_temp_kelvin") or DEFAULT_KELVIN)
            out["color_temp"] = round(1_000_000 / kelvin)
        return out
    attrs.pop("color_mode", None)
    if domain == "fan":
        return {"state": state.state.upper(), **attrs}
    return {"state": state.state, **attrs}


def _reject_constant(name: str) -> float:
    raise MalformedStateError(f"{name} is not a number JSON allows")


def _number(key: str, value: object) -> float:
    low, high = _NUMBERS[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedStateError(f"{key} must be a number, not {value!r:.40}")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise MalformedStateError(f"{key} must be from {low:g} to {high:g}, not {value!r:.40}")
    return number


def _channel(color: dict[str, Any], key: str) -> int:
    value = color.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedStateError(f"color.{key} must be a number, not {value!r:.40}")
    if not math.isfinite(value) or not 0 <= value <= 255:
        raise MalformedStateError(f"color.{key} must be from 0 to 255, not {value!r:.40}")
    return int(value)


def _scalar(value: object) -> bool:
    if isinstance(value, str):
        return len(value) <= 200
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, bool | int)


def read_state(entity_id: str, payload: bytes, household_id: int = 0) -> DeviceState:
    """A device's state message -> DeviceState (see :func:`read_answer`)."""
    return read_answer(entity_id, payload, household_id)[0]


def read_answer(
    entity_id: str, payload: bytes, household_id: int = 0
) -> tuple[DeviceState, str | None]:
    """A device's state message -> ``(DeviceState, command_id)``; the id is that of the
    command this state answers, when the device says so (``"lingxi": {"command_id": ...}``).

    Raises
    ------
    MalformedStateError
        Not a JSON object with a valid state and valid known attributes (unknown attributes
        that are not plain scalars are dropped, the rest kept).
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise MalformedStateError(f"state payload is over {MAX_PAYLOAD_BYTES} bytes")
    try:
        data = json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
    except MalformedStateError:
        raise
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError is a ValueError
        raise MalformedStateError(f"state payload is not JSON: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("state"), str):
        raise MalformedStateError("state payload must be a JSON object with a string 'state'")
    domain = entity_id.partition(".")[0]
    state = data.pop("state").lower()
    allowed = _STATES.get(domain)
    if len(state) > 100 or (allowed is not None and state not in allowed):
        raise MalformedStateError(f"{state[:40]!r} is not a state of a {domain}")
    answers = None
    meta = data.pop("lingxi", None)
    if isinstance(meta, dict) and isinstance(meta.get("command_id"), str):
        answers = meta["command_id"][:64]
    attrs: dict[str, Any] = {}
    if domain == "light":
        attrs.update(_light_attributes(data))
    for key, value in data.items():
        if key in _NUMBERS:
            number = _number(key, value)
            attrs[key] = (
                int(number) if key in ("brightness", "percentage", "position", "track") else number
            )
        elif key == "is_volume_muted":
            if not isinstance(value, bool):
                raise MalformedStateError(
                    f"is_volume_muted must be true or false, not {value!r:.40}"
                )
            attrs[key] = value
        elif _scalar(value):
            attrs[key] = value
    return DeviceState(entity_id, state, attrs, household_id), answers


def _light_attributes(data: dict[str, Any]) -> dict[str, Any]:
    """Pop and check a JSON-schema light's colour fields (HA names: rgb_color, kelvin)."""
    attrs: dict[str, Any] = {}
    mode = data.pop("color_mode", None)
    if mode is not None:
        if not isinstance(mode, str) or mode not in _COLOR_MODES:
            raise MalformedStateError(f"color_mode {mode!r:.40} is not a colour mode")
        attrs["color_mode"] = mode
    color = data.pop("color", None)
    if color is not None:
        if not isinstance(color, dict):
            raise MalformedStateError(f"color must be an object, not {color!r:.40}")
        if {"r", "g", "b"} <= color.keys():
            attrs["rgb_color"] = [_channel(color, k) for k in ("r", "g", "b")]
    mireds = data.pop("color_temp", None)
    if mireds is not None:
        if isinstance(mireds, bool) or not isinstance(mireds, int | float):
            raise MalformedStateError(f"color_temp must be a number, not {mireds!r:.40}")
        if not math.isfinite(mireds) or not 50 <= mireds <= 1000:
            raise MalformedStateError(f"color_temp must be 50 to 1000 mireds, not {mireds!r:.40}")
        attrs["color_temp_kelvin"] = round(1_000_000 / mireds)
    return attrs


def ha_entity(row: Mapping[str, Any]) -> dict[str, Any]:
    """One row of :meth:`HomeController.state` as Home Assistant shows the entity:
    ``{"entity_id", "name", "area", "state", "attributes"}`` with HA's attribute names
    (``current_position``, ``supported_color_modes``, ``color_temp_kelvin``, ...)."""
    domain = str(row["entity_id"]).partition(".")[0]
    caps: Mapping[str, Any] = row.get("capabilities") or {}
    attrs: Mapping[str, Any] = row.get("attributes") or {}
    out = {k: v for k, v in attrs.items() if k != "last_mode"}
    if domain == "light":
        modes = light_color_modes(caps)
        out["supported_color_modes"] = list(caps.get("supported_color_modes") or modes)
        mode = _light_mode(attrs, modes) if row.get("state") == "on" else None
        if mode == "rgb" and "hs" in out["supported_color_modes"]:
            mode = "hs"  # an imported hs light is shown in its own mode
        out["color_mode"] = mode
        if modes == ["onoff"]:
            out.pop("brightness", None)
    elif domain in ("cover", "valve") and "position" in out:
        out["current_position"] = out.pop("position")
    elif domain == "climate":
        out.setdefault("hvac_modes", list(caps.get("hvac_modes") or ["off", "auto"]))
        out.setdefault("min_temp", caps.get("min_temp", 7))
        out.setdefault("max_temp", caps.get("max_temp", 35))
    elif domain == "sensor" and caps.get("unit"):
        out.setdefault("unit_of_measurement", caps["unit"])
    if row.get("device_class"):
        out.setdefault("device_class", row["device_class"])
    if "supported_features" in caps:
        out.setdefault("supported_features", caps["supported_features"])
    out["friendly_name"] = row.get("name")
    return {
        "entity_id": row["entity_id"],
        "name": row.get("name"),
        "area": row.get("area"),
        "state": row.get("state") or "unknown",
        "attributes": out,
    }
