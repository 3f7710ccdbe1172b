"""Order intake: external order ids, SKU look-ups, delivery windows and webhook events.

The rules (who may order, what a row must hold) are :mod:`lingxi.commerce.intake`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lingxi.data.models import (
    Address,
    Customer,
    Order,
    OrderIntake,
    Product,
    Role,
    Shipment,
    WebhookEvent,
)
from lingxi.data.repos.identity import Member, find_customer_by_email, get_member
from lingxi.errors import NotFoundError

__all__ = [
    "StoredEvent",
    "add_or_find_address",
    "attach_order",
    "claim_external_id",
    "customer_of_household",
    "find_customer",
    "get_event",
    "household_of_order",
    "imported_order",
    "imported_orders",
    "product_ids",
    "record_event",
    "set_window",
]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A webhook delivery already answered."""

    event_id: str
    body_sha256: str
    status_code: int
    response: str


def imported_order(session: Session, *, external_id: str) -> int | None:
    """The Lingxi order made for ``external_id`` (None: not imported, or still being made)."""
    found: int | None = session.scalar(
        select(OrderIntake.order_id).where(OrderIntake.external_id == external_id)
    )
    return found


def imported_orders(session: Session, *, external_ids: list[str]) -> dict[str, int]:
    """``external_id -> order id`` for those of ``external_ids`` already imported."""
    if not external_ids:
        return {}
    rows = session.execute(
        select(OrderIntake.external_id, OrderIntake.order_id).where(
            OrderIntake.external_id.in_(external_ids), OrderIntake.order_id.is_not(None)
        )
    )
    return {e: int(o) for e, o in rows if o is not None}


def household_of_order(session: Session, *, order_id: int) -> int:
    """The household an order belongs to."""
    order = session.get(Order, order_id)
    if order is None:
        raise NotFoundError(f"No order with id {order_id}.", field="order_id", value=order_id)
    return order.household_id


def claim_external_id(session: Session, *, external_id: str, source: str) -> bool:
    """Claim ``external_id`` for an order about to be made in this transaction.

    The first statement of its transaction (so on SQLite it takes the writer lock before
    reading anything). False when another transaction has it: the unique constraint decides
    between concurrent claims, and PostgreSQL makes the loser wait for the winner's commit.
    """
    # A write before the savepoint: SQLite's driver opens the transaction (and takes the
    # writer lock) only at a write, and a SAVEPOINT outside a transaction would commit alone.
    session.execute(
        update(OrderIntake)
        .where(OrderIntake.external_id == external_id)
        .values(source=OrderIntake.source)
        .execution_options(synchronize_session=False)
    )
    try:
        with session.begin_nested():
            session.add(OrderIntake(external_id=external_id, source=source))
            session.flush()
    except IntegrityError:
        return False
    return True


def attach_order(session: Session, *, external_id: str, order_id: int) -> None:
    """Record the order made for a claimed ``external_id``."""
    session.execute(
        update(OrderIntake)
        .where(OrderIntake.external_id == external_id)
        .values(order_id=order_id)
        .execution_options(synchronize_session=False)
    )


def product_ids(session: Session, *, skus: list[str]) -> dict[str, int]:
    """``sku -> product id`` for the SKUs of ``skus`` in the catalogue."""
    if not skus:
        return {}
    rows = session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus)))
    return {sku: int(pid) for sku, pid in rows}


def find_customer(session: Session, *, email: str) -> Member | None:
    """The member with ``email``, or None."""
    return find_customer_by_email(session, email=email)


def customer_of_household(session: Session, *, household_id: int) -> Member | None:
    """Who orders for a household: its first owner, else its first adult (None: neither)."""
    for role in (Role.OWNER, Role.ADULT):
        found = session.scalar(
            select(Customer.id)
            .where(Customer.household_id == household_id, Customer.role == role.value)
            .order_by(Customer.id)
            .limit(1)
        )
        if found is not None:
            return get_member(session, customer_id=found)
    return None


def add_or_find_address(
    session: Session,
    *,
    customer_id: int,
    line1: str,
    city: str,
    lat: float,
    lon: float,
    postcode: str = "",
    country: str = "MC",
) -> int:
    """The customer's address with this street, city and point, added when it is new."""
    found = session.scalar(
        select(Address.id).where(
            Address.customer_id == customer_id,
            Address.line1 == line1,
            Address.city == city,
            Address.lat == lat,
            Address.lon == lon,
        )
    )
    if found is not None:
        return int(found)
    address = Address(
        customer_id=customer_id,
        label="delivery",
        line1=line1,
        city=city,
        postcode=postcode,
        country=country,
        lat=lat,
        lon=lon,
    )
    session.add(address)
    session.flush()
    return address.id


def set_window(
    session: Session, *, shipment_id: int, start: datetime | None, end: datetime | None
) -> None:
    """Store the delivery window the customer asked for on a shipment."""
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFoundError(f"No shipment with id {shipment_id}.", field="shipment_id")
    shipment.window_start, shipment.window_end = start, end
    session.flush()


def get_event(session: Session, *, event_id: str) -> StoredEvent | None:
    """The stored answer of webhook event ``event_id``."""
    row = session.scalar(select(WebhookEvent).where(WebhookEvent.event_id == event_id))
    if row is None:
        return None
    return StoredEvent(row.event_id, row.body_sha256, row.status_code, row.response)


def record_event(
    session: Session, *, event_id: str, body_sha256: str, status_code: int, response: str
) -> bool:
    """Keep the answer of a webhook event; False when a concurrent delivery kept one first."""
    try:
        with session.begin_nested():
            session.add(
                WebhookEvent(
                    event_id=event_id,
                    body_sha256=body_sha256,
                    status_code=status_code,
                    response=response,
                )
            )
            session.flush()
    except IntegrityError:
        return False
    return True
