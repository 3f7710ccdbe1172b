"""The home skill: every home request goes to the home controller, worded however it is.

The assistant never judges risk from wording. The controller applies :mod:`lingxi.policy`
to the device command a request resolves to and raises ``ConfirmationRequiredError`` with a
single-use token (unlocking, opening a garage, heating above the limit) or ``ForbiddenError``
(a child); the token becomes a stored proposal, redeemed once on the person's yes.
"""

from __future__ import annotations

import logging
from typing import Any

from lingxi.assistant.router import Route
from lingxi.assistant.turn import Runner, Turn
from lingxi.errors import ConfirmationRequiredError, ForbiddenError, LingxiError, NotFoundError

__all__ = ["RUNNERS", "answer"]

logger = logging.getLogger(__name__)

_HOME_CHANNELS = ("voice", "text", "touch", "gesture")


def _changes(result: Any) -> list[dict[str, Any]]:
    return [dict(c) for c in result.changes] or [dict(c) for c in result.commands]


def answer(route: Route, turn: Turn) -> str:
    """Hand the request to the controller; a needed yes becomes a stored proposal."""
    home = turn.engines.home
    arguments = {"text": turn.text}
    if home is None:
        turn.audit("home.command", arguments, {"error": "home engine not available"})
        return turn.say("home_unavailable")
    channel = turn.channel if turn.channel in _HOME_CHANNELS else "text"
    try:
        result = home.handle(turn.text, turn.member, channel=channel)
    except ConfirmationRequiredError as err:
        return turn.ask("home.command", {**arguments, "token": err.token}, err.message)
    except (ForbiddenError, NotFoundError) as err:
        turn.audit("home.command", arguments, {"refused": err.to_dict()})
        raise
    except LingxiError as err:
        # The engine could not carry it out; say so instead of failing the whole turn.
        logger.warning("home engine refused %r: %s", turn.text[:80], err)
        turn.audit("home.command", arguments, {"error": err.to_dict()})
        return err.message
    turn.audit("home.command", arguments, {"handled": result.ok, "actions": _changes(result)})
    return str(result.reply)


def _run_command(turn: Turn, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
    home = turn.engines.home
    if home is None:
        return {"error": "home engine not available"}, turn.say("home_unavailable")
    try:
        result = home.confirm(str(args.get("token", "")), turn.member)
    except NotFoundError:
        return {"error": "token expired"}, turn.say("home_expired")
    return {"handled": result.ok, "actions": _changes(result)}, str(result.reply)


RUNNERS: dict[str, Runner] = {"home.command": _run_command}
