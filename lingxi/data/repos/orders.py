"""Orders, their lines (price snapshots), shipments and append-only tracking events."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

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
from lingxi.data.repos._order_views import (
    RETURN_WINDOW_DAYS,
    OrderView,
    ShipmentView,
    TrackingView,
    _order_view,
    _returned,
    _shipment_view,
)
from lingxi.data.repos._values import as_enum
from lingxi.data.repos.events import emit
from lingxi.errors import ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "MAX_REASON_CHARS",
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
    "insert_return",
    "list_open_shipments",
    "list_orders",
    "lock_order",
    "set_shipment_eta",
    "transition",
]

MAX_QUANTITY = 99
MAX_LINES = 50
MAX_REASON_CHARS = 500
"""The longest return reason kept."""
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


def lock_order(session: Session, *, order_id: int) -> None:
    """Take the order's write lock for the rest of the transaction.

    A no-op UPDATE locks the row on PostgreSQL and takes SQLite's single writer lock at once
    (a SELECT ... FOR UPDATE does neither on SQLite), so what is read after it cannot change
    underneath (two return requests, a confirm racing a cancel).
    """
    session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(status=Order.status)
        .execution_options(synchronize_session=False)
    )


def transition(
    session: Session, *, household_id: int, order_id: int, allowed: tuple[str, ...], to: str
) -> bool:
    """Move the order to ``to`` if its status is one of ``allowed``, atomically.

    One conditional UPDATE: of any number of concurrent callers exactly one sees True. False
    when nothing changed (the order is missing, of another household, or in another status).
    """
    done = session.execute(
        update(Order)
        .where(
            Order.id == order_id,
            Order.household_id == household_id,
            Order.status.in_(allowed),
        )
        .values(status=to)
        .execution_options(synchronize_session=False)
    )
    order = session.get(Order, order_id)
    if order is not None:
        session.refresh(order)
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def confirm_order(
    session: Session,
    *,
    household_id: int,
    order_id: int,
    demand: int = 1,
    confirmed_at: datetime | None = None,
) -> OrderView:
    """Confirm a PENDING order exactly once: its shipment and the first tracking event.

    ``confirmed_at`` back-dates the confirmation (imports and demo histories); default now.

    Raises
    ------
    NotFoundError
        No such order in this household.
    ConflictError
        The order is not pending (already confirmed by a concurrent request, or cancelled).
    """
    if not transition(
        session,
        household_id=household_id,
        order_id=order_id,
        allowed=(OrderStatus.PENDING.value,),
        to=OrderStatus.CONFIRMED.value,
    ):
        order = _load(session, household_id, order_id)
        raise ConflictError(
            f"Order {order_id} is {order.status}; only a pending order can be confirmed.",
            field="status",
            value=order.status,
        )
    order = _load(session, household_id, order_id)
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
    """Cancel, exactly once, an order that has not left the depot; its shipments are voided."""
    if not transition(
        session,
        household_id=household_id,
        order_id=order_id,
        allowed=(OrderStatus.PENDING.value, OrderStatus.CONFIRMED.value),
        to=OrderStatus.CANCELLED.value,
    ):
        order = _load(session, household_id, order_id)
        raise ConflictError(
            f"Order {order_id} is {order.status}; it can no longer be cancelled.",
            field="status",
            value=order.status,
        )
    order = _load(session, household_id, order_id)
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
        shipment.eta_updated_at = occurred_at or utcnow()
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


def insert_return(
    session: Session,
    *,
    household_id: int,
    order_id: int,
    lines: dict[int, int],
    reason: str,
    refund_minor: int,
    requested_at: datetime | None = None,
    demand: int = 1,
) -> ShipmentView:
    """Store a return pickup of ``lines`` (order line id -> units) and its outbox event.

    The rules (window, status, quantities) are :mod:`lingxi.commerce`'s; call this under
    :func:`lock_order` after checking them. The new shipment has ``kind="return"``, a
    tracking number, a ``created`` tracking event and the refund; the order becomes
    ``return_requested``. One outbox event :data:`RETURN_REQUESTED_TOPIC` is emitted with
    ``{"order_id", "shipment_id", "kind": "return", "tracking_number", "demand", "lat", "lon",
    "address_id", "refund_minor", "lines": [{"line_id", "quantity"}]}``.
    """
    order = _load(session, household_id, order_id)
    shipment = Shipment(
        tracking_number=f"LR{secrets.token_hex(5).upper()}",
        kind=ShipmentKind.RETURN.value,
        demand=demand,
        reason=reason,
        refund_minor=refund_minor,
    )
    shipment.return_lines = [ReturnLine(order_line_id=i, quantity=q) for i, q in lines.items()]
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
            "refund_minor": refund_minor,
            "lines": [{"line_id": i, "quantity": q} for i, q in lines.items()],
        },
    )
    session.refresh(shipment)
    return _shipment_view(shipment, order, address)


def set_shipment_eta(
    session: Session, *, shipment_id: int, eta: datetime, at: datetime | None = None
) -> None:
    """Update a shipment's current ETA (from a new plan) without a tracking event; ``at``
    (default: now) is recorded as when the ETA was last updated, even when it is unchanged."""
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFoundError(f"No shipment with id {shipment_id}.", field="shipment_id")
    shipment.eta = eta
    shipment.eta_updated_at = at or utcnow()
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
