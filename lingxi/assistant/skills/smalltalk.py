"""The small-talk skill: greetings, thanks, help, goodbyes, and what was not understood."""

from __future__ import annotations

from lingxi.assistant.router import Route
from lingxi.assistant.turn import Runner, Turn

__all__ = ["RUNNERS", "answer"]

RUNNERS: dict[str, Runner] = {}


def answer(route: Route, turn: Turn) -> str:
    """A template reply (an LLM's own small-talk reply replaces it when there is one)."""
    if route.intent == "greet":
        return turn.say("greet", name=turn.member.display_name.split()[0])
    if route.intent in ("thanks", "bye", "help"):
        return turn.say(route.intent)
    return turn.say("fallback")
