"""Couriers: which vehicle each drives, and the positions their devices report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lingxi.data.base import Base, TimestampMixin


class CourierVehicle(TimestampMixin, Base):
    """A courier (a deployment member with role ``courier``) assigned to one vehicle.

    One courier drives one vehicle and a vehicle has one courier (both columns unique).
    """

    __tablename__ = "courier_vehicle"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), unique=True
    )
    vehicle_id: Mapped[int] = mapped_column(
        ForeignKey("vehicle.id", ondelete="CASCADE"), unique=True
    )


class CourierPosition(Base):
    """One position a courier's device reported (HTTP or OwnTracks over MQTT)."""

    __tablename__ = "courier_position"
    __table_args__ = (Index("ix_courier_position_vehicle_recorded", "vehicle_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), default=None
    )
    lat: Mapped[float]
    lon: Mapped[float]
    accuracy_m: Mapped[float | None] = mapped_column(default=None)
    recorded_at: Mapped[datetime]
    """When the device took the fix."""
    received_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20), default="api")
    """``api`` (the courier web view) or ``owntracks`` (MQTT)."""
