"""Read models of orders: the views repositories return (lines, shipments, tracking events)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lingxi.data.models import (
    Address,
    Order,
    OrderStatus,
    Shipment,
    ShipmentKind,
    TrackingStatus,
)

__all__ = ["RETURN_WINDOW_DAYS", "OrderView", "ShipmentView", "TrackingView"]

RETURN_WINDOW_DAYS = 30
"""Days after delivery during which items can be sent back."""
_RETURNABLE_STATUSES = (OrderStatus.DELIVERED.value, OrderStatus.RETURN_REQUESTED.value)


@dataclass(frozen=True, slots=True)
class TrackingView:
    """One tracking event."""

    status: str
    occurred_at: datetime
    place: str
    lat: float | None
    lon: float | None
    note: str
    eta: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "status": self.status,
            "occurred_at": self.occurred_at.isoformat(),
            "place": self.place,
            "lat": self.lat,
            "lon": self.lon,
            "note": self.note,
            "eta": self.eta.isoformat() if self.eta else None,
        }


@dataclass(frozen=True, slots=True)
class ShipmentView:
    """A shipment with its tracking history."""

    id: int
    order_id: int
    household_id: int
    carrier: str
    tracking_number: str
    status: str
    eta: datetime | None
    demand: int
    lat: float | None
    lon: float | None
    events: tuple[TrackingView, ...] = ()
    kind: str = ShipmentKind.DELIVERY.value
    """``delivery`` (depot to address) or ``return`` (pickup at the address, back to the depot)."""
    reason: str = ""
    refund_minor: int | None = None
    return_lines: tuple[dict[str, Any], ...] = ()
    """For a return: ``{"line_id", "sku", "name", "quantity", "refund_minor"}`` per line."""
    window_start: datetime | None = None
    """The delivery window the customer asked for (orders taken in from a shop); None: any."""
    window_end: datetime | None = None
    eta_updated_at: datetime | None = None
    """When ``eta`` was last set (a plan, a re-plan, a tracking event); None: never."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        doc: dict[str, Any] = {
            "id": self.id,
            "order_id": self.order_id,
            "kind": self.kind,
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "status": self.status,
            "eta": self.eta.isoformat() if self.eta else None,
            "eta_updated_at": self.eta_updated_at.isoformat() if self.eta_updated_at else None,
            "destination": {"lat": self.lat, "lon": self.lon},
            "events": [e.to_dict() for e in self.events],
            "window": (
                {"start": self.window_start.isoformat(), "end": self.window_end.isoformat()}
                if self.window_start and self.window_end
                else None
            ),
        }
        if self.kind == ShipmentKind.RETURN.value:
            # A pickup: the courier's stop is still the order's address (``destination`` keeps
            # meaning "where the stop is" for every shipment); ``pickup`` says what happens there.
            doc["pickup"] = dict(doc["destination"])
            doc["reason"] = self.reason
            doc["refund_minor"] = self.refund_minor
            doc["refund"] = (self.refund_minor or 0) / 100
            doc["lines"] = list(self.return_lines)
        return doc


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order with its lines and shipments."""

    id: int
    household_id: int
    customer_id: int
    status: str
    total_minor: int
    currency: str
    created_at: datetime
    lines: tuple[dict[str, Any], ...] = ()
    shipments: tuple[ShipmentView, ...] = field(default=())
    delivered_at: datetime | None = None
    """When the delivery reached the customer (the first ``delivered`` tracking event)."""
    return_until: datetime | None = None
    """The end of the return window (``delivered_at`` + :data:`RETURN_WINDOW_DAYS`)."""
    address_id: int | None = None
    """Where the parcel goes (and a return is picked up)."""

    @property
    def deliveries(self) -> tuple[ShipmentView, ...]:
        """The delivery shipments (not the return pickups)."""
        return tuple(s for s in self.shipments if s.kind == ShipmentKind.DELIVERY.value)

    @property
    def returns(self) -> tuple[ShipmentView, ...]:
        """The return pickups, oldest first."""
        return tuple(s for s in self.shipments if s.kind == ShipmentKind.RETURN.value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "status": self.status,
            "total": self.total_minor / 100,
            "total_minor": self.total_minor,
            "currency": self.currency,
            "created_at": self.created_at.isoformat(),
            "lines": list(self.lines),
            "shipments": [s.to_dict() for s in self.shipments],
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "return_until": self.return_until.isoformat() if self.return_until else None,
            "returnable": any(line["returnable_quantity"] for line in self.lines),
        }


def _shipment_view(s: Shipment, order: Order, address: Address | None) -> ShipmentView:
    by_id = {line.id: line for line in order.lines}
    return_lines = tuple(
        {
            "line_id": r.order_line_id,
            "sku": by_id[r.order_line_id].sku if r.order_line_id in by_id else "",
            "name": by_id[r.order_line_id].name if r.order_line_id in by_id else "",
            "quantity": r.quantity,
            "refund_minor": (
                by_id[r.order_line_id].unit_price_minor * r.quantity
                if r.order_line_id in by_id
                else 0
            ),
        }
        for r in s.return_lines
    )
    return ShipmentView(
        id=s.id,
        order_id=s.order_id,
        household_id=order.household_id,
        carrier=s.carrier,
        tracking_number=s.tracking_number,
        status=s.status,
        eta=s.eta,
        demand=s.demand,
        lat=address.lat if address else None,
        lon=address.lon if address else None,
        events=tuple(
            TrackingView(e.status, e.occurred_at, e.place, e.lat, e.lon, e.note, e.eta)
            for e in s.events
        ),
        kind=s.kind,
        reason=s.reason,
        refund_minor=s.refund_minor,
        return_lines=return_lines,
        window_start=s.window_start,
        window_end=s.window_end,
        eta_updated_at=s.eta_updated_at,
    )


def _delivered_at(order: Order) -> datetime | None:
    times = [
        e.occurred_at
        for s in order.shipments
        if s.kind == ShipmentKind.DELIVERY.value
        for e in s.events
        if e.status == TrackingStatus.DELIVERED.value
    ]
    return min(times) if times else None


def _returned(order: Order) -> dict[int, int]:
    """Units per order line already in a return (requested, under way or back)."""
    out: dict[int, int] = {}
    for s in order.shipments:
        if s.kind == ShipmentKind.RETURN.value and s.status != TrackingStatus.EXCEPTION.value:
            for r in s.return_lines:
                out[r.order_line_id] = out.get(r.order_line_id, 0) + r.quantity
    return out


def _order_view(session: Session, o: Order) -> OrderView:
    address = session.get(Address, o.address_id) if o.address_id else None
    delivered_at = _delivered_at(o)
    returned = _returned(o)
    returnable = o.status in _RETURNABLE_STATUSES
    return OrderView(
        id=o.id,
        household_id=o.household_id,
        customer_id=o.customer_id,
        status=o.status,
        total_minor=o.total_minor,
        currency=o.currency,
        created_at=o.created_at,
        lines=tuple(
            {
                "id": line.id,
                "product_id": line.product_id,
                "sku": line.sku,
                "name": line.name,
                "unit_price": line.unit_price_minor / 100,
                "unit_price_minor": line.unit_price_minor,
                "quantity": line.quantity,
                "returned_quantity": returned.get(line.id, 0),
                "returnable_quantity": (
                    line.quantity - returned.get(line.id, 0) if returnable else 0
                ),
            }
            for line in o.lines
        ),
        shipments=tuple(_shipment_view(s, o, address) for s in o.shipments),
        delivered_at=delivered_at,
        return_until=(delivered_at + timedelta(days=RETURN_WINDOW_DAYS) if delivered_at else None),
        address_id=o.address_id,
    )
