"""Tier 2, part 1: the names, rooms, floors, device kinds and numbers a clause mentions."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from lingxi.home._frames import _en_words, _find, _Frame, _lexicon, _Names, _zh_number
from lingxi.home._lang import nlu_data
from lingxi.home.model import Command, Home


class _Mentions:
    """What a clause names; the base of the parser (see :class:`lingxi.home.nlu.Parser`)."""

    home: Home
    context_area: str | None
    _names: _Names
    _pending: Command | None

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
        for pattern, floor in _lexicon(zh).floors:
            m = re.search(pattern, rest)
            if m:
                frame.floor = floor
                rest = rest[: m.start()] + " @ " + rest[m.end() :]
                break
        if not frame.names and not zh:
            self._fuzzy_names(frame, rest)
        for pattern, domain in _lexicon(zh).domains:
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
        return last not in _en_words()[1] and last not in ("#", "@") and len(last) > 2

    def _unknown_place(self, text: str, zh: bool) -> bool:
        if re.search(_lexicon(zh).unknown, text):
            return True
        if zh:
            return False
        for m in re.finditer(r"\bin the ([a-z]+)", text):
            if m.group(1) not in _en_words()[2]:
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
            if word in _en_words()[0]:
                total += _en_words()[0][word]
                found = True
            elif found:
                break
        return total if found and total > 0 else None

    def _named_domain(self, f: _Frame, domain: str) -> bool:
        return any((e := self.home.entity_by_name(n)) and e.domain == domain for n in f.names)

    def _appliances(self, text: str, zh: bool) -> list[str]:
        """The home's appliances a word means ("coffee" -> a name with coffee in it)."""
        for row in nlu_data(zh)["appliance_words"]:
            if re.search(row["pattern"], text):
                word = row["in_name"]
                return [
                    e.name
                    for e in self.home.entities
                    if any(word in n.casefold() for n in (e.name, *e.aliases))
                ]
        return []

    def _color(self, text: str, zh: bool) -> str | None:
        """A colour word ("redder" counts as red)."""
        if zh:
            return next((c for k, c in nlu_data(True)["colors"].items() if k in text), None)
        return next((c for c in _en_words()[3] if re.search(rf"\b{c}", text)), None)
