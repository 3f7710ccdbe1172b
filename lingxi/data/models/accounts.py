"""One-time account tokens: invitations into a household and password resets."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lingxi.data.base import Base, TimestampMixin


class AccountTokenKind(StrEnum):
    """What a one-time account token lets its holder do."""

    INVITE = "invite"
    """Join ``household_id`` as ``role`` under ``email``, setting a name and a password."""
    RESET = "reset"
    """Set a new password for ``customer_id`` (which signs out every session)."""


class AccountToken(TimestampMixin, Base):
    """An invitation or a password reset: used at most once, before ``expires_at``.

    Only the SHA-256 of the token is stored; the token itself is shown once, in a link.
    """

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), default=None
    )
    role: Mapped[str | None] = mapped_column(String(20), default=None)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), default=None, index=True
    )
    """The account a reset is for (null for an invitation)."""
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), default=None
    )
    """Who invited (null: the CLI)."""
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
