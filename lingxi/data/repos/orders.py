"""Orders, their lines (price snapshots), shipments and append-only tracking events."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lingxi.data.base import utcnow
from lingxi.data.models import (
    Address,
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from lingxi.data.repos._values import as_enum
from lingxi.data.repos.events import emit
from lingxi.errors import ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "LineRequest",
    "OrderView",
    "ShipmentView",
    "TrackingView",
    "add_tracking_event",
    "cancel_order",
    "confirm_order",
    "create_order",
    "get_order",
    "get_shipment",
    "list_open_shipments",
    "list_orders",
    "set_shipment_eta",
]

MAX_QUANTITY = 99
MAX_LINES = 50


@dataclass(frozen=True, slots=True)
class LineRequest:
    """A product and a quantity to order."""

    product_id: int
    quantity: int = 1


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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "order_id": self.order_id,
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "status": self.status,
            "eta": self.eta.isoformat() if self.eta else None,
            "destination": {"lat": self.lat, "lon": self.lon},
            "events": [e.to_dict() for e in self.events],
        }


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
        }


def _shipment_view(s: Shipment, order: Order, address: Address | None) -> ShipmentView:
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
    )


def _order_view(session: Session, o: Order) -> OrderView:
    address = session.get(Address, o.address_id) if o.address_id else None
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
                "product_id": line.product_id,
                "sku": line.sku,
                "name": line.name,
                "unit_price": line.unit_price_minor / 100,
                "unit_price_minor": line.unit_price_minor,
                "quantity": line.quantity,
            }
            for line in o.lines
        ),
        shipments=tuple(_shipment_view(s, o, address) for s in o.shipments),
    )


def create_order(
    session: Session,
    *,
    household_id: int,
    customer_id: int,
    lines: list[LineRequest],
    address_id: int | None = None,
    placed_at: datetime | None = None,
) -> OrderView:
    """Create a PENDING order, snapshotting each product's name, SKU and price now.

    ``placed_at`` back-dates the order (imports and demo histories); default now.
    """
    if not lines:
        raise InvalidInputError.for_field("lines", "a non-empty list", lines)
    if len(lines) > MAX_LINES:
        raise InvalidInputError.for_field("lines", f"at most {MAX_LINES} lines", len(lines))
    customer = session.get(Customer, customer_id)
    if customer is None or customer.household_id != household_id:
        raise NotFoundError(f"No customer {customer_id} in this household.", field="customer_id")
    if address_id is not None:
        address = session.get(Address, address_id)
        if address is None or address.customer_id != customer_id:
            raise NotFoundError(f"No address {address_id} for this customer.", field="address_id")
    else:
        # Without an explicit address the parcel goes to the customer's first (home) address.
        address_id = session.scalar(
            select(Address.id)
            .where(Address.customer_id == customer_id)
            .order_by(Address.id)
            .limit(1)
        )
    order = Order(household_id=household_id, customer_id=customer_id, address_id=address_id)
    if placed_at is not None:
        order.created_at = placed_at
    total, currency = 0, None
    for req in lines:
        if not isinstance(req.quantity, int) or not 1 <= req.quantity <= MAX_QUANTITY:
            raise InvalidInputError.for_field(
                "quantity", f"an integer from 1 to {MAX_QUANTITY}", req.quantity
            )
        product = session.get(Product, req.product_id)
        if product is None:
            raise NotFoundError(
                f"No product with id {req.product_id}.", field="product_id", value=req.product_id
            )
        if currency not in (None, product.currency):
            raise InvalidInputError("All lines of an order must share one currency.", field="lines")
        currency = product.currency
        order.lines.append(
            OrderLine(
                product_id=product.id,
                sku=product.sku,
                name=f"{product.brand} {product.name}",
                unit_price_minor=product.price_minor,
                quantity=req.quantity,
            )
        )
        total += product.price_minor * req.quantity
    order.total_minor, order.currency = total, currency or "USD"
    session.add(order)
    session.flush()
    emit(
        session,
        topic="order.created",
        household_id=household_id,
        payload={"order_id": order.id, "total_minor": total},
    )
    return _order_view(session, order)


def _load(session: Session, household_id: int, order_id: int) -> Order:
    order = session.scalar(
        select(Order)
        .options(
            selectinload(Order.lines), selectinload(Order.shipments).selectinload(Shipment.events)
        )
        .where(Order.id == order_id)
    )
    # Another household's order is reported exactly like a missing one: no existence leak.
    if order is None or order.household_id != household_id:
        raise NotFoundError(f"No order with id {order_id}.", field="order_id", value=order_id)
    return order


def get_order(session: Session, *, household_id: int, order_id: int) -> OrderView:
    """One order of the household."""
    return _order_view(session, _load(session, household_id, order_id))


def list_orders(
    session: Session, *, household_id: int, customer_id: int | None = None
) -> list[OrderView]:
    """The household's orders, newest first (optionally one member's)."""
    query = (
        select(Order)
        .options(
            selectinload(Order.lines), selectinload(Order.shipments).selectinload(Shipment.events)
        )
        .where(Order.household_id == household_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
    )
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    return [_order_view(session, o) for o in session.scalars(query)]


def confirm_order(
    session: Session,
    *,
    household_id: int,
    order_id: int,
    demand: int = 1,
    confirmed_at: datetime | None = None,
) -> OrderView:
    """Confirm a PENDING order: create its shipment and the first tracking event.

    ``confirmed_at`` back-dates the confirmation (imports and demo histories); default now.
    """
    order = _load(session, household_id, order_id)
    if order.status != OrderStatus.PENDING.value:
        raise ConflictError(
            f"Order {order_id} is {order.status}; only a pending order can be confirmed.",
            field="status",
            value=order.status,
        )
    order.status = OrderStatus.CONFIRMED.value
    shipment = Shipment(tracking_number=f"LX{secrets.token_hex(5).upper()}", demand=demand)
    order.shipments.append(shipment)
    session.flush()
    emit(
        session,
        topic="order.confirmed",
        household_id=household_id,
        payload={"order_id": order.id, "shipment_id": shipment.id},
    )
    add_tracking_event(
        session,
        shipment_id=shipment.id,
        status=TrackingStatus.CREATED,
        place="Lingxi warehouse",
        occurred_at=confirmed_at,
    )
    session.refresh(order)
    return _order_view(session, order)


def cancel_order(session: Session, *, household_id: int, order_id: int) -> OrderView:
    """Cancel an order that has not left the depot."""
    order = _load(session, household_id, order_id)
    if order.status not in (OrderStatus.PENDING.value, OrderStatus.CONFIRMED.value):
        raise ConflictError(
            f"Order {order_id} is {order.status}; it can no longer be cancelled.",
            field="status",
            value=order.status,
        )
    order.status = OrderStatus.CANCELLED.value
    for s in order.shipments:
        s.status = TrackingStatus.EXCEPTION.value
    emit(
        session, topic="order.cancelled", household_id=household_id, payload={"order_id": order.id}
    )
    session.flush()
    return _order_view(session, order)


_ORDER_STATUS_FOR = {
    TrackingStatus.PICKED_UP: OrderStatus.SHIPPED,
    TrackingStatus.IN_TRANSIT: OrderStatus.SHIPPED,
    TrackingStatus.OUT_FOR_DELIVERY: OrderStatus.SHIPPED,
    TrackingStatus.DELIVERED: OrderStatus.DELIVERED,
}


def add_tracking_event(
    session: Session,
    *,
    shipment_id: int,
    status: TrackingStatus | str,
    place: str = "",
    lat: float | None = None,
    lon: float | None = None,
    note: str = "",
    eta: datetime | None = None,
    occurred_at: datetime | None = None,
) -> None:
    """Append a tracking event; the shipment's status (and the order's) follow it."""
    st = as_enum(TrackingStatus, "status", status)
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFoundError(f"No shipment with id {shipment_id}.", field="shipment_id")
    session.add(
        TrackingEvent(
            shipment_id=shipment_id,
            status=st.value,
            occurred_at=occurred_at or utcnow(),
            place=place,
            lat=lat,
            lon=lon,
            note=note,
            eta=eta,
        )
    )
    shipment.status = st.value
    if eta is not None:
        shipment.eta = eta
    order = shipment.order
    if st in _ORDER_STATUS_FOR and order.status not in (
        OrderStatus.CANCELLED.value,
        OrderStatus.RETURNED.value,
    ):
        order.status = _ORDER_STATUS_FOR[st].value
    emit(
        session,
        topic=f"shipment.{st.value}",
        household_id=order.household_id,
        payload={
            "shipment_id": shipment_id,
            "order_id": order.id,
            "eta": eta.isoformat() if eta else None,
        },
    )
    session.flush()


def set_shipment_eta(session: Session, *, shipment_id: int, eta: datetime) -> None:
    """Update a shipment's current ETA (from a new plan) without a tracking event."""
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFoundError(f"No shipment with id {shipment_id}.", field="shipment_id")
    shipment.eta = eta
    session.flush()


def get_shipment(
    session: Session, *, shipment_id: int, household_id: int | None = None
) -> ShipmentView:
    """One shipment with its events; with ``household_id``, only if it is that household's."""
    shipment = session.get(Shipment, shipment_id)
    if shipment is None or (
        household_id is not None and shipment.order.household_id != household_id
    ):
        raise NotFoundError(f"No shipment with id {shipment_id}.", field="shipment_id")
    order = shipment.order
    address = session.get(Address, order.address_id) if order.address_id else None
    return _shipment_view(shipment, order, address)


def list_open_shipments(session: Session) -> list[ShipmentView]:
    """Shipments not yet delivered or failed, of orders not cancelled: what dispatch must plan."""
    query = (
        select(Shipment)
        .join(Order)
        .options(selectinload(Shipment.events))
        .where(
            Shipment.status.in_(
                [
                    TrackingStatus.CREATED.value,
                    TrackingStatus.PICKED_UP.value,
                    TrackingStatus.IN_TRANSIT.value,
                    TrackingStatus.OUT_FOR_DELIVERY.value,
                ]
            ),
            Order.status.notin_([OrderStatus.CANCELLED.value, OrderStatus.PENDING.value]),
        )
        .order_by(Shipment.id)
    )
    result = []
    for s in session.scalars(query):
        address = session.get(Address, s.order.address_id) if s.order.address_id else None
        result.append(_shipment_view(s, s.order, address))
    return result
