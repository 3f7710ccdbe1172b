"""`/api/orders`: the household's orders, shipments (deliveries and return pickups) and tracking
events. Every rule is :mod:`lingxi.commerce`'s; these routes parse, call it and map."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, StrictInt

from lingxi import commerce
from lingxi.api.deps import CurrentMember, DatabaseDep, SettingsDep
from lingxi.api.services import DeliveryPlannerDep
from lingxi.commerce import MAX_LINES, MAX_QUANTITY, MAX_REASON_CHARS
from lingxi.config import Settings

__all__ = ["router"]

router = APIRouter(prefix="/api/orders", tags=["orders"])

OrderIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Order id")]
Id = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
Quantity = Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)]


class LineCreate(BaseModel):
    """A product and a quantity."""

    product_id: Id
    quantity: Quantity = 1


class OrderCreate(BaseModel):
    """A new order for the signed-in member; it stays pending until confirmed."""

    lines: Annotated[list[LineCreate], Field(min_length=1, max_length=MAX_LINES)]
    address_id: Id | None = None


class ReturnLineRequest(BaseModel):
    """An order line (its ``id`` in the order view) and how many units to send back."""

    line_id: Id
    quantity: Quantity | None = None
    """``null``: every unit of the line not yet in a return."""


class ReturnCreate(BaseModel):
    """A return of some or all of a delivered order's items; ``items`` null means all."""

    items: Annotated[list[ReturnLineRequest], Field(min_length=1, max_length=MAX_LINES)] | None = (
        None
    )
    reason: Annotated[str, Field(max_length=MAX_REASON_CHARS)] = ""


class TrackingEventPublic(BaseModel):
    """One tracking event of a shipment."""

    status: str
    occurred_at: str
    place: str
    lat: float | None
    lon: float | None
    note: str
    eta: str | None


class PointPublic(BaseModel):
    """A place on the map (null when the address has no coordinates)."""

    lat: float | None
    lon: float | None


class ReturnedLinePublic(BaseModel):
    """One line of a return pickup."""

    line_id: int
    sku: str
    name: str
    quantity: int
    refund_minor: int


class WindowPublic(BaseModel):
    """A delivery window: service starts between ``start`` and ``end``."""

    start: str
    end: str


class ShipmentPublic(BaseModel):
    """A delivery or a return pickup with its tracking history."""

    id: int
    order_id: int
    kind: str
    """``delivery`` or ``return``."""
    carrier: str
    tracking_number: str
    status: str
    eta: str | None
    eta_updated_at: str | None = None
    """When ``eta`` was last set (a plan, a re-plan, a courier's position); null: never."""
    destination: PointPublic
    events: list[TrackingEventPublic]
    pickup: PointPublic | None = None
    reason: str | None = None
    refund_minor: int | None = None
    refund: float | None = None
    lines: list[ReturnedLinePublic] | None = None
    window: WindowPublic | None = None
    """The delivery window asked for (orders taken in from a shop); null: any time."""


class OrderLinePublic(BaseModel):
    """A line of an order, with its price at purchase time."""

    id: int
    product_id: int | None
    sku: str
    name: str
    unit_price: float
    unit_price_minor: int
    quantity: int
    returned_quantity: int
    returnable_quantity: int


class OrderPublic(BaseModel):
    """An order with its lines and shipments."""

    id: int
    customer_id: int
    status: str
    total: float
    total_minor: int
    currency: str
    created_at: str
    lines: list[OrderLinePublic]
    shipments: list[ShipmentPublic]
    delivered_at: str | None
    return_until: str | None
    returnable: bool


class TrackedOrderPublic(OrderPublic):
    """An order as the orders routes answer it: with how old an ETA may get before it is shown
    as stale."""

    eta_stale_after_s: int
    """A parcel on its way whose ETA was last updated longer ago than this is shown as stale
    (``LINGXI_DISPATCH__ETA_STALE_AFTER_S``)."""


class PlannedOrderPublic(TrackedOrderPublic):
    """An order just confirmed (or a return just booked) and the ETA its new plan gave."""

    eta: str | None
    """The new shipment's ETA (null: not planned yet, e.g. no fleet loaded)."""


class OrdersPublic(BaseModel):
    """The household's orders, newest first."""

    data: list[TrackedOrderPublic]
    count: int


def _public(order: commerce.OrderView, settings: Settings) -> TrackedOrderPublic:
    stale = settings.dispatch.eta_stale_after_s
    return TrackedOrderPublic.model_validate({**order.to_dict(), "eta_stale_after_s": stale})


def _planned(
    order: commerce.OrderView, eta: datetime | None, settings: Settings
) -> PlannedOrderPublic:
    return PlannedOrderPublic.model_validate(
        {
            **order.to_dict(),
            "eta": eta.isoformat() if eta else None,
            "eta_stale_after_s": settings.dispatch.eta_stale_after_s,
        }
    )


@router.get("")
def list_orders(member: CurrentMember, db: DatabaseDep, settings: SettingsDep) -> OrdersPublic:
    """The household's orders, newest first."""
    data = [_public(o, settings) for o in commerce.list_orders(db, member)]
    return OrdersPublic(data=data, count=len(data))


@router.post("", status_code=201)
def create_order(
    body: OrderCreate, member: CurrentMember, db: DatabaseDep, settings: SettingsDep
) -> TrackedOrderPublic:
    """Create a pending order (prices are snapshotted now); a child's account gets 403."""
    order = commerce.create_order(
        db,
        member,
        [commerce.LineRequest(line.product_id, line.quantity) for line in body.lines],
        address_id=body.address_id,
    )
    return _public(order, settings)


@router.get("/{order_id}")
def get_order(
    order_id: OrderIdPath, member: CurrentMember, db: DatabaseDep, settings: SettingsDep
) -> TrackedOrderPublic:
    """One order with its lines, shipments and tracking events."""
    return _public(commerce.get_order(db, member, order_id), settings)


@router.post("/{order_id}/confirm")
def confirm_order(
    order_id: OrderIdPath,
    member: CurrentMember,
    db: DatabaseDep,
    planner: DeliveryPlannerDep,
    settings: SettingsDep,
) -> PlannedOrderPublic:
    """Confirm (pay for) a pending order exactly once: its shipment, then its delivery plan.

    A second confirm (or one racing a cancel that won) answers 409 and creates nothing.
    """
    placed = commerce.confirm_order(db, member, order_id, planner=planner)
    return _planned(placed.order, placed.eta, settings)


@router.post("/{order_id}/cancel")
def cancel_order(
    order_id: OrderIdPath, member: CurrentMember, db: DatabaseDep, settings: SettingsDep
) -> TrackedOrderPublic:
    """Cancel an order that has not left the depot; its shipments are voided."""
    return _public(commerce.cancel_order(db, member, order_id), settings)


@router.post("/{order_id}/return", status_code=201)
def request_return(
    order_id: OrderIdPath,
    body: ReturnCreate,
    member: CurrentMember,
    db: DatabaseDep,
    planner: DeliveryPlannerDep,
    settings: SettingsDep,
) -> PlannedOrderPublic:
    """Request a return within 30 days of delivery: a pickup at the order's address.

    Returns the order, whose ``shipments`` now include the ``kind: "return"`` pickup (with its
    tracking number, refund and lines) and whose status is ``return_requested``.
    """
    booked = commerce.request_return(
        db,
        member,
        order_id,
        None
        if body.items is None
        else [commerce.ReturnItem(i.line_id, i.quantity) for i in body.items],
        reason=body.reason,
        planner=planner,
    )
    return _planned(booked.order, booked.eta, settings)
