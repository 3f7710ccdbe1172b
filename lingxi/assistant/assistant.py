"""The assistant: one conversation over shopping, orders, the home and the person's data.

``Assistant.handle(message, member)`` keeps the turn and does three things only: route the
message (an LLM's tool call when one is configured, else the offline router), call the skill,
and settle confirmations. Anything risky is a *stored action* with an id
(:func:`lingxi.commerce.propose`): one "yes" claims it (a conditional update, so five
concurrent yeses run it once and the others hear it is already done); a yes that names an
older action never runs a newer one; any other message expires it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lingxi import commerce
from lingxi.assistant.engines import Engines, default_engines
from lingxi.assistant.language import is_no, is_yes, say, words
from lingxi.assistant.router import Route, Router, Skill
from lingxi.assistant.skills import SKILLS, runner_for
from lingxi.assistant.turn import Turn, shown
from lingxi.commerce import Member
from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.repos import conversation as conv_repo
from lingxi.errors import ForbiddenError, InvalidInputError, LingxiError
from lingxi.text import MAX_MESSAGE_CHARS, detect_language

__all__ = ["CHANNELS", "MAX_MESSAGE_CHARS", "Assistant", "Reply"]

logger = logging.getLogger(__name__)

CHANNELS = ("text", "voice", "touch", "gesture", "api", "automation")


@dataclass(frozen=True, slots=True)
class Reply:
    """What the assistant answered."""

    reply: str
    """The text to show or speak."""
    skill: Skill
    """guide, orders, home, account or smalltalk."""
    actions: tuple[dict[str, Any], ...] = ()
    """What was done or proposed: ``{"tool", "arguments", "result", "confirmation"}``."""
    needs_confirmation: bool = False
    """True when an action waits for "yes"/"确认" (its id is :attr:`action_id`)."""
    conversation_id: int = 0
    language: str = "en"
    items: tuple[dict[str, Any], ...] = ()
    """Product cards shown with the reply (facts from the catalogue)."""
    source: str = "router"
    """``router`` (offline) or ``llm``."""
    action_id: int | None = None
    """The proposed action's id: a yes (or a Confirm button) that names it runs only it."""
    brief: str | None = None
    """The reply without what the product cards already show (for clients that show them)."""

    def to_dict(self) -> dict[str, Any]:
        """The ``lingxi chat --json`` document plus conversation id, language, items, action id."""
        return {
            "reply": self.reply,
            "skill": self.skill,
            "actions": list(self.actions),
            "needs_confirmation": self.needs_confirmation,
            "action_id": self.action_id,
            "conversation_id": self.conversation_id,
            "language": self.language,
            "items": list(self.items),
            "brief": self.brief,
        }


def _skill_of(tool: str) -> Skill:
    found = runner_for(tool)
    return found[0] if found else "smalltalk"


class Assistant:
    """The one front door: ``handle(message, member)`` -> :class:`Reply`.

    Parameters
    ----------
    db
        The shared data layer.
    settings
        Used for the LLM (``settings.llm``) and the engines; ``None`` means offline defaults.
    engines
        The engines the skills use; :func:`lingxi.assistant.engines.default_engines` by default.
    router
        The offline router; hand rules blended with the learned classifier by default.
    llm
        A tool-call planner (:class:`lingxi.assistant.llm.LLMPlanner`); built from
        ``settings.llm`` when configured.
    """

    def __init__(
        self,
        db: Database,
        *,
        settings: Settings | None = None,
        engines: Engines | None = None,
        router: Router | None = None,
        llm: Any | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.engines = engines or default_engines(db, settings)
        # Rules blended with the learned classifier: the engines' parsers as extra evidence
        # did not help under cross-validation on the dev split and the home parser costs
        # ~10 ms per message (tests/assistant/data/README.md, bench_assistant_routing).
        self.router = router or Router()
        if llm is None and settings is not None and settings.llm.configured:
            from lingxi.assistant.llm import LLMPlanner

            llm = LLMPlanner(settings.llm)
        self.llm = llm

    # --- public -------------------------------------------------------------------------

    def start(self, member: Member, *, language: str | None = None) -> int:
        """Start a conversation for ``member``; returns its id."""
        with self.db.session() as session:
            return conv_repo.create_conversation(
                session,
                household_id=member.household_id,
                customer_id=member.customer_id,
                language=language or member.locale or "en",
            ).id

    def history(self, member: Member, conversation_id: int) -> list[dict[str, Any]]:
        """The conversation's turns (only the member's own conversations)."""
        with self.db.session() as session:
            return [
                t.to_dict()
                for t in conv_repo.list_turns(
                    session, conversation_id=conversation_id, customer_id=member.customer_id
                )
            ]

    def handle(
        self,
        message: str,
        member: Member,
        conversation_id: int | None = None,
        *,
        channel: str = "text",
        action_id: int | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Reply:
        """Answer one message of ``member`` (a new conversation when ``conversation_id`` is None).

        ``action_id`` goes with a yes or a no from a button: it names the action meant, so a
        stale button never confirms a newer action. ``on_text`` receives the model's reply
        text piece by piece while an LLM writes it (small talk); :attr:`Reply.reply` is the
        authoritative whole.

        Raises
        ------
        InvalidInputError
            Empty or over-long message, an unknown channel, or an ``action_id`` that is not
            a positive integer or comes with a message that is neither a yes nor a no.
        NotFoundError
            ``conversation_id`` is not one of the member's conversations.
        """
        if not isinstance(message, str) or not message.strip():
            raise InvalidInputError.for_field("message", "a non-empty text", message)
        if len(message) > MAX_MESSAGE_CHARS:
            raise InvalidInputError.for_field(
                "message", f"at most {MAX_MESSAGE_CHARS} characters", f"{len(message)} characters"
            )
        if channel not in CHANNELS:
            raise InvalidInputError.for_field("channel", f"one of {CHANNELS}", channel)
        text = " ".join(message.split())
        answering = is_yes(text) or is_no(text)
        if action_id is not None and (
            not isinstance(action_id, int) or isinstance(action_id, bool) or action_id < 1
        ):
            raise InvalidInputError.for_field("action_id", "a positive integer", action_id)
        if action_id is not None and not answering:
            raise InvalidInputError.for_field(
                "action_id", "sent only with a yes or a no", f"{action_id} with {text[:40]!r}"
            )
        with self.db.session() as session:
            if conversation_id is None:
                conv = conv_repo.create_conversation(
                    session,
                    household_id=member.household_id,
                    customer_id=member.customer_id,
                    language=detect_language(text),
                )
            else:
                conv = conv_repo.get_conversation(
                    session, conversation_id=conversation_id, customer_id=member.customer_id
                )
            conv_repo.add_turn(session, conversation_id=conv.id, role="user", text=text)
        language: str = detect_language(text)
        if answering:  # "yes" says nothing about the language: keep the conversation's
            language = conv.state.get("language", member.locale or language)
        turn = Turn(
            db=self.db,
            engines=self.engines,
            member=member,
            conversation_id=conv.id,
            text=text,
            language=language,
            channel=channel,
            state=dict(conv.state),
            on_text=on_text,
        )
        skill, reply_text, source = self._answer(turn, action_id)
        self._store(turn, skill, reply_text)
        return Reply(
            reply=reply_text,
            skill=skill,
            actions=tuple(turn.actions),
            needs_confirmation=turn.needs_confirmation,
            conversation_id=conv.id,
            language=turn.language,
            items=tuple(turn.items),
            source=source,
            action_id=turn.action_id,
            brief=turn.brief if turn.items else None,
        )

    # --- the turn -----------------------------------------------------------------------

    def _store(self, turn: Turn, skill: Skill, reply_text: str) -> None:
        """The audited calls, the reply and the state, in one transaction."""
        turn.state["language"] = turn.language
        state = {k: v for k, v in turn.state.items() if not k.startswith("_")}
        with self.db.session() as session:
            for audit in turn.audits:
                conv_repo.record_tool_call(
                    session,
                    conversation_id=turn.conversation_id,
                    customer_id=turn.member.customer_id,
                    tool=audit["tool"],
                    arguments=audit["arguments"],
                    result=audit["result"],
                    channel=turn.channel,
                )
            conv_repo.add_turn(
                session,
                conversation_id=turn.conversation_id,
                role="assistant",
                text=reply_text,
                skill=skill,
            )
            conv_repo.set_state(
                session,
                conversation_id=turn.conversation_id,
                customer_id=turn.member.customer_id,
                state=state,
            )

    def _answer(self, turn: Turn, action_id: int | None) -> tuple[Skill, str, str]:
        if is_yes(turn.text):
            return (*self._confirm(turn, action_id), "router")
        if is_no(turn.text):
            return (*self._decline(turn, action_id), "router")
        prefix = say("expired", turn.language) if self._expire_pending(turn) else ""
        route, answer, source = self._route(turn)
        skill, text = self._run(route, turn)
        if answer and route.skill == "smalltalk":
            text = answer
        return skill, prefix + text, source

    def _route(self, turn: Turn) -> tuple[Route, str | None, str]:
        """The LLM's tool call when a model is configured and answers, else the offline router."""
        if self.llm is not None:
            with self.db.session() as session:
                turns = conv_repo.list_turns(
                    session,
                    conversation_id=turn.conversation_id,
                    customer_id=turn.member.customer_id,
                    limit=7,
                )
            history = [(t.role, t.text) for t in turns[:-1]]  # the last one is this message
            streaming = {"on_text": turn.on_text} if turn.on_text is not None else {}
            planned = self.llm.plan(
                turn.text, member=turn.member, state=turn.state, history=history, **streaming
            )
            if planned is not None:
                route, answer = planned
                return route, answer, "llm"
        return self.router.route(turn.text, household_id=turn.member.household_id), None, "router"

    def _run(self, route: Route, turn: Turn) -> tuple[Skill, str]:
        """Call the skill; what the domain refuses becomes the reply, never a crash."""
        turn.slots = dict(route.slots)
        try:
            return route.skill, SKILLS[route.skill].answer(route, turn)
        except LingxiError as err:
            if not isinstance(err, ForbiddenError | InvalidInputError):
                logger.info("skill %s refused: %s", route.skill, err)
            return route.skill, self._refusal(turn, err)

    @staticmethod
    def _refusal(turn: Turn, err: LingxiError) -> str:
        acts: dict[str, str] = words("acts", turn.language)
        act = err.details.get("act")
        if isinstance(err, ForbiddenError) and act in acts:
            key = "forbidden_child" if turn.member.role == "child" else "forbidden"
            return turn.say(key, what=acts[str(act)])
        # A domain rule the language has its own sentence for ("只有已送达的订单可以退货");
        # else the domain's own sentence.
        rules: dict[str, str] = words("refusals", turn.language)
        rule = err.details.get("rule")
        if isinstance(rule, str) and rule in rules:
            return turn.say("conflict", message=rules[rule].format(**err.details))
        return turn.say("conflict", message=err.message)

    # --- confirmations ------------------------------------------------------------------

    def _expire_pending(self, turn: Turn) -> bool:
        """Any message but a yes or a no drops the action waiting for one."""
        latest = commerce.latest_action(turn.db, turn.member, turn.conversation_id)
        if latest is None or latest.status != "pending":
            return False
        return commerce.decline(turn.db, turn.member, latest.id, expired=True)

    def _named_action(self, turn: Turn, action_id: int) -> bool:
        """True when ``action_id`` is one of this conversation's actions."""
        with self.db.session() as session:
            try:
                call = conv_repo.get_tool_call(
                    session, tool_call_id=action_id, customer_id=turn.member.customer_id
                )
            except LookupError:
                return False
        return call.conversation_id == turn.conversation_id

    def _confirm(self, turn: Turn, action_id: int | None) -> tuple[Skill, str]:
        latest = commerce.latest_action(turn.db, turn.member, turn.conversation_id)
        if action_id is not None and not self._named_action(turn, action_id):
            return "smalltalk", turn.say("action_stale")
        target = action_id if action_id is not None else (latest.id if latest else None)
        if target is None:
            return "smalltalk", turn.say("nothing_pending")
        claim = commerce.claim(turn.db, turn.member, target)
        action = claim.action
        if claim.outcome == "claimed" and action is not None:
            return self._run_claimed(turn, action)
        if claim.outcome == "done" and action is not None:
            return _skill_of(action.tool), turn.say("already_done")
        if action_id is None:
            return "smalltalk", turn.say("nothing_pending")
        if latest is not None and latest.id != action_id and latest.status == "pending":
            # A stale button: the newer request it did not mean is dropped as well, so a
            # yes typed next, meant for the old one, cannot run it either.
            commerce.decline(turn.db, turn.member, latest.id, expired=True)
        key = "action_declined" if claim.outcome == "declined" else "action_stale"
        return "smalltalk", turn.say(key)

    def _run_claimed(self, turn: Turn, action: commerce.PendingAction) -> tuple[Skill, str]:
        found = runner_for(action.tool)
        if found is None:
            result: dict[str, Any] = {"error": f"no skill runs {action.tool}"}
            commerce.finish(turn.db, turn.member, action.id, result)
            return "smalltalk", turn.say("nothing_pending")
        skill, runner = found
        try:
            result, text = runner(turn, action.arguments)
        except LingxiError as err:
            result, text = {"error": err.to_dict()}, self._refusal(turn, err)
        commerce.finish(turn.db, turn.member, action.id, result)
        turn.actions.insert(
            0,
            {
                "tool": action.tool,
                "arguments": shown(action.arguments),
                "result": result,
                "confirmation": "confirmed",
                "action_id": action.id,
            },
        )
        return skill, text

    def _decline(self, turn: Turn, action_id: int | None) -> tuple[Skill, str]:
        latest = commerce.latest_action(turn.db, turn.member, turn.conversation_id)
        if action_id is not None and not self._named_action(turn, action_id):
            return "smalltalk", turn.say("nothing_pending")
        target = action_id if action_id is not None else (latest.id if latest else None)
        if target is None or not commerce.decline(turn.db, turn.member, target):
            return "smalltalk", turn.say("nothing_pending")
        tool = latest.tool if latest is not None and latest.id == target else ""
        return _skill_of(tool), turn.say("declined")
