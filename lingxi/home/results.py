"""What a home request answers: :class:`ActionResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ActionResult"]


@dataclass
class ActionResult:
    """The outcome of a request: a reply to say, and what changed."""

    ok: bool
    reply: str
    commands: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    """``{"entity_id", "state", "attributes"}`` of each entity after the action."""
    reason: str | None = None
    question: str | None = None
    candidates: list[str] = field(default_factory=list)
    language: str = "en"
    automation: dict[str, Any] | None = None
    """The stored automation, when the request was for later (nothing was done now)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "ok": self.ok,
            "reply": self.reply,
            "commands": self.commands,
            "changes": self.changes,
            "reason": self.reason,
            "question": self.question,
            "candidates": self.candidates,
            **({"automation": self.automation} if self.automation is not None else {}),
        }
