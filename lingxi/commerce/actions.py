"""Stored actions: what the assistant proposed and waits for a "yes" to do.

A proposal is an audited tool call with confirmation ``pending`` and an id. One "yes" (or one
click on the button that carries that id) claims it with a conditional update, so five
concurrent "yes" run it once; the others learn it is already done. A button for an older
action never runs a newer one: the id says which action is meant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from lingxi.data import Database, utcnow
from lingxi.data.repos import conversation as conv_repo
from lingxi.data.repos.identity import Member

__all__ = [
    "ACTION_TTL",
    "Claim",
    "PendingAction",
    "claim",
    "decline",
    "finish",
    "latest_action",
    "propose",
]

ACTION_TTL = timedelta(minutes=15)
"""A proposal older than this is expired: the person is asked again."""

Outcome = Literal["claimed", "done", "declined", "expired", "missing"]


@dataclass(frozen=True, slots=True)
class PendingAction:
    """A proposed act waiting for the person's yes."""

    id: int
    conversation_id: int | None
    tool: str
    arguments: dict[str, Any]
    status: str
    """pending, confirmed (claimed: running or done), declined or expired."""
    result: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    """How a "yes" for an action ended."""

    outcome: Outcome
    """``claimed``: this caller runs it; ``done``: an earlier yes already did;
    ``declined``/``expired``: it will not run; ``missing``: no such action of this member."""
    action: PendingAction | None


def _view(t: conv_repo.ToolCallView) -> PendingAction:
    return PendingAction(
        t.id, t.conversation_id, t.tool, t.arguments, t.confirmation, t.result, t.created_at
    )


def propose(
    db: Database,
    member: Member,
    *,
    conversation_id: int | None,
    tool: str,
    arguments: dict[str, Any],
    question: str,
    channel: str = "text",
) -> PendingAction:
    """Store a proposal; older pending proposals of the conversation expire (one at a time)."""
    with db.session() as session:
        conv_repo.expire_pending_calls(
            session, customer_id=member.customer_id, conversation_id=conversation_id
        )
        call_id = conv_repo.record_tool_call(
            session,
            conversation_id=conversation_id,
            customer_id=member.customer_id,
            tool=tool,
            arguments=arguments,
            result={"asked": question},
            confirmation="pending",
            channel=channel,
        )
        return _view(
            conv_repo.get_tool_call(session, tool_call_id=call_id, customer_id=member.customer_id)
        )


def latest_action(db: Database, member: Member, conversation_id: int) -> PendingAction | None:
    """The conversation's newest proposal, in whatever state (None: nothing was proposed)."""
    with db.session() as session:
        call = conv_repo.latest_proposal(
            session, customer_id=member.customer_id, conversation_id=conversation_id
        )
    return _view(call) if call is not None else None


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def claim(db: Database, member: Member, action_id: int, *, now: datetime | None = None) -> Claim:
    """Claim ``action_id`` for running; exactly one caller ever gets ``claimed``."""
    when = _aware(now or utcnow())
    with db.session() as session:
        try:
            current = conv_repo.get_tool_call(
                session, tool_call_id=action_id, customer_id=member.customer_id
            )
        except LookupError:
            return Claim("missing", None)
        if current.confirmation == "pending" and when - _aware(current.created_at) > ACTION_TTL:
            conv_repo.claim_tool_call(
                session, tool_call_id=action_id, customer_id=member.customer_id, to="expired"
            )
        won = conv_repo.claim_tool_call(
            session, tool_call_id=action_id, customer_id=member.customer_id
        )
        after = _view(
            conv_repo.get_tool_call(session, tool_call_id=action_id, customer_id=member.customer_id)
        )
    if won:
        return Claim("claimed", after)
    outcome: Outcome = {"confirmed": "done", "declined": "declined"}.get(  # type: ignore[assignment]
        after.status, "expired"
    )
    return Claim(outcome, after)


def decline(db: Database, member: Member, action_id: int, *, expired: bool = False) -> bool:
    """Decline (or expire) a pending action; False when it was no longer pending."""
    with db.session() as session:
        return conv_repo.claim_tool_call(
            session,
            tool_call_id=action_id,
            customer_id=member.customer_id,
            to="expired" if expired else "declined",
        )


def finish(db: Database, member: Member, action_id: int, result: dict[str, Any]) -> None:
    """Store what a claimed action did."""
    with db.session() as session:
        conv_repo.finish_tool_call(
            session, tool_call_id=action_id, confirmation="confirmed", result=result
        )
