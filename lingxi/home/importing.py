"""Write a checked :class:`~lingxi.home.inventory.Inventory` into a household, idempotently."""

from __future__ import annotations

from sqlalchemy import select

from lingxi.data import Database
from lingxi.data.models import Household
from lingxi.data.repos import home as repo
from lingxi.data.repos.identity import create_household
from lingxi.errors import NotFoundError
from lingxi.home.inventory import ImportReport, Inventory

__all__ = ["import_inventory"]


def _household(db: Database, household_id: int, report: ImportReport) -> int:
    with db.session() as s:
        if s.get(Household, household_id) is not None:
            return household_id
        if household_id != 1 or s.scalar(select(Household.id).limit(1)) is not None:
            raise NotFoundError(f"No household {household_id}.", field="household")
        created = create_household(s, name="Home")
    report.household_created = True
    return created


def import_inventory(db: Database, inventory: Inventory, *, household_id: int = 1) -> ImportReport:
    """Create or update the inventory's areas, devices and entities in the household, and
    record each entity's state where it differs from the current one (so a second import of
    the same file changes nothing). Household 1 is created when the database has none.

    Raises
    ------
    NotFoundError
        ``household_id`` names no household (and is not the first one of an empty database).
    """
    report = ImportReport(household_id)
    report.household_id = hid = _household(db, household_id, report)
    with db.session() as s:
        for area in inventory.areas:
            outcome = repo.upsert_area(
                s,
                household_id=hid,
                area_id=area.area_id,
                name=area.name,
                aliases=area.aliases,
                floor=area.floor,
                names=area.names,
            )
            report.count("areas", outcome)
        s.flush()
        device_pks: dict[str, int] = {}
        for device in inventory.devices:
            pk, outcome = repo.upsert_device(
                s,
                household_id=hid,
                name=device.name,
                area_id=device.area_id,
                manufacturer=device.manufacturer,
                model=device.model,
            )
            device_pks[device.device_id] = pk
            report.count("devices", outcome)
        current = repo.current_states(s, household_id=hid)
        for e in inventory.entities:
            outcome = repo.upsert_entity(
                s,
                household_id=hid,
                entity_id=e.entity_id,
                name=e.name,
                area_id=e.area_id,
                device_pk=device_pks.get(e.device_id) if e.device_id else None,
                aliases=e.aliases,
                device_class=e.device_class,
                capabilities=e.capabilities,
                names=e.names,
            )
            report.count("entities", outcome)
            known = current.get(e.entity_id)
            if e.state is not None and (
                known is None or known.state != e.state or known.attributes != e.attributes
            ):
                repo.record_state(
                    s,
                    household_id=hid,
                    entity_id=e.entity_id,
                    state=e.state,
                    attributes=e.attributes,
                    source="device",
                )
                report.states_recorded += 1
    return report
