"""Offline message routing: which skill (and which of its intents) a message is for.

Deterministic first: weighted patterns per skill and language (the ``rules`` of
``lang/<code>.yaml``), a learned naive Bayes posterior
(:mod:`lingxi.assistant.classifier`, trained on the dev split only) and the engines' own parsers
when they are wired in (a home command the home engine recognises is strong evidence for
``home``). The highest total wins; ties go to the skill listed first in :data:`PRIORITY`.
Nothing here does I/O after the classifier is loaded (once), so a message is routed in well
under a millisecond.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from lingxi.assistant.classifier import default_classifier
from lingxi.assistant.language import is_no, is_question, is_yes, pack
from lingxi.text import detect_language

__all__ = [
    "PRIORITY",
    "SKILLS",
    "EngineMatcher",
    "Route",
    "Router",
    "Skill",
]

Skill = Literal["guide", "orders", "home", "account", "smalltalk"]
SKILLS: tuple[Skill, ...] = ("guide", "orders", "home", "account", "smalltalk")
PRIORITY: tuple[Skill, ...] = ("account", "orders", "home", "guide", "smalltalk")
"""Tie-break order: the more specific and the riskier to miss come first."""

_MIN_SCORE = 1.5
"""Below this total the message is small talk (or not understood)."""
LEARNED_WEIGHT = 3.0
"""How much the learned classifier's posterior adds: at full confidence, as much as one
mid-weight rule (a product category word). Fixed before measuring, not tuned."""


@dataclass(frozen=True, slots=True)
class Route:
    """Where a message goes."""

    skill: Skill
    """One of guide, orders, home, account, smalltalk."""
    intent: str
    """The skill's intent, e.g. ``track``, ``buy``, ``recommend``, ``forget``, ``command``."""
    language: Literal["en", "zh"]
    confidence: float
    """The winning score's share of all evidence, in [0, 1]."""
    scores: dict[str, float] = field(default_factory=dict)
    """Total evidence per skill (for logs and debugging)."""
    slots: dict[str, Any] = field(default_factory=dict)
    """Arguments an LLM tool call gave (``item``, ``order_id``, ``items``); empty offline."""


_DEFAULT_INTENT: dict[Skill, str] = {
    "guide": "recommend",
    "orders": "track",
    "home": "command",
    "account": "show",
    "smalltalk": "chitchat",
}
"""The intent when only the learned classifier spoke for a skill: the harmless reading one."""

Classifier = Callable[[str, str], dict[str, float]]
"""``(text, language) -> posterior per skill``: a learned component blended with the rules."""


def learned(text: str, language: str) -> dict[str, float]:
    """The shipped naive Bayes classifier (trained on the dev split only)."""
    return default_classifier(language).proba(text)


EngineMatcher = Callable[[str, str, "int | None"], bool]
"""``(text, language, household_id) -> bool``: an engine's own parser recognised the message
(the home parser needs the household's own device and area names)."""


class Router:
    """Route a message to a skill, deterministically.

    Parameters
    ----------
    home_matcher
        The home engine's parser as a predicate; a match adds strong ``home`` evidence.
    guide_matcher
        The guide engine's need parser as a predicate (it found a category or constraints).
    classifier
        A learned posterior per skill, added with :data:`LEARNED_WEIGHT`; the shipped naive
        Bayes (:func:`learned`) by default, ``None`` for the hand rules alone.
    """

    def __init__(
        self,
        *,
        home_matcher: EngineMatcher | None = None,
        guide_matcher: EngineMatcher | None = None,
        classifier: Classifier | None = learned,
        learned_weight: float = LEARNED_WEIGHT,
    ) -> None:
        self.home_matcher = home_matcher
        self.guide_matcher = guide_matcher
        self.classifier = classifier
        self.learned_weight = learned_weight

    def route(self, text: str, *, household_id: int | None = None) -> Route:
        """The skill and intent for ``text`` (small talk when nothing else fits)."""
        language = detect_language(text)
        norm = " ".join(text.strip().split()).lower()
        scores: dict[Skill, float] = dict.fromkeys(SKILLS, 0.0)
        best_rule: dict[Skill, tuple[float, str]] = {}
        for rule in pack(language).rules:
            if rule.pattern.search(norm):
                skill_name: Skill = rule.skill  # type: ignore[assignment]
                scores[skill_name] += rule.weight
                if rule.weight > best_rule.get(skill_name, (0.0, ""))[0]:
                    best_rule[skill_name] = (rule.weight, rule.intent)
        if is_yes(norm) or is_no(norm):
            # A bare yes/no outside a confirmation turn is conversation, not a request.
            scores["smalltalk"] += 3.0
            best_rule.setdefault("smalltalk", (3.0, "chitchat"))
        if self.home_matcher is not None and self.home_matcher(text, language, household_id):
            scores["home"] += 3.0
            best_rule.setdefault("home", (3.0, "command"))
        if self.guide_matcher is not None and self.guide_matcher(text, language, household_id):
            scores["guide"] += 1.5
            best_rule.setdefault("guide", (1.5, "recommend"))
        if self.classifier is not None and norm:
            for name, p in self.classifier(norm, language).items():
                if name in scores:
                    scores[name] += self.learned_weight * p
        skill = max(PRIORITY, key=lambda s: (scores[s], -PRIORITY.index(s)))
        total = sum(scores.values())
        if scores[skill] < _MIN_SCORE:
            intent = best_rule.get("smalltalk", (0.0, "chitchat"))[1]
            return Route("smalltalk", intent, language, 0.5, {k: v for k, v in scores.items()})
        intent = best_rule.get(skill, (0.0, _DEFAULT_INTENT[skill]))[1]
        if skill == "home" and intent == "command" and is_question(norm):
            intent = "state"
        confidence = scores[skill] / total if total else 0.0
        return Route(
            skill, intent, language, round(confidence, 3), {k: v for k, v in scores.items()}
        )
