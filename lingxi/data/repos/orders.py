"""Orders, their lines (price snapshots), shipments and append-only tracking events."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from lingxi.data.base import utcnow
from lingxi.data.models import (
    Address,
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ReturnLine,
    Shipment,
    ShipmentKind,
    TrackingEvent,
    TrackingStatus,
)
from lingxi.data.repos._values import as_enum
from lingxi.data.repos.events import emit
from lingxi.errors import ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "RETURN_REQUESTED_TOPIC",
    "RETURN_WINDOW_DAYS",
    "LineRequest",
    "OrderView",
    "ReturnItem",
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
    "request_return",
    "set_shipment_eta",
]

MAX_QUANTITY = 99
MAX_LINES = 50
MAX_REASON_CHARS = 500
"""The longest return reason kept."""
RETURN_WINDOW_DAYS = 30
"""Days after delivery during which items can be sent back."""
RETURN_REQUESTED_TOPIC = "return.requested"
"""The outbox topic of a new return pickup (payload: see :func:`request_return`)."""


@dataclass(frozen=True, slots=True)
class ReturnItem:
    """An order line and how many of its units to send back (``None``: all not yet returned)."""

    line_id: int
    quantity: int | None = None


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
    kind: str = ShipmentKind.DELIVERY.value
    """``delivery`` (depot to address) or ``return`` (pickup at the address, back to the depot)."""
    reason: str = ""
    refund_minor: int | None = None
    return_lines: tuple[dict[str, Any], ...] = ()
    """For a return: ``{"line_id", "sku", "name", "quantity", "refund_minor"}`` per line."""

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
            "destination": {"lat": self.lat, "lon": self.lon},
            "events": [e.to_dict() for e in self.events],
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
    query = (
        select(Order)
        .options(
            selectinload(Order.lines),
            selectinload(Order.shipments).selectinload(Shipment.events),
            selectinload(Order.shipments).selectinload(Shipment.return_lines),
        )
        .where(Order.id == order_id)
    )
    order = session.scalar(query)
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
            selectinload(Order.lines),
            selectinload(Order.shipments).selectinload(Shipment.events),
            selectinload(Order.shipments).selectinload(Shipment.return_lines),
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
    if shipment.kind == ShipmentKind.RETURN.value:
        if st == TrackingStatus.DELIVERED and order.status == OrderStatus.RETURN_REQUESTED.value:
            # Back at the depot: the order is returned once every unit is.
            session.flush()
            session.refresh(order)
            back = _returned(order)
            open_returns = any(
                s.kind == ShipmentKind.RETURN.value
                and s.status not in (TrackingStatus.DELIVERED.value, TrackingStatus.EXCEPTION.value)
                for s in order.shipments
            )
            if all(back.get(line.id, 0) >= line.quantity for line in order.lines):
                order.status = OrderStatus.RETURNED.value
            elif not open_returns:
                order.status = OrderStatus.DELIVERED.value
    elif st in _ORDER_STATUS_FOR and order.status not in (
        OrderStatus.CANCELLED.value,
        OrderStatus.RETURNED.value,
        OrderStatus.RETURN_REQUESTED.value,
    ):
        order.status = _ORDER_STATUS_FOR[st].value
    emit(
        session,
        topic=f"shipment.{st.value}",
        household_id=order.household_id,
        payload={
            "shipment_id": shipment_id,
            "order_id": order.id,
            "kind": shipment.kind,
            "eta": eta.isoformat() if eta else None,
        },
    )
    session.flush()


_RETURNABLE_STATUSES = (OrderStatus.DELIVERED.value, OrderStatus.RETURN_REQUESTED.value)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def request_return(
    session: Session,
    *,
    household_id: int,
    order_id: int,
    items: list[ReturnItem] | None = None,
    reason: str = "",
    requested_at: datetime | None = None,
    demand: int = 1,
) -> ShipmentView:
    """Request a return: a pickup shipment at the order's address, carried back to the depot.

    ``items`` are order lines and quantities; ``None`` returns every unit not yet in a return.
    The new shipment has ``kind="return"``, a tracking number, a ``created`` tracking event and
    the refund (unit prices at purchase times quantities); the order becomes
    ``return_requested``. One outbox event :data:`RETURN_REQUESTED_TOPIC` is emitted with
    ``{"order_id", "shipment_id", "kind": "return", "tracking_number", "demand", "lat", "lon",
    "address_id", "refund_minor", "lines": [{"line_id", "quantity"}]}`` (the tracking event
    also emits ``shipment.created`` with ``kind``), so dispatch can plan the pickup.

    Raises
    ------
    NotFoundError
        No such order in this household, or a ``line_id`` not of this order.
    ConflictError
        The order is not delivered (cancelled, pending, under way), the return window is over,
        or the items are already being returned.
    InvalidInputError
        A quantity outside 1..(units not yet returned), a line named twice, or an over-long
        reason.
    """
    if not isinstance(reason, str) or len(reason) > MAX_REASON_CHARS:
        raise InvalidInputError.for_field(
            "reason", f"a text of at most {MAX_REASON_CHARS} characters", reason
        )
    # Take the order's write lock before reading what is already being returned, so two
    # simultaneous requests cannot both book the same items: a no-op UPDATE locks the row on
    # PostgreSQL and takes SQLite's single writer lock (SELECT ... FOR UPDATE does not).
    session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(status=Order.status)
        .execution_options(synchronize_session=False)
    )
    order = _load(session, household_id, order_id)
    if order.status == OrderStatus.CANCELLED.value:
        raise ConflictError(
            f"Order {order_id} was cancelled; there is nothing to return.",
            field="status",
            value=order.status,
        )
    if order.status == OrderStatus.RETURNED.value:
        raise ConflictError(
            f"Order {order_id} has already been returned.", field="status", value=order.status
        )
    if order.status not in _RETURNABLE_STATUSES:
        raise ConflictError(
            f"Order {order_id} is {order.status}; only a delivered order can be returned.",
            field="status",
            value=order.status,
        )
    now = _aware(requested_at or utcnow())
    # Without a delivered event (imported history) the window counts from the order date.
    delivered_at = _delivered_at(order) or order.created_at
    if delivered_at is not None:
        until = _aware(delivered_at) + timedelta(days=RETURN_WINDOW_DAYS)
        if now > until:
            raise ConflictError(
                f"Order {order_id} was delivered on {delivered_at.date().isoformat()}; returns "
                f"are accepted within {RETURN_WINDOW_DAYS} days of delivery "
                f"(until {until.date().isoformat()}).",
                field="delivered_at",
                value=delivered_at.isoformat(),
            )
    returned = _returned(order)
    lines = {line.id: line for line in order.lines}
    wanted: dict[int, int] = {}
    if items is None:
        wanted = {
            line.id: line.quantity - returned.get(line.id, 0)
            for line in order.lines
            if line.quantity > returned.get(line.id, 0)
        }
        if not wanted:
            raise ConflictError(
                f"Every item of order {order_id} is already being returned.",
                field="items",
                value=None,
            )
    else:
        if not items:
            raise InvalidInputError.for_field("items", "a non-empty list or null (all)", items)
        for item in items:
            line = lines.get(item.line_id)
            if line is None:
                raise NotFoundError(
                    f"Order {order_id} has no line {item.line_id}.",
                    field="line_id",
                    value=item.line_id,
                )
            if item.line_id in wanted:
                raise InvalidInputError.for_field("line_id", "named once", item.line_id)
            left = line.quantity - returned.get(line.id, 0)
            if left <= 0:
                raise ConflictError(
                    f"{line.name} of order {order_id} is already being returned.",
                    field="line_id",
                    value=item.line_id,
                )
            quantity = left if item.quantity is None else item.quantity
            if (
                not isinstance(quantity, int)
                or isinstance(quantity, bool)
                or not 1 <= quantity <= left
            ):
                raise InvalidInputError.for_field(
                    "quantity", f"an integer from 1 to {left}", item.quantity
                )
            wanted[item.line_id] = quantity
    refund = sum(lines[i].unit_price_minor * q for i, q in wanted.items())
    shipment = Shipment(
        tracking_number=f"LR{secrets.token_hex(5).upper()}",
        kind=ShipmentKind.RETURN.value,
        demand=demand,
        reason=reason.strip(),
        refund_minor=refund,
    )
    shipment.return_lines = [ReturnLine(order_line_id=i, quantity=q) for i, q in wanted.items()]
    order.shipments.append(shipment)
    order.status = OrderStatus.RETURN_REQUESTED.value
    session.flush()
    address = session.get(Address, order.address_id) if order.address_id else None
    add_tracking_event(
        session,
        shipment_id=shipment.id,
        status=TrackingStatus.CREATED,
        place="Pickup at the customer's address",
        note="return requested",
        occurred_at=requested_at,
    )
    emit(
        session,
        topic=RETURN_REQUESTED_TOPIC,
        household_id=household_id,
        payload={
            "order_id": order.id,
            "shipment_id": shipment.id,
            "kind": ShipmentKind.RETURN.value,
            "tracking_number": shipment.tracking_number,
            "demand": shipment.demand,
            "address_id": order.address_id,
            "lat": address.lat if address else None,
            "lon": address.lon if address else None,
            "refund_minor": refund,
            "lines": [{"line_id": i, "quantity": q} for i, q in wanted.items()],
        },
    )
    session.refresh(shipment)
    return _shipment_view(shipment, order, address)


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
