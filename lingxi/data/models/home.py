"""Home: areas, devices, HA-style entities and their state history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lingxi.data.base import Base, TimestampMixin


class Area(TimestampMixin, Base):
    """A room or zone of a household (``living room``, ``客厅``)."""

    __tablename__ = "area"
    __table_args__ = (UniqueConstraint("household_id", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    area_id: Mapped[str] = mapped_column(String(100))
    """Stable slug, e.g. ``living_room``."""
    name: Mapped[str] = mapped_column(String(200))
    names: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    """The display name per language, ``{"en": "Living Room", "zh": "客厅"}``; ``name`` is the default."""
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    floor: Mapped[str | None] = mapped_column(String(100), default=None)


class Device(TimestampMixin, Base):
    """A physical device; it exposes one or more entities."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("area.id", ondelete="SET NULL"), default=None
    )
    name: Mapped[str] = mapped_column(String(200))
    manufacturer: Mapped[str] = mapped_column(String(200), default="")
    model: Mapped[str] = mapped_column(String(200), default="")


class Entity(TimestampMixin, Base):
    """A controllable or readable entity, ``domain.object_id`` as in Home Assistant."""

    __tablename__ = "entity"
    __table_args__ = (UniqueConstraint("household_id", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    entity_id: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    names: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    """The display name per language; ``name`` is the default."""
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), default=None
    )
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("area.id", ondelete="SET NULL"), default=None
    )
    device_class: Mapped[str | None] = mapped_column(String(40), default=None)
    capabilities: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """E.g. ``{"brightness": true, "color_modes": ["rgb", "color_temp"]}``."""

    area: Mapped[Area | None] = relationship()


class EntityState(Base):
    """One state of an entity; the table is the full history, newest is current."""

    __tablename__ = "entity_state"
    __table_args__ = (Index("ix_entity_state_entity_time", "entity_pk", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_pk: Mapped[int] = mapped_column(ForeignKey("entity.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(100))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    changed_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20), default="device")
    """How the change came: voice, text, touch, gesture, device, automation."""
    actor_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), default=None
    )

    entity: Mapped[Entity] = relationship()


class GestureBinding(TimestampMixin, Base):
    """A household's mapping from a gesture (``clockwise``, ``open``, ``swipe_up``) to an action."""

    __tablename__ = "gesture_binding"
    __table_args__ = (UniqueConstraint("household_id", "gesture"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    gesture: Mapped[str] = mapped_column(String(40))
    intent: Mapped[str] = mapped_column(String(60))
    """A Home Assistant intent name, e.g. ``HassLightSet``."""
    slots: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Fixed slots, e.g. ``{"brightness_step": "up"}``; the target may come from fusion."""


class HomeAutomation(TimestampMixin, Base):
    """A command for later ("turn off the bedroom light at nine thirty pm"), done once when due."""

    __tablename__ = "home_automation"
    __table_args__ = (Index("ix_home_automation_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), default=None
    )
    """Who asked; None for the local operator (``lingxi home do``), who acts as the owner."""
    text: Mapped[str] = mapped_column(String(2000))
    language: Mapped[str] = mapped_column(String(10))
    commands: Mapped[list[Any]] = mapped_column(default=list)
    """``[{"intent", "slots", "targets"}]``, resolved when it was asked."""
    schedule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """As said: ``{"at": "21:30"}`` or ``{"delay": 600}``."""
    due_at: Mapped[datetime]
    confirmed: Mapped[bool] = mapped_column(default=False)
    """A risky act in it had its yes before it was stored."""
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    """scheduled, done, failed or cancelled."""
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(2000), default=None)
    """The reply when it ran, or why it failed."""
