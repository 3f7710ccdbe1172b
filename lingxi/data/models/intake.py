"""Order intake: orders that came from outside (a CSV import, a shop's webhook)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lingxi.data.base import Base, TimestampMixin


class OrderIntake(TimestampMixin, Base):
    """An order's id in the system it came from: one Lingxi order per external id."""

    __tablename__ = "order_intake"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    """``csv`` or ``webhook``."""
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("order.id", ondelete="CASCADE"), default=None
    )
    """Null only inside the transaction that claims the external id and creates the order."""


class WebhookEvent(TimestampMixin, Base):
    """A webhook delivery already answered: a replay of its event id gets this answer."""

    __tablename__ = "webhook_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text, default="")
    """The JSON answer first given."""
