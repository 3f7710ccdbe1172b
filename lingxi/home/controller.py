"""HomeController: text, touch and gestures -> one action on the devices, safely and on record.

It parses (tiers 1-2), resolves targets, turns every command into device payloads, and
classifies each payload by what it will do to the device (:func:`lingxi.home.risk.classify`).
The one risk policy (:func:`lingxi.policy.check`) then decides with the member's role:
a role that may never do the act is refused (:class:`~lingxi.errors.ForbiddenError`);
everyone else, owners included, gets a single-use token
(:class:`~lingxi.errors.ConfirmationRequiredError`) that :meth:`HomeController.confirm`
redeems once. Every source takes that one path: typed or spoken text in any wording,
touch, gestures and their bindings, undo, "no, the other one", automations.

The controller sends device commands through a :class:`DeviceDriver`, records every change
with who, how and when, and keeps a short per-member context for follow-ups, fusion ("turn
that on" after pointing), a spoken correction and undo.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from lingxi import policy
from lingxi.config import HomeSettings
from lingxi.data import Database
from lingxi.data.records import STATE_SOURCES, Member
from lingxi.errors import (
    ConfirmationRequiredError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from lingxi.home import automations
from lingxi.home._execution import carry_out
from lingxi.home._history import history_rows, record_changes
from lingxi.home._modalities import DEFAULT_GESTURE_BINDINGS, Context, Modalities
from lingxi.home._payloads import QUERY_INTENTS
from lingxi.home._plan import (
    Part,
    Plan,
    describe_acts,
    other_candidates,
    plan_commands,
    plan_undo,
)
from lingxi.home._replies import no_match_reply, say
from lingxi.home._state import current_state, state_rows
from lingxi.home._store import load_rows
from lingxi.home.command_space import SpeechParams
from lingxi.home.devices import DeviceState
from lingxi.home.drivers.base import DeviceDriver
from lingxi.home.drivers.memory import MemoryDriver
from lingxi.home.model import Command, Home, NoMatchReason, ParseResult
from lingxi.home.nlu import Parser
from lingxi.home.results import ActionResult
from lingxi.home.risk import Confirmations, PendingAction, household_heat_limit

if TYPE_CHECKING:  # the speech module loads numpy and httpx; only audio needs it
    from lingxi.home.voice import SpeechRecognizer

__all__ = [
    "AUTOMATION_ROLE",
    "CHANNELS",
    "DEFAULT_GESTURE_BINDINGS",
    "ActionResult",
    "HomeController",
]

logger = logging.getLogger(__name__)

CHANNELS = ("voice", "text", "touch", "gesture", "automation")
"""How a request reached the home; recorded with every change."""

AUTOMATION_ROLE = "automation"
"""The role an automation acts with: no person is there to say yes, so the policy refuses
every risky act to it."""

_FOLLOW_UP_S = 300.0

_CORRECTION = re.compile(
    r"^(no,? )?(not that one|the other one)|^no,? the other|不是这个|不是那个|另一个|另外一个"
)
_UNDO = re.compile(
    r"^(undo|undo that|cancel that|put it back|revert)\b|撤销|恢复原样|取消刚才|还原"
)
_DEICTIC = re.compile(r"\b(that|this|it|them)\b|这个|那个|它|这盏|那盏")


class HomeController(Modalities):
    """The smart-home engine's front: parse, execute, confirm, state, history, gestures.

    Parameters
    ----------
    db
        The shared database (areas, entities, state history, gesture bindings).
    settings
        Home settings (the heating limit, how long a confirmation waits, the fusion window).
    driver
        The device driver; the in-process :class:`MemoryDriver` when omitted.
    clock
        Seconds as a float (tests pass a fake clock).
    speech_params
        How sure a spoken request must be before it acts.
    recognizer
        A speech recogniser for every household instead of the offline ``[voice]`` one (a
        custom engine; tests).
    wall_clock
        The current time, timezone-aware: when a command for later falls due (tests pin it).
    """

    def __init__(
        self,
        db: Database,
        *,
        settings: HomeSettings | None = None,
        driver: DeviceDriver | None = None,
        clock: Callable[[], float] = time.monotonic,
        speech_params: SpeechParams | None = None,
        recognizer: SpeechRecognizer | None = None,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.wall_clock = wall_clock
        self.settings = settings or HomeSettings()
        self.driver: DeviceDriver = driver or MemoryDriver()
        self.clock = clock
        self.speech_params = speech_params or SpeechParams()
        self.recognizer = recognizer
        self._homes: dict[int, Home] = {}
        self._heat_limits: dict[int, float] = {}
        self._parsers: dict[tuple[int, str | None], Parser] = {}
        self._contexts: dict[int, Context] = {}
        self._confirmations = Confirmations(lambda: self.clock(), self.settings.confirm_ttl_s)
        self._listeners: list[Callable[[int, DeviceState], None]] = []
        self._busy: set[tuple[int, str]] = set()
        self._lock = threading.RLock()
        self._gesture_models: Any = None
        self._landmarker: Any = None
        self._recognizers: dict[int, Any] = {}
        self._command_spaces: dict[int, Any] = {}
        self.driver.add_listener(self._on_device_state)

    # ------------------------------------------------------------------ home and parsing

    def home(self, household_id: int) -> Home:
        """The household's areas and entities; devices are announced to the driver once."""
        with self._lock:
            if household_id in self._homes:
                return self._homes[household_id]
            rows = load_rows(self.db, household_id)
            areas, entities, states, own = rows.areas, rows.entities, rows.states, rows.settings
            if not entities:
                raise NotFoundError(
                    f"Household {household_id} has no devices. Load the demo with "
                    "`lingxi demo load` or add entities first.",
                    field="household_id",
                )
            home = Home.from_records(household_id, areas, entities)
            self.driver.start(
                household_id,
                entities,
                {k: DeviceState(k, v.state, v.attributes, household_id) for k, v in states.items()},
            )
            self._heat_limits[household_id] = household_heat_limit(
                own, default=self.settings.heat_limit_c, household_id=household_id
            )
            self._homes[household_id] = home
            return home

    def heat_limit(self, household_id: int) -> float:
        """Degrees C above which heating needs a yes: the household's own ``heat_limit_c``
        setting, else :attr:`HomeSettings.heat_limit_c`."""
        self.home(household_id)
        return self._heat_limits.get(household_id, self.settings.heat_limit_c)

    def reload(self, household_id: int) -> None:
        """Forget the cached home (after entities, names or household settings changed)."""
        with self._lock:
            self._homes.pop(household_id, None)
            self._heat_limits.pop(household_id, None)
            self._command_spaces.pop(household_id, None)
            for key in [k for k in self._parsers if k[0] == household_id]:
                del self._parsers[key]

    def _parser(self, household_id: int, context_area: str | None) -> Parser:
        key = (household_id, context_area)
        parser = self._parsers.get(key)
        if parser is None:
            home = self.home(household_id)
            if context_area is not None and home.area(context_area) is None:
                area = home.area_by_name(context_area)
                if area is None:
                    raise InvalidInputError.for_field(
                        "area", "an area of the household", context_area
                    )
                context_area = area.area_id
            parser = self._parsers[key] = Parser(home, context_area=context_area)
        return parser

    def parse(
        self, text: str, household_id: int, *, context_area: str | None = None
    ) -> ParseResult:
        """What ``text`` means for this household (no device is touched)."""
        return self._parser(household_id, context_area).parse(text, tiers=self._tiers)

    # ------------------------------------------------------------------ requests

    @property
    def _tiers(self) -> tuple[int, ...]:
        return (1, 2, 3) if self.settings.learned_tier else (1, 2)

    def _context(self, member: Member) -> Context:
        return self._contexts.setdefault(member.customer_id, Context())

    def forget(self, member: Member) -> None:
        """Drop what the controller remembers of ``member``'s recent requests (follow-ups,
        pointing, a pending question, pending confirmations); undo history goes with it."""
        self._contexts.pop(member.customer_id, None)
        self._confirmations.forget_member(member.customer_id)

    def handle(
        self,
        text: str,
        member: Member,
        *,
        channel: str = "text",
        context_area: str | None = None,
        confirmed: bool = False,
    ) -> ActionResult:
        """Understand and carry out one spoken or typed request of ``member``.

        ``confirmed=True`` is for a trusted local operator (``lingxi home do --yes``) only;
        a person confirms by redeeming the token with :meth:`confirm`.

        Raises
        ------
        ConfirmationRequiredError
            What the request would do is risky (unlock, open a garage or gate, heat above
            the limit), whatever the wording; call :meth:`confirm` with the error's ``token``.
        ForbiddenError
            The member's role may never do this (a child unlocking the door).
        """
        self._check_channel(channel)
        ctx = self._context(member)
        now = self.clock()
        stripped = text.strip().casefold()
        if _UNDO.search(stripped):
            return self._undo(member, confirmed=confirmed)
        if _CORRECTION.search(stripped):
            return self._correct(member, channel, confirmed=confirmed)
        parser = self._parser(member.household_id, context_area)
        if ctx.pending is not None and now - ctx.pending_at <= _FOLLOW_UP_S:
            chosen = parser.answer(text, ctx.pending, ctx.last_candidates)
            ctx.pending = None
            if chosen is not None:
                return self.execute([chosen], member, channel=channel, confirmed=confirmed)
        previous = None
        if (
            ctx.pointed
            and now - ctx.pointed_at <= self.settings.fusion_window_s
            and _DEICTIC.search(stripped)
        ):
            previous = Command("HassTurnOn", {}, targets=(ctx.pointed,))
        elif ctx.last_command is not None and now - ctx.last_at <= _FOLLOW_UP_S:
            previous = ctx.last_command
        result = parser.parse(text, previous=previous, tiers=self._tiers)
        if result.scheduled:  # for later: stored as an automation, nothing is done now
            return automations.store(
                self, result, member, confirmed=confirmed, now=self.wall_clock()
            )
        if not result.commands:
            ctx.last_candidates = result.candidates
            ctx.pending, ctx.pending_at = result.pending, now
            return ActionResult(
                ok=False,
                reply=result.question or no_match_reply(result.reason, result.language),
                reason=result.reason,
                question=result.question,
                candidates=list(result.candidates),
                language=result.language,
            )
        return self.execute(list(result.commands), member, channel=channel, confirmed=confirmed)

    def execute(
        self,
        commands: list[Command],
        member: Member,
        *,
        channel: str = "text",
        confirmed: bool = False,
    ) -> ActionResult:
        """Carry out resolved commands for ``member`` (targets must be filled).

        Any intent may come in (an LLM's pick included): what decides is the device payload
        each command becomes. Raises as :meth:`handle`.
        """
        self._check_channel(channel)
        home = self.home(member.household_id)
        plan = self._plan(commands, home, channel)
        self._gate(plan, member, confirmed=confirmed)
        return self._carry_out(plan, member)

    # ------------------------------------------------------------------ the one policy

    def _plan(self, commands: list[Command], home: Home, source: str) -> Plan:
        hid = home.household_id
        limit, state_of = self.heat_limit(hid), partial(self._current, hid)
        return plan_commands(commands, home, source=source, state_of=state_of, heat_limit_c=limit)

    def _undo_part(self, home: Home, previous: list[DeviceState]) -> Part:
        hid = home.household_id
        limit, state_of = self.heat_limit(hid), partial(self._current, hid)
        return plan_undo(previous, home, state_of=state_of, heat_limit_c=limit)

    def _current(self, household_id: int, entity_id: str) -> DeviceState:
        return current_state(self.driver, household_id, entity_id)

    def _gate(self, plan: Plan, member: Member, *, confirmed: bool, hold: Any = None) -> None:
        """Apply :func:`lingxi.policy.check` to every risky step with the member's role.

        ``hold`` is what the confirmation keeps instead of ``plan`` (a request for later)."""
        risky = plan.risky
        if not risky:
            return
        needs = False
        for step in risky:
            assert step.act is not None
            try:
                decision = policy.check(step.act, member.role, confirmed=confirmed)
            except ForbiddenError as err:
                err.details["entity_id"] = step.entity_id
                raise
            needs = needs or decision.needs_confirmation
        if not needs:
            return
        home = self.home(plan.household_id)
        limit = self.heat_limit(plan.household_id)
        description = describe_acts(home, risky, plan.language, limit)
        pending = self._confirmations.hold(
            customer_id=member.customer_id,
            household_id=member.household_id,
            acts=tuple(s.act for s in risky if s.act is not None),
            entity_ids=tuple(s.entity_id for s in risky),
            plan=hold if hold is not None else plan,
            description=description,
        )
        raise ConfirmationRequiredError(
            say("confirm", plan.language, what=description),
            token=pending.token,
            acts=[a.value for a in pending.acts],
            entity_ids=list(pending.entity_ids),
            what=description,
            expires_in_s=self.settings.confirm_ttl_s,
            commands=[{**c.to_dict(), "targets": list(c.targets)} for c in plan.commands],
        )

    def confirm(self, token: str, member: Member) -> ActionResult:
        """Carry out the plan that waited under ``token``: once, and only for its member.

        The role is checked again (a child's token never exists, but a role can change).

        Raises
        ------
        NotFoundError
            No such pending confirmation for this member (or it expired, or was cancelled).
        ConflictError
            Code ``already_confirmed``: the token was redeemed before; nothing is done again.
        """
        pending = self._confirmations.redeem(token, member.customer_id)
        if pending.household_id != member.household_id:
            raise NotFoundError("No pending confirmation with this token.", field="token")
        for act in pending.acts:
            policy.check(act, member.role, confirmed=True)
        if isinstance(pending.plan, automations.ScheduledPlan):  # the yes to store it
            return automations.keep(self, pending.plan, member, confirmed=True)
        plan: Plan = pending.plan
        return self._carry_out(plan, member)

    def cancel(self, token: str, member: Member) -> bool:
        """Drop a pending confirmation (the person said no); False when there was none."""
        return self._confirmations.cancel(token, member.customer_id)

    def pending(self, token: str, member: Member) -> PendingAction | None:
        """The pending confirmation ``token`` of ``member`` (what it is for), or None."""
        return self._confirmations.peek(token, member.customer_id)

    # ------------------------------------------------------------------ carrying out

    def _carry_out(self, plan: Plan, member: Member | None) -> ActionResult:
        hid = plan.household_id
        actor = member.customer_id if member is not None else None
        outcome = carry_out(
            plan,
            self.home(hid),
            self.driver,
            current=partial(self._current, hid),
            record=lambda changes, source: self._record(hid, changes, source, actor),
            busy=partial(self._mark_busy, hid),
        )
        if member is not None:
            self._remember(member, plan, outcome.before)
        return outcome.result

    def _mark_busy(self, household_id: int, entity_id: str, busy: bool) -> None:
        # A state the device reports while its command is in flight is the command's answer,
        # recorded with the command's source, not again as the device's own.
        with self._lock:
            if busy:
                self._busy.add((household_id, entity_id))
            else:
                self._busy.discard((household_id, entity_id))

    def _remember(self, member: Member, plan: Plan, before: list[DeviceState]) -> None:
        ctx = self._context(member)
        commands = plan.commands
        acting = [c for c in commands if c.intent not in QUERY_INTENTS]
        if acting:
            ctx.last_command = acting[-1]
            ctx.last_undo = before
        else:
            if commands:
                ctx.last_command = commands[-1]
            if any(p.source == "undo" for p in plan.parts):
                ctx.last_undo = []  # an undo is used up; there is no redo
        ctx.last_at = self.clock()

    def _record(
        self, household_id: int, changes: list[DeviceState], source: str, actor: int | None
    ) -> None:
        record_changes(self.db, household_id, changes, source, actor)
        for state in changes:
            self._notify(household_id, state)

    # ------------------------------------------------------------------ correction and undo

    def _correct(self, member: Member, channel: str, *, confirmed: bool) -> ActionResult:
        """ "No, the other one": undo the last action and do it on the other candidate, as one
        plan (one confirmation covers both when either is risky)."""
        ctx = self._context(member)
        last = ctx.last_command
        nothing = ActionResult(ok=False, reply=say("nothing_to_correct", "en"), reason="no_target")
        if last is None or not last.targets:
            return nothing
        home = self.home(member.household_id)
        candidates = other_candidates(home, last, ctx.last_candidates)
        if len(candidates) != 1:
            ctx.last_candidates = tuple(candidates)
            if not candidates:
                return ActionResult(
                    ok=False, reply=say("no_other_one", "en"), reason=NoMatchReason.NO_TARGET.value
                )
            names = ", ".join(e.name for c in candidates if (e := home.entity(c)))
            question = say("which_one", "en", names=names)
            return ActionResult(
                ok=False,
                reply=question,
                reason=NoMatchReason.AMBIGUOUS_TARGET.value,
                question=question,
                candidates=candidates,
            )
        command = replace(last, targets=(candidates[0],))
        plan = self._plan([command], home, channel)
        if ctx.last_undo:
            undo = self._undo_part(home, ctx.last_undo)
            plan = replace(plan, parts=(undo, *plan.parts))
        self._gate(plan, member, confirmed=confirmed)
        ctx.last_candidates = ()
        return self._carry_out(plan, member)

    def undo(self, member: Member) -> ActionResult:
        """Put back the states from before the member's last action.

        Undo is an ordinary command: restoring an unlocked door (the undo of "lock") is an
        unlock and asks for the yes, and a child cannot undo into an open door.

        Raises
        ------
        ConfirmationRequiredError, ForbiddenError
            As :meth:`handle`.
        """
        return self._undo(member, confirmed=False)

    def _undo(self, member: Member, *, confirmed: bool) -> ActionResult:
        ctx = self._context(member)
        if not ctx.last_undo:
            return ActionResult(
                ok=False, reply=say("nothing_to_undo", "en"), reason="nothing_to_undo"
            )
        home = self.home(member.household_id)
        plan = Plan(home.household_id, (self._undo_part(home, ctx.last_undo),))
        self._gate(plan, member, confirmed=confirmed)
        return self._carry_out(plan, member)

    # ------------------------------------------------------------------ state and events

    def state(
        self, household_id: int, entity_id: str | None = None, *, language: str = "en"
    ) -> list[dict[str, Any]]:
        """Current states of the household's entities (as the devices report them), named in
        ``language`` where the home has names in it."""
        return state_rows(self.home(household_id), self.driver, entity_id, language=language)

    def history(
        self, household_id: int, *, entity_id: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Recorded changes, newest first: what, who, how and when."""
        return history_rows(self.db, household_id, entity_id=entity_id, limit=limit)

    def turn_on(
        self, household_id: int, entity_id: str, *, source: str = "automation"
    ) -> ActionResult:
        """Turn one entity on for an automation (e.g. the porch light when the courier is near).

        Automations go through the same policy with :data:`AUTOMATION_ROLE`: with no person
        to say yes, a risky act (a heater, a garage door) is refused with ForbiddenError.
        """
        home = self.home(household_id)
        entity = home.entity(entity_id)
        if entity is None:
            raise NotFoundError(
                f"No entity {entity_id!r} in household {household_id}.", field="entity_id"
            )
        command = Command("HassTurnOn", {"name": entity.name}, tier=0, targets=(entity_id,))
        recorded = source if source in STATE_SOURCES else "automation"
        plan = self._plan([command], home, recorded)
        for step in plan.risky:
            assert step.act is not None
            policy.check(step.act, AUTOMATION_ROLE)  # raises: no automation may do a risky act
        return self._carry_out(plan, None)

    def subscribe(self, listener: Callable[[int, DeviceState], None]) -> Callable[[], None]:
        """Be told of every state change ``(household_id, state)``; returns an unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _notify(self, household_id: int, state: DeviceState) -> None:
        for listener in list(self._listeners):
            try:
                listener(household_id, state)
            except Exception:
                logger.exception("state listener failed")

    def _on_device_state(self, state: DeviceState) -> None:
        """A device reported a state on its own (a wall switch, another controller)."""
        with self._lock:
            if (state.household_id, state.entity_id) in self._busy:
                return
            home = self._homes.get(state.household_id)
        if home is None or home.entity(state.entity_id) is None:
            return
        try:
            self._record(state.household_id, [state], "device", None)
        except Exception:
            logger.exception("could not record the state of %s", state.entity_id)

    @staticmethod
    def _check_channel(channel: str) -> None:
        if channel not in CHANNELS:
            raise InvalidInputError.for_field("channel", f"one of {', '.join(CHANNELS)}", channel)

    def close(self) -> None:
        """Close the driver (and the camera hand landmarker, if one was built)."""
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None
        self.driver.close()
