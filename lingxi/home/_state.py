"""The household's entities with the states their devices report, as the controller shows them."""

from __future__ import annotations

from typing import Any

from lingxi.errors import NotFoundError
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
    home: Home, driver: DeviceDriver, entity_id: str | None = None
) -> list[dict[str, Any]]:
    """One row per entity (or only ``entity_id``): name, area, domain, state, attributes,
    capabilities.

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
        out.append(
            {
                "entity_id": e.entity_id,
                "name": e.name,
                "area": e.area_id,
                "domain": e.domain,
                "device_class": e.device_class,
                "state": s.state if s else "unknown",
                "attributes": s.attributes if s else {},
                "capabilities": e.capabilities,
            }
        )
    if entity_id is not None and not out:
        raise NotFoundError(f"No entity {entity_id!r} in this home.", field="entity_id")
    return out
