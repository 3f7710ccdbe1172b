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

import re
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz

from lingxi.errors import InvalidInputError
from lingxi.home.intents import Vocabulary, detect_language, recognize
from lingxi.home.model import DOMAIN_OF_INTENT, Command, Home, NoMatchReason, ParseResult
from lingxi.home.targets import TargetMatch, clarifying_question, resolve_targets
from lingxi.text import chinese_numeral_to_int

__all__ = ["MAX_TEXT_CHARS", "Parser", "vocabulary_of"]

_TARGET_SLOTS = ("name", "area", "floor", "domain", "device_class")

HOME_INTENTS = frozenset(
    {
        "HassTurnOn",
        "HassTurnOff",
        "HassLightSet",
        "HassClimateSetTemperature",
        "HassClimateGetTemperature",
        "HassSetPosition",
        "HassSetVolume",
        "HassSetVolumeRelative",
        "HassMediaPause",
        "HassMediaUnpause",
        "HassMediaNext",
        "HassMediaPrevious",
        "HassMediaPlayerMute",
        "HassMediaPlayerUnmute",
        "HassVacuumStart",
        "HassVacuumReturnToBase",
        "HassFanSetSpeed",
        "HassGetState",
    }
)
"""The Home Assistant intents the home engine carries out; tier 1 matches only these."""

MAX_TEXT_CHARS = 1000
"""Longer requests are refused: nobody says 50 kB to a speaker."""

# --------------------------------------------------------------------------------------------
# Lexicons. Keys are regular expressions over lower-cased text.

_EN_DOMAINS: tuple[tuple[str, str], ...] = (
    (r"lights?|lamps?|lighting|bulbs?", "light"),
    (r"fans?", "fan"),
    (
        r"a/?c|air ?con(?:ditioner|ditioning)?|heating|heater|heat|thermostat|temperature|climate",
        "climate",
    ),
    (r"blinds?|curtains?|shades?|shutters?", "cover"),
    (r"doors?|locks?", "lock"),
    (r"music|speakers?|songs?|tracks?|volume|tv|radio", "media_player"),
    (r"vacuum(?:ing)?|hoover|robot", "vacuum"),
    (r"kettle", "switch"),
)
_ZH_DOMAINS: tuple[tuple[str, str], ...] = (
    (r"灯光|灯|亮度", "light"),
    (r"风扇|电扇", "fan"),
    (r"空调|暖气|温度|制冷|制热", "climate"),
    (r"窗帘|百叶窗|卷帘", "cover"),
    (r"门锁|大门|锁|门", "lock"),
    (r"音乐|音箱|音响|歌|音量|声音|电视", "media_player"),
    (r"扫地机器人|扫地机|扫地|吸尘器", "vacuum"),
)
_EN_FLOORS = (
    (r"upstairs|first floor|1st floor|top floor", "first floor"),
    (r"downstairs|ground floor", "ground floor"),
)
_ZH_FLOORS = ((r"楼上|二楼", "first floor"), (r"楼下|一楼", "ground floor"))

_EN_COLORS = ("red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "cyan")
_ZH_COLORS = {
    "红": "red",
    "绿": "green",
    "蓝": "blue",
    "黄": "yellow",
    "橙": "orange",
    "紫": "purple",
    "粉": "pink",
    "白": "white",
}

_EN_NUMBERS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
# Words that may stand before a device word without naming an unknown device.
_EN_KNOWN_MODIFIERS = {
    "the",
    "my",
    "all",
    "every",
    "a",
    "an",
    "some",
    "more",
    "this",
    "that",
    "these",
    "those",
    "on",
    "off",
    "up",
    "down",
    "in",
    "of",
    "to",
    "and",
    "turn",
    "switch",
    "set",
    "put",
    "get",
    "make",
    "dim",
    "open",
    "close",
    "shut",
    "lock",
    "unlock",
    "start",
    "stop",
    "pause",
    "kill",
    "cut",
    "is",
    "are",
    "did",
    "i",
    "it",
    "please",
    "lower",
    "raise",
    "front",
    "ceiling",
    "floor",
    "desk",
    "study",
    "reading",
    "house",
    "home",
    "whole",
    "main",
    "next",
    "previous",
    "last",
    "robot",
    "air",
    "bump",
    "crank",
    "draw",
    "roll",
    "pull",
    "bedroom",
    "kitchen",
    "living",
    "room",
    "porch",
    "office",
    "outside",
    "speaker",
    "leave",
    "bright",
    "play",
    "resume",
    "mute",
    "unmute",
    "skip",
    "go",
    "back",
    "for",
    "me",
    "can",
    "you",
    "could",
    "would",
    "your",
    "our",
    "drop",
    "check",
    "if",
    "still",
    "running",
    "fire",
    "boil",
}
_ZH_FILLERS = (
    "请",
    "帮我",
    "麻烦",
    "给我",
    "你",
    "把",
    "将",
    "的",
    "了",
    "吧",
    "呗",
    "一下",
    "那个",
    "嗯",
    "啊",
    "呀",
    "吗",
    "所有",
    "全部",
    "全屋",
    "家里",
    "都",
    "全",
    "个",
    "先",
    "再",
    "也",
    "还",
)


# Rooms and appliances people name that may not exist in a home: when one is said and the home
# has no such name (known names are blanked out first), the answer is no_target, never a guess.
_EN_UNKNOWN = (
    r"\b(bathroom|garage|hallway|hall|garden|balcony|dining room|basement|attic|nursery|"
    r"guest room|laundry|patio|yard|dishwasher|washing machine|washer|dryer|sprinklers?|oven|"
    r"fridge|humidifier|microwave|toaster|heater|boiler|pool|sauna)\b"
)
_ZH_UNKNOWN = (
    r"卫生间|浴室|厕所|洗手间|车库|走廊|过道|阳台|花园|院子|餐厅|儿童房|次卧|客房|地下室|阁楼|"
    r"洗碗机|洗衣机|烘干机|加湿器|冰箱|烤箱|微波炉|热水器|电饭煲|浴霸|除湿机|净化器"
)


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


@dataclass
class _Frame:
    """What one clause says, before it becomes a command."""

    text: str
    action: str | None = None
    """on, off, set, up, down, pause, unpause, next, previous, mute, unmute, vacuum_start,
    vacuum_dock, query, query_temp."""
    kind: str | None = None
    """What the action changes: brightness, temperature, volume, position, percentage, color."""
    value: Any = None
    names: list[str] = field(default_factory=list)
    area: str | None = None
    floor: str | None = None
    domain: str | None = None
    all_requested: bool = False
    singular: bool = False
    pronoun: bool = False
    unknown: bool = False
    indirect: bool = False
    tier1: Command | None = None

    @property
    def has_target(self) -> bool:
        return bool(self.names or self.area or self.floor or self.domain)


@dataclass(frozen=True)
class _Names:
    """Spoken forms of the home's names, longest first, for substring matching."""

    entities: tuple[tuple[str, str], ...]
    """(spoken form, canonical entity name)."""
    areas: tuple[tuple[str, str], ...]


def _names_of(home: Home) -> _Names:
    entities = sorted(
        ((t.casefold(), e.name) for e in home.entities for t in (e.name, *e.aliases)),
        key=lambda p: -len(p[0]),
    )
    areas = sorted(
        ((t.casefold(), a.name) for a in home.areas for t in (a.name, *a.aliases)),
        key=lambda p: -len(p[0]),
    )
    return _Names(tuple(entities), tuple(areas))


def _find(text: str, phrase: str, zh: bool) -> int:
    if zh:
        return text.find(phrase)
    m = re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", text)
    return m.start() if m else -1


class Parser:
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

    # ---------------------------------------------------------------------------- public

    def parse(
        self,
        text: str,
        *,
        previous: Command | None = None,
        context_area: str | None = None,
        tiers: tuple[int, ...] = (1, 2),
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
            Which tiers to use (benchmarks score tier 1 alone).
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
        frames = self._frames(stripped, zh, tiers)
        self._pending = None
        commands, reason, candidates = self._commands(frames, zh, previous, area_here)
        pending, self._pending = self._pending, None
        question = None
        if reason == NoMatchReason.AMBIGUOUS_TARGET:
            question = clarifying_question(self.home, candidates, language)
        return ParseResult(
            tuple(replace(c, language=language) for c in commands),
            reason.value if reason else None,
            text=text,
            language=language,
            question=question,
            candidates=candidates,
            pending=replace(pending, language=language) if pending else None,
        )

    def answer(self, text: str, pending: Command, candidates: tuple[str, ...]) -> Command | None:
        """The pending command on the candidate that ``text`` names ("the floor lamp", "第一个")."""
        low = text.strip().casefold()
        ordinals = {"first": 0, "second": 1, "third": 2, "第一": 0, "第二": 1, "第三": 2}
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
        """Clauses with the kind of boundary before each ("", "seq" or "and")."""
        if zh:
            text = re.sub(r"再(?=[把开关打锁煮调拉烧启])", "|seq|", text)
            parts = re.split(r"(然后|并且|接着|同时|还有|[，,。；;]|(?<![柔温暖平缓])和|跟)", text)
        else:
            text = text.casefold()
            parts = re.split(r"(,? and then |,? then |, and |[,;] | and |\bthen\b)", text)
        out: list[tuple[str, str]] = []
        kind = ""
        for part in parts:
            if part is None:
                continue
            token = part.strip(" ,")
            if re.fullmatch(
                r"(,? and then|,? then|and then|then|然后|并且|接着|同时|还有|[，,。；;])",
                token or ",",
            ):
                kind = "seq"
                continue
            if token in ("and", "和", "跟"):
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
            [] if re.search(r"go (?:and )?charge|回去充电|回充", low) else self._split(text, zh)
        )
        if len(clauses) <= 1:
            return [self._best_frame(text, zh, tiers, whole=True)]
        frames: list[_Frame] = []
        for clause, boundary in clauses:
            frame = self._best_frame(clause, zh, tiers, whole=False)
            frame.text = f"{boundary}:{frame.text}" if boundary else frame.text
            frames.append(frame)
        acting = sum(1 for f in frames if f.action or f.tier1 is not None)
        if acting >= 2:
            return frames  # several commands: the whole sentence cannot be one template
        whole = self._best_frame(text, zh, tiers, whole=True)
        if whole.tier1 is not None or not acting:
            return [whole]
        return frames

    def _best_frame(self, text: str, zh: bool, tiers: tuple[int, ...], *, whole: bool) -> _Frame:
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

    def _all_requested(self, text: str, zh: bool) -> bool:
        if zh:
            return bool(re.search(r"所有|全部|全屋|家里|东西|每个|每一", text))
        text = text.replace("all the way", "")
        return bool(re.search(r"\ball\b|\bevery|\beverything|whole house|in the house", text))

    def _singular(self, text: str, zh: bool) -> bool:
        if zh:
            return False
        return bool(re.search(r"\bthe (light|lamp)\b(?!s)", text))

    def _mentions(self, frame: _Frame, text: str, zh: bool) -> str:
        """Fill names, area, floor and domain; return the text with them blanked out."""
        rest = text
        for spoken, canonical in self._names.entities:
            pos = _find(rest, spoken, zh)
            if pos >= 0 and canonical not in frame.names:
                frame.names.append(canonical)
                rest = rest[:pos] + " # " + rest[pos + len(spoken) :]
        for spoken, canonical in self._names.areas:
            pos = _find(rest, spoken, zh)
            if pos >= 0:
                frame.area = frame.area or canonical
                rest = rest[:pos] + " @ " + rest[pos + len(spoken) :]
        for pattern, floor in _ZH_FLOORS if zh else _EN_FLOORS:
            m = re.search(pattern, rest)
            if m:
                frame.floor = floor
                rest = rest[: m.start()] + " @ " + rest[m.end() :]
                break
        if not frame.names and not zh:
            self._fuzzy_names(frame, rest)
        for pattern, domain in _ZH_DOMAINS if zh else _EN_DOMAINS:
            m = re.search(pattern if zh else rf"\b(?:{pattern})\b", rest)
            if m:
                frame.domain = domain
                frame.unknown = frame.unknown or self._unknown_before(rest, m.start(), zh)
                break
        frame.unknown = frame.unknown or self._unknown_place(rest, zh)
        frame.all_requested = self._all_requested(text, zh)
        frame.singular = self._singular(text, zh)
        frame.pronoun = (
            bool(re.search(r"\b(it|them|that|this)\b", text)) if not zh else "它" in text
        )
        return rest

    def _fuzzy_names(self, frame: _Frame, text: str) -> None:
        """Typos and near-misses of multi-word names ("kitchen lite", "coffe maker")."""
        best, best_score = None, 0.0
        for spoken, canonical in self._names.entities:
            if " " not in spoken or len(text.strip()) < len(spoken):
                continue
            score = fuzz.partial_ratio(spoken, text)
            if score > best_score:
                best, best_score = canonical, score
        if best is not None and best_score >= 88:
            frame.names.append(best)

    def _unknown_before(self, text: str, pos: int, zh: bool) -> bool:
        if zh:
            return False
        words = re.findall(r"[a-z']+|[#@]", text[:pos])
        if not words:
            return False
        last = words[-1]
        return last not in _EN_KNOWN_MODIFIERS and last not in ("#", "@") and len(last) > 2

    def _unknown_place(self, text: str, zh: bool) -> bool:
        if re.search(_ZH_UNKNOWN if zh else _EN_UNKNOWN, text):
            return True
        if zh:
            return False
        for m in re.finditer(r"\bin the ([a-z]+)", text):
            if m.group(1) not in (
                "house",
                "home",
                "way",
                "morning",
                "evening",
                "night",
                "dock",
                "back",
            ):
                return True
        return False

    def _name_domain(self, f: _Frame) -> str | None:
        domains = {e.domain for n in f.names if (e := self.home.entity_by_name(n))}
        return next(iter(domains)) if len(domains) == 1 else None

    def _number(self, text: str, zh: bool) -> int | None:
        m = re.search(r"(\d+(?:\.\d+)?)", text)
        if m:
            # A digit run too long for a float (a transcript of "2222...") stays out of range
            # for every value check instead of overflowing.
            return min(round(float(m.group(1))), 10**9) if len(m.group(1)) < 300 else 10**9
        if zh:
            m = re.search(r"([零一二两三四五六七八九十]+)", text.replace("百分之", ""))
            if m and m.group(1) not in ("一",):
                return _zh_number(m.group(1))
            return None
        total, found = 0, False
        for word in re.findall(r"[a-z]+", text):
            if word in _EN_NUMBERS:
                total += _EN_NUMBERS[word]
                found = True
            elif found:
                break
        return total if found and total > 0 else None

    def _tier2_frame(self, text: str, zh: bool) -> _Frame:
        frame = _Frame(text=text)
        rest = self._mentions(frame, text, zh)
        if zh:
            self._zh_action(frame, rest)
        else:
            self._en_action(frame, rest)
        return frame

    # English ---------------------------------------------------------------------------

    def _en_action(self, f: _Frame, t: str) -> None:
        d = f.domain or self._name_domain(f)
        num = self._number(t, zh=False)
        percent = bool(re.search(r"%|percent|\bhalf|quarter", t))
        if re.match(r"(is|are|did|does|do|what'?s|what is|how|can you check if|check if)\b", t):
            if re.search(
                r"temperature|how (warm|hot|cold)|is it (cold|hot|warm)|thermostat set", t
            ):
                f.action, f.domain = "query_temp", "climate"
            elif "playing" in t:
                f.action, f.domain = "query", "media_player"
            elif f.names or d:
                f.action = "query"
            return
        # vacuum
        if d == "vacuum" or re.search(r"start cleaning|vacuum the", t):
            if re.search(r"home|dock|charge|base|back", t):
                f.action = "vacuum_dock"
            elif re.search(r"\bstart|run|go|clean|send|vacuum the|get", t):
                f.action = "vacuum_start"
            f.domain = "vacuum"
            if f.action:
                return
        # media
        if re.search(r"\bunmute\b", t):
            f.action, f.domain = "unmute", "media_player"
            return
        if re.search(r"\bmute\b", t):
            f.action, f.domain = "mute", "media_player"
            return
        if re.search(r"\b(next|skip|something else)\b", t):
            f.action, f.domain = "next", "media_player"
            return
        if re.search(r"\b(previous|go back a|last song|last track)\b", t):
            f.action, f.domain = "previous", "media_player"
            return
        music = d == "media_player" or bool(f.names and "Living Room Speaker" in f.names)
        if re.search(r"\b(resume|unpause|keep playing|carry on|back on)\b", t) or (
            music and re.search(r"\bplay\b.*\bagain\b", t)
        ):
            f.action, f.domain = "unpause", "media_player"
            return
        if re.match(r"(pause|shh|hold on)", t) or (
            re.search(r"\bpause\b", t)
            or (music and re.search(r"\b(stop|kill|cut)\b", t) and "volume" not in t)
        ):
            f.action, f.domain = "pause", "media_player"
            return
        volume_word = bool(re.search(r"\bvolume\b", t))
        if volume_word and (num is not None or "max" in t):
            f.action, f.kind, f.value, f.domain = (
                "set",
                "volume",
                num if num is not None else 100,
                "media_player",
            )
            return
        if re.search(r"\b(louder|crank|pump up|can'?t hear|too quiet)\b", t) or (
            (music or volume_word or t in ("turn it up",)) and re.search(r"\bup\b", t)
        ):
            f.action, f.kind, f.domain = "up", "volume", "media_player"
            return
        if re.search(r"\b(quieter|softer|too loud|quiet down)\b", t) or (
            (music or volume_word or t in ("turn it down",)) and re.search(r"\b(down|lower)\b", t)
        ):
            f.action, f.kind, f.domain = "down", "volume", "media_player"
            return
        # climate
        climate = d == "climate" or bool(re.search(r"degrees?\b|\bheat\b|warm|cool", t))
        if climate and num is not None and not percent:
            f.action, f.kind, f.value, f.domain = "set", "temperature", num, "climate"
            return
        if re.search(
            r"freezing|\bcold\b|chilly|warmer|heat (it )?up|turn the heat(ing)? up|turn up the heat",
            t,
        ) or (climate and re.search(r"\b(up|raise|higher)\b", t)):
            f.action, f.kind, f.domain = "up", "temperature", "climate"
            f.indirect = not re.search(r"\b(make|turn|raise|set)\b", t)
            return
        if re.search(r"too hot|boiling|stuffy|cooler|cool it|too warm", t) or (
            climate and re.search(r"\b(down|lower|notch)\b", t)
        ):
            if "fan" in t:
                pass
            else:
                f.action, f.kind, f.domain = "down", "temperature", "climate"
                f.indirect = not re.search(r"\b(make|turn|lower|set|cool)\b", t)
                return
        # fan speed
        if d == "fan" or any(n.endswith("Fan") for n in f.names):
            level = {"high": 100, "full": 100, "max": 100, "medium": 66, "low": 33}
            word = next((w for w in level if re.search(rf"\b{w}\b", t)), None)
            if num is not None or word:
                f.action, f.kind = "set", "percentage"
                f.value = num if num is not None else level[word or "high"]
                return
        # covers
        cover = d == "cover"
        if cover and (percent or num is not None):
            f.action, f.kind = "set", "position"
            f.value = 50 if re.search(r"half", t) else 25 if "quarter" in t else num
            return
        if re.search(r"let some light in", t):
            f.action, f.domain = "on", "cover"
            return
        # light values
        color = next((c for c in _EN_COLORS if re.search(rf"\b{c}\b", t)), None)
        if color:
            f.action, f.kind, f.value = "set", "color", color
            return
        lightish = d in (None, "light") or any(
            e.domain == "light" for n in f.names if (e := self.home.entity_by_name(n))
        )
        if lightish:
            if re.search(r"full brightness|all the way up|\bmax(imum)?\b|highest", t):
                f.action, f.kind, f.value = "set", "brightness", 100
                return
            if re.search(r"\b(lowest|minimum|min)\b", t):
                f.action, f.kind, f.value = "set", "brightness", 1
                return
            if num is not None and (
                percent or d == "light" or f.names or re.search(r"\bto\b|\bat\b", t)
            ):
                f.action, f.kind, f.value = (
                    "set",
                    "brightness",
                    50 if "half" in t and num is None else num,
                )
                return
            if re.search(r"\bhalf\b", t):
                f.action, f.kind, f.value = "set", "brightness", 50
                return
            if re.search(r"too bright|dim|darker|less bright", t) or (
                (d == "light" or f.names) and re.search(r"\bdown\b", t)
            ):
                f.action, f.kind = "down", "brightness"
                f.indirect = "too bright" in t
                return
            if re.search(r"brighter|brighten|more light", t) or (
                (d == "light" or f.names)
                and re.search(r"\bup\b", t)
                and not re.search(r"light up", t)
            ):
                f.action, f.kind = "up", "brightness"
                return
            if re.search(r"too dark|really dark|can'?t see|is dark", t):
                f.action, f.domain = "on", "light"
                f.indirect = True
                return
        # on / off
        if re.search(r"\bunlock\b|let me in|open the (front )?door lock|open the lock", t):
            f.action, f.domain = "off", "lock"
            return
        if re.search(r"\block\b|lock up|\blocked\b", t):
            f.action, f.domain = "on", "lock"
            return
        if cover or any(n.endswith(("Blinds", "Curtains")) for n in f.names):
            if re.search(r"\b(open|raise|pull up|roll up|up)\b", t):
                f.action = "on"
            elif re.search(r"\b(close|shut|draw|lower|roll down|down)\b", t):
                f.action = "off"
            if f.action:
                return
        if re.search(r"\b(off|kill|shut|stop)\b", t):
            f.action = "off"
        elif re.search(
            r"\b(on|start|fire up|going|make the coffee|boil|light up|activate|open|run|get)\b", t
        ) or re.search(r"^lights please$|^lights$", t):
            f.action = "on"
        if f.action and d is None and re.search(r"\bcoffee\b", t) and not f.names:
            f.names.append(
                next(
                    (e.name for e in self.home.entities if "coffee" in e.name.casefold()), "Coffee"
                )
            )

    # Chinese ---------------------------------------------------------------------------

    def _zh_action(self, f: _Frame, t: str) -> None:
        full = f.text
        if not f.names and not f.domain:
            if "咖啡" in t:
                f.names.extend(
                    e.name for e in self.home.entities if e.entity_id.endswith("coffee_maker")
                )
            elif re.search(r"烧.{0,2}水|水壶", t):
                f.names.extend(e.name for e in self.home.entities if e.entity_id.endswith("kettle"))
        d = f.domain or self._name_domain(f)
        if d == "lock" and not re.search(r"吗|没", full):
            if re.search(r"解锁|开锁|打开|开一下|开门", full):
                f.action, f.domain = "off", "lock"
                return
            if "锁" in full:
                f.action = "on"
                return
        num = self._number(t, zh=True)
        percent = bool(re.search(r"百分之|%", t))
        if re.search(r"几度|多少度|温度多少|温度是多少", full):
            f.action, f.domain = "query_temp", "climate"
            return
        if re.search(r"吗$|没$|没有$|了没|好了没|在转吗|是不是|在播放吗|在扫地吗", full) and (
            f.names or d
        ):
            f.action = "query"
            return
        # vacuum
        if d == "vacuum" or re.search(r"扫地|打扫|扫一下", t):
            if re.search(r"充电|回充|回家|回去|回座", t):
                f.action = "vacuum_dock"
            else:
                f.action = "vacuum_start"
            f.domain = "vacuum"
            return
        # media
        if "取消静音" in t:
            f.action, f.domain = "unmute", "media_player"
            return
        if "静音" in t:
            f.action, f.domain = "mute", "media_player"
            return
        if re.search(r"下一首|换一首|切歌|换首|换个歌|换首歌", t):
            f.action, f.domain = "next", "media_player"
            return
        if re.search(r"上一首", t):
            f.action, f.domain = "previous", "media_player"
            return
        if re.search(r"继续|接着放|恢复播放|接着播", t):
            f.action, f.domain = "unpause", "media_player"
            return
        if re.search(r"暂停|先别放|别放|停一下音乐|音乐停", t):
            f.action, f.domain = "pause", "media_player"
            return
        music = d == "media_player"
        if music and re.search(r"音量", t) and (num is not None or "最大" in t):
            f.action, f.kind, f.value = "set", "volume", num if num is not None else 100
            return
        if re.search(r"大声|听不清|声音太小|开大|调大", t) or (
            music and re.search(r"调高|大一点|大点|高一点", t)
        ):
            f.action, f.kind, f.domain = "up", "volume", "media_player"
            return
        if re.search(r"小声|太吵|声音太大|关小|调小|轻一点|轻点", t) or (
            music and re.search(r"调低|小一点|小点|低一点", t)
        ):
            f.action, f.kind, f.domain = "down", "volume", "media_player"
            return
        # climate
        climate = d == "climate" or bool(re.search(r"(?<!亮)度|升温|降温", t))
        if climate and num is not None and not percent and not re.search(r"再低|再高", t):
            f.action, f.kind, f.value, f.domain = "set", "temperature", num, "climate"
            return
        if re.search(r"冷|暖|调高|升温|高一点|高一度", t) and (climate or re.search(r"冷|暖", t)):
            f.action, f.kind, f.domain = "up", "temperature", "climate"
            f.indirect = bool(re.search(r"^(好|有点|太)?冷", t))
            return
        if re.search(r"热|凉快|调低|降温|低一点|低一度|降一点", t) and (
            climate or re.search(r"热|凉", t)
        ):
            if "风扇" in t:
                pass
            else:
                f.action, f.kind, f.domain = "down", "temperature", "climate"
                f.indirect = bool(re.search(r"好热|太热|有点热|热死|闷热|热啊|热了", t))
                return
        # fan
        if d == "fan":
            level = {"高档": 100, "最大": 100, "中档": 66, "低档": 33}
            word = next((w for w in level if w in t), None)
            if num is not None or word:
                f.action, f.kind = "set", "percentage"
                f.value = num if num is not None else level[word or "高档"]
                return
        # covers
        if d == "cover":
            if "一半" in t or num is not None:
                f.action, f.kind = "set", "position"
                f.value = 50 if "一半" in t else num
                return
            if re.search(r"拉开|打开|开|升", t):
                f.action = "on"
            elif re.search(r"拉上|关|合上|降", t):
                f.action = "off"
            if f.action:
                return
        if "阳光" in t and re.search(r"进来", t):
            f.action, f.domain = "on", "cover"
            return
        # lights
        color = next((c for k, c in _ZH_COLORS.items() if re.search(k + "色", t)), None)
        if color:
            f.action, f.kind, f.value = "set", "color", color
            return
        if d in (None, "light"):
            if re.search(r"最亮|最大", t):
                f.action, f.kind, f.value = "set", "brightness", 100
                return
            if re.search(r"最暗|最低", t):
                f.action, f.kind, f.value = "set", "brightness", 1
                return
            if num is not None and (d == "light" or f.names or percent or "调到" in t):
                f.action, f.kind, f.value = "set", "brightness", num
                return
            if "一半" in t:
                f.action, f.kind, f.value = "set", "brightness", 50
                return
            if re.search(r"暗一|暗点|暗些|调暗|太亮|刺眼|柔和|再暗", t):
                f.action, f.kind = "down", "brightness"
                f.indirect = bool(re.search(r"太亮|刺眼", t))
                return
            if re.search(r"亮一|亮点|亮些|调亮|开亮|再亮", t):
                f.action, f.kind = "up", "brightness"
                return
            if re.search(r"太黑|好暗|太暗|有点暗|看不见|黑了", t):
                f.action, f.domain = "on", "light"
                f.indirect = True
                return
        # locks
        if re.search(r"解锁|开锁|打开.*门锁|门锁打开|开一下门锁|打开大门锁|让我进去|放我进去", t):
            f.action, f.domain = "off", "lock"
            return
        if re.search(r"锁", t):
            f.action, f.domain = "on", "lock"
            return
        # on / off
        if re.search(r"关|停", t):
            f.action = "off"
        elif re.search(r"开|启动|转起来|动起来|煮|烧", t):
            f.action = "on"

    # ---------------------------------------------------------------------------- frames -> commands

    def _merge(self, frames: list[_Frame], previous: Command | None) -> list[_Frame]:
        """Share actions and targets between clauses ("the kitchen and the bedroom")."""
        for i, f in enumerate(frames):
            coordinated = f.text.startswith("and:")
            prev = frames[i - 1] if i > 0 else None
            nxt = frames[i + 1] if i + 1 < len(frames) else None
            if f.tier1 is not None:
                slots = f.tier1.slots
                if (
                    prev is not None
                    and prev.action is None
                    and prev.tier1 is None
                    and prev.area
                    and "name" not in slots
                    and "area" not in slots
                ):
                    f.tier1 = replace(f.tier1, slots={**slots, "area": prev.area})
                continue
            if (
                f.action is None
                and f.has_target
                and prev is not None
                and prev.tier1 is not None
                and coordinated
            ):
                values = {k: v for k, v in prev.tier1.slots.items() if k not in _TARGET_SLOTS}
                target: dict[str, Any] = {}
                if f.names:
                    target["name"] = f.names[0]
                else:
                    if f.area:
                        target["area"] = f.area
                    if f.domain or prev.domain:
                        target["domain"] = f.domain or prev.domain
                f.tier1 = Command(prev.tier1.intent, {**target, **values}, tier=2)
                continue
            if (
                f.action is None
                and f.has_target
                and prev is not None
                and prev.action
                and coordinated
            ):
                f.action, f.kind, f.value = prev.action, prev.kind, prev.value
                if not f.domain and not f.names:
                    f.domain = prev.domain
            if (
                f.action is None
                and f.has_target
                and nxt is not None
                and nxt.action
                and nxt.tier1 is None
            ):
                if nxt.text.startswith("and:"):
                    f.action, f.kind, f.value = nxt.action, nxt.kind, nxt.value
                    if not f.domain and not f.names:
                        f.domain = nxt.domain
                elif not nxt.names and not nxt.area:
                    nxt.area = nxt.area or f.area
                    nxt.names = nxt.names or f.names
                    nxt.domain = nxt.domain or f.domain
            if (
                f.action
                and not f.names
                and not f.area
                and prev is not None
                and (f.pronoun or not f.domain)
            ):
                if prev.names or prev.area:
                    f.names = list(prev.names)
                    f.area = prev.area
                    f.domain = f.domain or prev.domain
                elif prev.tier1 is not None and "name" in prev.tier1.slots:
                    f.names = [str(prev.tier1.slots["name"])]
            if (
                f.action is None
                and f.has_target
                and previous is not None
                and i == 0
                and (
                    f.text.startswith(("and ", "also", "还有", "也"))
                    or "too" in f.text
                    or "也" in f.text
                )
            ):
                f.action = {"HassTurnOn": "on", "HassTurnOff": "off"}.get(previous.intent)
                if not f.domain and not f.names:
                    domains = {e.domain for t in previous.targets if (e := self.home.entity(t))}
                    f.domain = next(iter(domains)) if len(domains) == 1 else None
        explicit = [f for f in frames if f.tier1 is not None or (f.action and not f.indirect)]
        if explicit:
            frames = [f for f in frames if not f.indirect or f.tier1 is not None]
        return frames

    def _command(self, f: _Frame) -> Command | None:
        if f.tier1 is not None:
            return f.tier1
        if f.action is None:
            return None
        slots: dict[str, Any] = {}
        domain = f.domain
        name_domains = {e.domain for n in f.names if (e := self.home.entity_by_name(n))}
        if len(f.names) == 1:
            slots["name"] = f.names[0]
            if f.area and self.home.entity_by_name(f.names[0]) is None:
                slots["area"] = f.area
        elif f.names:
            slots["name"] = f.names[0]
        else:
            if f.area:
                slots["area"] = f.area
            if f.floor:
                slots["floor"] = f.floor
        target_domain = next(iter(name_domains)) if len(name_domains) == 1 else domain
        intent: str
        action = f.action
        if action in ("on", "off"):
            intent = "HassTurnOn" if action == "on" else "HassTurnOff"
        elif action == "query":
            intent = "HassGetState"
        elif action == "query_temp":
            intent = "HassClimateGetTemperature"
        elif action == "vacuum_start":
            intent = "HassVacuumStart"
        elif action == "vacuum_dock":
            intent = "HassVacuumReturnToBase"
        elif action in ("pause", "unpause", "next", "previous"):
            intent = {
                "pause": "HassMediaPause",
                "unpause": "HassMediaUnpause",
                "next": "HassMediaNext",
                "previous": "HassMediaPrevious",
            }[action]
        elif action in ("mute", "unmute"):
            intent = "HassMediaPlayerMute" if action == "mute" else "HassMediaPlayerUnmute"
        elif f.kind == "volume":
            if action == "set":
                intent, slots["volume_level"] = "HassSetVolume", f.value
            else:
                intent, slots["volume_step"] = "HassSetVolumeRelative", action
        elif f.kind == "temperature":
            intent = "HassClimateSetTemperature"
            if action == "set":
                slots["temperature"] = f.value
            else:
                slots["temperature_step"] = action
        elif f.kind == "position" or (
            f.kind in ("brightness", "percentage") and target_domain == "cover"
        ):
            intent, slots["position"] = "HassSetPosition", f.value
        elif f.kind == "percentage" or (f.kind == "brightness" and target_domain == "fan"):
            intent, slots["percentage"] = "HassFanSetSpeed", f.value
        elif f.kind in ("brightness", "color"):
            intent = "HassLightSet"
            if action == "set":
                slots[f.kind] = f.value
            else:
                slots["brightness_step"] = action
        else:
            return None
        implied = DOMAIN_OF_INTENT.get(intent)
        if "name" not in slots and domain and domain != implied:
            slots["domain"] = domain
        elif (
            "name" not in slots
            and not domain
            and intent in ("HassTurnOn", "HassTurnOff")
            and not f.area
        ):
            return None
        return Command(
            intent,
            slots,
            tier=2,
            all_requested=f.all_requested,
            singular=f.singular,
        )

    def _commands(
        self,
        frames: list[_Frame],
        zh: bool,
        previous: Command | None,
        context_area: str | None,
    ) -> tuple[list[Command], NoMatchReason | None, tuple[str, ...]]:
        frames = self._merge(frames, previous)
        commands: list[Command] = []
        saw_intent = False
        for f in frames:
            if f.unknown and f.action and f.tier1 is None:
                return [], NoMatchReason.NO_TARGET, ()
            command = self._command(f)
            if (
                command is None
                and f.action in ("on", "off")
                and previous is not None
                and not f.has_target
                and not commands
            ):  # "turn that on" after pointing
                command = Command("HassTurnOn" if f.action == "on" else "HassTurnOff", {}, tier=2)
            if command is None:
                if f.action:
                    saw_intent = True
                continue
            saw_intent = True
            command = self._normalise(command, f.text)
            if previous is not None and not f.has_target and f.tier1 is None and not commands:
                command = self._follow_up(command, previous)
            if command.targets:
                match = TargetMatch(entity_ids=command.targets)
            else:
                match = resolve_targets(command, self.home, context_area=context_area)
            if match.reason is not None:
                self._pending = command if match.reason == NoMatchReason.AMBIGUOUS_TARGET else None
                return [], match.reason, match.candidates
            command = self._settle(replace(command, targets=match.entity_ids), f.text)
            if commands and (commands[-1].intent, commands[-1].targets) == (
                command.intent,
                command.targets,
            ):
                continue
            commands.append(command)
        if not commands:
            return [], NoMatchReason.NO_TARGET if saw_intent else NoMatchReason.NO_INTENT, ()
        return commands, None, ()

    def _normalise(self, command: Command, text: str) -> Command:
        """Same meaning, one spelling: a vacuum "turned on" starts cleaning."""
        return command

    def _settle(self, command: Command, text: str) -> Command:
        """Intents that depend on what the targets turned out to be."""
        domains = {e.domain for t in command.targets if (e := self.home.entity(t))}
        if domains == {"lock"} and command.intent in ("HassTurnOn", "HassTurnOff"):
            text = text.split(":", 1)[-1]
            opening = re.search(
                r"unlock|\bopen|let me in|解锁|开锁|打开|开一下|开门|让我进|放我进", text
            )
            return replace(command, intent="HassTurnOff" if opening else "HassTurnOn")
        if domains == {"vacuum"} and command.intent in ("HassTurnOn", "HassTurnOff"):
            intent = (
                "HassVacuumStart" if command.intent == "HassTurnOn" else "HassVacuumReturnToBase"
            )
            return replace(command, intent=intent)
        return command

    def _follow_up(self, command: Command, previous: Command) -> Command:
        """Reuse the last command's target when this one names none and fits it."""
        if not previous.targets:
            return command
        domains = {e.domain for t in previous.targets if (e := self.home.entity(t))}
        implied = DOMAIN_OF_INTENT.get(command.intent)
        wanted = command.slots.get("domain") or implied
        if wanted and wanted not in domains:
            return command
        slots = {k: v for k, v in command.slots.items() if k not in ("domain", "area", "floor")}
        return replace(command, slots=slots, targets=previous.targets, all_requested=True)


_ON_OFF = frozenset({"HassTurnOn", "HassTurnOff"})
_QUERY = frozenset({"HassGetState", "HassClimateGetTemperature"})
_MEDIA = frozenset(i for i in HOME_INTENTS if i.startswith(("HassMedia", "HassSetVolume")))
_FAMILIES: dict[str, frozenset[str]] = {
    "on": _ON_OFF | _QUERY,
    "off": _ON_OFF | _QUERY,
    "query": _QUERY,
    "query_temp": _QUERY,
    "brightness": _ON_OFF | {"HassLightSet"},
    "color": _ON_OFF | {"HassLightSet"},
    "temperature": _ON_OFF | _QUERY | {"HassClimateSetTemperature"},
    "volume": _MEDIA,
    "position": _ON_OFF | {"HassSetPosition"},
    "percentage": _ON_OFF | {"HassFanSetSpeed"},
    "media": _MEDIA | _ON_OFF,
    "vacuum": _ON_OFF | {"HassVacuumStart", "HassVacuumReturnToBase"},
}


def _family(frame: _Frame | None) -> frozenset[str]:
    """The intents worth trying in Home Assistant's templates, given tier 2's reading.

    Matching every template is most of the parsing time; when tier 2 already knows the kind
    of request, tier 1 is asked only about that kind (it still decides the slots). Without a
    tier-2 reading every home intent is tried.
    """
    if frame is None or frame.action is None:
        return HOME_INTENTS
    if frame.kind in _FAMILIES:
        return _FAMILIES[frame.kind]
    if frame.action in ("pause", "unpause", "next", "previous", "mute", "unmute"):
        return _FAMILIES["media"]
    if frame.action.startswith("vacuum"):
        return _FAMILIES["vacuum"]
    return _FAMILIES.get(frame.action, HOME_INTENTS)


def _is_question(text: str, zh: bool) -> bool:
    if zh:
        return bool(re.search(r"吗|没|多少|几|哪|什么|有没有|是不是", text))
    return bool(re.match(r"(is|are|did|do|does|was|were|what|which|how|who|any|have|has)\b", text))


def _zh_number(text: str) -> int | None:
    """Chinese numerals: 二十六 -> 26, 十八 -> 18, 一百 -> 100; zero reads as no number."""
    return chinese_numeral_to_int(text) or None
