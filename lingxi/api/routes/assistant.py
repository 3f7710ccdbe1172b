"""`/api/assistant`: conversations with the assistant; replies as JSON or streamed (SSE)."""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, StringConstraints

from lingxi.api.deps import CurrentMember, service
from lingxi.api.ratelimit import RATE_LIMITED, limit_chat
from lingxi.api.services import Services, home_controller
from lingxi.assistant import (
    MAX_MESSAGE_CHARS,
    Assistant,
    AutomationWorker,
    LazyGuide,
    Reply,
    default_engines,
)
from lingxi.errors import LingxiError, UnavailableError
from lingxi.text import detect_language

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/assistant", tags=["assistant"])

ConversationIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Conversation id")]


class ConversationCreate(BaseModel):
    """A new conversation; the language defaults to the member's locale."""

    language: Literal["en", "zh"] | None = None


class MessageCreate(BaseModel):
    """One message from the signed-in member."""

    text: Annotated[
        str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_CHARS, strip_whitespace=True)
    ]
    channel: Literal["text", "voice", "touch", "gesture"] = "text"
    action_id: Annotated[int | None, Field(strict=True, ge=1, le=2**63 - 1)] = None
    """With a yes or a no from a Confirm button: the action that button belongs to. An older
    action's button never confirms a newer one; the reply says it expired or was replaced."""


class ConversationPublic(BaseModel):
    """A conversation that was started."""

    id: int
    language: str


class TurnPublic(BaseModel):
    """One stored message of a conversation."""

    id: int
    role: Literal["user", "assistant"]
    text: str
    skill: str | None
    created_at: str


class TurnsPublic(BaseModel):
    """A conversation's turns, oldest first."""

    id: int
    data: list[TurnPublic]
    count: int


class ActionPublic(BaseModel):
    """A tool call the reply did or proposed."""

    tool: str
    arguments: dict[str, Any]
    result: dict[str, Any]
    confirmation: Literal["not_needed", "pending", "confirmed", "declined", "expired"]
    action_id: int | None = None
    """Set on a proposal (pending) and on the action a yes ran."""


class ProductCard(BaseModel):
    """A product shown with the reply: facts from the catalogue."""

    id: int
    name: str
    brand: str
    price: float
    price_minor: int
    currency: str
    category: str
    skin_types: list[str]
    reason: str


class ReplyPublic(BaseModel):
    """The assistant's reply to one message."""

    reply: str
    skill: Literal["guide", "orders", "home", "account", "smalltalk"]
    actions: list[ActionPublic]
    needs_confirmation: bool
    action_id: int | None
    """The proposed action's id when the reply waits for a yes: send it with the yes."""
    conversation_id: int
    language: str
    items: list[ProductCard]
    brief: str | None = None
    """With product cards: the reply without the lines the cards show (name, price, reason)."""


def _build(state: Any) -> Assistant:
    # The app's one guide index and delivery planner (api/services.py): chat and the API
    # plan a paid order's delivery the same way, in the solver workers.
    container: Services = state.container
    engines = default_engines(
        state.db,
        state.settings,
        home_controller=home_controller(state),
        planner=container.delivery_planner,
    )
    engines.guide = LazyGuide(state.db, build=container.guide.get)
    # Cross-engine reactions (the porch light when the courier is near) run in the background
    # from the first use of the assistant on; the app's shutdown stops them.
    worker = AutomationWorker(state.db, engines.home)
    worker.start()
    state.on_shutdown.append(worker.stop)
    return Assistant(state.db, settings=state.settings, engines=engines)


def start(state: Any) -> None:
    """Build the app's assistant now, which starts the automation worker with the app."""
    if "assistant" not in state.services:
        state.services["assistant"] = _build(state)


def _assistant(request: Request) -> Assistant:
    assistant: Assistant = service(request, "assistant", _build)
    return assistant


@router.post("/conversations", status_code=201)
def create_conversation(
    request: Request, member: CurrentMember, body: ConversationCreate | None = None
) -> ConversationPublic:
    """Start a conversation for the signed-in member."""
    language = (body.language if body else None) or member.locale
    conversation_id = _assistant(request).start(member, language=language)
    return ConversationPublic(id=conversation_id, language=language)


@router.get("/conversations/{conversation_id}")
def get_conversation(
    request: Request, conversation_id: ConversationIdPath, member: CurrentMember
) -> TurnsPublic:
    """The conversation's turns (only the member's own)."""
    turns = _assistant(request).history(member, conversation_id)
    return TurnsPublic.model_validate({"id": conversation_id, "data": turns, "count": len(turns)})


@router.post(
    "/conversations/{conversation_id}/messages",
    dependencies=[Depends(limit_chat)],
    responses=RATE_LIMITED,
)
def post_message(
    request: Request,
    conversation_id: ConversationIdPath,
    body: MessageCreate,
    member: CurrentMember,
) -> ReplyPublic:
    """Send a message; the reply with its skill, actions and whether it waits for a yes.

    A yes (or a no) may carry the ``action_id`` of the reply that asked: one yes runs that
    action exactly once, a second says it is already done, and an older action's id never
    confirms a newer one.
    """
    reply = _assistant(request).handle(
        body.text, member, conversation_id, channel=body.channel, action_id=body.action_id
    )
    return ReplyPublic.model_validate(reply.to_dict())


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _chunks(text: str) -> Iterator[str]:
    # Word by word for Latin text, a few characters at a time for Chinese.
    for piece in re.findall(r"\S+\s*|\s+", text):
        if detect_language(piece) == "zh" and len(piece) > 4:
            for i in range(0, len(piece), 4):
                yield piece[i : i + 4]
        else:
            yield piece


def _stream(reply: Reply) -> Iterator[str]:
    meta = reply.to_dict()
    meta.pop("reply")
    yield _sse("meta", meta)
    for chunk in _chunks(reply.reply):
        yield _sse("delta", {"text": chunk})
    yield _sse("done", {"reply": reply.reply})


def _stream_live(
    assistant: Assistant, member: Any, conversation_id: int, body: MessageCreate
) -> Iterator[str]:
    """With an LLM: the model's own text as it is written, then ``meta``, the rest, ``done``."""
    pieces: queue.Queue[tuple[str, Any]] = queue.Queue()

    def run() -> None:
        try:
            reply = assistant.handle(
                body.text,
                member,
                conversation_id,
                channel=body.channel,
                action_id=body.action_id,
                on_text=lambda text: pieces.put(("text", text)),
            )
            pieces.put(("reply", reply))
        except LingxiError as err:
            pieces.put(("error", err))
        except Exception:  # the stream has started: report, never hang or leak a traceback
            logger.exception("assistant failed while streaming")
            pieces.put(("error", UnavailableError("The assistant failed; try again.")))

    threading.Thread(target=run, name="assistant-stream", daemon=True).start()
    streamed = ""
    while True:
        kind, value = pieces.get()
        if kind == "text":
            streamed += value
            yield _sse("delta", {"text": value})
        elif kind == "error":
            yield _sse("error", value.to_dict())
            return
        else:
            reply: Reply = value
            meta = reply.to_dict()
            meta.pop("reply")
            yield _sse("meta", meta)
            if reply.reply.startswith(streamed):
                for chunk in _chunks(reply.reply[len(streamed) :]):
                    yield _sse("delta", {"text": chunk})
            # Otherwise the model's draft was replaced (cleaned, or the offline fallback):
            # ``done`` carries the reply that was stored, which clients show.
            yield _sse("done", {"reply": reply.reply})
            return


@router.post(
    "/conversations/{conversation_id}/messages/stream",
    dependencies=[Depends(limit_chat)],
    response_class=StreamingResponse,
    responses={
        **RATE_LIMITED,
        200: {"content": {"text/event-stream": {}}, "description": "meta, delta..., done"},
    },
)
def stream_message(
    request: Request,
    conversation_id: ConversationIdPath,
    body: MessageCreate,
    member: CurrentMember,
) -> StreamingResponse:
    """Send a message; the reply streamed as Server-Sent Events: ``meta``, ``delta``..., ``done``.

    Offline, the message is handled (and any error raised as JSON) before the stream starts.
    With an LLM configured, the model's small-talk text streams as ``delta`` events while it is
    written (``stream=True``), then ``meta`` and ``done``; ``done.reply`` is authoritative, and
    an error after the stream started is an ``error`` event with the usual error body.
    """
    assistant = _assistant(request)
    if assistant.llm is not None:
        assistant.history(member, conversation_id)  # 404 before the stream, not inside it
        return StreamingResponse(
            _stream_live(assistant, member, conversation_id, body),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    reply = assistant.handle(
        body.text, member, conversation_id, channel=body.channel, action_id=body.action_id
    )
    return StreamingResponse(
        _stream(reply),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
