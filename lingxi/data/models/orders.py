"""Orders: what was bought, its shipments (deliveries and return pickups), and the append-only
tracking history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lingxi.data.base import Base, TimestampMixin


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURN_REQUESTED = "return_requested"
    """A return of some or all of its items was requested; the pickup is not back yet."""
    RETURNED = "returned"
    """Every item came back to the depot."""


class ShipmentKind(StrEnum):
    """Which way a parcel travels."""

    DELIVERY = "delivery"
    """From the depot to the order's address."""
    RETURN = "return"
    """A pickup at the order's address, carried back to the depot."""


class TrackingStatus(StrEnum):
    """The usual parcel-tracking vocabulary."""

    CREATED = "created"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


class Order(TimestampMixin, Base):
    """A household member's order. Totals are integer minor units."""

    __tablename__ = "order"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("address.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.PENDING.value)
    total_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    shipments: Mapped[list[Shipment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Shipment.id"
    )


class OrderLine(Base):
    """A line of an order: a snapshot of name, SKU and price at purchase time."""

    __tablename__ = "order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("product.id", ondelete="SET NULL"), default=None
    )
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(500))
    unit_price_minor: Mapped[int]
    quantity: Mapped[int] = mapped_column(default=1)

    order: Mapped[Order] = relationship(back_populates="lines")


class Shipment(TimestampMixin, Base):
    """A parcel of an order, with its carrier, tracking number, status and current ETA.

    A ``return`` shipment is a pickup at the order's address carried back to the depot; its
    items are its :class:`ReturnLine` rows and ``refund_minor`` what the customer gets back.
    """

    __tablename__ = "shipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(String(100), default="lingxi-fleet")
    tracking_number: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(30), default=TrackingStatus.CREATED.value)
    eta: Mapped[datetime | None] = mapped_column(default=None)
    eta_updated_at: Mapped[datetime | None] = mapped_column(default=None)
    """When ``eta`` was last set (by a plan, a re-plan or a tracking event); None: never."""
    demand: Mapped[int] = mapped_column(default=1)
    """Capacity units the parcel takes on a vehicle."""
    kind: Mapped[str] = mapped_column(
        String(20), default=ShipmentKind.DELIVERY.value, server_default=text("'delivery'")
    )
    """``delivery`` or ``return`` (:class:`ShipmentKind`)."""
    reason: Mapped[str] = mapped_column(String(500), default="", server_default=text("''"))
    """Why the customer sends it back (returns only)."""
    refund_minor: Mapped[int | None] = mapped_column(default=None)
    """What the customer gets back for a return, in minor units."""
    window_start: Mapped[datetime | None] = mapped_column(default=None)
    """The delivery window the customer asked for (orders taken in from a shop); null: any."""
    window_end: Mapped[datetime | None] = mapped_column(default=None)

    order: Mapped[Order] = relationship(back_populates="shipments")
    events: Mapped[list[TrackingEvent]] = relationship(
        back_populates="shipment", order_by="TrackingEvent.occurred_at"
    )
    return_lines: Mapped[list[ReturnLine]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="ReturnLine.id"
    )


class ReturnLine(Base):
    """How many units of an order line a return shipment carries back."""

    __tablename__ = "return_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipment.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_line.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]

    shipment: Mapped[Shipment] = relationship(back_populates="return_lines")


class TrackingEvent(Base):
    """One append-only tracking event of a shipment, with its time and place."""

    __tablename__ = "tracking_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipment.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float | None] = mapped_column(default=None)
    lon: Mapped[float | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(String(500), default="")
    eta: Mapped[datetime | None] = mapped_column(default=None)

    shipment: Mapped[Shipment] = relationship(back_populates="events")
