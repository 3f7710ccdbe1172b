"""Text -> commands: tier 1 (Home Assistant's templates) first, tier 2 (offline rules) second.

Tier 2 is for what people really say to a speaker: indirect requests ("it's too dark in
here", "好冷啊"), relative changes ("a bit brighter", "调暖一点"), colloquial verbs ("kill
the lights"), several commands in one sentence ("关灯然后把空调调到26度") and follow-ups
("and the fan", "再亮一点"). It finds the home's own names and areas (with aliases, and
fuzzy for typos), the device kind, the action and the values, and emits the same Home
Assistant intents and slots as tier 1. Unknown devices or rooms give ``no_target`` rather
than an action on the wrong device.
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

from lingxi.errors import InvalidInputError
from lingxi.home._compose import _Compose
from lingxi.home._frames import (
    HOME_INTENTS,
    MAX_TEXT_CHARS,
    _family,
    _find,
    _Frame,
    _is_question,
    _lexicon,
    _names_of,
)
from lingxi.home._lang import extract_schedule, nlu_data
from lingxi.home.intents import Vocabulary, detect_language, recognize
from lingxi.home.model import DOMAIN_OF_INTENT, Command, Home, NoMatchReason, ParseResult
from lingxi.home.targets import clarifying_question

__all__ = ["HOME_INTENTS", "MAX_TEXT_CHARS", "Parser", "vocabulary_of"]


def vocabulary_of(home: Home) -> Vocabulary:
    """The hassil vocabulary of a home: names and aliases of entities, areas and floors."""
    names: list[tuple[str, str, str]] = []
    for e in home.entities:
        for text in (e.name, *e.aliases):
            names.append((text, e.name, e.domain))
    areas = [(t, a.name) for a in home.areas for t in (a.name, *a.aliases)]
    floors = [(f, f) for f in home.floors]
    return Vocabulary(tuple(names), tuple(areas), tuple(floors))


# --------------------------------------------------------------------------------------------


class Parser(_Compose):
    """Turns text into commands for one home (tier 1, then tier 2).

    Parameters
    ----------
    home
        The household's areas and entities.
    context_area
        The ``area_id`` requests come from by default (the speaker's room), or None.
    """

    def __init__(self, home: Home, *, context_area: str | None = None) -> None:
        self.home = home
        self.context_area = context_area
        self.vocabulary = vocabulary_of(home)
        self._names = _names_of(home)
        self._pending: Command | None = None
        self._learned_on = False
        self._learned: Any = None

    # ---------------------------------------------------------------------------- public

    def parse(
        self,
        text: str,
        *,
        previous: Command | None = None,
        context_area: str | None = None,
        tiers: tuple[int, ...] = (1, 2, 3),
    ) -> ParseResult:
        """Parse one request into commands, resolved against the home.

        Parameters
        ----------
        text
            What the person said or typed.
        previous
            The last command of the conversation, for follow-ups ("再亮一点", "and the fan").
        context_area
            Overrides the parser's default context area for this request.
        tiers
            Which tiers to use: 1 Home Assistant's templates, 2 the rules, 3 the learned
            tier (used when its model ships; benchmarks score each alone).
        """
        if not isinstance(text, str):
            raise InvalidInputError.for_field("text", "a string", text)
        if len(text) > MAX_TEXT_CHARS:
            raise InvalidInputError.for_field(
                "text", f"at most {MAX_TEXT_CHARS} characters", text[:40] + "..."
            )
        clean = text.strip()
        language = detect_language(clean)
        if not clean:
            return ParseResult((), NoMatchReason.EMPTY.value, text=text, language=language)
        area_here = context_area if context_area is not None else self.context_area
        zh = language == "zh-CN"
        stripped = clean.rstrip("?.!。？！ ")
        schedule, stripped = extract_schedule(stripped, zh) if 2 in tiers else (None, stripped)
        self._learned_on = 3 in tiers
        frames = self._frames(stripped, zh, tiers)
        self._pending = None
        commands, reason, candidates = self._commands(frames, zh, previous, area_here)
        pending, self._pending = self._pending, None
        question = None
        if reason == NoMatchReason.AMBIGUOUS_TARGET:
            question = clarifying_question(self.home, candidates, language)
        commands = [replace(c, language=language) for c in commands]
        scheduled: tuple[Command, ...] = ()
        if schedule is not None and commands:
            # A command for later is not done now: it becomes an automation.
            scheduled = tuple(replace(c, schedule=schedule) for c in commands)
            commands, reason = [], NoMatchReason.SCHEDULED
        return ParseResult(
            tuple(commands),
            reason.value if reason else None,
            text=text,
            language=language,
            question=question,
            candidates=candidates,
            pending=replace(pending, language=language) if pending else None,
            scheduled=scheduled,
        )

    def answer(self, text: str, pending: Command, candidates: tuple[str, ...]) -> Command | None:
        """The pending command on the candidate that ``text`` names ("the floor lamp", "第一个")."""
        low = text.strip().casefold()
        ordinals = _lexicon(False).ordinals | _lexicon(True).ordinals
        for word, index in ordinals.items():
            if word in low and index < len(candidates):
                return replace(pending, targets=(candidates[index],))
        named = []
        for entity_id in candidates:
            e = self.home.entity(entity_id)
            if e and any(
                _find(low, n.casefold(), not n.isascii()) >= 0 for n in (e.name, *e.aliases)
            ):
                named.append(entity_id)
        if len(named) == 1:
            return replace(pending, targets=(named[0],))
        return None

    # ---------------------------------------------------------------------------- clauses

    def _frame_from_tier1(self, text: str, match: Any, zh: bool) -> _Frame:
        slots = dict(match.slots)
        implied = DOMAIN_OF_INTENT.get(match.intent)
        if implied and slots.get("domain") == implied:
            del slots["domain"]
        if (
            "name" in slots
            and slots.get("domain")
            and match.intent in ("HassTurnOn", "HassTurnOff")
        ):
            del slots["domain"]
        low = text.casefold()
        frame = _Frame(text=low)
        frame.names = [str(slots["name"])] if isinstance(slots.get("name"), str) else []
        frame.area = str(slots["area"]) if isinstance(slots.get("area"), str) else None
        frame.domain = slots.get("domain") if isinstance(slots.get("domain"), str) else None
        frame.tier1 = Command(
            match.intent,
            slots,
            tier=1,
            all_requested=self._all_requested(low, zh),
            singular=self._singular(low, zh),
        )
        return frame

    def _split(self, text: str, zh: bool) -> list[tuple[str, str]]:
        """Clauses with the kind of boundary before each ("", "seq" or "and"), by the
        language's ``clauses`` words (``lang/nlu_<lang>.yaml``)."""
        words = nlu_data(zh)["clauses"]
        if not zh:
            text = text.casefold()
        if words.get("again_before_verb"):  # "再把灯打开": a new clause
            text = re.sub(words["again_before_verb"], "|seq|", text)
        parts = re.split(words["split"], text)
        out: list[tuple[str, str]] = []
        kind = ""
        for part in parts:
            if part is None:
                continue
            token = part.strip(" ,")
            if re.fullmatch(words["sequence"], token or ","):
                kind = "seq"
                continue
            if token in words["coordination"]:
                kind = "and"
                continue
            for i, piece in enumerate(part.split("|seq|")):
                piece = piece.strip(" ,，")
                if piece:
                    out.append((piece, "seq" if i else kind))
                    kind = ""
        return out

    def _frames(self, text: str, zh: bool, tiers: tuple[int, ...]) -> list[_Frame]:
        low = text.casefold()
        clauses = (
            [] if re.search(nlu_data(zh)["clauses"]["one_clause"], low) else self._split(text, zh)
        )
        if len(clauses) <= 1:
            return [self._best_frame(text, zh, tiers, whole=True)]
        frames: list[_Frame] = []
        for clause, boundary in clauses:
            frame = self._best_frame(clause, zh, tiers, whole=False)
            frame.text = f"{boundary}:{frame.text}" if boundary else frame.text
            frames.append(frame)
        self._fill_clauses(frames, [clause for clause, _ in clauses], zh)
        acting = sum(1 for f in frames if f.action or f.tier1 is not None)
        if acting >= 2:
            return frames  # several commands: the whole sentence cannot be one template
        whole = self._best_frame(text, zh, tiers, whole=True)
        if whole.tier1 is not None or not acting:
            return [whole]
        return frames

    def _best_frame(self, text: str, zh: bool, tiers: tuple[int, ...], *, whole: bool) -> _Frame:
        frame = self._rule_frame(text, zh, tiers, whole=whole)
        # The learned tier (numpy and the encoder) loads only for a whole request the rules
        # left without a target: a plain "turn on the kitchen light" never imports it.
        if self._learned_on and _weak(frame) and whole and _model_available():
            self._learner().fill(frame, text, zh, whole=whole)
        return frame

    def _fill_clauses(self, frames: list[_Frame], clauses: list[str], zh: bool) -> None:
        """Let the learned tier read the clauses of a longer sentence the rules left empty
        ("turn off the kitchen light and turn the plug off").

        Not when a clause names devices and no action: then the clauses share one command
        ("the kitchen light and the kettle, off"), and the bare action is the rules' to join.
        """
        if not self._learned_on or not _model_available():
            return
        if any(f.has_target and f.action is None and f.tier1 is None for f in frames):
            return
        for i, (frame, clause) in enumerate(zip(frames, clauses, strict=True)):
            if not _weak(frame):
                continue
            before = copy.copy(frame)
            self._learner().fill(frame, clause, zh, whole=False)
            frame.text = before.text
            others = {d for j, f in enumerate(frames) if j != i for d in self._domains(f)}
            if frame.tier == 3 and frame.domain in others:
                # Two clauses for one kind of device are one request said twice ("这首不好听，
                # 换一首"): the rules' clause stands alone.
                frames[i] = before

    def _domains(self, frame: _Frame) -> set[str]:
        """The device types a frame addresses (its domain, or its named entities')."""
        found = {frame.domain} if frame.domain else set()
        slots = frame.tier1.slots if frame.tier1 is not None else {}
        names = [*frame.names, *([slots["name"]] if isinstance(slots.get("name"), str) else [])]
        for name in names:
            entity = self.home.entity_by_name(name)
            if entity is not None:
                found.add(entity.domain)
        if isinstance(slots.get("domain"), str):
            found.add(slots["domain"])
        return found

    def _learner(self) -> Any:
        if self._learned is None:
            from lingxi.home._learned_frames import LearnedReader

            self._learned = LearnedReader(self)
        return self._learned

    def _rule_frame(self, text: str, zh: bool, tiers: tuple[int, ...], *, whole: bool) -> _Frame:
        low = text.casefold()
        t2 = self._tier2_frame(low, zh) if 2 in tiers else None
        t1 = None
        # In a clause of a longer sentence, a clear tier-2 reading (an action on a named
        # device) stands; Home Assistant's templates are consulted for everything else.
        clear = t2 is not None and t2.action is not None and bool(t2.names) and not whole
        if 1 in tiers and not clear and (whole or t2 is None or t2.action is not None):
            match = recognize(
                text,
                language="zh-CN" if zh else "en",
                vocabulary=self.vocabulary,
                only=_family(t2),
            )
            if match is not None:
                t1 = self._frame_from_tier1(text, match, zh)
        if t1 is None or t1.tier1 is None:
            return t2 if t2 is not None else _Frame(text=low)
        if t2 is not None and t2.unknown:
            return t2  # a room or appliance the home does not have: never act on another one
        if t2 is not None and t2.action is not None and self._absent_class(t1.tier1.slots):
            return t2  # "把门打开" is HA's door cover; in a home with none, the front door lock
        if t2 is None or t2.action is None:
            return t1
        intent = t1.tier1.intent
        if intent in ("HassMediaSearchAndPlay", "HassNevermind"):
            return t2
        if intent == "HassGetState" and (not _is_question(low, zh) or t2.action == "query_temp"):
            return t2
        if t2.value is not None and not any(
            k in t1.tier1.slots
            for k in (
                "brightness",
                "position",
                "temperature",
                "percentage",
                "volume_level",
                "color",
            )
        ):
            return t2
        return t1

    def _absent_class(self, slots: dict[str, Any]) -> bool:
        """True when tier-1 slots name a device class (a door cover) the home has none of."""
        wanted = slots.get("device_class")
        if not isinstance(wanted, str) or slots.get("name") or slots.get("area"):
            return False
        domain = slots.get("domain")
        return not any(
            e.device_class == wanted and (domain is None or e.domain == domain)
            for e in self.home.entities
        )

    # ---------------------------------------------------------------------------- tier 2


def _weak(frame: _Frame) -> bool:
    """The rules read no template, no device and no pronoun: the learned tier may fill it."""
    return not (frame.tier1 is not None or frame.unknown or frame.pronoun or frame.has_target)


def _model_available() -> bool:
    from lingxi.home.learned import model_available

    return model_available()
