"""Adopt devices that already announce themselves on the broker (Zigbee2MQTT, Tasmota, ESPHome).

Such devices keep retained Home Assistant discovery configs at
``<discovery_prefix>/<component>/[<node>/]<object>/config``. :func:`scan` reads them and
offers each one; :func:`adopt` puts an offer into a household's area as an entity whose
capabilities carry the device's own topics and payloads (``capabilities["mqtt"]``), so the
MQTT driver commands it on its own command topic (:mod:`lingxi.home.drivers._adopted`).
Lingxi's own configs (node ``lingxi_<household>``) are never offered.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from lingxi.config import MQTTSettings
from lingxi.data import Database
from lingxi.data.repos import home as repo
from lingxi.errors import InvalidInputError, NotFoundError

__all__ = ["ADOPTABLE", "Offer", "adopt", "mqtt_capabilities", "offers_from", "scan"]

ADOPTABLE = ("light", "switch", "fan", "cover", "valve", "lock")
"""Discovery components Lingxi can command on a device's own topics."""

# Home Assistant's abbreviations (homeassistant/components/mqtt/abbreviations.py) that the
# adopted components use; Tasmota and ESPHome send them abbreviated.
_ABBREVIATIONS = {
    "bri_cmd_t": "brightness_command_topic",
    "bri_scl": "brightness_scale",
    "bri_stat_t": "brightness_state_topic",
    "bri_val_tpl": "brightness_value_template",
    "clr_temp_cmd_t": "color_temp_command_topic",
    "cmd_t": "command_topic",
    "cmd_tpl": "command_template",
    "dev": "device",
    "dev_cla": "device_class",
    "name": "name",
    "obj_id": "object_id",
    "pct_cmd_t": "percentage_command_topic",
    "pct_cmd_tpl": "percentage_command_template",
    "pl_cls": "payload_close",
    "pl_lock": "payload_lock",
    "pl_off": "payload_off",
    "pl_on": "payload_on",
    "pl_open": "payload_open",
    "pl_unlk": "payload_unlock",
    "pos_t": "position_topic",
    "set_pos_t": "set_position_topic",
    "stat_clsd": "state_closed",
    "stat_locked": "state_locked",
    "stat_off": "state_off",
    "stat_on": "state_on",
    "stat_open": "state_open",
    "stat_t": "state_topic",
    "stat_unlocked": "state_unlocked",
    "stat_val_tpl": "state_value_template",
    "sup_clrm": "supported_color_modes",
    "uniq_id": "unique_id",
    "val_tpl": "value_template",
}
_DEVICE_ABBREVIATIONS = {
    "ids": "identifiers",
    "mf": "manufacturer",
    "mdl": "model",
    "sa": "suggested_area",
}
_TOPIC_KEYS = frozenset(k for k in _ABBREVIATIONS.values() if k.endswith("_topic"))
# What the driver keeps of a config: topics, payload words, templates, scales.
_KEPT = (
    "command_topic", "state_topic", "schema", "brightness", "brightness_scale",
    "brightness_command_topic", "color_temp_command_topic", "percentage_command_topic",
    "set_position_topic", "position_topic", "payload_on", "payload_off", "state_on",
    "state_off", "payload_lock", "payload_unlock", "state_locked", "state_unlocked",
    "payload_open", "payload_close", "state_open", "state_closed", "value_template",
    "state_value_template", "supported_color_modes", "min_mireds", "max_mireds",
)  # fmt: skip
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Offer:
    """One device entity announced on the broker that a household may adopt."""

    id: str
    """``<component>/<node>/<object>`` of its discovery topic: what ``adopt`` takes."""
    component: str
    name: str
    entity_id: str
    """The entity id it would get (``light.kitchen_bulb``)."""
    command_topic: str | None
    state_topic: str | None
    suggested_area: str | None
    manufacturer: str | None
    model: str | None
    config: dict[str, Any]
    """The discovery config, abbreviations expanded and ``~`` filled in."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (without the raw config)."""
        doc = asdict(self)
        doc.pop("config")
        return doc


def expand(config: dict[str, Any]) -> dict[str, Any]:
    """A discovery config with HA's abbreviations expanded and ``~`` (the base topic) filled."""
    out = {_ABBREVIATIONS.get(k, k): v for k, v in config.items()}
    base = out.pop("~", None)
    if isinstance(base, str):
        for key in _TOPIC_KEYS:
            value = out.get(key)
            if isinstance(value, str):
                if value.startswith("~"):
                    out[key] = base + value[1:]
                elif value.endswith("~"):
                    out[key] = value[:-1] + base
    device = out.get("device")
    if isinstance(device, dict):
        out["device"] = {_DEVICE_ABBREVIATIONS.get(k, k): v for k, v in device.items()}
    return out


def _slug(text: str) -> str:
    return _SLUG.sub("_", text.casefold()).strip("_") or "device"


def _offer(topic: str, payload: bytes, prefix: str) -> Offer | None:
    levels = topic.split("/")
    if len(levels) not in (4, 5) or levels[0] != prefix or levels[-1] != "config":
        return None
    component, *path = levels[1:-1]
    if component not in ADOPTABLE or (len(path) == 2 and path[0].startswith("lingxi_")):
        return None
    try:
        raw = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    config = expand(raw)
    if str(config.get("unique_id", "")).startswith("lingxi_"):
        return None
    if not isinstance(config.get("command_topic"), str):
        return None  # nothing to command
    device = config.get("device") if isinstance(config.get("device"), dict) else {}
    assert isinstance(device, dict)
    own, device_name = config.get("name"), device.get("name")
    parts = [p for p in (device_name, own) if isinstance(p, str) and p]
    name = " ".join(parts) or path[-1]
    return Offer(
        id="/".join([component, *path]),
        component=component,
        name=name[:200],
        entity_id=f"{component}.{_slug(name)}"[:200],
        command_topic=config.get("command_topic"),
        state_topic=config.get("state_topic")
        if isinstance(config.get("state_topic"), str)
        else None,
        suggested_area=device.get("suggested_area")
        if isinstance(device.get("suggested_area"), str)
        else None,
        manufacturer=device.get("manufacturer")
        if isinstance(device.get("manufacturer"), str)
        else None,
        model=device.get("model") if isinstance(device.get("model"), str) else None,
        config=config,
    )


def offers_from(
    retained: dict[str, bytes], *, discovery_prefix: str = "homeassistant"
) -> list[Offer]:
    """The adoptable offers among retained ``topic -> payload`` messages, by id."""
    found = (_offer(t, p, discovery_prefix) for t, p in retained.items())
    return sorted((o for o in found if o is not None), key=lambda o: o.id)


def scan(settings: MQTTSettings, *, wait_s: float = 0.5) -> list[Offer]:
    """Read the retained discovery configs on the broker and offer every adoptable entity.

    Raises
    ------
    InvalidInputError
        No broker is configured (``LINGXI_MQTT__URL``).
    DeviceUnavailableError
        The broker does not answer.
    """
    if not settings.url:
        raise InvalidInputError.for_field("LINGXI_MQTT__URL", "set to the broker's URL", None)
    from lingxi.home.drivers._client import fetch_retained

    prefix = settings.discovery_prefix
    retained = fetch_retained(settings, f"{prefix}/#", wait_s=wait_s)
    return offers_from(retained, discovery_prefix=prefix)


def mqtt_capabilities(offer: Offer) -> dict[str, Any]:
    """Lingxi's capabilities of an offered entity, its own topics under ``"mqtt"``."""
    config = offer.config
    caps: dict[str, Any] = {"mqtt": {k: config[k] for k in _KEPT if k in config}}
    if offer.component == "light":
        modes = list(config.get("supported_color_modes") or [])
        ours = [
            m
            for m in ("rgb", "color_temp")
            if m in modes or (m == "rgb" and {"hs", "xy"} & set(modes))
        ]
        if (
            config.get("brightness")
            or config.get("brightness_command_topic")
            or (modes and modes != ["onoff"])
        ):
            caps["brightness"] = True
            caps["color_modes"] = ours or ["brightness"]
        if "min_mireds" in config:
            caps["min_mireds"] = config["min_mireds"]
        if "max_mireds" in config:
            caps["max_mireds"] = config["max_mireds"]
    elif offer.component == "fan" and config.get("percentage_command_topic"):
        caps["percentage"] = True
    elif offer.component in ("cover", "valve") and config.get("set_position_topic"):
        caps["position"] = True
    return caps


def adopt(
    db: Database,
    offers: list[Offer],
    offer_id: str,
    *,
    household_id: int,
    area_id: str | None,
    name: str | None = None,
) -> dict[str, Any]:
    """Adopt the offer ``offer_id`` into ``area_id`` of the household (by default the area its
    device suggests, when the household has one of that name; again: updated, not doubled);
    returns ``{"entity_id", "name", "area", "outcome"}``.

    Raises
    ------
    NotFoundError
        No such offer on the broker, or no such area in the household.
    """
    offer = next((o for o in offers if o.id == offer_id), None)
    if offer is None:
        known = ", ".join(o.id for o in offers) or "none"
        raise NotFoundError(
            f"No device {offer_id!r} announced on the broker (offered: {known}).", field="id"
        )
    title = (name or offer.name).strip()
    if not title or len(title) > 200:
        raise InvalidInputError.for_field("name", "a name of 1 to 200 characters", name)
    with db.session() as s:
        if area_id is None and offer.suggested_area:
            # The device's own suggestion, when the household has an area of that name.
            key = offer.suggested_area.casefold()
            area_id = next(
                (
                    a.area_id
                    for a in repo.list_areas(s, household_id=household_id)
                    if key in (a.name.casefold(), a.area_id, *(x.casefold() for x in a.aliases))
                ),
                None,
            )
        outcome = repo.upsert_entity(
            s,
            household_id=household_id,
            entity_id=offer.entity_id,
            name=title,
            area_id=area_id,
            device_class=offer.config.get("device_class")
            if isinstance(offer.config.get("device_class"), str)
            else None,
            capabilities=mqtt_capabilities(offer),
        )
    return {"entity_id": offer.entity_id, "name": title, "area": area_id, "outcome": outcome}
