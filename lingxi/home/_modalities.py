"""Touch, pointing, gestures (pad events, landmarks, camera frames) and speech for the controller.

Each input ends in :meth:`HomeController.execute` or :meth:`HomeController.handle`, so every
command it produces goes through the one risk policy there. None of them takes a
"confirmed" flag: a risky act is confirmed only by redeeming its token.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lingxi.config import HomeSettings
from lingxi.data import Database
from lingxi.data.records import Member
from lingxi.errors import InvalidInputError, NotFoundError
from lingxi.home._payloads import clean_json, device_payload, intent_fits, refuse_unsafe_text
from lingxi.home._replies import say
from lingxi.home.command_space import SpeechParams
from lingxi.home.devices import DeviceState
from lingxi.home.model import Command, Home, NoMatchReason, ParseResult
from lingxi.home.results import ActionResult

if TYPE_CHECKING:  # the speech module loads numpy and httpx; only audio needs it
    from lingxi.home.voice import SpeechRecognizer, Transcript

__all__ = ["DEFAULT_GESTURE_BINDINGS", "POINTING_GESTURES", "Context", "Modalities"]

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


@dataclass
class Context:
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


class Modalities:
    """The non-text inputs of :class:`~lingxi.home.controller.HomeController` (a mixin)."""

    db: Database
    settings: HomeSettings
    clock: Callable[[], float]
    speech_params: SpeechParams
    recognizer: SpeechRecognizer | None
    _lock: Any
    _gesture_models: Any
    _landmarker: Any
    _recognizers: dict[int, Any]
    _command_spaces: dict[int, Any]

    if TYPE_CHECKING:

        def home(self, household_id: int) -> Home: ...
        def parse(
            self, text: str, household_id: int, *, context_area: str | None = None
        ) -> ParseResult: ...
        def _context(self, member: Member) -> Context: ...
        def handle(
            self,
            text: str,
            member: Member,
            *,
            channel: str = "text",
            context_area: str | None = None,
            confirmed: bool = False,
        ) -> ActionResult: ...
        def execute(
            self,
            commands: list[Command],
            member: Member,
            *,
            channel: str = "text",
            confirmed: bool = False,
        ) -> ActionResult: ...

    # ------------------------------------------------------------------ touch and pointing

    def touch(
        self,
        entity_id: str,
        member: Member,
        *,
        intent: str = "HassTurnOn",
        slots: dict[str, Any] | None = None,
    ) -> ActionResult:
        """A tile or slider of the web app: an explicit target and action.

        Raises
        ------
        ConfirmationRequiredError
            The action is risky (unlocking, opening the garage, heating above the limit).
        ForbiddenError
            The member's role may never do it.
        """
        home = self.home(member.household_id)
        entity = home.entity(entity_id)
        if entity is None:
            raise NotFoundError(f"No entity {entity_id!r} in this home.", field="entity_id")
        if intent == "select":
            return self.point(entity_id, member)
        slots = dict(slots or {})
        refuse_unsafe_text(slots, "slots")  # echoed in the answer: refuse before acting
        command = Command(intent, slots, tier=0, targets=(entity_id,))
        # Validate before anything (or any confirmation) happens.
        device_payload(
            command, entity.domain, entity.capabilities, DeviceState(entity_id, "unknown")
        )
        return self.execute([command], member, channel="touch")

    def point(self, entity_id: str, member: Member) -> ActionResult:
        """Pointing at or tapping a device selects it for a following "turn that on"."""
        home = self.home(member.household_id)
        entity = home.entity(entity_id)
        if entity is None:
            raise NotFoundError(f"No entity {entity_id!r} in this home.", field="entity_id")
        ctx = self._context(member)
        ctx.pointed, ctx.pointed_at = entity_id, self.clock()
        return ActionResult(
            ok=True, reply=say("selected", "en", name=entity.name), candidates=[entity_id]
        )

    # ------------------------------------------------------------------ gestures

    def gesture(self, gesture: str, member: Member, *, target: str | None = None) -> ActionResult:
        """A recognised gesture or a gesture-pad event (swipe, tap, long press).

        The action comes from the household's binding for ``gesture`` (or the default);
        the target is ``target``, else what was just pointed at or named (within the
        fusion window), else the last command's target. A binding that unlocks a door asks
        for the yes like every other source.
        """
        gesture = gesture.strip().lower().replace("-", "_").replace(" ", "_")
        if not re.fullmatch(r"[a-z_]{1,40}", gesture):
            raise InvalidInputError.for_field("gesture", "a gesture name like 'clockwise'", gesture)
        if gesture in POINTING_GESTURES:
            if target is None:
                return ActionResult(ok=False, reply=say("point_first", "en"), reason="no_target")
            return self.point(target, member)
        from lingxi.data.repos import home as repo

        with self.db.session() as s:
            bindings = {
                b.gesture: b
                for b in repo.list_gesture_bindings(s, household_id=member.household_id)
            }
        if gesture in bindings:
            # Stored before inputs were checked: never let a bad character reach an answer.
            intent, slots = bindings[gesture].intent, clean_json(dict(bindings[gesture].slots))
        elif gesture in DEFAULT_GESTURE_BINDINGS:
            intent, slots = DEFAULT_GESTURE_BINDINGS[gesture]
            slots = dict(slots)
        else:
            return ActionResult(
                ok=False, reply=say("not_bound", "en", gesture=gesture), reason="no_binding"
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
                ok=False, reply=say("which_device", "en"), reason=NoMatchReason.NO_TARGET.value
            )
        fitting = tuple(t for t in targets if intent_fits(intent, t.split(".")[0]))
        if not fitting:
            return ActionResult(
                ok=False,
                reply=say("does_not_apply", "en", intent=intent, names=", ".join(targets)),
                reason=NoMatchReason.NO_CAPABILITY.value,
            )
        command = Command(intent, slots, tier=0, targets=fitting)
        return self.execute([command], member, channel="gesture")

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
                reply=say("no_gesture" if label is None else "hand_moving", "en"),
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
            return ActionResult(ok=False, reply=say("no_hand", "en"), reason="no_hand")
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

    # ------------------------------------------------------------------ speech

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
            reason = "no_speech" if not transcript.text.strip() else "unclear_speech"
            return ActionResult(
                ok=False,
                reply=say("not_heard", lang),
                reason=reason,
                commands=[heard],
                language=lang,
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
