"""The household's entities with the states their devices report, as the controller shows them."""

from __future__ import annotations

from typing import Any

from lingxi.errors import NotFoundError
from lingxi.home._replies import state_label
from lingxi.home.devices import DeviceState
from lingxi.home.drivers.base import DeviceDriver
from lingxi.home.model import Home

__all__ = ["current_state", "state_rows"]


def current_state(driver: DeviceDriver, household_id: int, entity_id: str) -> DeviceState:
    """The device's last reported state, ``unknown`` when it has reported none."""
    return driver.state(entity_id, household_id=household_id) or DeviceState(
        entity_id, "unknown", {}, household_id
    )


def state_rows(
    home: Home, driver: DeviceDriver, entity_id: str | None = None, *, language: str = "en"
) -> list[dict[str, Any]]:
    """One row per entity (or only ``entity_id``): name, area, domain, state, attributes,
    capabilities. ``name``, ``area_name`` and ``state_label`` read in ``language`` where the
    home has names in it; ``names`` holds every language's.

    Raises
    ------
    NotFoundError
        ``entity_id`` is not an entity of the home.
    """
    out = []
    for e in home.entities:
        if entity_id is not None and e.entity_id != entity_id:
            continue
        s = driver.state(e.entity_id, household_id=home.household_id)
        area = home.area(e.area_id) if e.area_id else None
        state = s.state if s else "unknown"
        out.append(
            {
                "entity_id": e.entity_id,
                "name": e.name_in(language),
                "names": e.names,
                "area": e.area_id,
                "area_name": area.name_in(language) if area else None,
                "area_names": area.names if area else {},
                "domain": e.domain,
                "device_class": e.device_class,
                "state": state,
                "state_label": state_label(state, language),
                "attributes": s.attributes if s else {},
                "capabilities": e.capabilities,
            }
        )
    if entity_id is not None and not out:
        raise NotFoundError(f"No entity {entity_id!r} in this home.", field="entity_id")
    return out
