"""The learned tier inside the parser: it fills a clause's frame where the rules read none.

A clause with no action gets the learned class (when the model is sure enough) and its values
from the language data; a clause with an action but no device named gets the device type from
the learned head, and, when the speaker's room has no such device and the home has several,
the nearest of them by embedding ("make a coffee" -> the coffee maker, "turn the plug off" ->
the outlet).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from lingxi.home._embed import embed_one
from lingxi.home._lang import list_item, nlu_data, relative_amount
from lingxi.home.learned import (
    DOMAINS,
    FRAMES,
    MIN_DOMAIN_P,
    MIN_INTENT_P,
    Prediction,
    load_model,
)

if TYPE_CHECKING:
    from lingxi.data.repos.home import EntityRecord

__all__ = ["LearnedReader"]

_NEAREST_MARGIN = 0.015
"""The nearest entity must beat the second by this much cosine, or the request asks which."""
_CLAUSE_P = 0.8
"""How sure the model must be to give an action to a clause the rules found none in."""
_LEVELS = {"high": 100, "max": 100, "medium": 66, "low": 33, "lowest": 33}


class LearnedReader:
    """Reads clauses with the shipped model for one parser (and its home)."""

    def __init__(self, parser: Any) -> None:
        self.parser = parser
        self.model = load_model()
        # The home's entities are embedded once, with the model's load, not during the first
        # request that needs the nearest of them (each is one encoder call).
        for e in parser.home.entities:
            if e.domain in DOMAINS:
                embed_one(_description(e))

    def predict(self, text: str) -> Prediction:
        """The learned class and device type of ``text``."""
        return self.model.predict(embed_one(text.casefold()))

    def fill(self, frame: Any, text: str, zh: bool, *, whole: bool) -> None:
        """Complete ``frame`` (a rule frame of ``text``) in place where the rules left gaps.

        ``whole`` is False for a clause of a longer sentence (the parser asks only when no
        clause shares its devices with a bare action, "the kitchen light and the kettle, off").
        A clause with no action stays empty unless the model is sure of one: small talk ("I'm
        home, ...") stays none.
        """
        if frame.tier1 is not None or frame.unknown or frame.pronoun or frame.has_target:
            return
        # No action, or an action on nothing named: the rules' reading is weak there, and a
        # sure learned class of another kind replaces it ("put yoghurt on the list").
        pred = self.predict(text)
        sure = pred.label != "none" and pred.p >= MIN_INTENT_P
        if not whole and frame.action is not None:
            # A clause's bare action keeps the rules' reading ("打开卧室风扇然后调到50%" sets
            # the fan); the model may only name the device, when it reads the same action.
            if FRAMES.get(pred.label, ("",)) != (frame.action, frame.kind):
                return
            sure = False
        if not whole and frame.action is None:
            # A clause beside a command is often small talk ("我回来了，开灯"): a new action
            # there needs a surer class, or a sure one of a device type.
            sure = sure and (pred.p >= _CLAUSE_P or pred.domain_p >= _CLAUSE_P)
        if sure and FRAMES[pred.label] != (frame.action, frame.kind):
            value = self._value(pred.label, text.casefold(), zh)
            if value is not _MISSING:
                frame.action, frame.kind = FRAMES[pred.label]
                frame.value = value
                frame.tier = 3
        if frame.action is None:
            return
        implied = _IMPLIED.get(pred.label)
        if not whole and frame.tier == 3 and implied:
            # A clause's empty target would be its neighbour's ("turn off the kitchen light
            # and quiet"): the class names the kind of device instead.
            frame.domain = implied
            return
        if frame.has_target or frame.pronoun or frame.action in ("list_add", "query_temp"):
            return
        if frame.kind is not None or frame.action in _MEDIA_ACTIONS or "vacuum" in frame.action:
            return  # the intent implies its device type
        if pred.domain is None or pred.domain_p < MIN_DOMAIN_P:
            return
        frame.domain = pred.domain
        frame.tier = 3
        chosen = self._nearest(text, pred.domain)
        if chosen is not None:
            frame.names = [chosen]
        elif self._spread(pred.domain):
            frame.singular = True  # several of that kind and none nearer: ask which one

    def _value(self, label: str, low: str, zh: bool) -> Any:
        action, kind = FRAMES[label]
        number = self.parser._number(low, zh)
        if action == "list_add":
            item = list_item(low, zh)
            return item if item else _MISSING
        if kind == "color":
            return self.parser._color(low, zh) or _MISSING
        if action == "set":
            if number is not None:
                return number
            level = next((v for w, v in _LEVELS.items() if re.search(rf"\b{w}", low)), None)
            return level if level is not None and not zh else _MISSING
        if action in ("up", "down"):
            return relative_amount(low, zh, number)
        return None

    def _spread(self, domain: str) -> bool:
        here = self.parser.context_area
        same = [e for e in self.parser.home.entities if e.domain == domain]
        return len(same) > 1 and not any(e.area_id == here for e in same)

    def _nearest(self, text: str, domain: str) -> str | None:
        """The home's entity of ``domain`` nearest to ``text``, when the room has none of them."""
        if not self._spread(domain):
            return None
        same = [e for e in self.parser.home.entities if e.domain == domain]
        query = embed_one(text.casefold())
        scores = sorted(
            ((float(np.dot(query, embed_one(_description(e)))), e.name) for e in same),
            reverse=True,
        )
        if scores[0][0] - scores[1][0] >= _NEAREST_MARGIN:
            return str(scores[0][1])
        return None


class _Missing:
    pass


_MISSING: Any = _Missing()
_MEDIA_ACTIONS = frozenset({"mute", "unmute", "pause", "unpause", "next", "previous"})
_IMPLIED = {
    **dict.fromkeys(
        ("volume_set", "volume_up", "volume_down", "mute", "unmute", "pause", "unpause"),
        "media_player",
    ),
    **dict.fromkeys(("next", "previous"), "media_player"),
    **dict.fromkeys(("vacuum_start", "vacuum_dock"), "vacuum"),
    **dict.fromkeys(("temp_set", "temp_up", "temp_down"), "climate"),
}
"""Classes whose device type the class itself says (a light never mutes)."""


def _description(entity: EntityRecord) -> str:
    """What the entity is called, with words its device class adds ("plug" for an outlet)."""
    words = [entity.name, *entity.aliases]
    for zh in (False, True):
        extra = nlu_data(zh)["device_class_words"].get(entity.device_class or "")
        if extra:
            words.append(str(extra))
    return " ".join(words).casefold()
