"""Conversations, their turns, audited tool calls, and the domain-event outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lingxi.data.base import Base, TimestampMixin


class Conversation(TimestampMixin, Base):
    """One person's conversation with the assistant."""

    __tablename__ = "conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(10), default="en")
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Short-lived context: last target, pending confirmation, last results."""


class Turn(TimestampMixin, Base):
    """A message in a conversation, from the user or the assistant."""

    __tablename__ = "turn"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    skill: Mapped[str | None] = mapped_column(String(40), default=None)


class ToolCall(TimestampMixin, Base):
    """An audited tool call: tool, arguments, result and how it was confirmed."""

    __tablename__ = "tool_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), default=None, index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), default=None
    )
    tool: Mapped[str] = mapped_column(String(100))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    confirmation: Mapped[str] = mapped_column(String(20), default="not_needed")
    """not_needed, pending, confirmed or declined."""
    channel: Mapped[str] = mapped_column(String(20), default="text")
    """How the request came: text, voice, touch, gesture, api, automation."""


class DomainEvent(Base):
    """An outbox row, written in the same transaction as the change it reports."""

    __tablename__ = "domain_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(100), index=True)
    """E.g. ``order.confirmed``, ``shipment.eta_changed``, ``courier.near``."""
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), default=None
    )
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime]


class ProcessedEvent(Base):
    """Marks an event as applied by one consumer: idempotent handling of at-least-once delivery."""

    __tablename__ = "processed_event"
    __table_args__ = (UniqueConstraint("consumer", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[int] = mapped_column(ForeignKey("domain_event.id", ondelete="CASCADE"))
    processed_at: Mapped[datetime]
