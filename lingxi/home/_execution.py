"""Carrying out a decided plan: each step to the driver, in order, every change recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from lingxi.errors import LingxiError
from lingxi.home._payloads import QUERY_INTENTS
from lingxi.home._plan import Plan
from lingxi.home._replies import describe_states, done_reply, say
from lingxi.home.devices import DeviceCommand, DeviceState
from lingxi.home.drivers.base import DeviceDriver
from lingxi.home.model import Home
from lingxi.home.results import ActionResult

__all__ = ["Outcome", "carry_out"]

Record = Callable[[list[DeviceState], str], None]
"""Record changes made as ``source``."""
Busy = Callable[[str, bool], None]
"""Mark an entity as having a command in flight (True) or not any more (False)."""


@dataclass
class Outcome:
    """What a plan did: the result to answer, and the states from before it (for undo)."""

    result: ActionResult
    before: list[DeviceState] = field(default_factory=list)


def carry_out(
    plan: Plan,
    home: Home,
    driver: DeviceDriver,
    *,
    current: Callable[[str], DeviceState],
    record: Record,
    busy: Busy,
) -> Outcome:
    """Send every step of ``plan``; a failure records what already changed, then raises."""
    changes: list[DeviceState] = []
    before: list[DeviceState] = []
    replies: list[str] = []
    hid = plan.household_id
    for part in plan.parts:
        command = part.command
        if command is not None and command.intent in QUERY_INTENTS:
            state_of = partial(driver.state, household_id=hid)
            replies.append(describe_states(home, command, plan.language, state_of))
            continue
        done: list[DeviceState] = []
        for step in part.steps:
            was = current(step.entity_id)
            busy(step.entity_id, True)
            try:
                new = driver.send(DeviceCommand(step.entity_id, step.payload, hid))
            except LingxiError:
                record(done, part.source)  # what already changed is real
                raise
            finally:
                busy(step.entity_id, False)
            if command is not None:
                before.append(was)
            done.append(new)
        record(done, part.source)
        changes.extend(done)
        if command is None:
            replies.append(say("undone", plan.language))
        elif not done and not command.targets:  # a shopping item in a home with no list
            replies.append(say("no_list", plan.language))
        else:
            replies.append(done_reply(command, home, plan.language))
    result = ActionResult(
        ok=True,
        reply=" ".join(replies),
        commands=[{**c.to_dict(), "targets": list(c.targets)} for c in plan.commands],
        changes=[c.to_dict() for c in changes],
        language=plan.language,
    )
    return Outcome(result, before)
