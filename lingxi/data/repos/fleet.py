"""Fleet: depots and vehicles, saved plans (Route/RouteStop rows), traffic observations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lingxi.data.models import (
    Depot,
    Route,
    RouteStatus,
    RouteStop,
    Shipment,
    TrackingStatus,
    TrafficObservation,
    Vehicle,
)
from lingxi.errors import InvalidInputError, NotFoundError

__all__ = [
    "DepotView",
    "RouteSpec",
    "RouteView",
    "StopSpec",
    "StopView",
    "TrafficView",
    "VehicleView",
    "add_traffic",
    "current_routes",
    "get_fleet",
    "route_for_shipment",
    "routes_with_open_stops",
    "save_routes",
    "supersede_routes",
    "traffic_overlapping",
]


@dataclass(frozen=True, slots=True)
class DepotView:
    """A depot and its opening hours (seconds after midnight)."""

    id: int
    name: str
    lat: float
    lon: float
    opens_s: int
    closes_s: int
    city: str = "monaco"


@dataclass(frozen=True, slots=True)
class VehicleView:
    """A vehicle with its capacity, shift and last known position."""

    id: int
    depot_id: int
    name: str
    capacity: int
    shift_start_s: int
    shift_end_s: int
    lat: float | None
    lon: float | None
    end_depot_id: int | None = None
    """Where the shift ends; ``None`` = back at ``depot_id``."""

    @property
    def end_depot(self) -> int:
        """The depot the vehicle ends its shift at."""
        return self.depot_id if self.end_depot_id is None else self.end_depot_id


@dataclass(frozen=True, slots=True)
class StopSpec:
    """A stop of a route to save."""

    lat: float
    lon: float
    shipment_id: int | None = None
    planned_arrival: datetime | None = None
    planned_departure: datetime | None = None


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """A vehicle's route to save."""

    vehicle_id: int
    distance_m: int
    duration_s: int
    stops: tuple[StopSpec, ...]
    geometry: list[list[float]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StopView:
    """A saved stop."""

    id: int
    sequence: int
    shipment_id: int | None
    lat: float
    lon: float
    planned_arrival: datetime | None
    planned_departure: datetime | None
    actual_arrival: datetime | None
    status: str


@dataclass(frozen=True, slots=True)
class RouteView:
    """A saved route (the latest version for its vehicle and day)."""

    id: int
    vehicle_id: int
    vehicle_name: str
    plan_date: date
    version: int
    status: str
    distance_m: int
    duration_s: int
    geometry: list[list[float]]
    stops: tuple[StopView, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "vehicle": self.vehicle_name,
            "plan_date": self.plan_date.isoformat(),
            "version": self.version,
            "status": self.status,
            "distance_m": self.distance_m,
            "duration_s": self.duration_s,
            "stops": [
                {
                    "sequence": s.sequence,
                    "shipment_id": s.shipment_id,
                    "lat": s.lat,
                    "lon": s.lon,
                    "eta": s.planned_arrival.isoformat() if s.planned_arrival else None,
                    "status": s.status,
                }
                for s in self.stops
            ],
        }


@dataclass(frozen=True, slots=True)
class TrafficView:
    """A traffic observation."""

    id: int
    kind: str
    area: dict[str, Any]
    speed_factor: float
    starts_at: datetime
    ends_at: datetime
    source: str


def get_fleet(session: Session) -> tuple[list[DepotView], list[VehicleView]]:
    """All depots and vehicles, by id."""
    depots = [
        DepotView(d.id, d.name, d.lat, d.lon, d.opens_s, d.closes_s, d.city)
        for d in session.scalars(select(Depot).order_by(Depot.id))
    ]
    vehicles = [
        VehicleView(
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
        for v in session.scalars(select(Vehicle).order_by(Vehicle.id))
    ]
    return depots, vehicles


def _route_view(route: Route, vehicle_name: str) -> RouteView:
    return RouteView(
        id=route.id,
        vehicle_id=route.vehicle_id,
        vehicle_name=vehicle_name,
        plan_date=route.plan_date,
        version=route.version,
        status=route.status,
        distance_m=route.distance_m,
        duration_s=route.duration_s,
        geometry=list(route.geometry or []),
        stops=tuple(
            StopView(
                s.id,
                s.sequence,
                s.shipment_id,
                s.lat,
                s.lon,
                s.planned_arrival,
                s.planned_departure,
                s.actual_arrival,
                s.status,
            )
            for s in route.stops
        ),
    )


def save_routes(session: Session, *, plan_date: date, routes: list[RouteSpec]) -> list[int]:
    """Save new route versions; earlier live versions of those vehicles that day are superseded.

    Returns the new route ids in the order given.
    """
    ids: list[int] = []
    for spec in routes:
        if session.get(Vehicle, spec.vehicle_id) is None:
            raise NotFoundError(f"No vehicle with id {spec.vehicle_id}.", field="vehicle_id")
        live = session.scalars(
            select(Route).where(
                Route.vehicle_id == spec.vehicle_id,
                Route.plan_date == plan_date,
                Route.status != RouteStatus.SUPERSEDED.value,
            )
        ).all()
        # A route the courier has started stays under way in its new version (a traffic
        # re-plan re-sequences it; it does not send the van back to "planned").
        under_way = any(old.status == RouteStatus.ACTIVE.value for old in live)
        for old in live:
            old.status = RouteStatus.SUPERSEDED.value
        version = (
            session.scalar(
                select(func.max(Route.version)).where(
                    Route.vehicle_id == spec.vehicle_id, Route.plan_date == plan_date
                )
            )
            or 0
        ) + 1
        route = Route(
            vehicle_id=spec.vehicle_id,
            plan_date=plan_date,
            version=version,
            status=RouteStatus.ACTIVE.value if under_way else RouteStatus.PLANNED.value,
            distance_m=spec.distance_m,
            duration_s=spec.duration_s,
            geometry=spec.geometry,
        )
        route.stops = [
            RouteStop(
                sequence=k,
                shipment_id=s.shipment_id,
                lat=s.lat,
                lon=s.lon,
                planned_arrival=s.planned_arrival,
                planned_departure=s.planned_departure,
            )
            for k, s in enumerate(spec.stops, start=1)
        ]
        session.add(route)
        session.flush()
        ids.append(route.id)
    return ids


def current_routes(session: Session, *, plan_date: date) -> list[RouteView]:
    """The live (not superseded) routes of a day, by vehicle."""
    rows = session.execute(
        select(Route, Vehicle.name)
        .join(Vehicle, Vehicle.id == Route.vehicle_id)
        .options(selectinload(Route.stops))
        .where(Route.plan_date == plan_date, Route.status != RouteStatus.SUPERSEDED.value)
        .order_by(Route.vehicle_id, Route.version)
    ).all()
    return [_route_view(r, name) for r, name in rows]


def route_for_shipment(session: Session, *, shipment_id: int) -> tuple[RouteView, StopView] | None:
    """The live route and stop that serve a shipment, latest plan first."""
    row = session.execute(
        select(Route, Vehicle.name, RouteStop.id)
        .join(RouteStop, RouteStop.route_id == Route.id)
        .join(Vehicle, Vehicle.id == Route.vehicle_id)
        .options(selectinload(Route.stops))
        .where(
            RouteStop.shipment_id == shipment_id,
            Route.status != RouteStatus.SUPERSEDED.value,
        )
        .order_by(Route.plan_date.desc(), Route.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    route, name, stop_id = row
    view = _route_view(route, name)
    stop = next(s for s in view.stops if s.id == stop_id)
    return view, stop


def add_traffic(
    session: Session,
    *,
    kind: str,
    area: dict[str, Any],
    speed_factor: float,
    starts_at: datetime,
    ends_at: datetime,
    source: str = "api",
) -> int:
    """Record a traffic report; returns its id."""
    if kind not in ("segment", "zone"):
        raise InvalidInputError.for_field("kind", "one of segment, zone", kind)
    if not 0 < speed_factor <= 10:
        raise InvalidInputError.for_field("speed_factor", "in (0, 10]", speed_factor)
    if ends_at <= starts_at:
        raise InvalidInputError.for_field("ends_at", "after starts_at", ends_at.isoformat())
    obs = TrafficObservation(
        kind=kind,
        area=area,
        speed_factor=speed_factor,
        starts_at=starts_at,
        ends_at=ends_at,
        source=source,
    )
    session.add(obs)
    session.flush()
    return obs.id


def traffic_overlapping(session: Session, *, start: datetime, end: datetime) -> list[TrafficView]:
    """Traffic observations whose span overlaps ``[start, end)``, oldest first."""
    rows = session.scalars(
        select(TrafficObservation)
        .where(TrafficObservation.starts_at < end, TrafficObservation.ends_at > start)
        .order_by(TrafficObservation.id)
    )
    return [
        TrafficView(o.id, o.kind, dict(o.area), o.speed_factor, o.starts_at, o.ends_at, o.source)
        for o in rows
    ]


_OPEN = (
    TrackingStatus.CREATED.value,
    TrackingStatus.PICKED_UP.value,
    TrackingStatus.IN_TRANSIT.value,
    TrackingStatus.OUT_FOR_DELIVERY.value,
)


def routes_with_open_stops(session: Session) -> list[tuple[RouteView, dict[int, str]]]:
    """Every live route that still has a stop to serve, with those shipments' statuses."""
    rows = session.execute(
        select(Route.id, RouteStop.shipment_id, Shipment.status)
        .join(RouteStop, RouteStop.route_id == Route.id)
        .join(Shipment, Shipment.id == RouteStop.shipment_id)
        .where(Route.status != RouteStatus.SUPERSEDED.value, Shipment.status.in_(_OPEN))
    ).all()
    open_by_route: dict[int, dict[int, str]] = {}
    for route_id, shipment_id, status in rows:
        if shipment_id is not None:
            open_by_route.setdefault(route_id, {})[shipment_id] = status
    if not open_by_route:
        return []
    routes = session.execute(
        select(Route, Vehicle.name)
        .join(Vehicle, Vehicle.id == Route.vehicle_id)
        .options(selectinload(Route.stops))
        .where(Route.id.in_(list(open_by_route)))
        .order_by(Route.id)
    ).all()
    return [(_route_view(r, name), open_by_route[r.id]) for r, name in routes]


def supersede_routes(session: Session, *, plan_date: date, vehicle_ids: list[int]) -> None:
    """Supersede the live routes of these vehicles on that day (a new plan left them idle)."""
    if not vehicle_ids:
        return
    for old in session.scalars(
        select(Route).where(
            Route.vehicle_id.in_(vehicle_ids),
            Route.plan_date == plan_date,
            Route.status != RouteStatus.SUPERSEDED.value,
        )
    ):
        old.status = RouteStatus.SUPERSEDED.value
    session.flush()
