"""Homes: areas and entities with their aliases, state history with who/how/when, gesture bindings.

Every function takes the household explicitly and acts only on that household's rows.
Rows leave this module as frozen dataclasses, never as ORM objects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from lingxi.data.base import utcnow
from lingxi.data.models import Area, Device, Entity, EntityState, GestureBinding
from lingxi.data.records import (
    LANGUAGES as LANGUAGES,
    STATE_SOURCES as STATE_SOURCES,
    AreaRecord as AreaRecord,
    EntityRecord as EntityRecord,
    GestureBindingRecord as GestureBindingRecord,
    StateRecord as StateRecord,
    check_state,
    language_key as language_key,
)
from lingxi.errors import InvalidInputError, NotFoundError

__all__ = [
    "LANGUAGES",
    "STATE_SOURCES",
    "AreaRecord",
    "EntityRecord",
    "GestureBindingRecord",
    "StateRecord",
    "create_area",
    "create_entity",
    "current_states",
    "delete_gesture_binding",
    "get_entity",
    "language_key",
    "list_areas",
    "list_entities",
    "list_gesture_bindings",
    "list_households_with_entities",
    "record_state",
    "set_gesture_binding",
    "state_history",
    "upsert_area",
    "upsert_device",
    "upsert_entity",
]


def _area_record(area: Area) -> AreaRecord:
    return AreaRecord(
        area_id=area.area_id,
        name=area.name,
        aliases=tuple(str(a) for a in area.aliases or ()),
        floor=area.floor,
        names=_names(area.names),
    )


def _names(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items() if v}


def create_area(
    session: Session,
    *,
    household_id: int,
    area_id: str,
    name: str,
    aliases: list[str] | tuple[str, ...] = (),
    floor: str | None = None,
    names: dict[str, str] | None = None,
) -> AreaRecord:
    """Add an area to a household (``names``: its display name per language)."""
    if not area_id or not area_id.replace("_", "").isalnum():
        raise InvalidInputError.for_field("area_id", "a slug of letters, digits and '_'", area_id)
    area = Area(
        household_id=household_id,
        area_id=area_id,
        name=name,
        names=dict(names or {}),
        aliases=list(aliases),
        floor=floor,
    )
    session.add(area)
    session.flush()
    return _area_record(area)


def create_entity(
    session: Session,
    *,
    household_id: int,
    entity_id: str,
    name: str,
    area_id: str | None = None,
    aliases: list[str] | tuple[str, ...] = (),
    device_class: str | None = None,
    capabilities: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
) -> EntityRecord:
    """Add an entity (``domain.object_id``) to a household, optionally in one of its areas
    (``names``: its display name per language)."""
    domain, dot, object_id = entity_id.partition(".")
    if not dot or not domain or not object_id:
        raise InvalidInputError.for_field("entity_id", "of the form 'domain.object_id'", entity_id)
    area_pk = None
    if area_id is not None:
        area_pk = session.scalar(
            select(Area.id).where(Area.household_id == household_id, Area.area_id == area_id)
        )
        if area_pk is None:
            raise NotFoundError(f"No area {area_id!r} in household {household_id}.", field="area")
    entity = Entity(
        household_id=household_id,
        entity_id=entity_id,
        domain=domain,
        name=name,
        names=dict(names or {}),
        aliases=list(aliases),
        area_id=area_pk,
        device_class=device_class,
        capabilities=dict(capabilities or {}),
    )
    session.add(entity)
    session.flush()
    return EntityRecord(
        entity_id=entity_id,
        domain=domain,
        name=name,
        aliases=tuple(aliases),
        area_id=area_id,
        device_class=device_class,
        capabilities=dict(capabilities or {}),
        names=dict(names or {}),
    )


def upsert_area(
    session: Session,
    *,
    household_id: int,
    area_id: str,
    name: str,
    aliases: list[str] | tuple[str, ...] = (),
    floor: str | None = None,
    names: dict[str, str] | None = None,
) -> str:
    """Create the area or bring it to these values; ``created``, ``updated`` or ``unchanged``."""
    area = session.scalar(
        select(Area).where(Area.household_id == household_id, Area.area_id == area_id)
    )
    if area is None:
        create_area(
            session,
            household_id=household_id,
            area_id=area_id,
            name=name,
            aliases=aliases,
            floor=floor,
            names=names,
        )
        return "created"
    wanted = {"name": name, "names": dict(names or {}), "aliases": list(aliases), "floor": floor}
    return _update(area, wanted)


def _update(row: Any, wanted: dict[str, Any]) -> str:
    changed = False
    for key, value in wanted.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return "updated" if changed else "unchanged"


def _area_pk(session: Session, household_id: int, area_id: str | None) -> int | None:
    if area_id is None:
        return None
    pk = session.scalar(
        select(Area.id).where(Area.household_id == household_id, Area.area_id == area_id)
    )
    if pk is None:
        raise NotFoundError(f"No area {area_id!r} in household {household_id}.", field="area")
    return pk


def upsert_device(
    session: Session,
    *,
    household_id: int,
    name: str,
    area_id: str | None = None,
    manufacturer: str = "",
    model: str = "",
) -> tuple[int, str]:
    """The device of this name in the household, created or brought to these values:
    ``(device pk, created|updated|unchanged)``. Devices are known by name (the table keeps
    no outside id)."""
    area_pk = _area_pk(session, household_id, area_id)
    device = session.scalar(
        select(Device).where(Device.household_id == household_id, Device.name == name)
    )
    wanted = {"area_id": area_pk, "manufacturer": manufacturer, "model": model}
    if device is None:
        device = Device(household_id=household_id, name=name, **wanted)
        session.add(device)
        session.flush()
        return device.id, "created"
    outcome = _update(device, wanted)
    session.flush()
    return device.id, outcome


def upsert_entity(
    session: Session,
    *,
    household_id: int,
    entity_id: str,
    name: str,
    area_id: str | None = None,
    device_pk: int | None = None,
    aliases: list[str] | tuple[str, ...] = (),
    device_class: str | None = None,
    capabilities: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
) -> str:
    """Create the entity or bring it to these values; ``created``, ``updated`` or
    ``unchanged``."""
    entity = session.scalar(
        select(Entity).where(Entity.household_id == household_id, Entity.entity_id == entity_id)
    )
    if entity is None:
        create_entity(
            session,
            household_id=household_id,
            entity_id=entity_id,
            name=name,
            area_id=area_id,
            aliases=aliases,
            device_class=device_class,
            capabilities=capabilities,
            names=names,
        )
        if device_pk is not None:
            session.execute(
                update(Entity)
                .where(Entity.household_id == household_id, Entity.entity_id == entity_id)
                .values(device_id=device_pk)
            )
        return "created"
    wanted = {
        "name": name,
        "names": dict(names or {}),
        "area_id": _area_pk(session, household_id, area_id),
        "device_id": device_pk,
        "aliases": list(aliases),
        "device_class": device_class,
        "capabilities": dict(capabilities or {}),
    }
    outcome = _update(entity, wanted)
    session.flush()
    return outcome


def list_areas(session: Session, *, household_id: int) -> list[AreaRecord]:
    """The household's areas, by name."""
    rows = session.scalars(
        select(Area).where(Area.household_id == household_id).order_by(Area.name)
    )
    return [_area_record(a) for a in rows]


def list_entities(session: Session, *, household_id: int) -> list[EntityRecord]:
    """The household's entities with their area slugs, by entity id."""
    rows = session.execute(
        select(Entity, Area.area_id)
        .outerjoin(Area, Entity.area_id == Area.id)
        .where(Entity.household_id == household_id)
        .order_by(Entity.entity_id)
    )
    return [
        EntityRecord(
            entity_id=e.entity_id,
            domain=e.domain,
            name=e.name,
            aliases=tuple(str(a) for a in e.aliases or ()),
            area_id=area_slug,
            device_class=e.device_class,
            capabilities=dict(e.capabilities or {}),
            names=_names(e.names),
        )
        for e, area_slug in rows
    ]


def list_households_with_entities(session: Session) -> list[int]:
    """Ids of households that have at least one entity."""
    return list(
        session.scalars(select(Entity.household_id).distinct().order_by(Entity.household_id))
    )


def _entity_pk(session: Session, household_id: int, entity_id: str) -> int:
    pk = session.scalar(
        select(Entity.id).where(Entity.household_id == household_id, Entity.entity_id == entity_id)
    )
    if pk is None:
        raise NotFoundError(
            f"No entity {entity_id!r} in household {household_id}.", field="entity_id"
        )
    return pk


def get_entity(session: Session, *, household_id: int, entity_id: str) -> EntityRecord:
    """One entity of the household."""
    _entity_pk(session, household_id, entity_id)
    for record in list_entities(session, household_id=household_id):
        if record.entity_id == entity_id:
            return record
    raise NotFoundError(f"No entity {entity_id!r} in household {household_id}.", field="entity_id")


def record_state(
    session: Session,
    *,
    household_id: int,
    entity_id: str,
    state: str,
    attributes: dict[str, Any] | None = None,
    source: str = "device",
    actor_customer_id: int | None = None,
    changed_at: datetime | None = None,
) -> StateRecord:
    """Append a state to an entity's history (the newest row is its current state)."""
    check_state(state, source)
    pk = _entity_pk(session, household_id, entity_id)
    row = EntityState(
        entity_pk=pk,
        state=state,
        attributes=dict(attributes or {}),
        changed_at=changed_at or utcnow(),
        source=source,
        actor_customer_id=actor_customer_id,
    )
    session.add(row)
    session.flush()
    return _state_record(row, entity_id)


def current_states(session: Session, *, household_id: int) -> dict[str, StateRecord]:
    """The newest recorded state of each entity of the household that has one."""
    newest = (
        select(func.max(EntityState.id).label("id"))
        .join(Entity, EntityState.entity_pk == Entity.id)
        .where(Entity.household_id == household_id)
        .group_by(EntityState.entity_pk)
        .subquery()
    )
    rows = session.execute(
        select(EntityState, Entity.entity_id)
        .join(Entity, EntityState.entity_pk == Entity.id)
        .where(EntityState.id.in_(select(newest.c.id)))
    )
    return {entity_id: _state_record(s, entity_id) for s, entity_id in rows}


def _state_record(s: EntityState, entity_id: str) -> StateRecord:
    return StateRecord(
        entity_id=entity_id,
        state=s.state,
        attributes=dict(s.attributes or {}),
        changed_at=s.changed_at,
        source=s.source,
        actor_customer_id=s.actor_customer_id,
        id=s.id,
    )


def state_history(
    session: Session,
    *,
    household_id: int,
    entity_id: str | None = None,
    limit: int = 50,
) -> list[StateRecord]:
    """Recorded states of the household, newest first, optionally of one entity."""
    if not 1 <= limit <= 1000:
        raise InvalidInputError.for_field("limit", "an int in [1, 1000]", limit)
    query = (
        select(EntityState, Entity.entity_id)
        .join(Entity, EntityState.entity_pk == Entity.id)
        .where(Entity.household_id == household_id)
    )
    if entity_id is not None:
        query = query.where(Entity.entity_id == entity_id)
    rows = session.execute(query.order_by(EntityState.id.desc()).limit(limit))
    return [_state_record(s, eid) for s, eid in rows]


def list_gesture_bindings(session: Session, *, household_id: int) -> list[GestureBindingRecord]:
    """The household's gesture bindings, by gesture."""
    rows = session.scalars(
        select(GestureBinding)
        .where(GestureBinding.household_id == household_id)
        .order_by(GestureBinding.gesture)
    )
    return [GestureBindingRecord(b.gesture, b.intent, dict(b.slots or {})) for b in rows]


def set_gesture_binding(
    session: Session, *, household_id: int, gesture: str, intent: str, slots: dict[str, Any]
) -> GestureBindingRecord:
    """Bind (or re-bind) a gesture of the household to an intent with fixed slots."""
    binding = session.scalar(
        select(GestureBinding).where(
            GestureBinding.household_id == household_id, GestureBinding.gesture == gesture
        )
    )
    if binding is None:
        binding = GestureBinding(household_id=household_id, gesture=gesture)
        session.add(binding)
    binding.intent = intent
    binding.slots = dict(slots)
    session.flush()
    return GestureBindingRecord(gesture, intent, dict(slots))


def delete_gesture_binding(session: Session, *, household_id: int, gesture: str) -> bool:
    """Remove a gesture binding; True if one was removed."""
    result = session.execute(
        delete(GestureBinding).where(
            GestureBinding.household_id == household_id, GestureBinding.gesture == gesture
        )
    )
    return bool(getattr(result, "rowcount", 0))
