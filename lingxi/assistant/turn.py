"""One message being answered: who asks, what was said, and what the skills did and proposed.

Skills read the :class:`Turn` and add to it: audited tool calls (stored with the reply, in
one transaction), product cards, and at most one *proposal*: a stored action with an id
(:func:`lingxi.commerce.propose`) that runs only after the person's "yes".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lingxi import commerce
from lingxi.assistant.engines import Engines
from lingxi.assistant.language import phrase, say, words
from lingxi.commerce import Member
from lingxi.data import Database, utcnow

__all__ = [
    "Runner",
    "Turn",
    "clock",
    "day_name",
    "first_number",
    "matches",
    "minutes_until",
    "money",
    "ordinals",
    "product_words",
    "quantity",
    "relative_time",
    "shown",
]

Runner = Callable[["Turn", dict[str, Any]], tuple[dict[str, Any], str]]
"""Runs a confirmed proposal: ``(turn, arguments) -> (result, reply text)``."""

_HIDDEN_ARGUMENTS = frozenset({"token"})
"""Kept in the stored action (to redeem it), never shown to the client."""


@dataclass
class Turn:
    """Working state of one message while it is handled."""

    db: Database
    engines: Engines
    member: Member
    conversation_id: int
    text: str
    language: str
    channel: str
    state: dict[str, Any]
    """The conversation's short-lived state (last products shown, last query, unsaved facts)."""
    slots: dict[str, Any] = field(default_factory=dict)
    """Arguments an LLM tool call gave (``item``, ``order_id``, ``items``)."""
    actions: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    action_id: int | None = None
    """The id of the action this reply proposes (it waits for a yes)."""
    brief: str | None = None
    """The reply without the lines the product cards show (name, price, reason)."""
    on_text: Callable[[str], None] | None = None

    def say(self, key: str, **values: Any) -> str:
        """A reply template in the turn's language."""
        return say(key, self.language, **values)

    def words(self, name: str) -> Any:
        """A word table in the turn's language."""
        return words(name, self.language)

    def audit(self, tool: str, arguments: dict[str, Any], result: dict[str, Any]) -> None:
        """An audited tool call that needed no confirmation (stored with the reply)."""
        action = {"tool": tool, "arguments": arguments, "result": result}
        self.audits.append(action)
        self.actions.append({**action, "confirmation": "not_needed"})

    def ask(self, tool: str, arguments: dict[str, Any], question: str) -> str:
        """Store ``tool(arguments)`` as a proposal and ask for a yes; returns the question."""
        action = commerce.propose(
            self.db,
            self.member,
            conversation_id=self.conversation_id,
            tool=tool,
            arguments=arguments,
            question=question,
            channel=self.channel,
        )
        self.action_id = action.id
        self.actions.append(
            {
                "tool": tool,
                "arguments": shown(arguments),
                "result": {"asked": question},
                "confirmation": "pending",
                "action_id": action.id,
            }
        )
        return question + self.say("confirm_hint")

    @property
    def needs_confirmation(self) -> bool:
        """True when the reply waits for a yes."""
        return self.action_id is not None


def shown(arguments: dict[str, Any]) -> dict[str, Any]:
    """An action's arguments as the client may see them."""
    return {k: v for k, v in arguments.items() if k not in _HIDDEN_ARGUMENTS}


def first_number(name: str, text: str) -> int | None:
    """The first number the phrase ``name`` captures in ``text`` (an order id)."""
    m = phrase(name).search(text)
    if m is None:
        return None
    return int(next(g for g in m.groups() if g))


def money(minor: int, currency: str = "USD") -> str:
    """``$12.50`` (other currencies: ``12.50 EUR``)."""
    return f"${minor / 100:.2f}" if currency == "USD" else f"{minor / 100:.2f} {currency}"


def clock(when: datetime) -> str:
    """``HH:MM``."""
    return when.strftime("%H:%M")


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def day_name(when: datetime, now: datetime, language: str) -> str:
    """'tomorrow'/'明天', or the date, for a time on a later day."""
    if (when.date() - now.date()).days == 1:
        return str(words("tomorrow", language))
    return when.strftime(str(words("date_format", language)))


def relative_time(eta: datetime, language: str, now: datetime | None = None) -> str:
    """``HH:MM`` today, else the day and the time ("tomorrow 08:44", "明天 08:44")."""
    eta_aware, now_aware = _aware(eta), _aware(now or utcnow())
    if eta_aware.date() == now_aware.date():
        return clock(eta)
    return f"{day_name(eta_aware, now_aware, language)} {clock(eta)}"


def minutes_until(eta: datetime, now: datetime | None = None) -> int:
    """Whole minutes from ``now`` to ``eta`` (negative when past)."""
    return round((_aware(eta) - _aware(now or utcnow())) / timedelta(minutes=1))


def matches(name: str, text: str) -> bool:
    """True when the phrase ``name`` (any language) occurs in ``text``."""
    return bool(phrase(name).search(text))


def ordinals(text: str) -> list[int]:
    """The positions named in ``text`` ("the first and the third", "第二个"), 0-based, in order."""
    table: dict[str, int] = words("ordinals")
    found = [
        (m.start(), table[g.lower()])
        for m in phrase("ordinal").finditer(text)
        for g in m.groups()
        if g and g.lower() in table
    ]
    return [index for _, index in sorted(found)]


def quantity(text: str) -> int:
    """How many units ``text`` asks for ("two of the", "两个"); 1 when it says nothing."""
    m = phrase("quantity").search(text)
    if m is None:
        return 1
    word = next(g for g in m.groups() if g).lower()
    if word.isdigit():
        return int(word)
    return int(words("quantities").get(word, 1))


def product_words(text: str) -> list[str]:
    """The words that may name a product ("the cleanser", "kiehl's"), lowercased."""
    stop = set(words("not_product"))
    return [w for w in re.findall(r"[a-z][a-z'\-]{2,}", text.lower()) if w not in stop]
