"""The domain-event outbox: written with the change, delivered at least once, applied once.

A producer calls :func:`emit` inside the same unit of work as the change it reports, so
the event exists exactly when the change was committed. A consumer calls
:func:`pending` and, for each event, applies its effect and :func:`mark_processed` in one
transaction; the unique (consumer, event) row makes a second delivery a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lingxi.data.base import utcnow
from lingxi.data.engine import session_scope
from lingxi.data.models import DomainEvent, ProcessedEvent

__all__ = ["Event", "emit", "is_processed", "mark_processed", "pending", "process_pending"]


@dataclass(frozen=True, slots=True)
class Event:
    """A domain event as plain values."""

    id: int
    topic: str
    household_id: int | None
    payload: dict[str, Any]
    occurred_at: datetime


def emit(
    session: Session, *, topic: str, payload: dict[str, Any], household_id: int | None = None
) -> int:
    """Add an event to the outbox in the caller's transaction; returns its id."""
    row = DomainEvent(topic=topic, payload=payload, household_id=household_id, occurred_at=utcnow())
    session.add(row)
    session.flush()
    return row.id


def pending(
    session: Session, *, consumer: str, topics: tuple[str, ...] | None = None, limit: int = 100
) -> list[Event]:
    """Events ``consumer`` has not processed yet, oldest first."""
    done = exists().where(
        ProcessedEvent.consumer == consumer, ProcessedEvent.event_id == DomainEvent.id
    )
    query = select(DomainEvent).where(~done).order_by(DomainEvent.id).limit(limit)
    if topics:
        query = query.where(DomainEvent.topic.in_(topics))
    return [
        Event(e.id, e.topic, e.household_id, dict(e.payload), e.occurred_at)
        for e in session.scalars(query)
    ]


def is_processed(session: Session, *, consumer: str, event_id: int) -> bool:
    """True when ``consumer`` already applied ``event_id``."""
    return (
        session.scalar(
            select(ProcessedEvent.id).where(
                ProcessedEvent.consumer == consumer, ProcessedEvent.event_id == event_id
            )
        )
        is not None
    )


def mark_processed(session: Session, *, consumer: str, event_id: int) -> None:
    """Record that ``consumer`` applied ``event_id`` (in the same transaction as the effect)."""
    session.add(ProcessedEvent(consumer=consumer, event_id=event_id, processed_at=utcnow()))
    session.flush()


def process_pending(
    sessions: sessionmaker[Session],
    *,
    consumer: str,
    handler: Callable[[Session, Event], None],
    topics: tuple[str, ...] | None = None,
    limit: int = 100,
) -> int:
    """Apply ``handler`` to each pending event, each in its own transaction; returns how many.

    The handler's writes and the processed mark commit together, so a crash between events
    re-delivers only unapplied ones, and a duplicate delivery (two workers racing) is
    rolled back by the unique constraint.
    """
    with session_scope(sessions) as session:
        events = pending(session, consumer=consumer, topics=topics, limit=limit)
    applied = 0
    for event in events:
        try:
            with session_scope(sessions) as session:
                if is_processed(session, consumer=consumer, event_id=event.id):
                    continue
                handler(session, event)
                mark_processed(session, consumer=consumer, event_id=event.id)
            applied += 1
        except IntegrityError:
            continue  # another worker applied it first
    return applied
