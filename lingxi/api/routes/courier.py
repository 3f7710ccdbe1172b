"""`/api/courier`: a courier's day (stops in order, with navigation links), closing a stop
delivered or failed exactly once, and the device's position, which re-computes the ETAs of the
route's remaining stops. Couriers only (``policy.Act.COURIER``): customers and staff get 403."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from lingxi.api.deps import CurrentMember, DatabaseDep, SettingsDep
from lingxi.api.schemas_courier import (
    CourierDayPublic,
    CourierPositionPublic,
    CourierStopPublic,
    DeliveredRequest,
    EtaPublic,
    FailedRequest,
    NavigationPublic,
    PositionRequest,
    PositionResultPublic,
    StartedPublic,
    StopResultPublic,
)
from lingxi.api.services import ClockDep
from lingxi.commerce import Member
from lingxi.dispatch import city_network_path, courier, load_network
from lingxi.errors import ConflictError
from lingxi.policy import Act, check

__all__ = ["router"]

router = APIRouter(prefix="/api/courier", tags=["courier"])

ShipmentIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Shipment id")]


def courier_member(member: CurrentMember) -> Member:
    """The signed-in member, when the policy lets their role serve a route (couriers)."""
    check(Act.COURIER, member.role)
    return member


Courier = Annotated[Member, Depends(courier_member)]


def _day(day: courier.CourierDay) -> CourierDayPublic:
    p = day.position
    return CourierDayPublic(
        vehicle=day.vehicle,
        day=day.day,
        route_id=day.route_id,
        route_status=day.route_status,
        stops=[
            CourierStopPublic(
                sequence=s.sequence,
                shipment_id=s.shipment_id,
                kind="return" if s.kind == "return" else "delivery",
                status=s.status,
                lat=s.lat,
                lon=s.lon,
                recipient=s.recipient,
                address=s.address,
                tracking_number=s.tracking_number,
                planned_arrival=s.planned_arrival,
                eta=s.eta,
                navigation=NavigationPublic(**s.navigation()),
            )
            for s in day.stops
        ],
        position=None
        if p is None
        else CourierPositionPublic(
            lat=p.lat,
            lon=p.lon,
            accuracy_m=p.accuracy_m,
            recorded_at=p.recorded_at,
            source=p.source,
        ),
    )


@router.get("/stops")
def stops(member: Courier, db: DatabaseDep, clock: ClockDep) -> CourierDayPublic:
    """Today's stops of the courier's vehicle in route order (or the next planned day's)."""
    return _day(courier.courier_day(db, member.customer_id, today=clock().date()))


@router.post("/start")
def start(member: Courier, db: DatabaseDep, clock: ClockDep) -> StartedPublic:
    """Set out on the route, once: its parcels go out for delivery."""
    now = clock()
    return StartedPublic(
        started=courier.start_day(db, member.customer_id, today=now.date(), now=now)
    )


def _closed(result: courier.StopResult, wanted: str) -> StopResultPublic:
    if not result.closed_now and result.status != wanted:
        raise ConflictError(
            f"Shipment {result.shipment_id} is already {result.status}; it cannot also be "
            f"{wanted}.",
            field="status",
            value=result.status,
        )
    return StopResultPublic(
        shipment_id=result.shipment_id,
        status=result.status,
        closed_now=result.closed_now,
        started=result.started,
    )


@router.post("/stops/{shipment_id}/delivered")
def delivered(
    shipment_id: ShipmentIdPath,
    member: Courier,
    db: DatabaseDep,
    clock: ClockDep,
    body: DeliveredRequest | None = None,
) -> StopResultPublic:
    """Mark the stop delivered, exactly once (a repeat answers ``closed_now: false``)."""
    result = courier.close_stop(
        db,
        member.customer_id,
        shipment_id,
        delivered=True,
        now=clock(),
        note=body.note if body else "",
    )
    return _closed(result, "delivered")


@router.post("/stops/{shipment_id}/failed")
def failed(
    shipment_id: ShipmentIdPath,
    body: FailedRequest,
    member: Courier,
    db: DatabaseDep,
    clock: ClockDep,
) -> StopResultPublic:
    """Mark the delivery failed with a reason, exactly once."""
    result = courier.close_stop(
        db,
        member.customer_id,
        shipment_id,
        delivered=False,
        now=clock(),
        reason=body.reason,
        note=body.note,
    )
    return _closed(result, "exception")


@router.post("/position")
def position(
    body: PositionRequest,
    member: Courier,
    db: DatabaseDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> PositionResultPublic:
    """The device's position; the ETAs of the route's remaining stops are re-computed from it.

    Refused: a vehicle that is not the courier's (403); far outside the city, or a time more
    than 12 hours old or in the future (422, naming the field and value).
    """
    result = courier.record_position(
        db,
        member.customer_id,
        courier.PositionReport(
            lat=float(body.lat),
            lon=float(body.lon),
            recorded_at=body.recorded_at,
            accuracy_m=None if body.accuracy is None else float(body.accuracy),
            vehicle=body.vehicle,
        ),
        now=clock(),
        network=load_network(city_network_path(settings)),  # the active city's roads
    )
    return PositionResultPublic(
        vehicle=result.vehicle,
        newest=result.newest,
        etas=[EtaPublic(shipment_id=s, eta=e) for s, e in result.etas],
    )
