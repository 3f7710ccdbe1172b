"""Fleet set-up: an operator's depots, vehicles and service areas (add, list, remove).

Rules that need no road network are checked here (capacity > 0, a shift that ends after it
starts, depots that exist and share the vehicle's city, names not yet taken); whether a depot
lies inside its city is the dispatch engine's to check (``lingxi.dispatch.fleet``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lingxi.data.models import Depot, ServiceArea, Vehicle
from lingxi.data.repos.fleet import DepotView, VehicleView
from lingxi.errors import ConflictError, InvalidInputError

__all__ = [
    "AreaView",
    "add_area",
    "add_depot",
    "add_vehicle",
    "find_depot",
    "list_areas",
    "list_depots",
    "list_vehicles",
    "remove_area",
    "remove_depot",
    "remove_vehicle",
]

DAY_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class AreaView:
    """A service area: a polygon (``[[lon, lat], ...]``) of a city or of one depot."""

    id: int
    name: str
    city: str
    depot_id: int | None
    kind: str
    polygon: list[list[float]]


def _depot_view(d: Depot) -> DepotView:
    return DepotView(d.id, d.name, d.lat, d.lon, d.opens_s, d.closes_s, d.city)


def _vehicle_view(v: Vehicle) -> VehicleView:
    return VehicleView(
        v.id,
        v.depot_id,
        v.name,
        v.capacity,
        v.shift_start_s,
        v.shift_end_s,
        v.lat,
        v.lon,
        v.end_depot_id,
    )


def _area_view(a: ServiceArea) -> AreaView:
    return AreaView(a.id, a.name, a.city, a.depot_id, a.kind, [list(p) for p in a.polygon])


def _name(value: str, field: str, limit: int) -> str:
    clean = value.strip()
    if not clean or len(clean) > limit:
        raise InvalidInputError.for_field(field, f"1 to {limit} characters", value)
    return clean


_Named = TypeVar("_Named", Depot, Vehicle, ServiceArea)


def _row_by_ref(
    session: Session, model: type[_Named], ref: str | int, field: str, expected: str
) -> _Named:
    """The row named ``ref`` (or with that id); an unknown one is refused naming ``field``."""
    text = str(ref).strip()
    row = session.scalar(select(model).where(model.name == text))
    if row is None and text.isdigit():
        row = session.get(model, int(text))
    if row is None:
        raise InvalidInputError.for_field(field, expected, ref)
    return row


def _depot_row(session: Session, ref: str | int, field: str) -> Depot:
    return _row_by_ref(
        session, Depot, ref, field, "a depot's name or id (`lingxi fleet depot list`)"
    )


def find_depot(session: Session, ref: str | int, *, field: str = "depot") -> DepotView:
    """A depot by name or id; an unknown one is refused naming ``field``."""
    return _depot_view(_depot_row(session, ref, field))


def add_depot(
    session: Session,
    *,
    name: str,
    lat: float,
    lon: float,
    city: str,
    opens_s: int = 6 * 3600,
    closes_s: int = 22 * 3600,
) -> DepotView:
    """Add a depot of ``city``.

    Raises
    ------
    InvalidInputError
        A bad name, coordinates or opening hours (closing at or before opening).
    ConflictError
        The name is taken.
    """
    name = _name(name, "name", 200)
    if not -90 <= lat <= 90:
        raise InvalidInputError.for_field("lat", "a latitude in [-90, 90]", lat)
    if not -180 <= lon <= 180:
        raise InvalidInputError.for_field("lon", "a longitude in [-180, 180]", lon)
    if not 0 <= opens_s < DAY_S:
        raise InvalidInputError.for_field("opens", "a time of day", opens_s)
    if not opens_s < closes_s <= DAY_S:
        raise InvalidInputError.for_field("closes", "after opens and by 24:00", closes_s)
    if session.scalar(select(Depot.id).where(Depot.name == name)) is not None:
        raise ConflictError(f"A depot named {name!r} exists already.", field="name", value=name)
    depot = Depot(name=name, lat=lat, lon=lon, city=city, opens_s=opens_s, closes_s=closes_s)
    session.add(depot)
    session.flush()
    return _depot_view(depot)


def list_depots(session: Session, *, city: str | None = None) -> list[DepotView]:
    """Depots (of one city, or all), by id."""
    query = select(Depot).order_by(Depot.id)
    if city is not None:
        query = query.where(Depot.city == city)
    return [_depot_view(d) for d in session.scalars(query)]


def remove_depot(session: Session, ref: str | int) -> DepotView:
    """Remove a depot that no vehicle starts or ends at (its own areas go with it).

    Raises
    ------
    InvalidInputError
        No such depot.
    ConflictError
        Vehicles still start or end there.
    """
    depot = _depot_row(session, ref, "depot")
    users = session.scalars(
        select(Vehicle.name).where(
            or_(Vehicle.depot_id == depot.id, Vehicle.end_depot_id == depot.id)
        )
    ).all()
    if users:
        raise ConflictError(
            f"Vehicles {', '.join(sorted(users))} start or end at depot {depot.name!r}: remove "
            "or move them first.",
            field="depot",
            value=depot.name,
        )
    view = _depot_view(depot)
    session.delete(depot)
    session.flush()
    return view


def add_vehicle(
    session: Session,
    *,
    name: str,
    capacity: int,
    start_depot: str | int,
    end_depot: str | int | None = None,
    shift_start_s: int = 8 * 3600,
    shift_end_s: int = 18 * 3600,
) -> VehicleView:
    """Add a vehicle starting at ``start_depot`` and ending at ``end_depot`` (default: the same).

    Raises
    ------
    InvalidInputError
        Capacity <= 0, a shift ending at or before its start, an unknown depot, or depots in
        two cities.
    ConflictError
        The name is taken.
    """
    name = _name(name, "name", 100)
    if capacity <= 0:
        raise InvalidInputError.for_field("capacity", "an integer > 0", capacity)
    if not 0 <= shift_start_s < DAY_S:
        raise InvalidInputError.for_field("shift_start", "a time of day", shift_start_s)
    if not shift_start_s < shift_end_s <= DAY_S:
        raise InvalidInputError(
            f"The 'shift_end' field must be after shift_start ({_hhmm(shift_start_s)}) and by "
            f"24:00. Got {_hhmm(shift_end_s)!r} instead.",
            field="shift_end",
            value=_hhmm(shift_end_s),
        )
    start = _depot_row(session, start_depot, "start_depot")
    end = start if end_depot is None else _depot_row(session, end_depot, "end_depot")
    if end.city != start.city:
        raise InvalidInputError.for_field(
            "end_depot", f"a depot of {start.city!r} (where the vehicle starts)", end.name
        )
    if session.scalar(select(Vehicle.id).where(Vehicle.name == name)) is not None:
        raise ConflictError(f"A vehicle named {name!r} exists already.", field="name", value=name)
    vehicle = Vehicle(
        name=name,
        capacity=capacity,
        depot_id=start.id,
        end_depot_id=None if end.id == start.id else end.id,
        shift_start_s=shift_start_s,
        shift_end_s=shift_end_s,
    )
    session.add(vehicle)
    session.flush()
    return _vehicle_view(vehicle)


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def list_vehicles(session: Session, *, city: str | None = None) -> list[VehicleView]:
    """Vehicles (starting in one city, or all), by id."""
    query = select(Vehicle).order_by(Vehicle.id)
    if city is not None:
        query = query.join(Depot, Depot.id == Vehicle.depot_id).where(Depot.city == city)
    return [_vehicle_view(v) for v in session.scalars(query)]


def remove_vehicle(session: Session, ref: str | int) -> VehicleView:
    """Remove a vehicle (by name or id) and its saved routes.

    Raises
    ------
    InvalidInputError
        No such vehicle.
    """
    row = _row_by_ref(
        session, Vehicle, ref, "vehicle", "a vehicle's name or id (`lingxi fleet vehicle list`)"
    )
    view = _vehicle_view(row)
    session.delete(row)
    session.flush()
    return view


def add_area(
    session: Session,
    *,
    name: str,
    city: str,
    polygon: list[list[float]],
    kind: str = "polygon",
    depot: str | int | None = None,
) -> AreaView:
    """Add a service area of ``city`` (or of one of its depots); the polygon is checked by the
    caller (``lingxi.dispatch.fleet``).

    Raises
    ------
    InvalidInputError
        A bad name, an unknown depot or one of another city.
    ConflictError
        The name is taken.
    """
    name = _name(name, "name", 100)
    depot_id = None
    if depot is not None:
        row = _depot_row(session, depot, "depot")
        if row.city != city:
            raise InvalidInputError.for_field("depot", f"a depot of {city!r}", row.name)
        depot_id = row.id
    if session.scalar(select(ServiceArea.id).where(ServiceArea.name == name)) is not None:
        raise ConflictError(
            f"A service area named {name!r} exists already.", field="name", value=name
        )
    area = ServiceArea(name=name, city=city, depot_id=depot_id, kind=kind, polygon=polygon)
    session.add(area)
    session.flush()
    return _area_view(area)


def list_areas(session: Session, *, city: str | None = None) -> list[AreaView]:
    """Service areas (of one city, or all), by id."""
    query = select(ServiceArea).order_by(ServiceArea.id)
    if city is not None:
        query = query.where(ServiceArea.city == city)
    return [_area_view(a) for a in session.scalars(query)]


def remove_area(session: Session, ref: str | int) -> AreaView:
    """Remove a service area by name or id.

    Raises
    ------
    InvalidInputError
        No such area.
    """
    row = _row_by_ref(
        session, ServiceArea, ref, "area", "a service area's name or id (`lingxi fleet area list`)"
    )
    view = _area_view(row)
    session.delete(row)
    session.flush()
    return view
