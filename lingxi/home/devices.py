"""What a command does to a device's state: one model shared by every driver and the simulator.

States follow Home Assistant: ``on``/``off`` for lights, switches, fans and media power;
``open``/``closed`` for covers; ``locked``/``unlocked``; a climate's HVAC mode; ``playing``,
``paused``, ``idle``; ``cleaning``/``docked``. Brightness is 0-255 as in HA; a command carries
percentages and this module converts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["COLORS", "DeviceCommand", "DeviceState", "apply_command", "restore_command"]

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "orange": (255, 165, 0),
    "purple": (128, 0, 128),
    "pink": (255, 192, 203),
    "white": (255, 255, 255),
    "cyan": (0, 255, 255),
}


@dataclass(frozen=True)
class DeviceCommand:
    """One instruction to one entity, in device terms (the MQTT command payload)."""

    entity_id: str
    payload: dict[str, Any]
    """E.g. ``{"state": "ON", "brightness": 128}`` or ``{"temperature": 22}``."""
    household_id: int = 0
    """Entity ids repeat across households (every home has ``light.kitchen``)."""


@dataclass(frozen=True)
class DeviceState:
    """An entity's reported state and attributes."""

    entity_id: str
    state: str
    attributes: dict[str, Any] = field(default_factory=dict)
    household_id: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"entity_id": self.entity_id, "state": self.state, "attributes": self.attributes}


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _kelvin(payload: dict[str, Any]) -> int:
    """A colour temperature in kelvin from ``color_temp_kelvin`` or ``color_temp`` (mireds, as
    Home Assistant's JSON lights send it)."""
    if "color_temp_kelvin" in payload:
        kelvin = float(payload["color_temp_kelvin"])
    else:
        mireds = float(payload["color_temp"])
        if not mireds > 0:
            raise ValueError(f"color_temp must be a positive number of mireds, not {mireds}")
        kelvin = 1_000_000 / mireds
    return int(_clamp(round(kelvin), 1000, 12000))


def apply_command(
    current: DeviceState, payload: dict[str, Any], *, capabilities: dict[str, Any] | None = None
) -> DeviceState:
    """The state an entity reaches after ``payload``; unknown keys are ignored."""
    caps = capabilities or {}
    domain = current.entity_id.split(".", 1)[0]
    state = current.state
    attrs = dict(current.attributes)
    command = str(payload.get("state", "")).upper()
    if domain in ("light", "switch", "fan"):
        if command in ("ON", "OFF"):
            state = command.lower()
        if domain == "light":
            if "brightness" in payload:
                attrs["brightness"] = int(_clamp(float(payload["brightness"]), 0, 255))
                state = "on" if attrs["brightness"] > 0 else "off"
            if "brightness_step" in payload:
                base = attrs.get("brightness", 0) if state == "on" else 0
                attrs["brightness"] = int(_clamp(base + float(payload["brightness_step"]), 0, 255))
                state = "on" if attrs["brightness"] > 0 else "off"
            if isinstance(payload.get("color"), dict):
                c = payload["color"]
                attrs["rgb_color"] = [int(c.get("r", 0)), int(c.get("g", 0)), int(c.get("b", 0))]
                attrs["color_mode"] = "rgb"
                state = "on"
            if "color_temp" in payload or "color_temp_kelvin" in payload:
                attrs["color_temp_kelvin"] = _kelvin(payload)
                attrs["color_mode"] = "color_temp"
                state = "on"
            # An on/off-only light has no brightness at all (HA shows none).
            dims = capabilities is None or bool(caps.get("brightness") or caps.get("color_modes"))
            if dims and state == "on" and not attrs.get("brightness"):
                attrs["brightness"] = 255
            if dims and state == "off":
                attrs["brightness"] = 0
            if not dims:
                attrs.pop("brightness", None)
        if domain == "fan" and "percentage" in payload:
            attrs["percentage"] = int(_clamp(float(payload["percentage"]), 0, 100))
            state = "on" if attrs["percentage"] > 0 else "off"
    elif domain in ("cover", "valve"):
        if command in ("OPEN", "CLOSE"):
            attrs["position"] = 100 if command == "OPEN" else 0
        if "position" in payload:
            attrs["position"] = int(_clamp(float(payload["position"]), 0, 100))
        state = "open" if attrs.get("position", 0) > 0 else "closed"
    elif domain == "lock":
        if command in ("LOCK", "UNLOCK"):
            state = "locked" if command == "LOCK" else "unlocked"
    elif domain == "climate":
        low, high = float(caps.get("min_temp", 7)), float(caps.get("max_temp", 35))
        if command == "OFF":
            state = "off"
        elif command == "ON":
            state = str(attrs.get("last_mode", "auto")) if state == "off" else state
        if "mode" in payload:
            state = str(payload["mode"])
        if "temperature" in payload:
            attrs["temperature"] = _clamp(float(payload["temperature"]), low, high)
        if "temperature_step" in payload:
            base = float(attrs.get("temperature", 21))
            attrs["temperature"] = _clamp(base + float(payload["temperature_step"]), low, high)
        if state != "off":
            attrs["last_mode"] = state
    elif domain == "media_player":
        if command == "OFF":
            state = "off"
        elif command in ("ON", "PLAY"):
            state = "playing" if command == "PLAY" else "idle"
        elif command == "PAUSE":
            state = "paused"
        elif command in ("NEXT", "PREVIOUS"):
            attrs["track"] = int(attrs.get("track", 0)) + (1 if command == "NEXT" else -1)
            state = "playing"
        if "volume_level" in payload:
            attrs["volume_level"] = round(_clamp(float(payload["volume_level"]), 0, 1), 2)
        if "volume_step" in payload:
            base = float(attrs.get("volume_level", 0.3))
            attrs["volume_level"] = round(_clamp(base + float(payload["volume_step"]), 0, 1), 2)
        if "mute" in payload:
            attrs["is_volume_muted"] = bool(payload["mute"])
    elif domain == "vacuum":
        action = str(payload.get("command", ""))
        if action == "start":
            state = "cleaning"
        elif action == "return_to_base":
            state = "returning" if state == "cleaning" else "docked"
        elif action == "stop":
            state = "idle"
    elif domain == "todo":
        items = [str(x) for x in attrs.get("items") or []]
        if isinstance(payload.get("items"), list):
            items = [str(x) for x in payload["items"]]
        if isinstance(payload.get("add_item"), str) and payload["add_item"]:
            items.append(payload["add_item"])
        attrs["items"] = items
        state = str(len(items))
    return DeviceState(current.entity_id, state, attrs, current.household_id)


def restore_command(previous: DeviceState) -> DeviceCommand:
    """A command that brings an entity back to ``previous`` (for undo)."""
    domain = previous.entity_id.split(".", 1)[0]
    a = previous.attributes
    payload: dict[str, Any]
    if domain == "light":
        payload = {"state": previous.state.upper()}
        if previous.state == "on" and a.get("brightness"):
            payload["brightness"] = a["brightness"]
        if previous.state == "on" and a.get("color_mode") == "color_temp":
            payload["color_temp_kelvin"] = a.get("color_temp_kelvin", 2700)
        elif previous.state == "on" and a.get("rgb_color"):
            r, g, b = a["rgb_color"]
            payload["color"] = {"r": r, "g": g, "b": b}
    elif domain in ("switch",):
        payload = {"state": previous.state.upper()}
    elif domain == "fan":
        payload = {"state": previous.state.upper()}
        if "percentage" in a:
            payload["percentage"] = a["percentage"]
    elif domain in ("cover", "valve"):
        payload = {"position": a.get("position", 100 if previous.state == "open" else 0)}
    elif domain == "todo":
        payload = {"items": list(a.get("items") or [])}
    elif domain == "lock":
        payload = {"state": "LOCK" if previous.state == "locked" else "UNLOCK"}
    elif domain == "climate":
        payload = {"mode": previous.state}
        if "temperature" in a:
            payload["temperature"] = a["temperature"]
    elif domain == "media_player":
        payload = {
            "state": {"playing": "PLAY", "paused": "PAUSE", "off": "OFF"}.get(previous.state, "ON")
        }
        if "volume_level" in a:
            payload["volume_level"] = a["volume_level"]
    elif domain == "vacuum":
        payload = {"command": "start" if previous.state == "cleaning" else "return_to_base"}
    else:
        payload = {}
    return DeviceCommand(previous.entity_id, payload, previous.household_id)
