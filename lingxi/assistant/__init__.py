"""lingxi.assistant: one conversation over shopping, deliveries and the home.

``Assistant(db, settings=...).handle(message, member)`` returns a :class:`Reply`; the offline
:class:`Router` decides without an LLM, and an OpenAI-compatible server is used when configured.
Skills live in :mod:`lingxi.assistant.skills`, their words in ``lang/<code>.yaml``.
"""

from lingxi.assistant.assistant import (
    CHANNELS as CHANNELS,
    MAX_MESSAGE_CHARS as MAX_MESSAGE_CHARS,
    Assistant as Assistant,
    Reply as Reply,
)
from lingxi.assistant.automations import AutomationWorker as AutomationWorker
from lingxi.assistant.engines import (
    DispatchPlanner as DispatchPlanner,
    Engines as Engines,
    LazyGuide as LazyGuide,
    default_engines as default_engines,
    home_matcher as home_matcher,
)
from lingxi.assistant.router import Route as Route, Router as Router

__all__ = [
    "CHANNELS",
    "MAX_MESSAGE_CHARS",
    "Assistant",
    "AutomationWorker",
    "DispatchPlanner",
    "Engines",
    "LazyGuide",
    "Reply",
    "Route",
    "Router",
    "default_engines",
    "home_matcher",
]
