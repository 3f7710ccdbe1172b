"""Commands for later: "turn off the bedroom light at nine thirty pm" is stored, not done now.

:func:`store` keeps a parsed request's scheduled commands in the database (after the same
risk check an immediate act gets: a risky one needs its yes before it is stored);
:class:`AutomationScheduler` (``lingxi serve`` runs one) carries each out once when it is due,
as the member who asked, with the yes they gave. Clock times are read in
``HomeSettings.timezone`` (the server's local time when unset).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from lingxi.data.records import AutomationRecord, Member
from lingxi.errors import InvalidInputError, LingxiError
from lingxi.home._lang import Schedule
from lingxi.home._replies import entity_names, say
from lingxi.home.model import Command, ParseResult
from lingxi.home.results import ActionResult

if TYPE_CHECKING:
    from lingxi.home.controller import HomeController

__all__ = [
    "AutomationRecord",
    "AutomationScheduler",
    "ScheduledPlan",
    "cancel",
    "due_at",
    "list_for",
    "run_due",
    "store",
]

logger = logging.getLogger(__name__)


def zone(name: str | None) -> tzinfo:
    """The time zone clock times are said in: ``name`` (IANA), or the server's local one."""
    if not name:
        local = datetime.now().astimezone().tzinfo
        return local if local is not None else UTC
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as err:
        raise InvalidInputError.for_field("home.timezone", "an IANA time zone", name) from err


def due_at(schedule: Schedule, *, now: datetime, tz: tzinfo) -> datetime:
    """When ``schedule`` falls after ``now``: the next such clock time, or now + the delay."""
    if schedule.at is None:
        return now + timedelta(seconds=schedule.delay_s or 0)
    hour, minute = (int(x) for x in schedule.at.split(":"))
    local = now.astimezone(tz)
    when = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if when <= local:
        when += timedelta(days=1)  # "at seven am" said in the evening: tomorrow's
    return when.astimezone(UTC)


@dataclass(frozen=True)
class ScheduledPlan:
    """What a pending confirmation holds for a request for later: stored on the yes."""

    parsed: ParseResult
    plan: Any
    due: datetime


def _command_docs(commands: tuple[Command, ...]) -> list[dict[str, Any]]:
    return [
        {"intent": c.intent, "slots": dict(c.slots), "targets": list(c.targets), "tier": c.tier}
        for c in commands
    ]


def store(
    controller: HomeController,
    parsed: ParseResult,
    member: Member,
    *,
    confirmed: bool,
    now: datetime,
) -> ActionResult:
    """Store ``parsed.scheduled`` as one automation of ``member``'s household.

    Raises
    ------
    ConfirmationRequiredError
        A command in it is risky (unlock a door): the yes comes before it is stored.
    ForbiddenError
        The member's role may never do it, now or later.
    """
    if not parsed.scheduled or parsed.scheduled[0].schedule is None:
        raise InvalidInputError.for_field("text", "a command for later", parsed.text)
    home = controller.home(member.household_id)
    schedule = parsed.scheduled[0].schedule
    due = due_at(schedule, now=now, tz=zone(controller.settings.timezone))
    plan = controller._plan(list(parsed.scheduled), home, "automation")
    controller._gate(plan, member, confirmed=confirmed, hold=ScheduledPlan(parsed, plan, due))
    held = ScheduledPlan(parsed, plan, due)
    return keep(controller, held, member, confirmed=confirmed and bool(plan.risky))


def keep(
    controller: HomeController, held: ScheduledPlan, member: Member, *, confirmed: bool
) -> ActionResult:
    """Write the automation (its risk already decided) and say when it will run."""
    # The repositories load SQLAlchemy: only a request for later needs them.
    from lingxi.data.repos import home_automations as repo

    parsed = held.parsed
    schedule = parsed.scheduled[0].schedule
    assert schedule is not None
    with controller.db.session() as s:
        record = repo.create_automation(
            s,
            household_id=member.household_id,
            customer_id=member.customer_id,
            text=parsed.text,
            language=parsed.language,
            commands=_command_docs(parsed.scheduled),
            schedule=schedule.as_slots(),
            due_at=held.due,
            confirmed=confirmed,
        )
    home = controller.home(member.household_id)
    targets = [t for c in parsed.scheduled for t in c.targets]
    names = entity_names(home, list(dict.fromkeys(targets)), parsed.language)
    if schedule.at is not None:
        reply = say("scheduled", parsed.language, when=schedule.at, names=names)
    else:
        minutes = round((schedule.delay_s or 0) / 60)
        reply = say("scheduled_in", parsed.language, minutes=minutes, names=names)
    return ActionResult(
        ok=True,
        reply=reply,
        commands=[c.to_dict() | {"targets": list(c.targets)} for c in parsed.scheduled],
        language=parsed.language,
        automation=record.to_dict(),
    )


def list_for(controller: HomeController, household_id: int) -> list[AutomationRecord]:
    """The household's automations still to run, soonest first."""
    from lingxi.data.repos import home_automations as repo

    with controller.db.session() as s:
        return repo.list_automations(s, household_id=household_id)


def cancel(controller: HomeController, automation_id: int, member: Member) -> AutomationRecord:
    """Cancel one of the member's household's automations before it runs.

    Raises NotFoundError (no such automation here) or ConflictError (it already ran).
    """
    from lingxi.data.repos import home_automations as repo

    with controller.db.session() as s:
        return repo.cancel_automation(
            s, household_id=member.household_id, automation_id=automation_id
        )


def _member(controller: HomeController, record: AutomationRecord) -> Member:
    from lingxi.data.repos.identity import get_member

    if record.customer_id is None:  # the local operator acts as the owner
        return Member(0, record.household_id, "owner", "CLI", "")
    with controller.db.session() as s:
        return get_member(s, customer_id=record.customer_id)  # the role as it is now


def run_due(controller: HomeController, *, now: datetime) -> list[AutomationRecord]:
    """Carry out every automation due by ``now`` (each once); returns them as finished."""
    from lingxi.data.repos import home_automations as repo

    with controller.db.session() as s:
        claimed = repo.claim_due(s, now=now)
    finished = []
    for record in claimed:
        try:
            member = _member(controller, record)
            commands = [
                Command(
                    c["intent"],
                    dict(c["slots"]),
                    tier=int(c.get("tier", 2)),
                    targets=tuple(c["targets"]),
                    language=record.language,
                )
                for c in record.commands
            ]
            result = controller.execute(
                commands, member, channel="automation", confirmed=record.confirmed
            )
            ok, outcome = result.ok, result.reply
        except LingxiError as err:  # refused now (a role changed) or a device is down
            ok, outcome = False, err.message
        with controller.db.session() as s:
            repo.finish_automation(s, automation_id=record.id, ok=ok, outcome=outcome, now=now)
        finished.append(record)
        logger.info("automation %s %s: %s", record.id, "done" if ok else "failed", outcome)
    return finished


class AutomationScheduler:
    """Runs due automations every ``interval_s`` on a thread of its own (``lingxi serve``).

    Parameters
    ----------
    controller
        A callable giving the server's home controller (built on first use).
    wall_clock
        The current time, timezone-aware (tests pin it and call :meth:`tick`).
    """

    def __init__(
        self,
        controller: Callable[[], HomeController],
        *,
        interval_s: float = 15.0,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._controller = controller
        self.interval_s = interval_s
        self.wall_clock = wall_clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> list[AutomationRecord]:
        """Run what is due now."""
        return run_due(self._controller(), now=self.wall_clock())

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
            except Exception:  # the next tick tries again; one failure never stops the loop
                logger.exception("the automation scheduler's tick failed")

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="lingxi-home-automations", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        """Stop the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
