"""Couriers: their vehicle, their stops of a day, the positions they report, and closing a stop
(delivered or failed) exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from lingxi.data.models import (
    Address,
    CourierPosition,
    CourierVehicle,
    Customer,
    Order,
    Role,
    Route,
    RouteStatus,
    RouteStop,
    Shipment,
    TrackingStatus,
    Vehicle,
)
from lingxi.data.repos import orders as orders_repo
from lingxi.data.repos.fleet import RouteView, _route_view
from lingxi.errors import ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "OPEN_STATUSES",
    "CourierVehicleView",
    "PositionView",
    "StopDetail",
    "add_position",
    "assign_vehicle",
    "close_stop",
    "courier_by_handle",
    "current_route_ids",
    "latest_position",
    "live_route",
    "next_route_day",
    "shipment_status",
    "start_route",
    "stop_details",
    "vehicle_by_name",
    "vehicle_of",
]

OPEN_STATUSES = (
    TrackingStatus.CREATED.value,
    TrackingStatus.PICKED_UP.value,
    TrackingStatus.IN_TRANSIT.value,
    TrackingStatus.OUT_FOR_DELIVERY.value,
)
"""Shipment statuses a courier can still deliver (or fail)."""


@dataclass(frozen=True, slots=True)
class CourierVehicleView:
    """A courier and the vehicle they drive."""

    customer_id: int
    vehicle_id: int
    vehicle_name: str


@dataclass(frozen=True, slots=True)
class PositionView:
    """A reported position."""

    vehicle_id: int
    lat: float
    lon: float
    accuracy_m: float | None
    recorded_at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class StopDetail:
    """What a courier needs of a stop's shipment: where, for whom, what, its status."""

    shipment_id: int
    kind: str
    status: str
    eta: datetime | None
    recipient: str
    address: str
    tracking_number: str


def assign_vehicle(session: Session, *, customer_id: int, vehicle_name: str) -> CourierVehicleView:
    """Assign a courier to a vehicle (replacing the courier's earlier vehicle).

    Raises
    ------
    InvalidInputError
        The person is not a courier.
    NotFoundError
        No such person or vehicle.
    ConflictError
        Another courier drives that vehicle.
    """
    person = session.get(Customer, customer_id)
    if person is None:
        raise NotFoundError(f"No customer with id {customer_id}.", field="customer_id")
    if person.role != Role.COURIER.value:
        raise InvalidInputError.for_field("role", "'courier' to drive a vehicle", person.role)
    vehicle = session.scalar(select(Vehicle).where(Vehicle.name == vehicle_name))
    if vehicle is None:
        raise NotFoundError(f"No vehicle named {vehicle_name!r}.", field="vehicle")
    holder = session.scalar(select(CourierVehicle).where(CourierVehicle.vehicle_id == vehicle.id))
    if holder is not None and holder.customer_id != customer_id:
        raise ConflictError(
            f"The vehicle {vehicle_name!r} is already assigned to another courier.",
            field="vehicle",
            value=vehicle_name,
        )
    mine = session.scalar(select(CourierVehicle).where(CourierVehicle.customer_id == customer_id))
    if mine is None:
        session.add(CourierVehicle(customer_id=customer_id, vehicle_id=vehicle.id))
    else:
        mine.vehicle_id = vehicle.id
    session.flush()
    return CourierVehicleView(customer_id, vehicle.id, vehicle.name)


def vehicle_of(session: Session, *, customer_id: int) -> CourierVehicleView | None:
    """The vehicle a courier drives, or ``None``."""
    row = session.execute(
        select(CourierVehicle.vehicle_id, Vehicle.name)
        .join(Vehicle, Vehicle.id == CourierVehicle.vehicle_id)
        .where(CourierVehicle.customer_id == customer_id)
    ).first()
    return None if row is None else CourierVehicleView(customer_id, row[0], row[1])


def vehicle_by_name(session: Session, *, name: str) -> CourierVehicleView | None:
    """A vehicle by name with its courier (``customer_id`` 0 when it has none), or ``None``."""
    row = session.execute(
        select(Vehicle.id, Vehicle.name, CourierVehicle.customer_id)
        .outerjoin(CourierVehicle, CourierVehicle.vehicle_id == Vehicle.id)
        .where(Vehicle.name == name)
    ).first()
    return None if row is None else CourierVehicleView(row[2] or 0, row[0], row[1])


def courier_by_handle(session: Session, *, handle: str) -> int | None:
    """The courier whose e-mail, or its part before the ``@``, is ``handle`` (case-insensitive).

    OwnTracks names its user in the topic (``owntracks/<user>/<device>``).
    """
    handle = handle.strip().lower()
    if not handle:
        return None
    rows = session.execute(
        select(Customer.id, Customer.email).where(Customer.role == Role.COURIER.value)
    ).all()
    for cid, email in rows:
        if email == handle or email.split("@", 1)[0] == handle:
            return int(cid)
    return None


def add_position(
    session: Session,
    *,
    vehicle_id: int,
    customer_id: int | None,
    lat: float,
    lon: float,
    accuracy_m: float | None,
    recorded_at: datetime,
    received_at: datetime,
    source: str = "api",
) -> bool:
    """Store a position; the vehicle's last known place follows it unless it is older.

    Returns True when it is the vehicle's newest position (a late, out-of-order fix is kept
    for the record but moves nothing).
    """
    newest = session.scalar(
        select(func.max(CourierPosition.recorded_at)).where(
            CourierPosition.vehicle_id == vehicle_id
        )
    )
    session.add(
        CourierPosition(
            vehicle_id=vehicle_id,
            customer_id=customer_id,
            lat=lat,
            lon=lon,
            accuracy_m=accuracy_m,
            recorded_at=recorded_at,
            received_at=received_at,
            source=source,
        )
    )
    is_newest = newest is None or _aware(newest) <= recorded_at
    if is_newest:
        vehicle = session.get(Vehicle, vehicle_id)
        if vehicle is not None:
            vehicle.lat, vehicle.lon = lat, lon
    session.flush()
    return is_newest


def _aware(value: datetime) -> datetime:
    # func.max() bypasses the column type on SQLite: the value may come back naive (UTC).
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def latest_position(session: Session, *, vehicle_id: int) -> PositionView | None:
    """The vehicle's newest reported position, or ``None``."""
    p = session.scalar(
        select(CourierPosition)
        .where(CourierPosition.vehicle_id == vehicle_id)
        .order_by(CourierPosition.recorded_at.desc(), CourierPosition.id.desc())
        .limit(1)
    )
    if p is None:
        return None
    return PositionView(p.vehicle_id, p.lat, p.lon, p.accuracy_m, p.recorded_at, p.source)


def live_route(session: Session, *, vehicle_id: int, plan_date: date) -> RouteView | None:
    """The vehicle's live (not superseded) route of a day, latest version; ``None`` if none."""
    row = session.execute(
        select(Route, Vehicle.name)
        .join(Vehicle, Vehicle.id == Route.vehicle_id)
        .options(selectinload(Route.stops))
        .where(
            Route.vehicle_id == vehicle_id,
            Route.plan_date == plan_date,
            Route.status != RouteStatus.SUPERSEDED.value,
        )
        .order_by(Route.version.desc())
        .limit(1)
    ).first()
    return None if row is None else _route_view(row[0], row[1])


def next_route_day(session: Session, *, vehicle_id: int, on_or_after: date) -> date | None:
    """The first day from ``on_or_after`` on which the vehicle has a live route with a stop
    still to serve; ``None`` when there is none."""
    found = session.scalar(
        select(func.min(Route.plan_date))
        .join(RouteStop, RouteStop.route_id == Route.id)
        .join(Shipment, Shipment.id == RouteStop.shipment_id)
        .where(
            Route.vehicle_id == vehicle_id,
            Route.plan_date >= on_or_after,
            Route.status != RouteStatus.SUPERSEDED.value,
            Shipment.status.in_(OPEN_STATUSES),
        )
    )
    return found if isinstance(found, date) else None


def stop_details(session: Session, *, shipment_ids: list[int]) -> dict[int, StopDetail]:
    """Recipient, address and status of each shipment (missing ids are left out)."""
    if not shipment_ids:
        return {}
    rows = session.execute(
        select(Shipment, Customer.display_name, Address.line1, Address.city)
        .join(Order, Order.id == Shipment.order_id)
        .join(Customer, Customer.id == Order.customer_id)
        .outerjoin(Address, Address.id == Order.address_id)
        .where(Shipment.id.in_(shipment_ids))
    ).all()
    return {
        s.id: StopDetail(
            s.id,
            s.kind,
            s.status,
            s.eta,
            name,
            ", ".join(p for p in (line1, city) if p),
            s.tracking_number,
        )
        for s, name, line1, city in rows
    }


def current_route_ids(session: Session, *, shipment_ids: list[int]) -> dict[int, int]:
    """The live route now serving each shipment (the latest day's, then the newest): a stop
    left on an older route after a re-plan moved it is not that route's any more."""
    if not shipment_ids:
        return {}
    rows = session.execute(
        select(RouteStop.shipment_id, Route.id, Route.plan_date)
        .join(Route, Route.id == RouteStop.route_id)
        .where(
            RouteStop.shipment_id.in_(shipment_ids),
            Route.status != RouteStatus.SUPERSEDED.value,
        )
    ).all()
    best: dict[int, tuple[date, int]] = {}
    for sid, rid, day in rows:
        if sid is not None and (sid not in best or (day, rid) > best[sid]):
            best[sid] = (day, rid)
    return {sid: rid for sid, (_day, rid) in best.items()}


def start_route(session: Session, *, route_id: int, at: datetime) -> list[int]:
    """Mark a planned route under way, exactly once: its open parcels go out for delivery.

    Returns the shipments that went out (empty when the route was already under way).
    """
    won = session.execute(
        update(Route)
        .where(Route.id == route_id, Route.status == RouteStatus.PLANNED.value)
        .values(status=RouteStatus.ACTIVE.value)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return []
    ids = list(
        session.scalars(
            select(RouteStop.shipment_id)
            .join(Shipment, Shipment.id == RouteStop.shipment_id)
            .where(
                RouteStop.route_id == route_id,
                Shipment.status.in_(OPEN_STATUSES[:-1]),
            )
            .order_by(RouteStop.sequence)
        )
    )
    for sid in ids:
        if sid is not None:
            orders_repo.add_tracking_event(
                session,
                shipment_id=sid,
                status=TrackingStatus.OUT_FOR_DELIVERY,
                place="On the courier's vehicle",
                occurred_at=at,
            )
    return [sid for sid in ids if sid is not None]


def close_stop(
    session: Session,
    *,
    shipment_id: int,
    delivered: bool,
    at: datetime,
    note: str = "",
    place: str = "",
) -> bool:
    """Close a stop exactly once: the shipment delivered (or failed, ``exception``).

    One conditional UPDATE decides: of any number of concurrent taps exactly one sees True and
    appends the tracking event; the others see False and change nothing.
    """
    status = TrackingStatus.DELIVERED if delivered else TrackingStatus.EXCEPTION
    won = session.execute(
        update(Shipment)
        .where(Shipment.id == shipment_id, Shipment.status.in_(OPEN_STATUSES))
        .values(status=status.value)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return False
    shipment = session.get(Shipment, shipment_id)
    if shipment is not None:
        session.refresh(shipment)
    orders_repo.add_tracking_event(
        session, shipment_id=shipment_id, status=status, place=place, note=note, occurred_at=at
    )
    session.execute(
        update(RouteStop)
        .where(
            RouteStop.shipment_id == shipment_id,
            RouteStop.route_id.in_(
                select(Route.id).where(Route.status != RouteStatus.SUPERSEDED.value)
            ),
        )
        .values(
            status="delivered" if delivered else "failed",
            actual_arrival=at,
            actual_departure=at,
        )
        .execution_options(synchronize_session=False)
    )
    return True


def shipment_status(session: Session, *, shipment_id: int) -> str | None:
    """A shipment's status, or ``None`` when there is no such shipment."""
    found = session.scalar(select(Shipment.status).where(Shipment.id == shipment_id))
    return None if found is None else str(found)
