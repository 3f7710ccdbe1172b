"""HomeController: text, touch and gestures -> one action on the devices, safely and on record.

It parses (tiers 1-2), resolves targets, checks capabilities and safety (locks, covers and
anything heating need a confirmation unless the member's role allows it), sends device
commands through a :class:`DeviceDriver`, records every change with who, how and when, and
keeps a short per-member context for follow-ups, fusion ("turn that on" after pointing), a
spoken correction ("no, the other one") and undo.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from lingxi.config import HomeSettings
from lingxi.data import Database
from lingxi.data.repos import home as repo
from lingxi.data.repos.identity import Member
from lingxi.errors import (
    ConfirmationRequiredError,
    ForbiddenError,
    InvalidInputError,
    LingxiError,
    NotFoundError,
)
from lingxi.home.command_space import SpeechParams
from lingxi.home.devices import COLORS, DeviceCommand, DeviceState, restore_command
from lingxi.home.drivers.base import DeviceDriver
from lingxi.home.drivers.memory import MemoryDriver
from lingxi.home.model import Command, Home, NoMatchReason, ParseResult
from lingxi.home.nlu import Parser
from lingxi.home.voice import SpeechRecognizer, Transcript

__all__ = ["CHANNELS", "DEFAULT_GESTURE_BINDINGS", "ActionResult", "HomeController"]

logger = logging.getLogger(__name__)

CHANNELS = ("voice", "text", "touch", "gesture", "automation")
"""How a request reached the home; recorded with every change."""

DEFAULT_GESTURE_BINDINGS: dict[str, tuple[str, dict[str, Any]]] = {
    "clockwise": ("HassLightSet", {"brightness_step": "up"}),
    "counter_clockwise": ("HassLightSet", {"brightness_step": "down"}),
    "swipe_up": ("HassLightSet", {"brightness_step": "up"}),
    "swipe_down": ("HassLightSet", {"brightness_step": "down"}),
    "swipe_right": ("HassMediaNext", {}),
    "swipe_left": ("HassMediaPrevious", {}),
    "open": ("HassMediaPause", {}),
    "stop": ("HassMediaPause", {}),
    "close": ("HassTurnOff", {}),
    "long_press": ("HassTurnOff", {}),
    "ok": ("HassTurnOn", {}),
}
"""Used for a gesture the household has not bound itself (bindings are editable per household)."""

POINTING_GESTURES = ("pointer", "point", "tap")
"""Gestures that select a device rather than act on one."""

_BRIGHTNESS_STEP = 51  # 20 % of 255
_TEMPERATURE_STEP = 1.0
_VOLUME_STEP = 0.1
_CONFIRM_TTL_S = 120.0
_FOLLOW_UP_S = 300.0

_CORRECTION = re.compile(
    r"^(no,? )?(not that one|the other one)|^no,? the other|不是这个|不是那个|另一个|另外一个"
)
_UNDO = re.compile(
    r"^(undo|undo that|cancel that|put it back|revert)\b|撤销|恢复原样|取消刚才|还原"
)
_DEICTIC = re.compile(r"\b(that|this|it|them)\b|这个|那个|它|这盏|那盏")


@dataclass
class ActionResult:
    """The outcome of a request: a reply to say, and what changed."""

    ok: bool
    reply: str
    commands: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    """``{"entity_id", "state", "attributes"}`` of each entity after the action."""
    reason: str | None = None
    question: str | None = None
    candidates: list[str] = field(default_factory=list)
    language: str = "en"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "ok": self.ok,
            "reply": self.reply,
            "commands": self.commands,
            "changes": self.changes,
            "reason": self.reason,
            "question": self.question,
            "candidates": self.candidates,
        }


@dataclass
class _Context:
    """What the controller remembers about one member's recent requests."""

    last_command: Command | None = None
    last_at: float = 0.0
    last_undo: list[DeviceState] = field(default_factory=list)
    """States before the last action, to undo it."""
    last_candidates: tuple[str, ...] = ()
    pending: Command | None = None
    """A command that asked "which one?" and waits for the answer."""
    pending_at: float = 0.0
    pointed: str | None = None
    pointed_at: float = 0.0


@dataclass
class _Pending:
    customer_id: int
    household_id: int
    commands: list[Command]
    channel: str
    expires: float


class HomeController:
    """The smart-home engine's front: parse, execute, state, history, gestures.

    Parameters
    ----------
    db
        The shared database (areas, entities, state history, gesture bindings).
    settings
        Home settings (which domains need a confirmation, the fusion window).
    driver
        The device driver; the in-process :class:`MemoryDriver` when omitted.
    clock
        Seconds as a float (tests pass a fake clock).
    speech_params
        How sure a spoken request must be before it acts.
    recognizer
        A speech recogniser for every household instead of the offline ``[voice]`` one (a
        custom engine; tests).
    """

    def __init__(
        self,
        db: Database,
        *,
        settings: HomeSettings | None = None,
        driver: DeviceDriver | None = None,
        clock: Callable[[], float] = time.monotonic,
        speech_params: SpeechParams | None = None,
        recognizer: SpeechRecognizer | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or HomeSettings()
        self.driver: DeviceDriver = driver or MemoryDriver()
        self.clock = clock
        self.speech_params = speech_params or SpeechParams()
        self.recognizer = recognizer
        self._homes: dict[int, Home] = {}
        self._parsers: dict[tuple[int, str | None], Parser] = {}
        self._contexts: dict[int, _Context] = {}
        self._pending: dict[str, _Pending] = {}
        self._listeners: list[Callable[[int, DeviceState], None]] = []
        self._busy: set[tuple[int, str]] = set()
        self._lock = threading.RLock()
        self._gesture_models: Any = None
        self._landmarker: Any = None
        self._recognizers: dict[int, Any] = {}
        self._command_spaces: dict[int, Any] = {}
        self.driver.add_listener(self._on_device_state)

    # ------------------------------------------------------------------ home and parsing

    def home(self, household_id: int) -> Home:
        """The household's areas and entities; devices are announced to the driver once."""
        with self._lock:
            if household_id in self._homes:
                return self._homes[household_id]
            with self.db.session() as s:
                areas = repo.list_areas(s, household_id=household_id)
                entities = repo.list_entities(s, household_id=household_id)
                states = repo.current_states(s, household_id=household_id)
            if not entities:
                raise NotFoundError(
                    f"Household {household_id} has no devices. Load the demo with "
                    "`lingxi demo load` or add entities first.",
                    field="household_id",
                )
            home = Home.from_records(household_id, areas, entities)
            self.driver.start(
                household_id,
                entities,
                {k: DeviceState(k, v.state, v.attributes, household_id) for k, v in states.items()},
            )
            self._homes[household_id] = home
            return home

    def reload(self, household_id: int) -> None:
        """Forget the cached home (after entities were added or renamed)."""
        with self._lock:
            self._homes.pop(household_id, None)
            for key in [k for k in self._parsers if k[0] == household_id]:
                del self._parsers[key]

    def _parser(self, household_id: int, context_area: str | None) -> Parser:
        key = (household_id, context_area)
        parser = self._parsers.get(key)
        if parser is None:
            home = self.home(household_id)
            if context_area is not None and home.area(context_area) is None:
                area = home.area_by_name(context_area)
                if area is None:
                    raise InvalidInputError.for_field(
                        "area", "an area of the household", context_area
                    )
                context_area = area.area_id
            parser = self._parsers[key] = Parser(home, context_area=context_area)
        return parser

    def parse(
        self, text: str, household_id: int, *, context_area: str | None = None
    ) -> ParseResult:
        """What ``text`` means for this household (no device is touched)."""
        return self._parser(household_id, context_area).parse(text)

    # ------------------------------------------------------------------ requests

    def _context(self, member: Member) -> _Context:
        return self._contexts.setdefault(member.customer_id, _Context())

    def forget(self, member: Member) -> None:
        """Drop what the controller remembers of ``member``'s recent requests (follow-ups,
        pointing, a pending question); undo history goes with it."""
        self._contexts.pop(member.customer_id, None)

    def handle(
        self,
        text: str,
        member: Member,
        *,
        channel: str = "text",
        context_area: str | None = None,
        confirmed: bool = False,
    ) -> ActionResult:
        """Understand and carry out one spoken or typed request of ``member``.

        Raises
        ------
        ConfirmationRequiredError
            The request touches a lock, cover or heating and the role needs a yes; call
            :meth:`confirm` with the error's ``token``.
        ForbiddenError
            The member's role may never do this (a child unlocking the door).
        """
        self._check_channel(channel)
        ctx = self._context(member)
        now = self.clock()
        stripped = text.strip().casefold()
        if _UNDO.search(stripped):
            return self.undo(member)
        if _CORRECTION.search(stripped):
            return self._correct(member, channel)
        parser = self._parser(member.household_id, context_area)
        if ctx.pending is not None and now - ctx.pending_at <= _FOLLOW_UP_S:
            chosen = parser.answer(text, ctx.pending, ctx.last_candidates)
            ctx.pending = None
            if chosen is not None:
                return self.execute([chosen], member, channel=channel, confirmed=confirmed)
        previous = None
        if (
            ctx.pointed
            and now - ctx.pointed_at <= self.settings.fusion_window_s
            and _DEICTIC.search(stripped)
        ):
            previous = Command("HassTurnOn", {}, targets=(ctx.pointed,))
        elif ctx.last_command is not None and now - ctx.last_at <= _FOLLOW_UP_S:
            previous = ctx.last_command
        result = parser.parse(text, previous=previous)
        if not result.commands:
            ctx.last_candidates = result.candidates
            ctx.pending, ctx.pending_at = result.pending, now
            return ActionResult(
                ok=False,
                reply=result.question or _no_match_reply(result.reason, result.language),
                reason=result.reason,
                question=result.question,
                candidates=list(result.candidates),
                language=result.language,
            )
        return self.execute(list(result.commands), member, channel=channel, confirmed=confirmed)

    def handle_audio(
        self,
        audio: bytes,
        member: Member,
        *,
        language: str = "en",
        context_area: str | None = None,
        stt_url: str | None = None,
        stt_model: str = "whisper-1",
    ) -> ActionResult:
        """A spoken request (WAV): transcribe, then the same path as typed text (channel voice).

        Uses the transcription server when ``stt_url`` is given, else the offline recognisers
        of the optional ``[voice]`` extra (Whisper, with PocketSphinx's grammar reading as an
        English alternative). The transcript is read against the home's own command space
        (:class:`~lingxi.home.command_space.CommandSpace`) before the parser sees it; what
        was heard unclearly and matches nothing clearly gets "I didn't catch that" and acts on
        nothing, not even as a follow-up of the last command.
        """
        from lingxi.home.voice import OfflineRecognizer, ServerRecognizer, read_wav

        pcm, _ = read_wav(audio)
        recognizer: Any
        key = member.household_id
        if stt_url:
            recognizer = ServerRecognizer(stt_url, model=stt_model)
        elif self.recognizer is not None:
            recognizer = self.recognizer
        else:
            recognizer = self._recognizers.get(key)
            if recognizer is None:
                recognizer = self._recognizers[key] = OfflineRecognizer(self.home(key))
        transcript = recognizer.transcribe(pcm, language=language)
        lang = "zh-CN" if language.casefold().startswith("zh") else "en"
        heard: dict[str, Any] = {"transcript": transcript.text, "engine": transcript.engine}
        text, how = self.understand_speech(
            transcript, member.household_id, language=lang, context_area=context_area
        )
        heard["understood_as"], heard["by"] = text, how
        if text is None:
            reply = "我没听清楚，请再说一遍。" if lang == "zh-CN" else "Sorry, I didn't catch that."
            reason = "no_speech" if not transcript.text.strip() else "unclear_speech"
            return ActionResult(
                ok=False, reply=reply, reason=reason, commands=[heard], language=lang
            )
        result = self.handle(text, member, channel="voice", context_area=context_area)
        result.commands.insert(0, heard)
        return result

    def understand_speech(
        self,
        transcript: Transcript,
        household_id: int,
        *,
        language: str,
        context_area: str | None = None,
    ) -> tuple[str | None, str]:
        """What a transcript should be taken to say, and how that was decided.

        In order: a phrase of the command space that the transcript matches almost exactly
        (score >= ``sure_match`` of :class:`SpeechParams`); the transcript itself when it was
        heard clearly (confidence >= ``min_confidence``) and names its own target; a phrase it
        matches well enough (>= ``min_match``) that is not a bare follow-up; another
        recogniser's confident reading (PocketSphinx's, for English); the clearly heard
        transcript as it is (a follow-up such as "再亮一点" or a plain no-match reply).
        Anything else is None: not understood, nothing is done.
        """
        from lingxi.home.command_space import CommandSpace

        text, confidence = transcript.text, transcript.confidence
        if not text.strip():
            return None, "no_speech"
        space = self._command_spaces.get(household_id)
        if space is None:
            space = self._command_spaces[household_id] = CommandSpace(self.home(household_id))
        match = space.match(text, language=language)
        clear = confidence >= self.speech_params.min_confidence
        sure = match is not None and match.score >= self.speech_params.sure_match
        if match is not None and sure and (clear or not match.follow_up):
            return match.phrase, "command_space"
        if clear and self.parse(text, household_id, context_area=context_area).commands:
            return text, "transcript"
        good = match is not None and match.score >= self.speech_params.min_match
        if match is not None and good and not match.follow_up:
            return match.phrase, "command_space"
        for alternative, _, engine in transcript.alternatives:
            if self.parse(alternative, household_id, context_area=context_area).commands:
                return alternative, engine
        if clear:
            return text, "transcript"
        return None, "unclear"

    def execute(
        self,
        commands: list[Command],
        member: Member,
        *,
        channel: str = "text",
        confirmed: bool = False,
    ) -> ActionResult:
        """Carry out resolved commands for ``member`` (targets must be filled)."""
        self._check_channel(channel)
        home = self.home(member.household_id)
        risky = [t for c in commands for t in c.targets if self._needs_confirmation(home, c, t)]
        if risky and not confirmed:
            if member.role == "child":
                raise ForbiddenError(
                    "A child's account may not operate locks, covers or heating.",
                    entity_ids=risky,
                )
            if member.role != "owner":
                token = secrets.token_urlsafe(16)
                with self._lock:
                    self._pending[token] = _Pending(
                        member.customer_id,
                        member.household_id,
                        commands,
                        channel,
                        self.clock() + _CONFIRM_TTL_S,
                    )
                names = ", ".join(e.name for t in risky if (e := home.entity(t)))
                raise ConfirmationRequiredError(
                    f"Please confirm: this changes {names}.",
                    token=token,
                    entity_ids=risky,
                    commands=[c.to_dict() for c in commands],
                )
        return self._run(commands, member, channel, home)

    def confirm(self, token: str, member: Member) -> ActionResult:
        """Carry out a request that waited for a yes."""
        with self._lock:
            pending = self._pending.get(token)
            if pending is not None and pending.customer_id == member.customer_id:
                del self._pending[token]  # only its own member redeems (or burns) a token
            else:
                pending = None
        if pending is None or pending.expires < self.clock():
            raise NotFoundError("No pending confirmation with this token.", field="token")
        return self._run(pending.commands, member, pending.channel, self.home(member.household_id))

    def _needs_confirmation(self, home: Home, command: Command, entity_id: str) -> bool:
        if command.intent in ("HassGetState", "HassClimateGetTemperature"):
            return False
        entity = home.entity(entity_id)
        if entity is None:
            return False
        if entity.domain == "lock" and command.intent == "HassTurnOn":
            return False  # locking is always safe; unlocking is not
        return entity.domain in self.settings.confirm_domains or bool(
            entity.capabilities.get("heating")
        )

    def _run(
        self, commands: list[Command], member: Member, channel: str, home: Home
    ) -> ActionResult:
        ctx = self._context(member)
        changes: list[DeviceState] = []
        before: list[DeviceState] = []
        replies: list[str] = []
        language = commands[0].language if commands else "en"
        for command in commands:
            if command.intent in ("HassGetState", "HassClimateGetTemperature"):
                replies.append(self._describe(home, command, language))
                continue
            for entity_id in command.targets:
                entity = home.entity(entity_id)
                if entity is None:
                    raise NotFoundError(f"No entity {entity_id!r} in this home.", field="entity_id")
                current = self.driver.state(
                    entity_id, household_id=home.household_id
                ) or DeviceState(entity_id, "unknown", {}, home.household_id)
                payload = _device_payload(command, entity.domain, entity.capabilities, current)
                busy = (home.household_id, entity_id)
                with self._lock:
                    self._busy.add(busy)
                try:
                    new = self.driver.send(DeviceCommand(entity_id, payload, home.household_id))
                except LingxiError:
                    # What already changed is real: record it before reporting the failure.
                    self._record(member.household_id, changes, channel, member.customer_id)
                    raise
                finally:
                    with self._lock:
                        self._busy.discard(busy)
                before.append(current)
                changes.append(new)
            replies.append(_reply(command, home, language))
        self._record(member.household_id, changes, channel, member.customer_id)
        acting = [
            c for c in commands if c.intent not in ("HassGetState", "HassClimateGetTemperature")
        ]
        if acting:
            ctx.last_command = acting[-1]
            ctx.last_undo = before
        elif commands:
            ctx.last_command = commands[-1]
        ctx.last_at = self.clock()
        return ActionResult(
            ok=True,
            reply=" ".join(replies),
            commands=[{**c.to_dict(), "targets": list(c.targets)} for c in commands],
            changes=[c.to_dict() for c in changes],
            language=language,
        )

    def _record(
        self, household_id: int, changes: list[DeviceState], source: str, actor: int | None
    ) -> None:
        if not changes:
            return
        with self.db.session() as s:
            for state in changes:
                repo.record_state(
                    s,
                    household_id=household_id,
                    entity_id=state.entity_id,
                    state=state.state,
                    attributes=state.attributes,
                    source=source,
                    actor_customer_id=actor if actor and actor > 0 else None,
                )
        for state in changes:
            self._notify(household_id, state)

    def _describe(self, home: Home, command: Command, language: str) -> str:
        parts = []
        for entity_id in command.targets:
            entity = home.entity(entity_id)
            state = self.driver.state(entity_id, household_id=home.household_id)
            if entity is None or state is None:
                continue
            if command.intent == "HassClimateGetTemperature":
                current = state.attributes.get(
                    "current_temperature", state.attributes.get("temperature")
                )
                target = state.attributes.get("temperature")
                parts.append(
                    f"{entity.name}: 当前{current}度，设定{target}度"
                    if language == "zh-CN"
                    else f"{entity.name} is at {current} degrees, set to {target}."
                )
            else:
                parts.append(
                    f"{entity.name}：{state.state}"
                    if language == "zh-CN"
                    else f"{entity.name} is {state.state}."
                )
        return " ".join(parts) or ("没有读数。" if language == "zh-CN" else "No reading.")

    # ------------------------------------------------------------------ touch, gestures, fusion

    def touch(
        self,
        entity_id: str,
        member: Member,
        *,
        intent: str = "HassTurnOn",
        slots: dict[str, Any] | None = None,
        confirmed: bool = False,
    ) -> ActionResult:
        """A tile or slider of the web app: an explicit target and action."""
        home = self.home(member.household_id)
        entity = home.entity(entity_id)
        if entity is None:
            raise NotFoundError(f"No entity {entity_id!r} in this home.", field="entity_id")
        if intent == "select":
            return self.point(entity_id, member)
        command = Command(intent, dict(slots or {}), tier=0, targets=(entity_id,))
        # Validate before anything (or any confirmation) happens.
        _device_payload(
            command, entity.domain, entity.capabilities, DeviceState(entity_id, "unknown")
        )
        return self.execute([command], member, channel="touch", confirmed=confirmed)

    def point(self, entity_id: str, member: Member) -> ActionResult:
        """Pointing at or tapping a device selects it for a following "turn that on"."""
        home = self.home(member.household_id)
        entity = home.entity(entity_id)
        if entity is None:
            raise NotFoundError(f"No entity {entity_id!r} in this home.", field="entity_id")
        ctx = self._context(member)
        ctx.pointed, ctx.pointed_at = entity_id, self.clock()
        return ActionResult(ok=True, reply=f"Selected {entity.name}.", candidates=[entity_id])

    def gesture(
        self,
        gesture: str,
        member: Member,
        *,
        target: str | None = None,
        confirmed: bool = False,
    ) -> ActionResult:
        """A recognised gesture or a gesture-pad event (swipe, tap, long press).

        The action comes from the household's binding for ``gesture`` (or the default);
        the target is ``target``, else what was just pointed at or named (within the
        fusion window), else the last command's target.
        """
        gesture = gesture.strip().lower().replace("-", "_").replace(" ", "_")
        if not re.fullmatch(r"[a-z_]{1,40}", gesture):
            raise InvalidInputError.for_field("gesture", "a gesture name like 'clockwise'", gesture)
        if gesture in POINTING_GESTURES:
            if target is None:
                return ActionResult(
                    ok=False, reply="Point at a device to select it.", reason="no_target"
                )
            return self.point(target, member)
        with self.db.session() as s:
            bindings = {
                b.gesture: b
                for b in repo.list_gesture_bindings(s, household_id=member.household_id)
            }
        if gesture in bindings:
            intent, slots = bindings[gesture].intent, dict(bindings[gesture].slots)
        elif gesture in DEFAULT_GESTURE_BINDINGS:
            intent, slots = DEFAULT_GESTURE_BINDINGS[gesture]
            slots = dict(slots)
        else:
            return ActionResult(
                ok=False,
                reply=f"The gesture {gesture!r} is not bound to anything.",
                reason="no_binding",
            )
        ctx = self._context(member)
        now = self.clock()
        home = self.home(member.household_id)
        targets: tuple[str, ...]
        if target is not None:
            if home.entity(target) is None:
                raise NotFoundError(f"No entity {target!r} in this home.", field="target")
            targets = (target,)
        elif ctx.pointed and now - ctx.pointed_at <= self.settings.fusion_window_s:
            targets = (ctx.pointed,)
        elif ctx.last_command is not None and now - ctx.last_at <= self.settings.fusion_window_s:
            targets = ctx.last_command.targets
        else:
            return ActionResult(
                ok=False,
                reply="Which device? Say or point at one first.",
                reason=NoMatchReason.NO_TARGET.value,
            )
        fitting = tuple(t for t in targets if _intent_fits(intent, t.split(".")[0]))
        if not fitting:
            return ActionResult(
                ok=False,
                reply=f"{intent} does not apply to {', '.join(targets)}.",
                reason=NoMatchReason.NO_CAPABILITY.value,
            )
        command = Command(intent, slots, tier=0, targets=fitting)
        return self.execute([command], member, channel="gesture", confirmed=confirmed)

    def gesture_from_landmarks(
        self,
        member: Member,
        *,
        landmarks: Any = None,
        history: Any = None,
        width: float = 1.0,
        height: float = 1.0,
        target: str | None = None,
    ) -> ActionResult:
        """Classify a hand pose (21 landmarks) or a fingertip motion (16 points), then act.

        Poses: open, close, pointer, ok. Motions: stop, clockwise, counter_clockwise, move
        (``move`` only tracks the hand and does nothing). An unsure classification acts on
        nothing and says so.
        """
        from lingxi.home.gestures import GestureModels

        if self._gesture_models is None:
            self._gesture_models = GestureModels.from_package()
        models = self._gesture_models
        if history is not None:
            label, confidence = models.classify_motion(history, width=width, height=height)
        elif landmarks is not None:
            label, confidence = models.classify_pose(landmarks)
        else:
            raise InvalidInputError.for_field("landmarks", "given (or a history)", None)
        if label is None or label == "move":
            return ActionResult(
                ok=False,
                reply="No gesture recognised." if label is None else "Hand moving.",
                reason="no_gesture" if label is None else "no_action",
                commands=[{"gesture": label, "confidence": round(confidence, 3)}],
            )
        result = self.gesture(label, member, target=target)
        result.commands.insert(0, {"gesture": label, "confidence": round(confidence, 3)})
        return result

    def gesture_from_frame(
        self, image: bytes, member: Member, *, target: str | None = None
    ) -> ActionResult:
        """A camera frame (JPEG/PNG): hand landmarks (MediaPipe, the ``[vision]`` extra), then
        the pose classifier, then the household's binding, as :meth:`gesture_from_landmarks`.

        Raises
        ------
        InvalidInputError
            ``image`` is not a decodable image (or is too large).
        UnavailableError
            The ``[vision]`` extra is not installed.
        """
        from lingxi.home.vision import HandLandmarker, decode_frame

        rgb = decode_frame(image)  # a bad frame is refused before MediaPipe is loaded
        with self._lock:
            if self._landmarker is None:
                self._landmarker = HandLandmarker()
            landmarker = self._landmarker
        hand = landmarker.find_hand_rgb(rgb)
        if hand is None:
            return ActionResult(ok=False, reply="No hand seen in the frame.", reason="no_hand")
        result = self.gesture_from_landmarks(member, landmarks=hand.landmarks, target=target)
        result.commands.insert(
            0,
            {
                "hand": hand.handedness,
                "hand_score": round(hand.score, 3),
                "frame": [hand.width, hand.height],
            },
        )
        return result

    def _correct(self, member: Member, channel: str) -> ActionResult:
        """ "No, the other one": undo the last action and do it on the other candidate."""
        ctx = self._context(member)
        last = ctx.last_command
        if last is None or not last.targets:
            return ActionResult(ok=False, reply="There is nothing to correct.", reason="no_target")
        home = self.home(member.household_id)
        done = set(last.targets)
        candidates = [c for c in ctx.last_candidates if c not in done]
        if not candidates:
            first = home.entity(last.targets[0])
            if first is None:
                return ActionResult(
                    ok=False, reply="There is nothing to correct.", reason="no_target"
                )
            same_area = [
                e.entity_id
                for e in home.entities
                if e.domain == first.domain
                and e.area_id == first.area_id
                and e.entity_id not in done
            ]
            same_domain = [
                e.entity_id
                for e in home.entities
                if e.domain == first.domain and e.entity_id not in done
            ]
            candidates = same_area or same_domain
        if len(candidates) != 1:
            question = (
                "Which one do you mean: "
                + ", ".join(e.name for c in candidates if (e := home.entity(c)))
                + "?"
            )
            ctx.last_candidates = tuple(candidates)
            return ActionResult(
                ok=False,
                reply=question if candidates else "There is no other one.",
                reason=NoMatchReason.AMBIGUOUS_TARGET.value
                if candidates
                else NoMatchReason.NO_TARGET.value,
                question=question if candidates else None,
                candidates=candidates,
            )
        self.undo(member)
        command = replace(last, targets=(candidates[0],))
        ctx.last_candidates = ()
        return self.execute([command], member, channel=channel)

    def undo(self, member: Member) -> ActionResult:
        """Put back the states from before the member's last action."""
        ctx = self._context(member)
        if not ctx.last_undo:
            return ActionResult(
                ok=False, reply="There is nothing to undo.", reason="nothing_to_undo"
            )
        changes = []
        for previous in ctx.last_undo:
            changes.append(self.driver.send(restore_command(previous)))
        self._record(member.household_id, changes, "undo", member.customer_id)
        ctx.last_undo = []
        return ActionResult(
            ok=True,
            reply="Undone.",
            changes=[c.to_dict() for c in changes],
        )

    # ------------------------------------------------------------------ state and events

    def state(self, household_id: int, entity_id: str | None = None) -> list[dict[str, Any]]:
        """Current states of the household's entities (as the devices report them)."""
        home = self.home(household_id)
        out = []
        for e in home.entities:
            if entity_id is not None and e.entity_id != entity_id:
                continue
            s = self.driver.state(e.entity_id, household_id=household_id)
            out.append(
                {
                    "entity_id": e.entity_id,
                    "name": e.name,
                    "area": e.area_id,
                    "domain": e.domain,
                    "state": s.state if s else "unknown",
                    "attributes": s.attributes if s else {},
                    "capabilities": e.capabilities,
                }
            )
        if entity_id is not None and not out:
            raise NotFoundError(f"No entity {entity_id!r} in this home.", field="entity_id")
        return out

    def history(
        self, household_id: int, *, entity_id: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Recorded changes, newest first: what, who, how and when."""
        with self.db.session() as s:
            return [
                r.to_dict()
                for r in repo.state_history(
                    s, household_id=household_id, entity_id=entity_id, limit=limit
                )
            ]

    def turn_on(
        self, household_id: int, entity_id: str, *, source: str = "automation"
    ) -> ActionResult:
        """Turn one entity on for an automation (e.g. the porch light when the courier is near)."""
        home = self.home(household_id)
        entity = home.entity(entity_id)
        if entity is None:
            raise NotFoundError(
                f"No entity {entity_id!r} in household {household_id}.", field="entity_id"
            )
        command = Command("HassTurnOn", {"name": entity.name}, tier=0, targets=(entity_id,))
        current = self.driver.state(entity_id, household_id=household_id) or DeviceState(
            entity_id, "unknown", {}, household_id
        )
        new = self.driver.send(
            DeviceCommand(
                entity_id,
                _device_payload(command, entity.domain, entity.capabilities, current),
                household_id,
            )
        )
        self._record(
            household_id, [new], source if source in repo.STATE_SOURCES else "automation", None
        )
        return ActionResult(ok=True, reply=_reply(command, home, "en"), changes=[new.to_dict()])

    def subscribe(self, listener: Callable[[int, DeviceState], None]) -> Callable[[], None]:
        """Be told of every state change ``(household_id, state)``; returns an unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _notify(self, household_id: int, state: DeviceState) -> None:
        for listener in list(self._listeners):
            try:
                listener(household_id, state)
            except Exception:
                logger.exception("state listener failed")

    def _on_device_state(self, state: DeviceState) -> None:
        """A device reported a state on its own (a wall switch, another controller)."""
        with self._lock:
            if (state.household_id, state.entity_id) in self._busy:
                return
            home = self._homes.get(state.household_id)
        if home is None or home.entity(state.entity_id) is None:
            return
        try:
            self._record(state.household_id, [state], "device", None)
        except Exception:
            logger.exception("could not record the state of %s", state.entity_id)

    @staticmethod
    def _check_channel(channel: str) -> None:
        if channel not in CHANNELS:
            raise InvalidInputError.for_field("channel", f"one of {', '.join(CHANNELS)}", channel)

    def close(self) -> None:
        """Close the driver (and the camera hand landmarker, if one was built)."""
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None
        self.driver.close()


# ---------------------------------------------------------------------- command -> device


def _intent_fits(intent: str, domain: str) -> bool:
    if intent.startswith("HassMedia") or intent.startswith("HassSetVolume"):
        return domain == "media_player"
    if intent == "HassLightSet":
        return domain == "light"
    if intent == "HassClimateSetTemperature":
        return domain == "climate"
    if intent == "HassFanSetSpeed":
        return domain == "fan"
    if intent == "HassSetPosition":
        return domain == "cover"
    if intent.startswith("HassVacuum"):
        return domain == "vacuum"
    return domain != "sensor"


def _percent(value: Any, field_name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError.for_field(field_name, "a number from 0 to 100", value) from None
    if not 0 <= number <= 100:
        raise InvalidInputError.for_field(field_name, "a number from 0 to 100", value)
    return number


def _device_payload(
    command: Command, domain: str, capabilities: dict[str, Any], current: DeviceState
) -> dict[str, Any]:
    """The device payload of ``command`` for one entity; refuses what it cannot do."""
    intent, slots = command.intent, command.slots
    if not _intent_fits(intent, domain):
        raise InvalidInputError.for_field("intent", f"an action a {domain} supports", intent)
    if intent == "HassTurnOn":
        return {
            "cover": {"state": "OPEN"},
            "lock": {"state": "LOCK"},
            "vacuum": {"command": "start"},
        }.get(domain, {"state": "ON"})
    if intent == "HassTurnOff":
        return {
            "cover": {"state": "CLOSE"},
            "lock": {"state": "UNLOCK"},
            "vacuum": {"command": "return_to_base"},
        }.get(domain, {"state": "OFF"})
    if intent == "HassLightSet":
        payload: dict[str, Any] = {}
        if "brightness" in slots:
            payload["brightness"] = round(_percent(slots["brightness"], "brightness") * 255 / 100)
        if "brightness_step" in slots:
            step = slots["brightness_step"]
            if step not in ("up", "down"):
                raise InvalidInputError.for_field("brightness_step", "'up' or 'down'", step)
            payload["brightness_step"] = _BRIGHTNESS_STEP if step == "up" else -_BRIGHTNESS_STEP
        if "color" in slots:
            modes = capabilities.get("color_modes") or []
            if "rgb" not in modes:
                raise InvalidInputError.for_field(
                    "color", "supported by this light (it has no colour)", slots["color"]
                )
            rgb = COLORS.get(str(slots["color"]).lower())
            if rgb is None:
                raise InvalidInputError.for_field(
                    "color", f"one of {', '.join(COLORS)}", slots["color"]
                )
            payload["color"] = {"r": rgb[0], "g": rgb[1], "b": rgb[2]}
        if not payload:
            raise InvalidInputError.for_field("slots", "a brightness, step or colour", slots)
        return payload
    if intent == "HassClimateSetTemperature":
        if "temperature" in slots:
            low, high = capabilities.get("min_temp", 7), capabilities.get("max_temp", 35)
            try:
                value = float(slots["temperature"])
            except (TypeError, ValueError):
                raise InvalidInputError.for_field(
                    "temperature", "a number", slots["temperature"]
                ) from None
            if not low <= value <= high:
                raise InvalidInputError.for_field(
                    "temperature", f"between {low} and {high} degrees", value
                )
            return {"temperature": value, **({"mode": "auto"} if current.state == "off" else {})}
        step = slots.get("temperature_step")
        if step not in ("up", "down"):
            raise InvalidInputError.for_field("temperature_step", "'up' or 'down'", step)
        return {"temperature_step": _TEMPERATURE_STEP if step == "up" else -_TEMPERATURE_STEP}
    if intent == "HassSetPosition":
        return {"position": _percent(slots.get("position"), "position")}
    if intent == "HassFanSetSpeed":
        return {"percentage": _percent(slots.get("percentage"), "percentage")}
    if intent == "HassSetVolume":
        return {"volume_level": _percent(slots.get("volume_level"), "volume_level") / 100}
    if intent == "HassSetVolumeRelative":
        step = slots.get("volume_step")
        if step in ("up", "down"):
            return {"volume_step": _VOLUME_STEP if step == "up" else -_VOLUME_STEP}
        return {
            "volume_step": _percent(abs(float(step or 0)), "volume_step")
            / 100
            * (1 if float(step or 0) >= 0 else -1)
        }
    simple: dict[str, dict[str, Any]] = {
        "HassMediaPause": {"state": "PAUSE"},
        "HassMediaUnpause": {"state": "PLAY"},
        "HassMediaNext": {"state": "NEXT"},
        "HassMediaPrevious": {"state": "PREVIOUS"},
        "HassMediaPlayerMute": {"mute": True},
        "HassMediaPlayerUnmute": {"mute": False},
        "HassVacuumStart": {"command": "start"},
        "HassVacuumReturnToBase": {"command": "return_to_base"},
    }
    if intent in simple:
        return simple[intent]
    raise InvalidInputError.for_field("intent", "a device action Lingxi supports", intent)


_VERBS_EN = {
    "HassTurnOn": "Turned on",
    "HassTurnOff": "Turned off",
    "HassLightSet": "Adjusted",
    "HassClimateSetTemperature": "Set the temperature of",
    "HassSetPosition": "Moved",
    "HassFanSetSpeed": "Set the speed of",
    "HassSetVolume": "Set the volume of",
    "HassSetVolumeRelative": "Changed the volume of",
    "HassMediaPause": "Paused",
    "HassMediaUnpause": "Resumed",
    "HassMediaNext": "Skipped to the next track on",
    "HassMediaPrevious": "Went back a track on",
    "HassMediaPlayerMute": "Muted",
    "HassMediaPlayerUnmute": "Unmuted",
    "HassVacuumStart": "Started",
    "HassVacuumReturnToBase": "Sent home",
}
_VERBS_ZH = {
    "HassTurnOn": "已打开",
    "HassTurnOff": "已关闭",
    "HassLightSet": "已调节",
    "HassClimateSetTemperature": "已调节温度：",
    "HassSetPosition": "已调整",
    "HassFanSetSpeed": "已调节风速：",
    "HassSetVolume": "已设置音量：",
    "HassSetVolumeRelative": "已调节音量：",
    "HassMediaPause": "已暂停",
    "HassMediaUnpause": "已继续播放",
    "HassMediaNext": "已切到下一首：",
    "HassMediaPrevious": "已切到上一首：",
    "HassMediaPlayerMute": "已静音",
    "HassMediaPlayerUnmute": "已取消静音",
    "HassVacuumStart": "已启动",
    "HassVacuumReturnToBase": "已让它回去充电：",
}


def _reply(command: Command, home: Home, language: str) -> str:
    entities = [e for t in command.targets if (e := home.entity(t))]
    if language == "zh-CN":
        names = []
        for e in entities:
            zh = next((a for a in e.aliases if any("\u4e00" <= ch <= "\u9fff" for ch in a)), e.name)
            names.append(zh)
        special = {
            "HassTurnOn": {"lock": "已锁上", "cover": "已打开"},
            "HassTurnOff": {"lock": "已解锁", "cover": "已关上"},
        }
        domain = entities[0].domain if entities else ""
        verb = special.get(command.intent, {}).get(domain, _VERBS_ZH.get(command.intent, "已执行"))
        return f"{verb}{'、'.join(names)}。"
    names = [e.name for e in entities]
    special_en = {
        "HassTurnOn": {"lock": "Locked", "cover": "Opened"},
        "HassTurnOff": {"lock": "Unlocked", "cover": "Closed"},
    }
    domain = entities[0].domain if entities else ""
    verb = special_en.get(command.intent, {}).get(domain, _VERBS_EN.get(command.intent, "Done:"))
    joined = (
        names[0]
        if len(names) == 1
        else ", ".join(names[:-1]) + f" and {names[-1]}"
        if names
        else ""
    )
    return f"{verb} {joined}."


def _no_match_reply(reason: str | None, language: str) -> str:
    zh = language == "zh-CN"
    replies = {
        "no_intent": (
            "抱歉，我没听懂这是什么家居指令。",
            "Sorry, I didn't catch a home command in that.",
        ),
        "no_target": (
            "家里没有找到这个设备或房间。",
            "I couldn't find that device or room in your home.",
        ),
        "no_capability": ("这个设备做不到。", "That device can't do that."),
        "empty": ("请说出一个指令。", "Please say a command."),
    }
    pair = replies.get(reason or "no_intent", replies["no_intent"])
    return pair[0] if zh else pair[1]
