"""The outbox: events commit with their change, arrive at least once, apply once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session

from lingxi.data import Database
from lingxi.data.repos import events, identity


def test_event_rolls_back_with_its_change(db: Database) -> None:
    """An event emitted in a failed unit of work is gone, like the change."""
    with pytest.raises(RuntimeError), db.session() as s:
        identity.create_household(s, name="ghost")
        events.emit(s, topic="household.created", payload={})
        raise RuntimeError("crash before commit")
    with db.session() as s:
        assert events.pending(s, consumer="c") == []


def test_each_consumer_applies_each_event_once(db: Database) -> None:
    """Two consumers each see every event; re-running applies nothing twice."""
    with db.session() as s:
        for i in range(5):
            events.emit(s, topic="t.x", payload={"i": i})
    seen: dict[str, list[int]] = {"a": [], "b": []}

    def handler(name: str):  # type: ignore[no-untyped-def]
        def apply(_: Session, e: events.Event) -> None:
            seen[name].append(e.payload["i"])

        return apply

    assert events.process_pending(db.sessions, consumer="a", handler=handler("a")) == 5
    assert events.process_pending(db.sessions, consumer="a", handler=handler("a")) == 0
    assert events.process_pending(db.sessions, consumer="b", handler=handler("b")) == 5
    assert seen == {"a": [0, 1, 2, 3, 4], "b": [0, 1, 2, 3, 4]}


def test_failed_handler_is_redelivered(db: Database) -> None:
    """A handler that fails leaves its event pending; the next run delivers it again."""
    with db.session() as s:
        events.emit(s, topic="t.y", payload={"n": 1})
    calls: list[int] = []

    def flaky(_: Session, e: events.Event) -> None:
        calls.append(e.id)
        if len(calls) == 1:
            raise ConnectionError("device busy")

    with pytest.raises(ConnectionError):
        events.process_pending(db.sessions, consumer="c", handler=flaky)
    assert events.process_pending(db.sessions, consumer="c", handler=flaky) == 1
    assert len(calls) == 2


@pytest.mark.integration
def test_racing_workers_apply_once(pg_db: Database) -> None:
    """Two workers racing over the same events on PostgreSQL apply each exactly once."""
    with pg_db.session() as s:
        for i in range(20):
            events.emit(s, topic="t.z", payload={"i": i})
    applied: list[int] = []
    lock = threading.Lock()

    def handler(session: Session, e: events.Event) -> None:
        # The effect is a row in the same transaction: a household per event.
        identity.create_household(session, name=f"event-{e.payload['i']}")
        with lock:
            applied.append(e.payload["i"])

    threads = [
        threading.Thread(
            target=events.process_pending,
            kwargs={"sessions": pg_db.sessions, "consumer": "w", "handler": handler},
        )
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with pg_db.session() as s:
        assert events.pending(s, consumer="w") == []
    from sqlalchemy import func, select

    from lingxi.data.models import Household

    with pg_db.session() as s:
        households = s.scalar(
            select(func.count(Household.id)).where(Household.name.like("event-%"))
        )
    assert households == 20
