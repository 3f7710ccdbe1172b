"""The courier's side of dispatch: today's stops, closing a stop exactly once, positions, and
ETAs re-computed from where the courier really is.

A position (from the courier web view or OwnTracks over MQTT) replaces the plan's
interpolation: the remaining stops of the courier's route are re-timed from it with the city's
travel times (travel to the next stop, the time at the door, onwards), and each shipment's ETA
follows. Customers see the courier's position only while their own parcel is near
(:func:`customer_position_allowed`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from lingxi.data import Database
from lingxi.data.models import TrackingStatus
from lingxi.data.repos import courier as courier_repo, orders as orders_repo
from lingxi.data.repos.courier import OPEN_STATUSES, PositionView
from lingxi.data.repos.fleet import RouteView, StopView
from lingxi.dispatch.city import SERVICE_S, load_network
from lingxi.dispatch.roadnet import RoadNetwork
from lingxi.dispatch.routemap import planned_position
from lingxi.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError

__all__ = [
    "FAILURE_REASONS",
    "NEAR_MINUTES",
    "NEAR_STOPS",
    "CourierDay",
    "CourierStop",
    "PositionReport",
    "PositionResult",
    "StopResult",
    "check_in_city",
    "close_stop",
    "courier_day",
    "customer_position_allowed",
    "eta_state",
    "live_etas",
    "record_position",
    "shipment_live_view",
    "start_day",
]

logger = logging.getLogger(__name__)

FAILURE_REASONS = ("not_home", "refused", "address_not_found", "no_access", "damaged", "other")
"""Why a delivery failed (the courier picks one; ``other`` wants a note)."""
NEAR_STOPS = 2
"""A customer sees the courier while their parcel is at most this many stops away (1: next)."""
NEAR_MINUTES = 10.0
"""... or while its ETA is at most this many minutes away."""
FRESH_S = 600.0
"""A position older than this is no longer live (the plan's place is used again)."""
CITY_MARGIN_M = 5_000.0
"""Positions more than this outside the road network's bounding box are refused."""
MAX_AGE = timedelta(hours=12)
"""A fix older than this (by ``recorded_at``) is refused: it says nothing about now."""
MAX_AHEAD = timedelta(minutes=5)
"""Device clocks run a little fast; a fix further in the future is refused."""
ETA_EVENT_S = 300.0
"""A re-estimate that moves an ETA by more than this becomes a tracking event."""
MAX_NOTE_CHARS = 300


@dataclass(frozen=True, slots=True)
class CourierStop:
    """One stop of a courier's day."""

    sequence: int
    shipment_id: int
    kind: str
    status: str
    """The shipment's tracking status (``delivered``, ``exception`` once closed)."""
    lat: float
    lon: float
    recipient: str
    address: str
    tracking_number: str
    planned_arrival: datetime | None
    eta: datetime | None

    @property
    def is_open(self) -> bool:
        """True while the stop is still to be served."""
        return self.status in OPEN_STATUSES

    def navigation(self) -> dict[str, str]:
        """Links that open the stop in the device's map app, or OpenStreetMap's directions."""
        to = f"{self.lat:.6f},{self.lon:.6f}"
        return {
            "geo": f"geo:{to}?q={to}",
            "osm": "https://www.openstreetmap.org/directions?"
            + urlencode({"engine": "fossgis_osrm_car", "route": f";{self.lat:.6f},{self.lon:.6f}"}),
        }


@dataclass(frozen=True, slots=True)
class CourierDay:
    """A courier's vehicle, route and stops of one day (in route order)."""

    vehicle: str
    day: date
    route_id: int | None
    route_status: str | None
    stops: tuple[CourierStop, ...] = ()
    position: PositionView | None = None


@dataclass(frozen=True, slots=True)
class PositionReport:
    """A position from a courier's device."""

    lat: float
    lon: float
    recorded_at: datetime
    accuracy_m: float | None = None
    vehicle: str | None = None
    """The vehicle the device says it is in (OwnTracks' device name); must be the courier's."""
    source: Literal["api", "owntracks"] = "api"


@dataclass(frozen=True, slots=True)
class PositionResult:
    """What a position changed."""

    vehicle: str
    newest: bool
    """False for a late, out-of-order fix (stored, but nothing re-estimated)."""
    etas: tuple[tuple[int, datetime], ...] = ()
    """Shipment id and its re-computed ETA, for the route's remaining stops in order."""


@dataclass(frozen=True, slots=True)
class StopResult:
    """A closed stop."""

    shipment_id: int
    status: str
    closed_now: bool
    """True for the tap that closed it; False when it was already closed (nothing appended)."""
    started: list[int] = field(default_factory=list)
    """Shipments that went out for delivery because this started the route."""


def _vehicle(db: Database, customer_id: int) -> courier_repo.CourierVehicleView:
    with db.session() as s:
        found = courier_repo.vehicle_of(s, customer_id=customer_id)
    if found is None:
        raise ConflictError(
            "No vehicle is assigned to this courier; an operator assigns one with "
            "`lingxi user add EMAIL --role courier --vehicle NAME`.",
            field="vehicle",
        )
    return found


def _route_day(db: Database, vehicle_id: int, today: date) -> tuple[date, RouteView | None]:
    """Today's route; or, when today has no stop left to serve, the next planned day's."""
    with db.session() as s:
        later = courier_repo.next_route_day(s, vehicle_id=vehicle_id, on_or_after=today)
        day = today if later is None else later
        return day, courier_repo.live_route(s, vehicle_id=vehicle_id, plan_date=day)


def courier_day(db: Database, customer_id: int, *, today: date) -> CourierDay:
    """The courier's stops of ``today`` in route order (or of the next day planned for them).

    Raises
    ------
    ConflictError
        No vehicle is assigned to the courier.
    """
    vehicle = _vehicle(db, customer_id)
    day, route = _route_day(db, vehicle.vehicle_id, today)
    with db.session() as s:
        position = courier_repo.latest_position(s, vehicle_id=vehicle.vehicle_id)
        ids = [st.shipment_id for st in route.stops if st.shipment_id] if route else []
        details = courier_repo.stop_details(s, shipment_ids=ids)
        serving = courier_repo.current_route_ids(s, shipment_ids=ids)
    if route is None:
        return CourierDay(vehicle.vehicle_name, day, None, None, (), position)
    stops = tuple(
        CourierStop(
            st.sequence,
            d.shipment_id,
            d.kind,
            d.status,
            st.lat,
            st.lon,
            d.recipient,
            d.address,
            d.tracking_number,
            st.planned_arrival,
            d.eta,
        )
        for st in route.stops
        if st.shipment_id is not None
        and serving.get(st.shipment_id) == route.id
        and (d := details.get(st.shipment_id)) is not None
    )
    return CourierDay(vehicle.vehicle_name, day, route.id, route.status, stops, position)


def close_stop(
    db: Database,
    customer_id: int,
    shipment_id: int,
    *,
    delivered: bool,
    now: datetime,
    reason: str | None = None,
    note: str = "",
) -> StopResult:
    """Mark one of the courier's stops delivered or failed, exactly once.

    The first tap closes it and appends one tracking event; a repeat (a double tap, a retry,
    a concurrent request) changes nothing and says so (``closed_now`` False). Closing the first
    stop of a planned route starts the route (its parcels go out for delivery).

    Raises
    ------
    ForbiddenError
        The shipment is not on the courier's route (another courier's stop, or nobody's).
    InvalidInputError
        A failure without a known reason, or ``other`` without a note.
    """
    if not delivered:
        if reason not in FAILURE_REASONS:
            raise InvalidInputError.for_field(
                "reason", f"one of {', '.join(FAILURE_REASONS)}", reason
            )
        if reason == "other" and not note.strip():
            raise InvalidInputError.for_field(
                "note", "a few words when the reason is 'other'", note
            )
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInputError.for_field("note", f"at most {MAX_NOTE_CHARS} characters", note)
    route = _own_route_of(db, customer_id, shipment_id)
    started: list[int] = []
    with db.session() as s:
        if route.status == "planned":
            started = courier_repo.start_route(s, route_id=route.id, at=now)
        text = "" if delivered else f"{reason}" + (f": {note.strip()}" if note.strip() else "")
        closed = courier_repo.close_stop(
            s,
            shipment_id=shipment_id,
            delivered=delivered,
            at=now,
            note=text if not delivered else note.strip(),
            place="Front door" if delivered else "At the door",
        )
        status = courier_repo.shipment_status(s, shipment_id=shipment_id) or ""
    return StopResult(shipment_id, status, closed, started)


def start_day(db: Database, customer_id: int, *, today: date, now: datetime) -> list[int]:
    """Set out on the day's route, exactly once: its parcels go out for delivery."""
    day = courier_day(db, customer_id, today=today)
    if day.route_id is None:
        raise NotFoundError("There is no planned route for this courier.", field="route")
    with db.session() as s:
        return courier_repo.start_route(s, route_id=day.route_id, at=now)


def _own_route_of(db: Database, customer_id: int, shipment_id: int) -> RouteView:
    vehicle = _vehicle(db, customer_id)
    from lingxi.data.repos import fleet as fleet_repo

    with db.session() as s:
        found = fleet_repo.route_for_shipment(s, shipment_id=shipment_id)
    if found is None or found[0].vehicle_id != vehicle.vehicle_id:
        raise ForbiddenError(
            f"Shipment {shipment_id} is not a stop of your route ({vehicle.vehicle_name}).",
            field="shipment_id",
            value=shipment_id,
        )
    return found[0]


def _outside_m(network: RoadNetwork, lat: float, lon: float) -> tuple[str, float]:
    """Which coordinate is outside the network's box, and by how many metres (0 inside)."""
    lo_lat, lo_lon, hi_lat, hi_lon = network.bbox
    dlat = max(lo_lat - lat, 0.0, lat - hi_lat) * 111_195.0
    dlon = max(lo_lon - lon, 0.0, lon - hi_lon) * 111_195.0 * math.cos(math.radians(lat))
    return ("lat", dlat) if dlat >= dlon else ("lon", dlon)


def check_in_city(network: RoadNetwork, lat: float, lon: float) -> None:
    """Refuse a position far outside the city (:data:`CITY_MARGIN_M` beyond its roads' box)."""
    which, off = _outside_m(network, lat, lon)
    if off > CITY_MARGIN_M:
        lo_lat, lo_lon, hi_lat, hi_lon = network.bbox
        rule = (
            f"within {CITY_MARGIN_M / 1000:.0f} km of the city "
            f"(lat {lo_lat:.4f}..{hi_lat:.4f}, lon {lo_lon:.4f}..{hi_lon:.4f})"
        )
        raise InvalidInputError.for_field(which, rule, lat if which == "lat" else lon)


def live_etas(
    network: RoadNetwork,
    start: tuple[float, float],
    at: datetime,
    stops: list[tuple[float, float]],
    *,
    service_s: float = SERVICE_S,
) -> list[datetime | None]:
    """Arrival at each stop in order, leaving ``start`` (lat, lon) at ``at``.

    Travel to the next stop, ``service_s`` at the door, then onwards, on the city's fastest
    paths (free-flow times, the plan's own). ``None`` for a stop the roads do not reach.
    """
    if not stops:
        return []
    nodes, _ = network.snap([start, *stops])
    mats = network.matrices(nodes)
    out: list[datetime | None] = []
    t = 0.0
    for k in range(1, len(stops) + 1):
        leg = float(mats.time_s[k - 1, k])
        if not math.isfinite(leg):
            out.append(None)
            continue
        t += leg
        out.append(at + timedelta(seconds=round(t)))
        t += service_s
    return out


def record_position(
    db: Database,
    customer_id: int,
    report: PositionReport,
    *,
    now: datetime,
    network: RoadNetwork | None = None,
) -> PositionResult:
    """Store a courier's position and re-compute the ETAs of the route's remaining stops.

    Raises
    ------
    ForbiddenError
        ``report.vehicle`` names a vehicle that is not the courier's.
    InvalidInputError
        Far outside the city; a time without a zone, older than :data:`MAX_AGE` or ahead of
        ``now`` by more than :data:`MAX_AHEAD`.
    ConflictError
        No vehicle is assigned to the courier.
    """
    network = network or load_network()
    vehicle = _vehicle(db, customer_id)
    if report.vehicle is not None and report.vehicle != vehicle.vehicle_name:
        raise ForbiddenError(
            f"The position names the vehicle {report.vehicle!r}; you drive "
            f"{vehicle.vehicle_name!r}.",
            field="vehicle",
            value=report.vehicle,
        )
    at = report.recorded_at
    if at.tzinfo is None:
        raise InvalidInputError.for_field(
            "recorded_at", "a time with a zone offset", at.isoformat()
        )
    if at > now + MAX_AHEAD or at < now - MAX_AGE:
        raise InvalidInputError.for_field(
            "recorded_at", "within the last 12 hours (and not in the future)", at.isoformat()
        )
    check_in_city(network, report.lat, report.lon)
    with db.session() as s:
        newest = courier_repo.add_position(
            s,
            vehicle_id=vehicle.vehicle_id,
            customer_id=customer_id,
            lat=report.lat,
            lon=report.lon,
            accuracy_m=report.accuracy_m,
            recorded_at=at.astimezone(UTC),
            received_at=now,
            source=report.source,
        )
    if not newest:
        return PositionResult(vehicle.vehicle_name, False)
    day = courier_day(db, customer_id, today=at.astimezone(UTC).date())
    remaining = [st for st in day.stops if st.is_open]
    if day.route_status != "active" or not remaining:
        return PositionResult(vehicle.vehicle_name, True)
    etas = live_etas(network, (report.lat, report.lon), at, [(st.lat, st.lon) for st in remaining])
    changed: list[tuple[int, datetime]] = []
    with db.session() as s:
        for st, eta in zip(remaining, etas, strict=True):
            if eta is None:
                continue
            old = st.eta
            if old is not None and abs((eta - old).total_seconds()) > ETA_EVENT_S:
                orders_repo.add_tracking_event(
                    s,
                    shipment_id=st.shipment_id,
                    status=st.status,
                    note="ETA re-estimated from the courier's position",
                    eta=eta,
                    occurred_at=now,
                )
            else:
                orders_repo.set_shipment_eta(s, shipment_id=st.shipment_id, eta=eta, at=now)
            changed.append((st.shipment_id, eta))
    return PositionResult(vehicle.vehicle_name, True, tuple(changed))


# -- what a customer sees ------------------------------------------------------------------------


def eta_state(status: str, eta: datetime | None, now: datetime) -> str:
    """``delivered``, ``failed``, ``unknown`` (no ETA), ``late`` (the ETA has passed and the
    parcel has not arrived: it is being re-estimated) or ``upcoming``."""
    if status == TrackingStatus.DELIVERED.value:
        return "delivered"
    if status == TrackingStatus.EXCEPTION.value:
        return "failed"
    if eta is None:
        return "unknown"
    return "late" if eta < now else "upcoming"


def customer_position_allowed(stops_away: int | None, minutes_away: float | None) -> bool:
    """True while the customer's parcel is near: the next stop or within :data:`NEAR_STOPS`
    stops, or its ETA within :data:`NEAR_MINUTES` minutes."""
    if stops_away is not None and 0 <= stops_away < NEAR_STOPS:
        return True
    return minutes_away is not None and minutes_away <= NEAR_MINUTES


def _stops_away(route: RouteView, stop: StopView, open_ids: set[int]) -> int:
    """Open stops of the route before this one (0: it is the next stop)."""
    return sum(
        1
        for st in route.stops
        if st.sequence < stop.sequence and st.shipment_id is not None and st.shipment_id in open_ids
    )


def shipment_live_view(
    db: Database,
    view: orders_repo.ShipmentView,
    found: tuple[RouteView, StopView] | None,
    now: datetime,
) -> dict[str, Any]:
    """A shipment's ETA, its state, where it sits on its route, and (only while it is near)
    where the courier is: the courier's reported position while it is fresh, else the plan's."""
    state = eta_state(view.status, view.eta, now)
    out: dict[str, Any] = {
        "shipment_id": view.id,
        "status": view.status,
        "eta": view.eta.isoformat() if view.eta else None,
        "eta_state": state,
        "eta_source": "plan",
        "route": None,
        "vehicle_position": None,
        "position_hidden": None,
    }
    if found is None:
        return out
    route, stop = found
    ids = [st.shipment_id for st in route.stops if st.shipment_id is not None]
    with db.session() as s:
        details = courier_repo.stop_details(s, shipment_ids=ids)
        position = courier_repo.latest_position(s, vehicle_id=route.vehicle_id)
    open_ids = {sid for sid, d in details.items() if d.status in OPEN_STATUSES}
    away = _stops_away(route, stop, open_ids)
    out["route"] = {
        "route_id": route.id,
        "vehicle": route.vehicle_name,
        "sequence": stop.sequence,
        "stops_before": stop.sequence - 1,
        "stops_away": away,
        "planned_arrival": stop.planned_arrival.isoformat() if stop.planned_arrival else None,
    }
    if view.status not in OPEN_STATUSES:
        return out
    live = (
        position is not None
        and route.status == "active"
        and (now - position.recorded_at).total_seconds() <= FRESH_S
    )
    if live:
        out["eta_source"] = "position"
    minutes = (view.eta - now) / timedelta(minutes=1) if view.eta else None
    if not customer_position_allowed(away, minutes):
        out["position_hidden"] = "not_near"
        return out
    if live and position is not None:
        out["vehicle_position"] = {
            "lat": position.lat,
            "lon": position.lon,
            "at": position.recorded_at.isoformat(),
            "source": "courier",
            "accuracy_m": position.accuracy_m,
        }
    else:
        out["vehicle_position"] = planned_position(route, now)
    return out
