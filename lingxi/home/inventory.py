"""Bring your own home: a Home Assistant-style inventory (YAML or JSON) into a household.

The file has ``areas: [{id, name}]``, ``devices: [{id, name, area, info}]`` and ``entities:
[{id, name, area, device, state, attributes}]`` with Home Assistant's state values and
attribute names (brightness 0-255, ``percentage``, ``current_position``, ``temperature``,
``volume_level``, ``supported_features``, ``supported_color_modes``). Every row is checked
before anything is written; each problem names its row and field. Importing the same file
again changes nothing. An area or entity may carry its display name per language, ``names:
{en: Living Room, zh: 客厅}`` (``name`` defaults to the English one). See
``examples/homes/small_flat.yaml``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lingxi.data.records import LANGUAGES
from lingxi.errors import InvalidInputError

__all__ = ["DOMAINS", "ImportReport", "Inventory", "entity_capabilities", "read_inventory"]

_SWITCHED = frozenset({"on", "off"})
_HA_STATES: dict[str, frozenset[str] | None] = {
    "light": _SWITCHED,
    "switch": _SWITCHED,
    "fan": _SWITCHED,
    "cover": frozenset({"open", "closed", "opening", "closing", "stopped"}),
    "valve": frozenset({"open", "closed", "opening", "closing"}),
    "lock": frozenset({"locked", "unlocked", "locking", "unlocking", "jammed", "open", "opening"}),
    "climate": frozenset({"off", "heat", "cool", "heat_cool", "auto", "dry", "fan_only"}),
    "media_player": frozenset({"off", "on", "idle", "playing", "paused", "standby", "buffering"}),
    "vacuum": frozenset({"cleaning", "docked", "returning", "idle", "paused", "error"}),
    "sensor": None,  # any reading
    "binary_sensor": _SWITCHED,
    "todo": None,  # the number of open items
}
DOMAINS = tuple(_HA_STATES)
"""The Home Assistant domains an inventory may hold."""
_NO_STATE = frozenset({"unknown", "unavailable"})
_COLOR_MODES = frozenset(
    {"onoff", "brightness", "color_temp", "hs", "xy", "rgb", "rgbw", "rgbww", "white"}
)
_RGB_MODES = frozenset({"hs", "xy", "rgb", "rgbw", "rgbww"})
_HVAC = frozenset({"off", "heat", "cool", "heat_cool", "auto", "dry", "fan_only"})
# Attribute -> (low, high); checked where present, whatever the domain.
_RANGES: dict[str, tuple[float, float]] = {
    "brightness": (0, 255),
    "percentage": (0, 100),
    "current_position": (0, 100),
    "temperature": (-50, 100),
    "current_temperature": (-100, 150),
    "target_temp_high": (-50, 100),
    "target_temp_low": (-50, 100),
    "min_temp": (-50, 100),
    "max_temp": (-50, 100),
    "volume_level": (0, 1),
    "color_temp_kelvin": (1000, 20000),
    "min_color_temp_kelvin": (1000, 20000),
    "max_color_temp_kelvin": (1000, 20000),
    "battery_level": (0, 100),
    "percentage_step": (0, 100),
}
# HA's feature bits (homeassistant.components.<domain>.const).
_FAN_SET_SPEED = 1
_COVER_SET_POSITION = 4
_VALVE_SET_POSITION = 4
_MEDIA_VOLUME_SET = 4


class _Errors:
    """Problems found so far, each ``"entities[3] (light.x) attributes.brightness: ..."``."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, row: str, field_name: str, problem: str) -> None:
        self.items.append({"row": row, "field": field_name, "problem": problem})

    def raise_if_any(self, source: str) -> None:
        if not self.items:
            return
        first = self.items[0]
        more = f" (and {len(self.items) - 1} more)" if len(self.items) > 1 else ""
        raise InvalidInputError(
            f"{source}: {first['row']} {first['field']}: {first['problem']}{more}",
            field=f"{first['row']}.{first['field']}",
            errors=self.items,
        )


@dataclass(frozen=True)
class AreaRow:
    """One area: a slug id, a name, optional aliases and floor."""

    area_id: str
    name: str
    aliases: tuple[str, ...] = ()
    floor: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    """The display name per language (``{"en": "Living Room", "zh": "客厅"}``)."""


@dataclass(frozen=True)
class DeviceRow:
    """One physical device, in an area; ``info`` is HA's device info (manufacturer, model)."""

    device_id: str
    name: str
    area_id: str | None
    manufacturer: str = ""
    model: str = ""


@dataclass(frozen=True)
class EntityRow:
    """One entity in Lingxi's terms, derived from its HA row."""

    entity_id: str
    name: str
    area_id: str | None
    device_id: str | None
    aliases: tuple[str, ...]
    device_class: str | None
    capabilities: dict[str, Any]
    state: str | None
    """None for HA's ``unknown``/``unavailable``: no state is recorded."""
    attributes: dict[str, Any]
    names: dict[str, str] = field(default_factory=dict)
    """The display name per language."""


@dataclass(frozen=True)
class Inventory:
    """A validated inventory, ready to import."""

    areas: tuple[AreaRow, ...]
    devices: tuple[DeviceRow, ...]
    entities: tuple[EntityRow, ...]


@dataclass
class ImportReport:
    """What an import did: per kind, how many rows were created, updated or unchanged."""

    household_id: int
    household_created: bool = False
    areas: dict[str, int] = field(default_factory=dict)
    devices: dict[str, int] = field(default_factory=dict)
    entities: dict[str, int] = field(default_factory=dict)
    states_recorded: int = 0

    def count(self, kind: str, outcome: str) -> None:
        """Add one ``outcome`` (created/updated/unchanged) to ``kind``."""
        tally: dict[str, int] = getattr(self, kind)
        tally[outcome] = tally.get(outcome, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        """The ``lingxi home import --json`` document."""
        return {
            "household_id": self.household_id,
            "household_created": self.household_created,
            "areas": self.areas,
            "devices": self.devices,
            "entities": self.entities,
            "states_recorded": self.states_recorded,
        }


def _load(path: Path) -> Any:
    try:
        text = path.read_text("utf-8")
    except OSError as err:
        raise InvalidInputError.for_field("file", "a readable file", str(path)) from err
    except UnicodeDecodeError:
        raise InvalidInputError.for_field("file", "UTF-8 text", str(path)) from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except ValueError as err:
            raise InvalidInputError(f"{path}: not JSON: {err}", field="file") from None
    import yaml  # only an import pays for it

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise InvalidInputError(f"{path}: not YAML: {err}", field="file") from None


def read_inventory(path: Path) -> Inventory:
    """Read and check an inventory file (``.json`` as JSON, anything else as YAML).

    Raises
    ------
    InvalidInputError
        The file is unreadable, or any row breaks a rule; ``details["errors"]`` lists every
        problem as ``{"row", "field", "problem"}``.
    """
    return parse_inventory(_load(path), source=str(path))


def _text(value: Any, errors: _Errors, row: str, name: str, *, required: bool) -> str | None:
    if value is None:
        if required:
            errors.add(row, name, "is required")
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        errors.add(row, name, f"must be text of 1 to 200 characters, not {value!r:.60}")
        return None
    return value.strip()


def _slug(value: Any, errors: _Errors, row: str, name: str) -> str | None:
    text = _text(value, errors, row, name, required=True)
    if text is not None and not text.replace("_", "").isalnum():
        errors.add(row, name, f"must be a slug of letters, digits and '_', not {text!r}")
        return None
    return text


def _aliases(value: Any, errors: _Errors, row: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(a, str) and a.strip() for a in value):
        errors.add(row, "aliases", f"must be a list of names, not {value!r:.60}")
        return ()
    return tuple(a.strip() for a in value)


def _names(value: Any, errors: _Errors, row: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add(row, "names", f"must be a mapping of language to name, not {value!r:.60}")
        return {}
    out: dict[str, str] = {}
    for language, name in value.items():
        if language not in LANGUAGES:
            errors.add(row, f"names.{language}", f"unknown language; use {', '.join(LANGUAGES)}")
            continue
        text = _text(name, errors, row, f"names.{language}", required=True)
        if text is not None:
            out[str(language)] = text
    return out


def _rows(doc: Mapping[str, Any], key: str, errors: _Errors) -> list[Any]:
    rows = doc.get(key)
    if rows is None:
        return []
    if not isinstance(rows, list):
        errors.add(key, "", f"must be a list of rows, not {type(rows).__name__}")
        return []
    return rows


def parse_inventory(doc: Any, *, source: str = "inventory") -> Inventory:
    """Check an inventory already loaded from YAML or JSON (see :func:`read_inventory`)."""
    errors = _Errors()
    if not isinstance(doc, dict):
        raise InvalidInputError(
            f"{source}: must be a mapping with areas, devices and entities", field="file"
        )
    unknown = set(doc) - {"areas", "devices", "entities"}
    if unknown:
        errors.add("file", ", ".join(sorted(unknown)), "unknown key; use areas, devices, entities")
    areas = _areas(_rows(doc, "areas", errors), errors)
    area_ids = {a.area_id for a in areas}
    devices = _devices(_rows(doc, "devices", errors), area_ids, errors)
    entities = _entities(_rows(doc, "entities", errors), area_ids, devices, errors)
    if not entities and not errors.items:
        errors.add("entities", "", "the inventory has no entities")
    errors.raise_if_any(source)
    return Inventory(tuple(areas), tuple(devices.values()), tuple(entities))


def _row_of(raw: Any, errors: _Errors, row: str, allowed: set[str]) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        errors.add(row, "", f"must be a mapping, not {raw!r:.60}")
        return None
    for key in sorted(set(raw) - allowed):
        errors.add(row, str(key), f"unknown field; use {', '.join(sorted(allowed))}")
    return raw


def _areas(rows: list[Any], errors: _Errors) -> list[AreaRow]:
    out: list[AreaRow] = []
    seen: set[str] = set()
    for i, raw in enumerate(rows):
        label = f"areas[{i}]"
        r = _row_of(raw, errors, label, {"id", "name", "names", "aliases", "floor"})
        if r is None:
            continue
        area_id = _slug(r.get("id"), errors, label, "id")
        label = f"{label} ({area_id})" if area_id else label
        names = _names(r.get("names"), errors, label)
        name = _text(r.get("name"), errors, label, "name", required=not names) or _default(names)
        floor = _text(r.get("floor"), errors, label, "floor", required=False)
        aliases = _aliases(r.get("aliases"), errors, label)
        if area_id in seen:
            errors.add(label, "id", "is used by an earlier area")
        elif area_id and name:
            seen.add(area_id)
            out.append(AreaRow(area_id, name, aliases, floor, names))
    return out


def _devices(rows: list[Any], area_ids: set[str], errors: _Errors) -> dict[str, DeviceRow]:
    out: dict[str, DeviceRow] = {}
    names: set[str] = set()
    for i, raw in enumerate(rows):
        label = f"devices[{i}]"
        r = _row_of(raw, errors, label, {"id", "name", "area", "info"})
        if r is None:
            continue
        device_id = _text(r.get("id"), errors, label, "id", required=True)
        label = f"{label} ({device_id})" if device_id else label
        name = _text(r.get("name"), errors, label, "name", required=True)
        area = _text(r.get("area"), errors, label, "area", required=False)
        if area is not None and area not in area_ids:
            errors.add(label, "area", f"{area!r} is not an area of the inventory")
        info = r.get("info") or {}
        if not isinstance(info, dict):
            errors.add(label, "info", f"must be a mapping, not {info!r:.60}")
            info = {}
        if device_id in out:
            errors.add(label, "id", "is used by an earlier device")
        elif name in names:
            errors.add(label, "name", f"{name!r} is used by an earlier device")
        elif device_id and name:
            names.add(name)
            out[device_id] = DeviceRow(
                device_id,
                name,
                area,
                str(info.get("manufacturer") or "")[:200],
                str(info.get("model") or "")[:200],
            )
    return out


def _entities(
    rows: list[Any], area_ids: set[str], devices: dict[str, DeviceRow], errors: _Errors
) -> list[EntityRow]:
    allowed = {
        "id", "name", "names", "area", "device", "state", "attributes", "aliases", "capabilities",
    }  # fmt: skip
    out: list[EntityRow] = []
    seen: set[str] = set()
    for i, raw in enumerate(rows):
        label = f"entities[{i}]"
        r = _row_of(raw, errors, label, allowed)
        if r is None:
            continue
        entity_id = _text(r.get("id"), errors, label, "id", required=True)
        domain = ""
        if entity_id is not None:
            domain, dot, obj = entity_id.partition(".")
            label = f"{label} ({entity_id})"
            if not dot or not obj.replace("_", "").isalnum() or not obj:
                errors.add(label, "id", "must be 'domain.object_id' (object id a slug)")
            elif domain not in _HA_STATES:
                errors.add(label, "id", f"domain {domain!r} is not one of {', '.join(DOMAINS)}")
            elif entity_id in seen:
                errors.add(label, "id", "is used by an earlier entity")
        device_id = _text(r.get("device"), errors, label, "device", required=False)
        device = devices.get(device_id) if device_id else None
        if device_id and device is None:
            errors.add(label, "device", f"{device_id!r} is not a device of the inventory")
        names = _names(r.get("names"), errors, label)
        name = _text(
            r.get("name"), errors, label, "name", required=device is None and not names
        ) or _default(names)
        area = _text(r.get("area"), errors, label, "area", required=False)
        if area is not None and area not in area_ids:
            errors.add(label, "area", f"{area!r} is not an area of the inventory")
        attributes = r.get("attributes") or {}
        if not isinstance(attributes, dict):
            errors.add(label, "attributes", f"must be a mapping, not {attributes!r:.60}")
            attributes = {}
        extra = r.get("capabilities") or {}
        if not isinstance(extra, dict):
            errors.add(label, "capabilities", f"must be a mapping, not {extra!r:.60}")
            extra = {}
        state = _state(r.get("state"), domain, errors, label)
        before = len(errors.items)
        _check_attributes(attributes, domain, errors, label)
        aliases = _aliases(r.get("aliases"), errors, label)
        if entity_id is None or domain not in _HA_STATES or len(errors.items) > before:
            continue
        seen.add(entity_id)
        caps = {**entity_capabilities(domain, attributes), **extra}
        device_class = attributes.get("device_class")
        out.append(
            EntityRow(
                entity_id=entity_id,
                name=name or (device.name if device else entity_id),
                area_id=area or (device.area_id if device else None),
                device_id=device_id,
                aliases=aliases,
                device_class=str(device_class) if device_class else None,
                capabilities=caps,
                state=state,
                attributes=lingxi_attributes(domain, state, attributes),
                names=names,
            )
        )
    return out


def _default(names: dict[str, str]) -> str | None:
    """The name a row without ``name`` goes by: its English one, else its first."""
    return names.get("en") or next(iter(names.values()), None)


def _state(value: Any, domain: str, errors: _Errors, row: str) -> str | None:
    if value is None:
        errors.add(row, "state", "is required (HA's state value, e.g. 'on' or 'locked')")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors.add(row, "state", f"must be a state value, not {value!r:.60}")
        return None
    text = str(value)
    if text in _NO_STATE:
        return None
    allowed = _HA_STATES.get(domain)
    if allowed is not None and text not in allowed:
        errors.add(
            row, "state", f"{text!r} is not a {domain} state; use {', '.join(sorted(allowed))}"
        )
        return None
    if domain == "todo" and not text.isdigit():
        errors.add(row, "state", f"must be the number of open items, not {text!r}")
        return None
    if len(text) > 100:
        errors.add(row, "state", "must be at most 100 characters")
        return None
    return text


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _check_attributes(attrs: Mapping[str, Any], domain: str, errors: _Errors, row: str) -> None:
    for key, (low, high) in _RANGES.items():
        if key not in attrs or attrs[key] is None:
            continue
        number = _number(attrs[key])
        if number is None or not low <= number <= high:
            errors.add(
                row,
                f"attributes.{key}",
                f"must be a number from {low:g} to {high:g}, not {attrs[key]!r:.40}",
            )
    features = attrs.get("supported_features")
    if features is not None and (
        isinstance(features, bool) or not isinstance(features, int) or features < 0
    ):
        errors.add(
            row,
            "attributes.supported_features",
            f"must be a whole number >= 0, not {features!r:.40}",
        )
    modes = attrs.get("supported_color_modes")
    if modes is not None and (
        not isinstance(modes, list) or not modes or not set(modes) <= _COLOR_MODES
    ):
        errors.add(
            row,
            "attributes.supported_color_modes",
            f"must be a list out of {', '.join(sorted(_COLOR_MODES))}, not {modes!r:.60}",
        )
    if domain == "light" and isinstance(modes, list) and "onoff" in modes and len(modes) > 1:
        errors.add(row, "attributes.supported_color_modes", "'onoff' must stand alone")
    hvac = attrs.get("hvac_modes")
    if hvac is not None and (not isinstance(hvac, list) or not set(hvac) <= _HVAC):
        errors.add(
            row,
            "attributes.hvac_modes",
            f"must be a list out of {', '.join(sorted(_HVAC))}, not {hvac!r:.60}",
        )
    rgb = attrs.get("rgb_color")
    if rgb is not None and (
        not isinstance(rgb, list)
        or len(rgb) != 3
        or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in rgb)
    ):
        errors.add(row, "attributes.rgb_color", f"must be [r, g, b] of 0-255, not {rgb!r:.40}")
    t_low, t_high = _number(attrs.get("min_temp")), _number(attrs.get("max_temp"))
    if t_low is not None and t_high is not None and t_low >= t_high:
        errors.add(
            row, "attributes.min_temp", f"must be below max_temp ({t_high:g}), not {t_low:g}"
        )
    items = attrs.get("items")
    if items is not None and (
        not isinstance(items, list) or not all(isinstance(x, str) for x in items)
    ):
        errors.add(row, "attributes.items", f"must be a list of texts, not {items!r:.40}")


def _features(attrs: Mapping[str, Any]) -> int:
    value = attrs.get("supported_features")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def entity_capabilities(domain: str, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Lingxi's capabilities of an entity from its HA attributes (what it can be told to do)."""
    caps: dict[str, Any] = {}
    features = _features(attrs)
    if "supported_features" in attrs:
        caps["supported_features"] = features
    if domain == "light":
        modes = list(attrs.get("supported_color_modes") or [])
        if not modes:
            modes = ["brightness"] if "brightness" in attrs else ["onoff"]
        caps["supported_color_modes"] = modes
        ours = []
        if set(modes) & _RGB_MODES:
            ours.append("rgb")
        if "color_temp" in modes:
            ours.append("color_temp")
        if modes != ["onoff"]:
            caps["brightness"] = True
            caps["color_modes"] = ours or ["brightness"]
        lo = _number(attrs.get("min_color_temp_kelvin"))
        hi = _number(attrs.get("max_color_temp_kelvin"))
        if "color_temp" in modes and lo and hi:
            caps["min_mireds"] = round(1_000_000 / hi)
            caps["max_mireds"] = round(1_000_000 / lo)
    elif domain == "fan":
        if features & _FAN_SET_SPEED or "percentage" in attrs:
            caps["percentage"] = True
    elif domain == "cover":
        if features & _COVER_SET_POSITION or "current_position" in attrs:
            caps["position"] = True
    elif domain == "valve":
        if features & _VALVE_SET_POSITION or "current_position" in attrs:
            caps["position"] = True
    elif domain == "climate":
        caps["target_temperature"] = True
        caps["hvac_modes"] = list(attrs.get("hvac_modes") or ["off", "auto"])
        for key in ("min_temp", "max_temp"):
            if _number(attrs.get(key)) is not None:
                caps[key] = attrs[key]
    elif domain == "media_player":
        if features & _MEDIA_VOLUME_SET or "volume_level" in attrs:
            caps["volume"] = True
    elif domain == "sensor" and attrs.get("unit_of_measurement"):
        caps["unit"] = str(attrs["unit_of_measurement"])
    return caps


def lingxi_attributes(domain: str, state: str | None, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The state attributes Lingxi records, from HA's (``current_position`` -> ``position``)."""
    keep = (
        "brightness", "percentage", "temperature", "current_temperature", "volume_level",
        "is_volume_muted", "color_temp_kelvin", "rgb_color", "unit_of_measurement",
        "battery_level", "items",
    )  # fmt: skip
    out = {k: attrs[k] for k in keep if attrs.get(k) is not None}
    if domain in ("cover", "valve") and attrs.get("current_position") is not None:
        out["position"] = int(attrs["current_position"])
    if domain == "light":
        mode = attrs.get("color_mode")
        if mode in _RGB_MODES and "rgb_color" in out:
            out["color_mode"] = "rgb"
        elif mode in ("color_temp", "brightness", "onoff"):
            out["color_mode"] = mode
        if "brightness" in out:
            out["brightness"] = int(out["brightness"])
        if state == "off":
            out.pop("color_mode", None)
    return out
