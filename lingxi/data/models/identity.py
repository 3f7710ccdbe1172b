"""Identity: households, their members, addresses, consents and preference profiles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lingxi.data.base import Base, TimestampMixin


class Role(StrEnum):
    """What a member may do: four household roles, then two of the deployment.

    ``lingxi.policy`` holds the table of which role may do which act.
    """

    OWNER = "owner"
    """Everything, including unlocking and paying without a second person."""
    ADULT = "adult"
    CHILD = "child"
    """No orders, no locks, no heating."""
    GUEST = "guest"
    STAFF = "staff"
    """A deployment operator: the operations board, planning the fleet, traffic reports.
    Belongs to the deployment's own household, never to a customer's."""
    COURIER = "courier"
    """A driver of the deployment's fleet (no customer data beyond the stops it serves)."""


class ConsentPurpose(StrEnum):
    """What a consent covers."""

    PROFILE = "profile"
    """Storing skin type, concerns and other stated preferences."""
    PERSONALISATION = "personalisation"
    """Using purchase and browsing history to rank recommendations."""
    AUTOMATION = "automation"
    """Cross-engine automations (e.g. porch light when the courier is near)."""
    MARKETING = "marketing"


class Household(TimestampMixin, Base):
    """A home and its members; every API call acts inside exactly one household."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Household-level switches, e.g. ``{"porch_light_on_courier": true}``."""

    members: Mapped[list[Customer]] = relationship(back_populates="household")


class Customer(TimestampMixin, Base):
    """A person: a member of one household, who signs in and shops."""

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=Role.ADULT.value)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)

    household: Mapped[Household] = relationship(back_populates="members")


class Address(TimestampMixin, Base):
    """A delivery address with its geocoded point."""

    __tablename__ = "address"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(100), default="home")
    line1: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="MC")
    lat: Mapped[float]
    lon: Mapped[float]


class Consent(Base):
    """A purpose the person agreed to; revoking keeps the row with ``revoked_at`` set."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(40))
    granted_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class PreferenceProfile(Base):
    """Stated preferences. Skin type and concerns are kept only under a PROFILE consent."""

    __tablename__ = "preference_profile"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    skin_types: Mapped[list[Any]] = mapped_column(default=list)
    concerns: Mapped[list[Any]] = mapped_column(default=list)
    brands: Mapped[list[Any]] = mapped_column(default=list)
    avoid_ingredients: Mapped[list[Any]] = mapped_column(default=list)
    include_ingredients: Mapped[list[Any]] = mapped_column(default=list)
    max_price_minor: Mapped[int | None] = mapped_column(default=None)
    updated_at: Mapped[datetime]


class AuthToken(TimestampMixin, Base):
    """A sign-in: a web session (cookie) or an API bearer token. Only the hash is stored."""

    __tablename__ = "auth_token"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20), default="session")
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
