"""Conversations, their turns and the audit trail of every tool call the assistant made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lingxi.data.models import Conversation, Household, ToolCall, Turn
from lingxi.errors import InvalidInputError, NotFoundError

__all__ = [
    "CONFIRMATIONS",
    "ConversationView",
    "ToolCallView",
    "TurnView",
    "add_turn",
    "claim_tool_call",
    "create_conversation",
    "erase_customer_history",
    "expire_pending_calls",
    "finish_tool_call",
    "get_conversation",
    "get_tool_call",
    "household_settings",
    "latest_proposal",
    "list_tool_calls",
    "list_turns",
    "record_tool_call",
    "set_state",
]

CONFIRMATIONS = ("not_needed", "pending", "confirmed", "declined", "expired")
MAX_TURN_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class ConversationView:
    """A conversation as plain values."""

    id: int
    household_id: int
    customer_id: int
    language: str
    state: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TurnView:
    """One stored message."""

    id: int
    role: str
    text: str
    skill: str | None
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "role": self.role,
            "text": self.text,
            "skill": self.skill,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class ToolCallView:
    """One audited tool call."""

    id: int
    conversation_id: int | None
    customer_id: int | None
    tool: str
    arguments: dict[str, Any]
    result: dict[str, Any]
    confirmation: str
    channel: str
    created_at: datetime


def _conv_view(c: Conversation) -> ConversationView:
    return ConversationView(
        c.id, c.household_id, c.customer_id, c.language, dict(c.state or {}), c.created_at
    )


def create_conversation(
    session: Session, *, household_id: int, customer_id: int, language: str = "en"
) -> ConversationView:
    """Start a conversation for a member of a household."""
    conv = Conversation(
        household_id=household_id, customer_id=customer_id, language=language, state={}
    )
    session.add(conv)
    session.flush()
    return _conv_view(conv)


def _load(session: Session, conversation_id: int, customer_id: int) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    # Someone else's conversation is reported exactly like a missing one.
    if conv is None or conv.customer_id != customer_id:
        raise NotFoundError(
            f"No conversation with id {conversation_id}.",
            field="conversation_id",
            value=conversation_id,
        )
    return conv


def get_conversation(
    session: Session, *, conversation_id: int, customer_id: int
) -> ConversationView:
    """One of the customer's conversations."""
    return _conv_view(_load(session, conversation_id, customer_id))


def set_state(
    session: Session, *, conversation_id: int, customer_id: int, state: dict[str, Any]
) -> None:
    """Replace the conversation's short-lived state (pending confirmation, last results)."""
    conv = _load(session, conversation_id, customer_id)
    conv.state = dict(state)
    session.flush()


def add_turn(
    session: Session, *, conversation_id: int, role: str, text: str, skill: str | None = None
) -> int:
    """Store a user or assistant message; returns the turn id."""
    if role not in ("user", "assistant"):
        raise InvalidInputError.for_field("role", "'user' or 'assistant'", role)
    turn = Turn(conversation_id=conversation_id, role=role, text=text[:MAX_TURN_CHARS], skill=skill)
    session.add(turn)
    session.flush()
    return turn.id


def list_turns(
    session: Session, *, conversation_id: int, customer_id: int, limit: int = 200
) -> list[TurnView]:
    """The conversation's turns, oldest first (the last ``limit``)."""
    _load(session, conversation_id, customer_id)
    rows = list(
        session.scalars(
            select(Turn)
            .where(Turn.conversation_id == conversation_id)
            .order_by(Turn.id.desc())
            .limit(limit)
        )
    )
    return [TurnView(t.id, t.role, t.text, t.skill, t.created_at) for t in reversed(rows)]


def record_tool_call(
    session: Session,
    *,
    conversation_id: int | None,
    customer_id: int | None,
    tool: str,
    arguments: dict[str, Any],
    result: dict[str, Any] | None = None,
    confirmation: str = "not_needed",
    channel: str = "text",
) -> int:
    """Audit a tool call with its arguments, result and confirmation; returns its id."""
    if confirmation not in CONFIRMATIONS:
        raise InvalidInputError.for_field("confirmation", f"one of {CONFIRMATIONS}", confirmation)
    row = ToolCall(
        conversation_id=conversation_id,
        customer_id=customer_id,
        tool=tool,
        arguments=arguments,
        result=result or {},
        confirmation=confirmation,
        channel=channel,
    )
    session.add(row)
    session.flush()
    return row.id


def finish_tool_call(
    session: Session,
    *,
    tool_call_id: int,
    confirmation: str,
    result: dict[str, Any] | None = None,
) -> None:
    """Record how a pending call ended (confirmed, declined, expired) and its result."""
    if confirmation not in CONFIRMATIONS:
        raise InvalidInputError.for_field("confirmation", f"one of {CONFIRMATIONS}", confirmation)
    row = session.get(ToolCall, tool_call_id)
    if row is None:
        raise NotFoundError(f"No tool call with id {tool_call_id}.", field="tool_call_id")
    row.confirmation = confirmation
    if result is not None:
        row.result = result
    session.flush()


def _tool_call_view(t: ToolCall) -> ToolCallView:
    return ToolCallView(
        t.id,
        t.conversation_id,
        t.customer_id,
        t.tool,
        dict(t.arguments),
        dict(t.result),
        t.confirmation,
        t.channel,
        t.created_at,
    )


def claim_tool_call(
    session: Session,
    *,
    tool_call_id: int,
    customer_id: int,
    from_: tuple[str, ...] = ("pending",),
    to: str = "confirmed",
) -> bool:
    """Move the member's call from one of ``from_`` to ``to``, atomically.

    One conditional UPDATE: of two "yes" at once (or a "yes" and a "no"), exactly one wins.
    """
    if to not in CONFIRMATIONS:
        raise InvalidInputError.for_field("confirmation", f"one of {CONFIRMATIONS}", to)
    done = session.execute(
        update(ToolCall)
        .where(
            ToolCall.id == tool_call_id,
            ToolCall.customer_id == customer_id,
            ToolCall.confirmation.in_(from_),
        )
        .values(confirmation=to)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def expire_pending_calls(session: Session, *, customer_id: int, conversation_id: int | None) -> int:
    """Mark the conversation's pending calls expired (one UPDATE); returns how many were."""
    done = session.execute(
        update(ToolCall)
        .where(
            ToolCall.customer_id == customer_id,
            ToolCall.conversation_id == conversation_id
            if conversation_id is not None
            else ToolCall.conversation_id.is_(None),
            ToolCall.confirmation == "pending",
        )
        .values(confirmation="expired")
        .execution_options(synchronize_session=False)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def latest_proposal(
    session: Session, *, customer_id: int, conversation_id: int
) -> ToolCallView | None:
    """The conversation's newest call that asked for a confirmation, in whatever state."""
    row = session.scalar(
        select(ToolCall)
        .where(
            ToolCall.customer_id == customer_id,
            ToolCall.conversation_id == conversation_id,
            ToolCall.confirmation != "not_needed",
        )
        .order_by(ToolCall.id.desc())
        .limit(1)
    )
    return _tool_call_view(row) if row is not None else None


def get_tool_call(session: Session, *, tool_call_id: int, customer_id: int) -> ToolCallView:
    """One of the member's audited calls."""
    t = session.get(ToolCall, tool_call_id)
    if t is None or t.customer_id != customer_id:
        raise NotFoundError(f"No action with id {tool_call_id}.", field="action_id")
    session.refresh(t)
    return _tool_call_view(t)


def list_tool_calls(
    session: Session,
    *,
    customer_id: int | None,
    conversation_id: int | None = None,
    tool: str | None = None,
) -> list[ToolCallView]:
    """A customer's audited tool calls, oldest first; ``customer_id=None`` lists automations'."""
    query = select(ToolCall).order_by(ToolCall.id)
    if customer_id is None:
        query = query.where(ToolCall.customer_id.is_(None))
    else:
        query = query.where(ToolCall.customer_id == customer_id)
    if conversation_id is not None:
        query = query.where(ToolCall.conversation_id == conversation_id)
    if tool is not None:
        query = query.where(ToolCall.tool == tool)
    return [_tool_call_view(t) for t in session.scalars(query)]


REDACTED_TOOLS = ("account.remember", "account.show", "account.export", "account.forget")
"""Tool calls whose arguments and results hold profile data: redacted on erasure."""


def erase_customer_history(session: Session, *, customer_id: int) -> dict[str, int]:
    """Erase what a customer said and was told: every turn of their conversations, and the
    arguments and results of audit rows that carry profile data (the rows themselves stay, so
    the audit still shows what was done and when)."""
    conv_ids = list(
        session.scalars(select(Conversation.id).where(Conversation.customer_id == customer_id))
    )
    turns = 0
    if conv_ids:
        for turn in session.scalars(select(Turn).where(Turn.conversation_id.in_(conv_ids))):
            session.delete(turn)
            turns += 1
    redacted = 0
    for call in session.scalars(
        select(ToolCall).where(
            ToolCall.customer_id == customer_id, ToolCall.tool.in_(REDACTED_TOOLS)
        )
    ):
        call.arguments = {"redacted": True}
        call.result = {"redacted": True}
        redacted += 1
    for conv_id in conv_ids:
        conv = session.get(Conversation, conv_id)
        if conv is not None:
            conv.state = {}
    session.flush()
    return {"turns_deleted": turns, "tool_calls_redacted": redacted}


def household_settings(session: Session, *, household_id: int) -> dict[str, Any]:
    """A household's switches (e.g. ``porch_light_on_courier``); empty when unknown.

    Kept here for the assistant's automations because the identity repository has no reader
    for household settings yet.
    """
    household = session.get(Household, household_id)
    return dict(household.settings or {}) if household else {}
