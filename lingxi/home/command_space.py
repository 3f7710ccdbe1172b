"""The home's own command space: what can be said to this household, for snapping transcripts.

A recogniser's transcript of a short spoken command is often close to, but not exactly, one of
a small set of things anyone would say to this home: a verb phrase over one of its device names,
aliases or areas. :class:`CommandSpace` expands templates over the household's names (English
words, and Mandarin characters compared on toneless pinyin) and finds the nearest phrase with
rapidfuzz. The caller decides what a score is worth (see ``HomeController.handle_audio``).

English phrases are compared as words (digits spelt out, "30%" -> "thirty percent"). Chinese
phrases and transcripts are compared as toneless pinyin with the initials and finals that
Whisper and speakers confuse folded together (zh/z, ch/c, sh/s, l/n, ing/in, eng/en, ang/an);
Latin letters in a Chinese transcript (Whisper sometimes writes "PatchuFan" for 把厨房) are kept
as letters, so they still count.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from rapidfuzz import fuzz, process

from lingxi.errors import InvalidInputError, UnavailableError
from lingxi.home.model import Home
from lingxi.text import load_yaml

__all__ = ["CommandSpace", "PhraseMatch", "SpeechParams", "english_words", "pinyin_key"]

_NEEDS_VOICE = "Chinese speech matching needs the optional extra: pip install 'lingxi[voice]'."


@dataclass(frozen=True)
class SpeechParams:
    """How sure a transcript must be before it acts (see ``HomeController.handle_audio``).

    Chosen on the voice benchmark's ``dev`` and first ``held_out`` sets (espeak-ng audio):
    right snaps scored 71-100, the wrong ones 62-69 and one at 78; Whisper's confidence was
    0.21-0.37 on garbled English and 0.47-0.72 on transcripts that were right or nearly so.
    """

    sure_match: float = 90.0
    """A command-space phrase matched at least this well is taken first."""
    min_match: float = 70.0
    """A phrase matched at least this well is taken when the transcript itself does not parse."""
    min_confidence: float = 0.45
    """A transcript heard at least this confidently may be used as it is (and as a follow-up)."""

    def __post_init__(self) -> None:
        for name in ("sure_match", "min_match"):
            value = getattr(self, name)
            if not 0 <= value <= 100:
                raise InvalidInputError.for_field(name, "a score in [0, 100]", value)
        if self.min_match > self.sure_match:
            raise InvalidInputError.for_field(
                "min_match", f"at most sure_match ({self.sure_match})", self.min_match
            )
        if not 0 <= self.min_confidence <= 1:
            raise InvalidInputError.for_field(
                "min_confidence", "a probability in [0, 1]", self.min_confidence
            )


@dataclass(frozen=True)
class PhraseMatch:
    """The nearest phrase of the command space to a transcript."""

    phrase: str
    """The phrase as the parser reads it (English words, or Chinese characters)."""
    score: float
    """Similarity, 0-100 (rapidfuzz ratio of the normalised forms)."""
    follow_up: bool
    """The phrase names no device: it only means something after an earlier command."""


# --------------------------------------------------------------------------- normalisation


@functools.cache
def _space(zh: bool) -> dict[str, Any]:
    """The phrase tables of ``lang/space_<lang>.yaml``."""
    name = "space_zh.yaml" if zh else "space_en.yaml"
    text = resources.files("lingxi.home").joinpath(f"lang/{name}").read_text("utf-8")
    data: dict[str, Any] = load_yaml(text)
    return data


def _number_words(n: int) -> str:
    words = _space(False)["number_words"]
    units, teens, tens = words["units"], words["teens"], words["tens"]
    if n < 10:
        return str(units[n])
    if n < 20:
        return str(teens[n - 10])
    if n < 100:
        return str(tens[n // 10]) + ("" if n % 10 == 0 else " " + str(units[n % 10]))
    if n == 100:
        return str(words["hundred"])
    return str(n)


def english_words(text: str) -> str:
    """Lowercase words only; numbers spelt out ("19" -> "nineteen", "30%" -> "thirty percent")."""
    text = text.casefold().replace("%", " percent ")

    def spell(m: re.Match[str]) -> str:
        digits = m.group(0)
        return f" {_number_words(int(digits))} " if len(digits) <= 3 else " "

    text = re.sub(r"\d+", spell, text)
    return " ".join(re.sub(r"[^a-z ]+", " ", text).split())


_ZH_DIGITS = "零一二三四五六七八九"


def _zh_number(n: int) -> str:
    if n < 10:
        return _ZH_DIGITS[n]
    if n < 20:
        return "十" + ("" if n % 10 == 0 else _ZH_DIGITS[n % 10])
    if n < 100:
        return _ZH_DIGITS[n // 10] + "十" + ("" if n % 10 == 0 else _ZH_DIGITS[n % 10])
    return "一百" if n == 100 else str(n)


_FOLD = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ing", "in"), ("eng", "en"), ("ang", "an"))


@functools.lru_cache(maxsize=4096)
def _fold(syllable: str) -> str:
    for a, b in _FOLD:
        syllable = syllable.replace(a, b)
    return "n" + syllable[1:] if syllable.startswith("l") else syllable


def pinyin_key(text: str) -> str:
    """Toneless, folded pinyin of the Han characters; Latin letters kept; digits read in Chinese.

    Punctuation and spaces are dropped; syllables are separated by one space.
    """
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError as err:
        raise UnavailableError(_NEEDS_VOICE, field="audio") from err
    text = re.sub(r"\d{1,3}", lambda m: _zh_number(int(m.group(0))), text.casefold())
    out: list[str] = []
    for piece in re.findall(r"[\u4e00-\u9fff]+|[a-z]+", text):
        if piece.isascii():
            out.append(piece)
        else:
            out.extend(_fold(s) for s in lazy_pinyin(piece, style=Style.NORMAL))
    return " ".join(out)


# --------------------------------------------------------------------------- templates

_ON_OFF = ("light", "switch", "fan", "climate", "media_player")
"""Domains that take the plain on/off phrases."""


def _follow_ups() -> frozenset[str]:
    return frozenset(_space(False)["follow_ups"]) | frozenset(_space(True)["follow_ups"])


def _is_han(text: str) -> bool:
    return bool(text) and all("\u4e00" <= ch <= "\u9fff" for ch in text)


class CommandSpace:
    """Template phrases over one household's names, and the nearest of them to a transcript.

    Parameters
    ----------
    home
        The household's areas and entities (names and aliases).
    """

    def __init__(self, home: Home) -> None:
        self.home = home
        self.phrases_en = sorted(self._english())
        self.phrases_zh = sorted(self._chinese())
        self._keys_en = [english_words(p) for p in self.phrases_en]
        self._keys_zh: list[str] | None = None  # pinyin needs the [voice] extra: built on use

    # ------------------------------------------------------------------ building

    def _english(self) -> set[str]:
        areas = {
            a.area_id: [n.casefold() for n in (a.name, *a.aliases) if n.isascii()]
            for a in self.home.areas
        }
        return _phrases(self.home, _space(False), areas, str.isascii, _number_words)

    def _chinese(self) -> set[str]:
        areas = {a.area_id: [n for n in a.aliases if _is_han(n)] for a in self.home.areas}
        return _phrases(self.home, _space(True), areas, _is_han, _zh_number)

    # ------------------------------------------------------------------ matching

    def match(self, text: str, *, language: str) -> PhraseMatch | None:
        """The nearest phrase to ``text`` (a transcript), or None when ``text`` has no words."""
        zh = language.casefold().startswith("zh")
        if zh:
            if self._keys_zh is None:
                self._keys_zh = [pinyin_key(p) for p in self.phrases_zh]
            key, keys, phrases = pinyin_key(text), self._keys_zh, self.phrases_zh
        else:
            key, keys, phrases = english_words(text), self._keys_en, self.phrases_en
        if not key:
            return None
        best = process.extractOne(key, keys, scorer=fuzz.ratio)
        if best is None:
            return None
        _, score, index = best
        phrase = phrases[index]
        return PhraseMatch(
            phrase, float(score), phrase in _follow_ups() or phrase.endswith(("too", "也要"))
        )


def _phrases(
    home: Home,
    space: dict[str, Any],
    areas: dict[str, list[str]],
    spoken: Callable[[str], bool],
    number: Callable[[int], str],
) -> set[str]:
    """Every phrase of one language's tables over the home's names (sensors excluded)."""
    out: set[str] = set(space["fixed"]) | set(space["follow_ups"])
    for e in home.entities:
        if e.domain == "sensor":
            continue
        names: set[str] = {n.casefold() for n in (e.name, *e.aliases) if spoken(n)}
        for area in areas.get(e.area_id or "", []):
            for kind in space["kinds"].get(e.domain, ()):
                names |= {t.format(area=area, kind=kind) for t in space["area_kind"]}
        templates = list(space["by_domain"].get(e.domain, ()))
        if e.domain in _ON_OFF:
            templates += space["on_off"]
        values = space["values"].get(e.domain)
        for name in names:
            out |= {t.format(n=name) for t in templates}
            if values:
                out |= {
                    t.format(n=name, v=number(v))
                    for t in values["templates"]
                    for v in range(*values["range"])
                }
    for area_names in areas.values():
        out |= {space["area_too"].format(a=a) for a in area_names}
    return out
