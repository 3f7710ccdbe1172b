"""`/api/home`: commands (text, voice transcript, touch, gestures and camera frames), state, history, bindings, live stream.

Every route acts on the signed-in member's household only. Whatever the source (text, voice,
touch, gesture, undo), a risky act (unlock, open a garage or gate, heat above the limit)
answers 409 ``confirmation_required`` with a single-use token, which ``POST /confirm``
redeems once; a role that may never do it gets 403. No body field skips that.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path as PathParam, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from lingxi import extras
from lingxi.api.deps import CurrentMember, DatabaseDep, SettingsDep
from lingxi.api.routes._home_models import (
    ActionPublic,
    AdoptedPublic,
    BindingPublic,
    BindingsPublic,
    CancelPublic,
    HistoryPublic,
    OffersPublic,
    ParsePublic,
    StatesPublic,
)
from lingxi.api.services import home_controller
from lingxi.data.repos import home as repo
from lingxi.errors import ForbiddenError, InvalidInputError, NotFoundError
from lingxi.home import DEFAULT_GESTURE_BINDINGS, DeviceState, HomeController, state_labels
from lingxi.home._payloads import clean_json, refuse_unsafe_text
from lingxi.home.nlu import HOME_INTENTS, MAX_TEXT_CHARS

__all__ = ["router"]

router = APIRouter(prefix="/api/home", tags=["home"])

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The request.")]
AreaField = Annotated[str | None, Field(max_length=100, description="The room it came from.")]
EntityId = Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[a-z_]+\.[a-z0-9_]+$")]
GestureName = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]
MAX_SLOT_DEPTH = 4


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 0)]
    while stack:  # iterative: a deep body must not exhaust the call stack
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level + 1)
            stack.extend(
                (v, level + 1) for v in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


def _small_slots(value: dict[str, Any]) -> dict[str, Any]:
    # Slots are echoed in answers and stored: bound their nesting (deep JSON cannot be
    # serialised back) and their size.
    if _depth(value) > MAX_SLOT_DEPTH:
        raise ValueError(f"slots may nest at most {MAX_SLOT_DEPTH} levels")
    if len(json.dumps(value)) > 2000:
        raise ValueError("slots may be at most 2000 characters of JSON")
    # NUL and lone surrogates cannot be stored on PostgreSQL nor sent back in any answer.
    refuse_unsafe_text(value, "slots")
    return value


Slots = Annotated[dict[str, Any], AfterValidator(_small_slots)]


class ParseBody(BaseModel):
    """A request to parse without acting."""

    text: Text
    area: AreaField = None


class CommandBody(BaseModel):
    """A typed request or a voice transcript."""

    text: Text
    channel: Literal["text", "voice"] = "text"
    area: AreaField = None


class ConfirmBody(BaseModel):
    """The token of a request that waits for a yes."""

    token: Annotated[str, Field(min_length=8, max_length=100)]


class TouchBody(BaseModel):
    """A tile or slider of the web app: explicit target and action.

    There is no ``confirmed`` field (an unknown field is 422): a risky touch answers 409 with
    a token, and only redeeming that token at ``POST /confirm`` carries it out.
    """

    model_config = ConfigDict(extra="forbid")

    entity_id: EntityId
    intent: Annotated[str, Field(max_length=60)] = "HassTurnOn"
    slots: Slots = Field(default_factory=dict)


class GestureBody(BaseModel):
    """A gesture event (pad swipe/tap/long press, or a recognised gesture) or raw landmarks."""

    gesture: GestureName | None = None
    landmarks: Annotated[list[list[float]], Field(max_length=21)] | None = None
    """21 hand landmarks (x, y) in pixels."""
    history: Annotated[list[list[float]], Field(max_length=16)] | None = None
    """16 fingertip positions (x, y) in pixels."""
    width: Annotated[float, Field(gt=0, le=10000)] = 1.0
    height: Annotated[float, Field(gt=0, le=10000)] = 1.0
    target: EntityId | None = None


class SpeakBody(BaseModel):
    """A reply to speak."""

    text: Annotated[str, Field(min_length=1, max_length=1000)]
    language: Literal["en", "zh-CN"] = "en"


class BindingBody(BaseModel):
    """What a gesture does: a Home Assistant intent and fixed slots."""

    intent: Annotated[str, Field(max_length=60)]
    slots: Slots = Field(default_factory=dict)


def _controller(request: Request) -> HomeController:
    return home_controller(request.app.state)


@router.post("/parse")
def parse(body: ParseBody, request: Request, member: CurrentMember) -> ParsePublic:
    """The intents and slots in a request (the `lingxi home parse --json` document)."""
    result = _controller(request).parse(body.text, member.household_id, context_area=body.area)
    doc = result.to_dict()
    doc["targets"] = [list(c.targets) for c in result.commands]
    return ParsePublic.model_validate(doc)


@router.post("/command")
def command(body: CommandBody, request: Request, member: CurrentMember) -> ActionPublic:
    """Understand and carry out a request; 409 with a token when it needs a confirmation."""
    result = _controller(request).handle(
        body.text, member, channel=body.channel, context_area=body.area
    )
    return ActionPublic.model_validate(result.to_dict())


@router.post("/audio")
async def audio(
    request: Request,
    member: CurrentMember,
    language: Annotated[Literal["en", "zh-CN"], Query()] = "en",
    area: Annotated[str | None, Query(max_length=100)] = None,
) -> ActionPublic:
    """A spoken request as a WAV body: transcribed, then carried out like text (channel voice)."""
    settings = request.app.state.settings
    controller = _controller(request)
    if not settings.home.stt_url and controller.recognizer is None:
        extras.require("voice", "Offline speech")  # a transcription server needs no extra
    body = await request.body()
    result = await asyncio.to_thread(
        controller.handle_audio,
        body,
        member,
        language=language,
        context_area=area,
        stt_url=settings.home.stt_url,
        stt_model=settings.home.stt_model,
    )
    return ActionPublic.model_validate(result.to_dict())


@router.post(
    "/speak",
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}}, "description": "The spoken reply (WAV)."}},
)
async def speak_reply(body: SpeakBody, member: CurrentMember) -> Response:
    """A WAV of the reply spoken by espeak-ng (Mandarin expects pinyin text)."""
    from lingxi.home.voice import speak

    audio = await asyncio.to_thread(speak, body.text, language=body.language)
    return Response(content=audio, media_type="audio/wav")


@router.post("/confirm")
def confirm(body: ConfirmBody, request: Request, member: CurrentMember) -> ActionPublic:
    """Carry out a request that waited for a yes, once: a second redeem of the same token is
    409 ``already_confirmed``; an unknown, expired or cancelled token is 404."""
    return ActionPublic.model_validate(_controller(request).confirm(body.token, member).to_dict())


@router.post("/cancel")
def cancel(body: ConfirmBody, request: Request, member: CurrentMember) -> CancelPublic:
    """Drop a request that waited for a yes (the person said no)."""
    return CancelPublic(cancelled=_controller(request).cancel(body.token, member))


@router.post("/touch")
def touch(body: TouchBody, request: Request, member: CurrentMember) -> ActionPublic:
    """A tile or slider: ``intent`` is a Home Assistant intent, or ``select`` to point at it."""
    if body.intent != "select" and body.intent not in HOME_INTENTS:
        raise InvalidInputError.for_field("intent", "a home intent or 'select'", body.intent)
    result = _controller(request).touch(
        body.entity_id, member, intent=body.intent, slots=body.slots
    )
    return ActionPublic.model_validate(result.to_dict())


@router.post("/gesture")
def gesture(body: GestureBody, request: Request, member: CurrentMember) -> ActionPublic:
    """A gesture event by name, or landmarks/trajectory to classify first."""
    controller = _controller(request)
    if body.gesture is not None:
        return ActionPublic.model_validate(
            controller.gesture(body.gesture, member, target=body.target).to_dict()
        )
    if body.landmarks is None and body.history is None:
        raise InvalidInputError.for_field("gesture", "a name, landmarks or a history", None)
    result = controller.gesture_from_landmarks(
        member,
        landmarks=body.landmarks,
        history=body.history,
        width=body.width,
        height=body.height,
        target=body.target,
    )
    return ActionPublic.model_validate(result.to_dict())


@router.post("/gesture/frame")
async def gesture_frame(
    request: Request,
    member: CurrentMember,
    target: Annotated[str | None, Query(max_length=200, pattern=r"^[a-z_]+\.[a-z0-9_]+$")] = None,
) -> ActionPublic:
    """A camera frame as a JPEG/PNG body: hand landmarks (MediaPipe), the pose classifier, then
    the household's binding. A corrupt image is 422 naming ``image``; no hand is a reply."""
    from lingxi.home.vision import MAX_FRAME_BYTES

    extras.require("vision")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FRAME_BYTES:
        raise InvalidInputError.for_field(
            "image", f"at most {MAX_FRAME_BYTES} bytes", f"{declared} bytes"
        )
    body = await request.body()
    controller = _controller(request)
    result = await asyncio.to_thread(controller.gesture_from_frame, body, member, target=target)
    return ActionPublic.model_validate(result.to_dict())


@router.post("/undo")
def undo(request: Request, member: CurrentMember) -> ActionPublic:
    """Put back the states from before the member's last action, through the same policy: the
    undo of "lock" is an unlock (409 with a token; 403 for a child)."""
    return ActionPublic.model_validate(_controller(request).undo(member).to_dict())


@router.get("/state")
def state(
    request: Request,
    member: CurrentMember,
    entity_id: Annotated[str | None, Query(max_length=200)] = None,
    lang: Annotated[
        Literal["en", "zh"], Query(description="The language of names and state labels.")
    ] = "en",
) -> StatesPublic:
    """Current states of the household's entities, named in ``lang`` where the home has names
    in it (the interface's language, not the member's stored locale)."""
    rows = _controller(request).state(member.household_id, entity_id, language=lang)
    return StatesPublic.model_validate(
        {"data": rows, "count": len(rows), "language": lang, "state_labels": state_labels(lang)}
    )


@router.get("/history")
def history(
    request: Request,
    member: CurrentMember,
    entity_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> HistoryPublic:
    """Recorded changes, newest first: what, who (actor), how (source) and when."""
    rows = _controller(request).history(member.household_id, entity_id=entity_id, limit=limit)
    return HistoryPublic.model_validate({"data": rows, "count": len(rows)})


class AdoptBody(BaseModel):
    """Which announced device to adopt, into which area, under which name."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=400)]
    area: AreaField = None
    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None


def _may_adopt(member: Any) -> None:
    if member.role not in ("owner", "adult"):
        raise ForbiddenError("Only the household's adults may adopt devices.", field="role")


@router.get("/adoptable")
def adoptable(member: CurrentMember, settings: SettingsDep) -> OffersPublic:
    """Devices announced on the broker (retained HA discovery configs) that can be adopted;
    422 without a broker, 503 when it does not answer."""
    from lingxi.home.adopt import scan

    _may_adopt(member)
    offers = [o.to_dict() for o in scan(settings.mqtt)]
    return OffersPublic.model_validate({"data": offers, "count": len(offers)})


@router.post("/adopt")
def adopt_device(
    body: AdoptBody,
    request: Request,
    member: CurrentMember,
    settings: SettingsDep,
    db: DatabaseDep,
) -> AdoptedPublic:
    """Adopt one announced device into an area of the household; from then on it is
    commanded on its own command topic."""
    from lingxi.home.adopt import adopt, scan

    _may_adopt(member)
    refuse_unsafe_text([body.id, body.name, body.area], "body")
    done = adopt(
        db,
        scan(settings.mqtt),
        body.id,
        household_id=member.household_id,
        area_id=body.area,
        name=body.name,
    )
    _controller(request).reload(member.household_id)
    return AdoptedPublic.model_validate(done)


@router.get("/gestures/bindings")
def list_bindings(member: CurrentMember, db: DatabaseDep) -> BindingsPublic:
    """The household's gesture bindings, and the defaults for gestures it has not bound."""
    with db.session() as s:
        # Bindings stored before inputs were checked may hold a NUL or a lone surrogate: clean
        # them here so one bad row never makes the listing fail for the whole household.
        own = [
            clean_json(b.to_dict())
            for b in repo.list_gesture_bindings(s, household_id=member.household_id)
        ]
    bound = {b["gesture"] for b in own}
    defaults = [
        {"gesture": g, "intent": i, "slots": sl}
        for g, (i, sl) in sorted(DEFAULT_GESTURE_BINDINGS.items())
        if g not in bound
    ]
    return BindingsPublic.model_validate({"data": own, "count": len(own), "defaults": defaults})


@router.put("/gestures/bindings/{gesture}")
def put_binding(
    gesture: Annotated[str, PathParam(pattern=r"^[a-z_]{1,40}$")],
    body: BindingBody,
    member: CurrentMember,
    db: DatabaseDep,
) -> BindingPublic:
    """Bind a gesture of the household to an intent with fixed slots."""
    if body.intent not in HOME_INTENTS:
        raise InvalidInputError.for_field(
            "intent", "a home intent such as HassLightSet", body.intent
        )
    if len(json.dumps(body.slots)) > 2000:
        raise InvalidInputError.for_field("slots", "at most 2000 characters of JSON", "...")
    with db.session() as s:
        binding = repo.set_gesture_binding(
            s,
            household_id=member.household_id,
            gesture=gesture,
            intent=body.intent,
            slots=body.slots,
        )
    return BindingPublic.model_validate(binding.to_dict())


@router.delete("/gestures/bindings/{gesture}", status_code=204)
def delete_binding(gesture: str, member: CurrentMember, db: DatabaseDep) -> None:
    """Remove a binding (the default, if any, applies again)."""
    with db.session() as s:
        if not repo.delete_gesture_binding(s, household_id=member.household_id, gesture=gesture):
            raise NotFoundError(f"No binding for gesture {gesture!r}.", field="gesture")


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "snapshot, state..."}},
)
async def stream(
    request: Request,
    member: CurrentMember,
    max_events: Annotated[int | None, Query(ge=1, le=10000)] = None,
) -> StreamingResponse:
    """Server-sent events: a ``snapshot`` of every state, then one ``state`` event per change."""
    controller = _controller(request)
    household_id = member.household_id
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[DeviceState] = asyncio.Queue(maxsize=1000)

    def on_change(changed_household: int, changed: DeviceState) -> None:
        if changed_household == household_id:
            loop.call_soon_threadsafe(_put, queue, changed)

    snapshot = controller.state(household_id)
    unsubscribe = controller.subscribe(on_change)

    async def events() -> AsyncIterator[str]:
        sent = 0
        try:
            yield f"event: snapshot\ndata: {json.dumps(snapshot, ensure_ascii=False)}\n\n"
            sent += 1
            while max_events is None or sent < max_events:
                if await request.is_disconnected():
                    break
                try:
                    changed = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: state\ndata: {json.dumps(changed.to_dict(), ensure_ascii=False)}\n\n"
                sent += 1
        finally:
            unsubscribe()

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


def _put(queue: asyncio.Queue[DeviceState], state: DeviceState) -> None:
    if not queue.full():
        queue.put_nowait(state)
