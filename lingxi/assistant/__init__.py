"""lingxi.assistant: one conversation over shopping, deliveries and the home.

``Assistant(db, settings=...).handle(message, member)`` returns a :class:`Reply`; the offline
:class:`Router` decides without an LLM, and an OpenAI-compatible server is used when configured.
"""

from lingxi.assistant.assistant import Assistant as Assistant, Reply as Reply
from lingxi.assistant.router import Route as Route, Router as Router

__all__ = ["Assistant", "Reply", "Route", "Router"]
