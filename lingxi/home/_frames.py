"""The parser's values: a clause's frame, the home's spoken names, the lexicons of
``lang/nlu_<lang>.yaml``, and which Home Assistant intents a tier-2 reading narrows tier 1 to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lingxi.home._lang import nlu_data
from lingxi.home.model import Command, Home
from lingxi.text import chinese_numeral_to_int

_TARGET_SLOTS = ("name", "area", "floor", "domain", "device_class")
_SWITCHABLE = ("light", "switch", "fan", "climate", "cover", "lock", "media_player", "vacuum")

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
        "HassShoppingListAddItem",
    }
)
"""The Home Assistant intents the home engine carries out; tier 1 matches only these."""

_NO_TARGET_INTENTS = frozenset({"HassShoppingListAddItem"})
"""Intents that act on no device (Home Assistant's own shopping list)."""

MAX_TEXT_CHARS = 1000
"""Longer requests are refused: nobody says 50 kB to a speaker."""

# --------------------------------------------------------------------------------------------
# Lexicons: lang/nlu_<lang>.yaml (keys are regular expressions over lower-cased text).


@dataclass(frozen=True)
class _Lexicon:
    domains: tuple[tuple[str, str], ...]
    floors: tuple[tuple[str, str], ...]
    unknown: str
    ordinals: dict[str, int]


@cache
def _lexicon(zh: bool) -> _Lexicon:
    data = nlu_data(zh)
    return _Lexicon(
        tuple((str(p), str(d)) for p, d in data["domains"]),
        tuple((str(p), str(f)) for p, f in data["floors"]),
        str(data["unknown_places"]),
        dict(data["ordinals"]),
    )


@cache
def _en_words() -> tuple[dict[str, int], frozenset[str], frozenset[str], tuple[str, ...]]:
    """English number words, known modifiers, "in the X" words that are no place, colours."""
    data = nlu_data(False)
    return (
        dict(data["numbers"]),
        frozenset(data["known_modifiers"]),
        frozenset(data["in_the_ok"]),
        tuple(data["colors"]),
    )


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
    tier: int = 2
    """The tier that read the action: 2 the rules, 3 the learned tier."""

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
