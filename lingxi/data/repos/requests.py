"""Idempotency keys: the first request with a key stores its answer; a replay gets that answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lingxi.data.base import utcnow
from lingxi.data.models import IdempotentRequest

__all__ = ["KEY_TTL", "StoredRequest", "abandon", "claim_key", "complete", "get_key"]

KEY_TTL = timedelta(hours=24)
"""How long a key's answer is kept (as Stripe does): after that the key may be used afresh."""


@dataclass(frozen=True, slots=True)
class StoredRequest:
    """A key's request and, once answered, its answer (``status_code`` None: in progress)."""

    id: int
    key: str
    method: str
    path: str
    fingerprint: str
    status_code: int | None
    content_type: str
    body: str


def _view(row: IdempotentRequest) -> StoredRequest:
    return StoredRequest(
        row.id,
        row.key,
        row.method,
        row.path,
        row.fingerprint,
        row.status_code,
        row.content_type,
        row.body,
    )


def get_key(session: Session, *, household_id: int, key: str) -> StoredRequest | None:
    """The household's request stored under ``key``."""
    row = session.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.household_id == household_id, IdempotentRequest.key == key
        )
    )
    return _view(row) if row is not None else None


def claim_key(
    session: Session,
    *,
    household_id: int,
    customer_id: int,
    key: str,
    method: str,
    path: str,
    fingerprint: str,
) -> tuple[bool, StoredRequest]:
    """Store ``key`` as in progress; ``(True, row)`` for the first caller, else the stored row.

    The unique (household, key) constraint decides between concurrent first requests. The
    household's keys older than :data:`KEY_TTL` are forgotten first.
    """
    session.execute(
        delete(IdempotentRequest).where(
            IdempotentRequest.household_id == household_id,
            IdempotentRequest.created_at < utcnow() - KEY_TTL,
        )
    )
    row = IdempotentRequest(
        household_id=household_id,
        customer_id=customer_id,
        key=key,
        method=method,
        path=path,
        fingerprint=fingerprint,
        body="",
    )
    try:
        with session.begin_nested():
            session.add(row)
        return True, _view(row)
    except IntegrityError:
        existing = get_key(session, household_id=household_id, key=key)
        if existing is None:  # deleted (a failed first attempt) between the two statements
            raise
        return False, existing


def complete(
    session: Session, *, request_id: int, status_code: int, content_type: str, body: str
) -> None:
    """Store the answer of the first request."""
    row = session.get(IdempotentRequest, request_id)
    if row is not None:
        row.status_code, row.content_type, row.body = status_code, content_type, body
        session.flush()


def abandon(session: Session, *, request_id: int) -> None:
    """Forget a key whose first request failed on the server's side, so a retry runs again."""
    session.execute(delete(IdempotentRequest).where(IdempotentRequest.id == request_id))
