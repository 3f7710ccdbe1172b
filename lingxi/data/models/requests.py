"""Stored answers to state-changing requests that carried an ``Idempotency-Key``."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lingxi.data.base import Base, TimestampMixin


class IdempotentRequest(TimestampMixin, Base):
    """One key of one household: the request's fingerprint and, once done, its answer."""

    __tablename__ = "idempotent_request"
    __table_args__ = (UniqueConstraint("household_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), default=None
    )
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    fingerprint: Mapped[str] = mapped_column(String(64))
    """SHA-256 of method, path and body: the same key with another request is refused."""
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    """None while the first request is still being answered."""
    content_type: Mapped[str] = mapped_column(String(100), default="application/json")
    body: Mapped[str] = mapped_column(Text, default="")
