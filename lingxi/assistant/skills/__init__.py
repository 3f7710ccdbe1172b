"""The assistant's skills: one module each, on a screen or two, over commerce and the engines.

Each module has ``answer(route, turn) -> str`` (what to reply; it may propose one action) and
``RUNNERS``, the tools whose stored proposals it runs after the person's yes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lingxi.assistant.router import Route, Skill
from lingxi.assistant.skills import account, guide, home, orders, smalltalk
from lingxi.assistant.turn import Runner, Turn

__all__ = ["SKILLS", "SkillModule", "runner_for"]


@dataclass(frozen=True, slots=True)
class SkillModule:
    """A skill: how it answers, and the proposals it runs."""

    answer: Callable[[Route, Turn], str]
    runners: dict[str, Runner]


SKILLS: dict[Skill, SkillModule] = {
    "guide": SkillModule(guide.answer, guide.RUNNERS),
    "orders": SkillModule(orders.answer, orders.RUNNERS),
    "home": SkillModule(home.answer, home.RUNNERS),
    "account": SkillModule(account.answer, account.RUNNERS),
    "smalltalk": SkillModule(smalltalk.answer, smalltalk.RUNNERS),
}


def runner_for(tool: str) -> tuple[Skill, Runner] | None:
    """The skill and runner of a proposed ``tool`` (None: no skill runs it)."""
    for name, skill in SKILLS.items():
        if tool in skill.runners:
            return name, skill.runners[tool]
    return None
