"""The assistant: one conversation over shopping, orders, the home and the person's data.

``Assistant.handle(message, member)`` stores the user's turn, decides what the message asks
(the LLM's tool call when one is configured, else the offline router), runs the skill for the
member's own household only, audits every tool call (arguments, result, confirmation), and
stores the reply. Anything that pays, unlocks or deletes data becomes a *pending* tool call
that runs only after an explicit "yes"/"确认" in the next turn; any other message drops it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lingxi.assistant.replies import say
from lingxi.assistant.router import Route, Router, Skill, detect_language, is_no, is_yes
from lingxi.assistant.skills import (
    Engines,
    GuideAnswer,
    ProductPick,
    default_engines,
    parse_need,
)
from lingxi.config import Settings
from lingxi.data import Database, utcnow
from lingxi.data.repos import conversation as conv_repo, identity, orders
from lingxi.data.repos.identity import Member
from lingxi.errors import (
    ConflictError,
    InvalidInputError,
    LingxiError,
    NotFoundError,
    UnavailableError,
)

__all__ = ["MAX_MESSAGE_CHARS", "Assistant", "Reply"]

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000
_CHANNELS = ("text", "voice", "touch", "gesture", "api", "automation")


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
    """True when an action waits for "yes"/"确认"."""
    conversation_id: int = 0
    language: str = "en"
    items: tuple[dict[str, Any], ...] = ()
    """Product cards shown with the reply (facts from the catalogue)."""
    source: str = "router"
    """``router`` (offline) or ``llm``."""

    def to_dict(self) -> dict[str, Any]:
        """The ``lingxi chat --json`` document plus conversation id, language and items."""
        return {
            "reply": self.reply,
            "skill": self.skill,
            "actions": list(self.actions),
            "needs_confirmation": self.needs_confirmation,
            "conversation_id": self.conversation_id,
            "language": self.language,
            "items": list(self.items),
        }


@dataclass
class _Turn:
    """Working state of one message while it is handled."""

    member: Member
    conversation_id: int
    text: str
    language: str
    channel: str
    state: dict[str, Any]
    actions: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    needs_confirmation: bool = False
    prefix: str = ""
    slots: dict[str, Any] = field(default_factory=dict)
    audits: list[dict[str, Any]] = field(default_factory=list)
    """Tool calls to store with the reply (one transaction with the turn and the state)."""
    finishes: list[tuple[int, str, dict[str, Any] | None]] = field(default_factory=list)
    """How earlier pending calls ended: ``(tool_call_id, confirmation, result)``."""
    on_text: Callable[[str], None] | None = None
    """Where the model's own reply text goes as it streams (small talk with an LLM)."""


_ORDINALS_EN = {
    "first": 0,
    "1st": 0,
    "top": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "last": -1,
}
_ORDINALS_ZH = {"一": 0, "二": 1, "两": 1, "三": 2, "四": 3, "1": 0, "2": 1, "3": 2, "4": 3}
_QUANTITY = re.compile(
    r"\b(two|three|four|five|2|3|4|5)\s*(of|x|bottles|tubes)?\b|(两|二|三|四|五)个", re.I
)
_QUANTITY_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "两": 2, "二": 2, "三": 3, "四": 4}
_ORDER_ID = re.compile(r"(?:order|订单)\s*#?\s*(\d{1,9})|#(\d{1,9})|(\d{1,9})\s*号订单", re.I)
_SELF_STATEMENT = re.compile(
    r"\b(i have|i've got|i got|my skin|i'?m allergic|i am allergic|i avoid|i hate|i don'?t like|"
    r"i can'?t stand|i never use|i like|i prefer|i love|remember|my budget|i'?m \w+ skin|"
    r"update my|change my|set my|keep my)\b|我是|我的皮肤|我对|我不用|我不喜欢|我喜欢|我比较喜欢|"
    r"记住|我一般预算|我的预算|改成|变油|变干|保存我的",
    re.I,
)
_CONCERNS: tuple[tuple[str, str], ...] = (
    (r"redness|泛红", "redness"),
    (r"acne|breakouts?|breaking out|痘", "acne"),
    (r"dark circles|黑眼圈", "dark circles"),
    (r"pores|毛孔", "pores"),
    (r"wrinkles|fine lines|aging|ageing|抗老|皱纹", "ageing"),
    (r"flak(y|ing)|起皮", "flaking"),
    (r"shine|shiny|出油", "shine"),
)
_FIELD_WORDS: tuple[tuple[str, str], ...] = (
    (r"skin|肤质|皮肤", "skin_types"),
    (r"concern|问题", "concerns"),
    (r"budget|预算", "max_price_minor"),
    (r"brand|品牌|喜好|like", "brands"),
    (r"avoid|allerg|忌口|过敏", "avoid_ingredients"),
)
_FIELD_NAMES = {
    "skin_types": ("skin type", "肤质"),
    "concerns": ("skin concerns", "肌肤问题"),
    "max_price_minor": ("budget", "预算"),
    "brands": ("favourite brands", "喜欢的品牌"),
    "avoid_ingredients": ("ingredients to avoid", "忌用成分"),
    "include_ingredients": ("wanted ingredients", "想要的成分"),
}
_RETURN_WORDS = re.compile(
    r"\breturn(s|ed|ing)?\b|\brefund(s|ed)?\b|\bsend (it|this|that|them) back\b|\bmoney back\b|"
    r"退货|退款|退掉|退回|要退|想退|能退|退了",
    re.I,
)
_RETURN_STATUS = re.compile(
    r"\bwhere\b|\bstatus\b|\bwhen\b|\bpicked up\b|\bcollected\b|\byet\b|\bany news\b|"
    r"\btrack|到哪|什么时候|进度|来取|取走|取件了|到账|状态|了没|了吗|怎么样了",
    re.I,
)
_ONE_OF = re.compile(r"\b(one|1) of (the|my|them|those)\b|(只)?退(一|1)(个|瓶|支|盒|件)", re.I)
_LAST_ORDER = re.compile(
    r"\b(last|latest|recent|previous|newest)\b.*\b(order|purchase|thing)|上一个订单|上个订单|上一单|"
    r"最近的订单|最近一单|刚买的|上次买的",
    re.I,
)
_NOT_PRODUCT_WORDS = frozenset(
    [
        "return",
        "returns",
        "returned",
        "returning",
        "refund",
        "want",
        "wanna",
        "would",
        "like",
        "please",
        "the",
        "this",
        "that",
        "these",
        "those",
        "order",
        "orders",
        "my",
        "mine",
        "last",
        "latest",
        "recent",
        "previous",
        "thing",
        "things",
        "stuff",
        "item",
        "items",
        "send",
        "back",
        "can",
        "could",
        "how",
        "start",
        "money",
        "get",
        "got",
        "bought",
        "ordered",
        "purchase",
        "from",
        "for",
        "and",
        "with",
        "it",
        "one",
        "all",
        "everything",
        "arrived",
        "damaged",
        "broken",
        "wrong",
        "because",
        "since",
        "too",
        "really",
        "just",
        "broke",
        "out",
        "made",
        "hate",
        "didn",
        "doesn",
        "don",
        "work",
        "help",
        "need",
        "give",
        "skin",
        "face",
        "yesterday",
        "week",
        "today",
        "which",
        "what",
        "i'd",
        "i'm",
        "i've",
        "you",
        "your",
        "our",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "not",
        "any",
        "some",
    ]
)
_RISKY_HOME = re.compile(
    r"\bunlock\b|\bopen (the )?(front |back )?door\b|解锁|开锁|开门|打开(大)?门|"
    r"\b(heat|heating|heater|radiator)\b|暖气|加热",
    re.I,
)


def _money(minor: int, currency: str = "USD") -> str:
    return f"${minor / 100:.2f}" if currency == "USD" else f"{minor / 100:.2f} {currency}"


def _clock(when: datetime) -> str:
    return when.strftime("%H:%M")


def _when(eta: datetime, lang: str) -> str:
    """``HH:MM`` today, else the day and the time ("tomorrow 08:44", "明天 08:44")."""
    now = utcnow()
    eta_aware = eta if eta.tzinfo else eta.replace(tzinfo=UTC)
    now_aware = now if now.tzinfo else now.replace(tzinfo=UTC)
    if eta_aware.date() == now_aware.date():
        return _clock(eta)
    return f"{_day(eta_aware, now_aware, lang)} {_clock(eta)}"


def _day(when: datetime, now: datetime, lang: str) -> str:
    """'tomorrow'/'明天', or the date, for an ETA on a later day."""
    if (when.date() - now.date()).days == 1:
        return "明天" if lang == "zh" else "tomorrow"
    return when.strftime("%m-%d") if lang == "zh" else when.strftime("%a %d %b")


class Assistant:
    """The one front door: ``handle(message, member)`` -> :class:`Reply`.

    Parameters
    ----------
    db
        The shared data layer.
    settings
        Used for the LLM (``settings.llm``); ``None`` means offline only.
    engines
        The engine adapters; defaults to :func:`lingxi.assistant.skills.default_engines`.
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
        # Rules blended with the learned classifier by default: the engines' parsers as extra
        # evidence did not help under cross-validation on the dev split and the home parser costs
        # ~10 ms per message (tests/assistant/data/README.md, benchmarks/bench_assistant_routing).
        self.router = router or Router()
        if llm is None and settings is not None and settings.llm.configured:
            from lingxi.assistant.llm import LLMPlanner

            llm = LLMPlanner(settings.llm)
        self.llm = llm

    # --- public -----------------------------------------------------------------------

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
        on_text: Callable[[str], None] | None = None,
    ) -> Reply:
        """Answer one message of ``member`` (a new conversation when ``conversation_id`` is None).

        ``on_text`` receives the model's reply text piece by piece while an LLM writes it
        (small talk); the returned :attr:`Reply.reply` is the authoritative whole.

        Raises
        ------
        InvalidInputError
            Empty or over-long message, or an unknown channel.
        NotFoundError
            ``conversation_id`` is not one of the member's conversations.
        """
        if not isinstance(message, str) or not message.strip():
            raise InvalidInputError.for_field("message", "a non-empty text", message)
        if len(message) > MAX_MESSAGE_CHARS:
            raise InvalidInputError.for_field(
                "message", f"at most {MAX_MESSAGE_CHARS} characters", f"{len(message)} characters"
            )
        if channel not in _CHANNELS:
            raise InvalidInputError.for_field("channel", f"one of {_CHANNELS}", channel)
        text = " ".join(message.split())
        with self.db.session() as session:
            if conversation_id is None:
                conv = conv_repo.create_conversation(
                    session,
                    household_id=member.household_id,
                    customer_id=member.customer_id,
                    language=detect_language(text) if text else member.locale,
                )
            else:
                conv = conv_repo.get_conversation(
                    session, conversation_id=conversation_id, customer_id=member.customer_id
                )
            conv_repo.add_turn(session, conversation_id=conv.id, role="user", text=text)
        language = detect_language(text)
        if is_yes(text) or is_no(text):
            language = conv.state.get("language", member.locale or language)
        turn = _Turn(member, conv.id, text, language, channel, dict(conv.state), on_text=on_text)
        skill, reply_text, source = self._answer(turn)
        turn.state["language"] = turn.language
        turn.state = {k: v for k, v in turn.state.items() if not k.startswith("_")}
        with self.db.session() as session:
            for call_id, confirmation, result in turn.finishes:
                conv_repo.finish_tool_call(
                    session, tool_call_id=call_id, confirmation=confirmation, result=result
                )
            for audit in turn.audits:
                call_id = conv_repo.record_tool_call(
                    session,
                    conversation_id=conv.id,
                    customer_id=member.customer_id,
                    tool=audit["tool"],
                    arguments=audit["arguments"],
                    result=audit["result"],
                    confirmation=audit["confirmation"],
                    channel=channel,
                )
                if audit["confirmation"] == "pending" and "pending" in turn.state:
                    turn.state["pending"]["tool_call_id"] = call_id
            conv_repo.add_turn(
                session, conversation_id=conv.id, role="assistant", text=reply_text, skill=skill
            )
            conv_repo.set_state(
                session, conversation_id=conv.id, customer_id=member.customer_id, state=turn.state
            )
        return Reply(
            reply=reply_text,
            skill=skill,
            actions=tuple(turn.actions),
            needs_confirmation=turn.needs_confirmation,
            conversation_id=conv.id,
            language=turn.language,
            items=tuple(turn.items),
            source=source,
        )

    # --- deciding ------------------------------------------------------------------------

    def _answer(self, turn: _Turn) -> tuple[Skill, str, str]:
        pending = turn.state.pop("pending", None)
        if pending is not None:
            if is_yes(turn.text):
                return self._run_pending(turn, pending), self._last_reply(turn), "router"
            self._audit_finish(
                turn, pending["tool_call_id"], "declined" if is_no(turn.text) else "expired"
            )
            if is_no(turn.text):
                return pending["skill"], say("declined", turn.language), "router"
            turn.prefix = say("expired", turn.language)
        elif is_yes(turn.text) or is_no(turn.text):
            return "smalltalk", say("nothing_pending", turn.language), "router"
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
                skill, text = self._run(route, turn)
                if answer and route.skill == "smalltalk":
                    text = answer
                return skill, turn.prefix + text, "llm"
        route = self.router.route(turn.text, household_id=turn.member.household_id)
        skill, text = self._run(route, turn)
        return skill, turn.prefix + text, "router"

    def _last_reply(self, turn: _Turn) -> str:
        return str(turn.state.pop("_reply", ""))

    def _run(self, route: Route, turn: _Turn) -> tuple[Skill, str]:
        handlers: dict[str, Callable[[Route, _Turn], str]] = {
            "guide": self._guide,
            "orders": self._orders,
            "home": self._home,
            "account": self._account,
            "smalltalk": self._smalltalk,
        }
        turn.slots = dict(route.slots)
        try:
            return route.skill, handlers[route.skill](route, turn)
        except NotFoundError as err:
            return route.skill, say("conflict", turn.language, message=err.message)
        except ConflictError as err:
            return route.skill, say("conflict", turn.language, message=err.message)
        except LingxiError as err:
            logger.warning("skill %s failed: %s", route.skill, err)
            return route.skill, say("conflict", turn.language, message=err.message)

    # --- audit -----------------------------------------------------------------------------

    def _audit(
        self,
        turn: _Turn,
        tool: str,
        arguments: dict[str, Any],
        result: dict[str, Any],
        *,
        confirmation: str = "not_needed",
    ) -> None:
        """Audit a tool call; stored with the reply, in the same transaction as the turn."""
        action = {
            "tool": tool,
            "arguments": arguments,
            "result": result,
            "confirmation": confirmation,
        }
        turn.audits.append(action)
        turn.actions.append(action)

    def _audit_finish(
        self, turn: _Turn, call_id: int, confirmation: str, result: dict[str, Any] | None = None
    ) -> None:
        turn.finishes.append((call_id, confirmation, result))

    def _ask(
        self, turn: _Turn, skill: Skill, tool: str, arguments: dict[str, Any], question: str
    ) -> str:
        """Record a pending tool call and ask for a yes."""
        self._audit(turn, tool, arguments, {"asked": question}, confirmation="pending")
        turn.state["pending"] = {
            "tool": tool,
            "arguments": arguments,
            "tool_call_id": None,  # filled in when the audit row is stored with the reply
            "skill": skill,
        }
        turn.needs_confirmation = True
        return question + say("confirm_hint", turn.language)

    def _run_pending(self, turn: _Turn, pending: dict[str, Any]) -> Skill:
        tool, args, call_id = pending["tool"], pending["arguments"], pending["tool_call_id"]
        runners: dict[str, Callable[[_Turn, dict[str, Any]], tuple[dict[str, Any], str]]] = {
            "orders.place_order": self._do_place_order,
            "orders.cancel_order": self._do_cancel_order,
            "orders.request_return": self._do_request_return,
            "home.command": self._do_home_confirmed,
            "account.forget": self._do_forget,
            "account.delete_all": self._do_delete_all,
        }
        try:
            result, text = runners[tool](turn, args)
            confirmation = "confirmed"
        except (NotFoundError, ConflictError, UnavailableError, InvalidInputError) as err:
            result, text = (
                {"error": err.to_dict()},
                say("conflict", turn.language, message=err.message),
            )
            confirmation = "confirmed"
        self._audit_finish(turn, call_id, confirmation, result)
        turn.actions.append(
            {"tool": tool, "arguments": args, "result": result, "confirmation": confirmation}
        )
        turn.state["_reply"] = text
        skill: Skill = pending["skill"]
        return skill

    # --- guide -----------------------------------------------------------------------------

    def _profile(self, member: Member) -> identity.ProfileView:
        with self.db.session() as session:
            return identity.get_profile(session, customer_id=member.customer_id)

    def _shown(self, turn: _Turn) -> list[dict[str, Any]]:
        shown: list[dict[str, Any]] = turn.state.get("last_items", [])
        return shown

    def _pick_ordinal(self, turn: _Turn, text: str) -> dict[str, Any] | None:
        shown = self._shown(turn)
        if not shown:
            return None
        index = _ordinal(text)
        if isinstance(turn.slots.get("item"), int):
            index = int(turn.slots["item"]) - 1
        if index is None:
            if re.search(r"cheapest|最便宜", text, re.I):
                return min(shown, key=lambda p: p["price_minor"])
            return (
                shown[0]
                if len(shown) == 1 or re.search(r"\b(it|this|that)\b|这个|那个|它", text)
                else None
            )
        if -len(shown) <= index < len(shown):
            return shown[index]
        return None

    def _guide(self, route: Route, turn: _Turn) -> str:
        saved = self._distill(turn, quiet=True)
        shown = self._shown(turn)
        lang = turn.language
        if route.intent in ("compare", "details") and shown:
            indices = _ordinals_all(turn.text)
            if isinstance(turn.slots.get("items"), list):
                indices = [int(i) - 1 for i in turn.slots["items"]]
            if route.intent == "compare":
                a, b = (indices + [0, 1])[:2] if len(indices) < 2 else indices[:2]
                if max(a, b) >= len(shown) or a == b:
                    return say("which_item", lang, count=len(shown))
                pa, pb = shown[a], shown[b]
                verdict, facts = self.engines.guide.compare(
                    int(pa["id"]), int(pb["id"]), need=str(turn.state.get("last_query", ""))
                )
                self._audit(turn, "guide.compare", {"product_ids": [pa["id"], pb["id"]]}, facts)
                turn.items = [pa, pb]
                return verdict
            item = self._pick_ordinal(turn, turn.text) or (
                shown[indices[0]] if indices and indices[0] < len(shown) else None
            )
            if item is None:
                return say("which_item", lang, count=len(shown))
            pick = self.engines.guide.product(int(item["id"]))
            if pick is None:
                raise NotFoundError(f"No product with id {item['id']}.", field="product_id")
            self._audit(turn, "guide.product", {"product_id": pick.id}, pick.to_dict())
            turn.items = [pick.to_dict()]
            return say(
                "details",
                lang,
                brand=pick.brand,
                name=pick.name,
                category=pick.category,
                price=_money(pick.price_minor, pick.currency),
                skin=", ".join(pick.skin_types) or "-",
            )
        query = turn.text
        if route.intent == "more" and turn.state.get("last_query"):
            query = str(turn.state["last_query"])
            if re.search(r"cheaper|便宜", turn.text, re.I) and shown:
                cheapest = min(p["price_minor"] for p in shown)
                query += f" under ${max(cheapest - 1, 0) / 100:.2f}"
        answer = self.engines.guide.recommend(query, customer_id=turn.member.customer_id, k=3)
        self._audit(
            turn,
            "guide.recommend",
            {"text": query},
            {"items": [p.id for p in answer.items], "relaxed": list(answer.relaxed)},
        )
        turn.state["last_query"] = query
        turn.state["last_items"] = [p.to_dict() for p in answer.items]
        turn.items = [p.to_dict() for p in answer.items]
        text = _recommend_text(answer, lang)
        return (saved + " " + text).strip() if saved else text

    # --- orders ----------------------------------------------------------------------------

    def _orders(self, route: Route, turn: _Turn) -> str:
        intent = route.intent
        if intent == "buy":
            return self._buy(turn)
        if intent == "cancel":
            return self._cancel(turn)
        if intent == "list":
            return self._list_orders(turn)
        if intent in ("return", "track") and _RETURN_WORDS.search(turn.text):
            if _RETURN_STATUS.search(turn.text):
                return self._return_status(turn)
            if intent == "return":
                return self._return(turn)
        if intent == "return":
            return self._return(turn)
        return self._track(turn)

    def _buy(self, turn: _Turn) -> str:
        lang, member = turn.language, turn.member
        if member.role == "child":
            return say("child_no_orders", lang)
        item = self._pick_ordinal(turn, turn.text)
        if item is None and _ordinal(turn.text) is None and not parse_need(turn.text).is_empty:
            # A named product ("buy the kiehl's cleanser"): the guide's best match.
            answer = self.engines.guide.recommend(turn.text, customer_id=None, k=1)
            self._audit(
                turn,
                "guide.recommend",
                {"text": turn.text},
                {"items": [p.id for p in answer.items]},
            )
            if not answer.items:
                return say("no_items", lang)
            item = answer.items[0].to_dict()
        if item is None:
            return say("which_item", lang, count=len(self._shown(turn)))
        quantity = _quantity(turn.text)
        with self.db.session() as session:
            addresses = identity.list_addresses(session, customer_id=member.customer_id)
        if not addresses:
            return say("no_address", lang)
        address = addresses[0]
        total = int(item["price_minor"]) * quantity
        args = {
            "lines": [{"product_id": int(item["id"]), "quantity": quantity}],
            "address_id": address["id"],
            "total_minor": total,
        }
        question = say(
            "order_confirm",
            lang,
            items=f"{quantity} × {item['brand']} {item['name']} ({_money(int(item['price_minor']))})",
            total=_money(total),
            address=f"{address['line1']}, {address['city']}",
        )
        turn.items = [item]
        return self._ask(turn, "orders", "orders.place_order", args, question)

    def _do_place_order(self, turn: _Turn, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
        member = turn.member
        if member.role == "child":
            raise ConflictError("A child account cannot place orders.", field="role")
        with self.db.session() as session:
            order = orders.create_order(
                session,
                household_id=member.household_id,
                customer_id=member.customer_id,
                lines=[
                    orders.LineRequest(int(line["product_id"]), int(line["quantity"]))
                    for line in args["lines"]
                ],
                address_id=int(args["address_id"]),
            )
            if order.total_minor != int(args["total_minor"]):
                # The price changed between the question and the yes: ask again.
                raise ConflictError(
                    f"The total changed from {_money(int(args['total_minor']))} to "
                    f"{_money(order.total_minor)}; please confirm again.",
                    field="total_minor",
                )
            order = orders.confirm_order(
                session, household_id=member.household_id, order_id=order.id
            )
        shipment = order.shipments[0]
        eta = self._plan_and_eta(shipment.id)
        eta_text = say("eta_suffix", turn.language, eta=_clock(eta)) if eta else ""
        result = {
            "order_id": order.id,
            "status": order.status,
            "total_minor": order.total_minor,
            "shipment_id": shipment.id,
            "tracking_number": shipment.tracking_number,
            "eta": eta.isoformat() if eta else None,
        }
        return result, say(
            "order_placed",
            turn.language,
            order_id=order.id,
            tracking=shipment.tracking_number,
            eta=eta_text,
        )

    def _plan_and_eta(self, shipment_id: int) -> datetime | None:
        try:
            self.engines.dispatch.plan()
            return self.engines.dispatch.eta(shipment_id)
        except LingxiError as err:
            logger.warning("dispatch planning failed, the order stands: %s", err)
            return None

    def _target_order(self, turn: _Turn, *, open_only: bool) -> orders.OrderView | None:
        member = turn.member
        m = _ORDER_ID.search(turn.text)
        slot_id = turn.slots.get("order_id")
        order_id = int(next(g for g in m.groups() if g)) if m else None
        if isinstance(slot_id, int):
            order_id = slot_id
        with self.db.session() as session:
            if order_id is not None:
                return orders.get_order(
                    session, household_id=member.household_id, order_id=order_id
                )
            all_orders = orders.list_orders(session, household_id=member.household_id)
        if not all_orders:
            return None
        mine = [o for o in all_orders if o.customer_id == member.customer_id] or all_orders
        if open_only:
            # The parcel nearest to the door first: shipped before merely confirmed.
            live = [o for o in mine if o.status == "shipped"] + [
                o for o in mine if o.status == "confirmed"
            ]
            turn.state["_other_live"] = [o.id for o in live[1:4]]
            return live[0] if live else mine[0]
        return mine[0]

    def _track(self, turn: _Turn) -> str:
        lang = turn.language
        order = self._target_order(turn, open_only=True)
        if order is None:
            return say("no_orders", lang)
        items = ", ".join(str(line["name"]) for line in order.lines)
        if not order.shipments or order.status not in ("confirmed", "shipped"):
            self._audit(turn, "orders.track", {"order_id": order.id}, {"status": order.status})
            if _ORDER_ID.search(turn.text):
                return say(
                    "track",
                    lang,
                    order_id=order.id,
                    items=items,
                    status=_order_status_words(order.status, lang),
                    place="",
                    eta="",
                )
            return say(
                "no_open_orders",
                lang,
                order_id=order.id,
                status=_order_status_words(order.status, lang),
            )
        shipment = order.shipments[0]
        try:
            eta = self.engines.dispatch.eta(shipment.id)
        except LingxiError as err:
            logger.warning("dispatch ETA unavailable, using the stored one: %s", err)
            eta = shipment.eta
        eta = eta or shipment.eta
        # The event that set the current status (demo data may backdate later events).
        current = [e for e in shipment.events if e.status == shipment.status]
        last = current[-1] if current else (shipment.events[-1] if shipment.events else None)
        place = f" ({last.place})" if last and last.place else ""
        eta_text = ""
        if eta is not None:
            now = utcnow()
            eta_aware = eta if eta.tzinfo else eta.replace(tzinfo=UTC)
            now_aware = now if now.tzinfo else now.replace(tzinfo=UTC)
            minutes = round((eta_aware - now_aware) / timedelta(minutes=1))
            if minutes < 0:
                eta_text = say("track_eta_past", lang, eta=_clock(eta))
            elif eta_aware.date() != now_aware.date() and minutes > 120:
                # Planned for a later day (after the last shift): say the day, not 600 minutes.
                eta_text = say(
                    "track_eta_day", lang, eta=_clock(eta), day=_day(eta_aware, now_aware, lang)
                )
            else:
                eta_text = say("track_eta", lang, eta=_clock(eta), minutes=minutes)
        status = _status_words(shipment.status, lang)
        try:
            position = self.engines.dispatch.position(shipment.id)
        except LingxiError:
            position = None
        if (
            position
            and position.get("vehicle")
            and shipment.status in ("created", "picked_up", "in_transit", "out_for_delivery")
        ):
            before = position.get("stops_before")
            eta_text += (
                f" 由{position['vehicle']}配送，前面还有{before}站。"
                if lang == "zh"
                else f" On {position['vehicle']}, {before} stops before yours."
            )
        others = turn.state.pop("_other_live", [])
        if others:
            ids = ", ".join(f"#{i}" for i in others)
            eta_text += f" (也在路上：{ids}。)" if lang == "zh" else f" (Also on the way: {ids}.)"
        self._audit(
            turn,
            "orders.track",
            {"order_id": order.id},
            {
                "shipment_id": shipment.id,
                "status": shipment.status,
                "eta": eta.isoformat() if eta else None,
                "events": [e.to_dict() for e in shipment.events],
            },
        )
        return say(
            "track", lang, order_id=order.id, items=items, status=status, place=place, eta=eta_text
        )

    def _list_orders(self, turn: _Turn) -> str:
        with self.db.session() as session:
            mine = orders.list_orders(
                session, household_id=turn.member.household_id, customer_id=turn.member.customer_id
            )
        self._audit(turn, "orders.list", {}, {"order_ids": [o.id for o in mine[:5]]})
        if not mine:
            return say("no_orders", turn.language)
        listed = "; ".join(
            f"#{o.id} {', '.join(str(line['name']) for line in o.lines)} {_money(o.total_minor, o.currency)} ({_order_status_words(o.status, turn.language)})"
            for o in mine[:5]
        )
        return say("list_orders", turn.language, orders=listed)

    def _cancel(self, turn: _Turn) -> str:
        if turn.member.role == "child":
            return say("child_no_orders", turn.language)
        order = self._target_order(turn, open_only=True)
        if order is None:
            return say("no_orders", turn.language)
        question = say(
            "cancel_confirm",
            turn.language,
            order_id=order.id,
            items=", ".join(str(line["name"]) for line in order.lines),
            total=_money(order.total_minor, order.currency),
        )
        return self._ask(turn, "orders", "orders.cancel_order", {"order_id": order.id}, question)

    def _do_cancel_order(self, turn: _Turn, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
        with self.db.session() as session:
            order = orders.cancel_order(
                session, household_id=turn.member.household_id, order_id=int(args["order_id"])
            )
        return {"order_id": order.id, "status": order.status}, say(
            "cancelled", turn.language, order_id=order.id
        )

    def _return(self, turn: _Turn) -> str:
        """Propose a return (items, refund, pickup address) and ask for a yes."""
        lang, member = turn.language, turn.member
        if member.role == "child":
            return say("child_no_orders", lang)
        with self.db.session() as session:
            addresses = identity.list_addresses(session, customer_id=member.customer_id)
        order, items, what = self._return_target(turn)
        if order is None:
            if what:
                self._audit(turn, "orders.find_return_items", {"text": what}, {"found": False})
                return say("return_no_match", lang, what=what)
            self._audit(turn, "orders.find_return_items", {}, {"found": False})
            return say("no_returnable", lang, days=orders.RETURN_WINDOW_DAYS)
        reason = turn.text[:200]
        with self.db.session() as session:
            # A dry run of the real rules (window, status, what is already on its way back),
            # rolled back: the question shows exactly what the yes will create.
            try:
                preview = orders.request_return(
                    session,
                    household_id=member.household_id,
                    order_id=order.id,
                    items=items,
                    reason=reason,
                )
            finally:
                session.rollback()
        address = next(
            (a for a in addresses if a["id"] == preview_address_id(order, addresses)), None
        )
        where = f"{address['line1']}, {address['city']}" if address else "-"
        listed = ", ".join(f"{line['quantity']} × {line['name']}" for line in preview.return_lines)
        args = {
            "order_id": order.id,
            "items": [
                {"line_id": line["line_id"], "quantity": line["quantity"]}
                for line in preview.return_lines
            ],
            "refund_minor": preview.refund_minor,
            "reason": reason,
        }
        question = say(
            "return_confirm",
            lang,
            items=listed,
            order_id=order.id,
            refund=_money(preview.refund_minor or 0, order.currency),
            address=where,
        )
        return self._ask(turn, "orders", "orders.request_return", args, question)

    def _return_target(
        self, turn: _Turn
    ) -> tuple[orders.OrderView | None, list[orders.ReturnItem] | None, str]:
        """The order, the items (``None``: all left) and the product words the person used."""
        member, text = turn.member, turn.text
        m = _ORDER_ID.search(text)
        slot_id = turn.slots.get("order_id")
        order_id = int(next(g for g in m.groups() if g)) if m else None
        if isinstance(slot_id, int):
            order_id = slot_id
        with self.db.session() as session:
            if order_id is not None:
                candidates = [
                    orders.get_order(session, household_id=member.household_id, order_id=order_id)
                ]
            else:
                every = orders.list_orders(session, household_id=member.household_id)
                candidates = [o for o in every if o.customer_id == member.customer_id] or every
        if not candidates:
            return None, None, ""
        what = _product_words(text)
        need = parse_need(text)
        if order_id is None and _LAST_ORDER.search(text) and not what:
            return candidates[0], None, ""  # "退掉上一个订单": the newest, whatever its state
        if not what and need.category is None and not need.brands:
            if order_id is not None:
                return candidates[0], None, ""
            live = [o for o in candidates if any(li["returnable_quantity"] for li in o.lines)]
            return (live[0], None, "") if live else (None, None, "")
        for order in candidates:
            lines = [li for li in order.lines if li["returnable_quantity"] or order_id]
            hits = [li for li in lines if self._line_matches(li, what, need)]
            if hits:
                quantity = None
                if len(hits) == 1:
                    # "return one of the cleansers" / "退一瓶": part of a line.
                    asked = 1 if _ONE_OF.search(text) else _quantity(text)
                    if asked < int(hits[0]["returnable_quantity"] or hits[0]["quantity"]):
                        quantity = asked if asked > 1 or _ONE_OF.search(text) else None
                return (
                    order,
                    [orders.ReturnItem(int(li["id"]), quantity) for li in hits],
                    " ".join(what) or (need.category or ""),
                )
        for order in candidates:
            # The product was bought but cannot go back (not delivered yet, window over, already
            # returned): the dry run of the rules will say which.
            hits = [li for li in order.lines if self._line_matches(li, what, need)]
            if hits:
                return order, [orders.ReturnItem(int(li["id"])) for li in hits], " ".join(what)
        return None, None, " ".join(what) or (need.category or "") or text

    def _line_matches(self, line: dict[str, Any], words: list[str], need: Any) -> bool:
        name = str(line["name"]).lower()
        if words and any(w in name for w in words):
            return True
        if need.brands and any(b.lower() in name for b in need.brands):
            return True
        if need.category and line.get("product_id"):
            pick = self.engines.guide.product(int(line["product_id"]))
            return pick is not None and pick.category == need.category
        return False

    def _do_request_return(self, turn: _Turn, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
        member = turn.member
        if member.role == "child":
            raise ConflictError("A child account cannot return orders.", field="role")
        with self.db.session() as session:
            ret = orders.request_return(
                session,
                household_id=member.household_id,
                order_id=int(args["order_id"]),
                items=[
                    orders.ReturnItem(int(i["line_id"]), int(i["quantity"])) for i in args["items"]
                ],
                reason=str(args.get("reason", "")),
            )
            if ret.refund_minor != args.get("refund_minor"):
                raise ConflictError(
                    f"The refund changed from {_money(int(args['refund_minor'] or 0))} to "
                    f"{_money(ret.refund_minor or 0)}; please ask again.",
                    field="refund_minor",
                )
        eta = self._plan_and_eta(ret.id)
        eta_text = (
            say("return_pickup_eta", turn.language, eta=_when(eta, turn.language))
            if eta
            else say("return_pickup_later", turn.language)
        )
        result = {
            "order_id": ret.order_id,
            "shipment_id": ret.id,
            "kind": ret.kind,
            "tracking_number": ret.tracking_number,
            "refund_minor": ret.refund_minor,
            "lines": list(ret.return_lines),
            "eta": eta.isoformat() if eta else None,
        }
        return result, say(
            "return_requested",
            turn.language,
            tracking=ret.tracking_number,
            order_id=ret.order_id,
            refund=_money(ret.refund_minor or 0),
            eta=eta_text,
        )

    def _return_status(self, turn: _Turn) -> str:
        """Where the latest return pickup is: status, place, ETA and the refund."""
        lang, member = turn.language, turn.member
        m = _ORDER_ID.search(turn.text)
        with self.db.session() as session:
            every = orders.list_orders(session, household_id=member.household_id)
        mine = [o for o in every if o.customer_id == member.customer_id] or every
        if m:
            wanted = int(next(g for g in m.groups() if g))
            mine = [o for o in mine if o.id == wanted]
        pairs = [(o, s) for o in mine for s in o.returns]
        if not pairs:
            self._audit(turn, "orders.track_return", {}, {"returns": 0})
            return say("no_returns", lang)
        order, ret = max(pairs, key=lambda p: p[1].id)
        try:
            eta = self.engines.dispatch.eta(ret.id) or ret.eta
        except LingxiError as err:
            logger.warning("dispatch ETA unavailable for return %s: %s", ret.id, err)
            eta = ret.eta
        current = [e for e in ret.events if e.status == ret.status]
        last = current[-1] if current else (ret.events[-1] if ret.events else None)
        # Where it is once it moves (a booked pickup is, by definition, at the customer's).
        place = f" ({last.place})" if last and last.place and ret.status != "created" else ""
        eta_text = ""
        if eta is not None and ret.status in ("created", "picked_up", "in_transit"):
            key = "return_pickup_eta" if ret.status == "created" else "eta_suffix"
            eta_text = say(key, lang, eta=_when(eta, lang))
        self._audit(
            turn,
            "orders.track_return",
            {"shipment_id": ret.id},
            {
                "order_id": order.id,
                "status": ret.status,
                "eta": eta.isoformat() if eta else None,
                "events": [e.to_dict() for e in ret.events],
            },
        )
        return say(
            "return_status",
            lang,
            tracking=ret.tracking_number,
            order_id=order.id,
            items=", ".join(f"{li['quantity']} × {li['name']}" for li in ret.return_lines),
            status=_return_status_words(ret.status, lang),
            place=place,
            eta=eta_text,
            refund=_money(ret.refund_minor or 0, order.currency),
        )

    # --- home ------------------------------------------------------------------------------

    def _home(self, route: Route, turn: _Turn) -> str:
        home = self.engines.home
        lang = turn.language
        if home is None:
            self._audit(
                turn, "home.command", {"text": turn.text}, {"error": "home engine not available"}
            )
            return say("home_unavailable", lang)
        if _RISKY_HOME.search(turn.text) and route.intent != "state":
            if turn.member.role == "child":
                return say("home_child", lang)
            what = turn.text if lang == "en" else turn.text
            question = say("home_confirm", lang, what=f"\u201c{what}\u201d")
            return self._ask(turn, "home", "home.command", {"text": turn.text}, question)
        outcome = home.handle(turn.text, turn.member, channel=turn.channel)
        if outcome.needs_confirmation:
            args = {"text": turn.text, "token": outcome.confirm_token}
            return self._ask(turn, "home", "home.command", args, outcome.reply)
        self._audit(
            turn,
            "home.command",
            {"text": turn.text},
            {"handled": outcome.handled, "actions": list(outcome.actions)},
        )
        return outcome.reply

    def _do_home_confirmed(self, turn: _Turn, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
        home = self.engines.home
        if home is None:
            raise UnavailableError("The home engine is not available.", field="home")
        if args.get("token"):
            outcome = home.confirm(str(args["token"]), turn.member)
        else:
            outcome = home.handle(
                str(args["text"]), turn.member, channel=turn.channel, confirmed=True
            )
        return {"handled": outcome.handled, "actions": list(outcome.actions)}, outcome.reply

    # --- account ---------------------------------------------------------------------------

    def _account(self, route: Route, turn: _Turn) -> str:
        intent, lang, member = route.intent, turn.language, turn.member
        if intent == "show":
            with self.db.session() as session:
                profile = identity.get_profile(session, customer_id=member.customer_id)
                consents = identity.list_consents(session, customer_id=member.customer_id)
            self._audit(turn, "account.show", {}, {"profile": profile.to_dict()})
            facts = _profile_facts(profile, lang)
            active = sorted({c["purpose"] for c in consents if c["active"]})
            text = (
                say("profile", lang, facts="; ".join(facts))
                if facts
                else say("profile_empty", lang)
            )
            return text + " " + say("consents", lang, consents=", ".join(active) or "-")
        if intent == "export":
            with self.db.session() as session:
                doc = identity.export_customer(session, customer_id=member.customer_id)
                doc["orders"] = [
                    o.to_dict()
                    for o in orders.list_orders(
                        session, household_id=member.household_id, customer_id=member.customer_id
                    )
                ]
            self._audit(turn, "account.export", {}, {"orders": len(doc["orders"])})
            turn.actions[-1] = {**turn.actions[-1], "result": {"export": doc}}
            return say("export", lang, n=len(doc["orders"]))
        if intent == "delete_all":
            return self._ask(
                turn, "account", "account.delete_all", {}, say("delete_all_confirm", lang)
            )
        if intent == "forget":
            fields = _fields_in(turn.text)
            remove = []
            if "avoid_ingredients" in fields and re.search(r"from|list|里|中", turn.text):
                remove = [n for p, n in _INGREDIENT_WORDS if re.search(p, turn.text, re.I)]
            args = {"fields": fields or None, "remove_avoid": remove}
            names = (
                ", ".join(_FIELD_NAMES[f][1 if lang == "zh" else 0] for f in fields)
                if fields
                else ("profile" if lang == "en" else "全部偏好")
            )
            if remove:
                names = ", ".join(remove)
            stored = self._profile(member)
            held = (
                [f for f in fields if getattr(stored, f) not in (None, [])]
                if fields
                else [f for f in _FIELD_NAMES if getattr(stored, f) not in (None, [])]
            )
            if remove:
                held = [i for i in remove if i in stored.avoid_ingredients]
            if not held:
                self._audit(turn, "account.forget", args, {"nothing_stored": True})
                return say("nothing_to_forget", lang, fields=names)
            return self._ask(
                turn, "account", "account.forget", args, say("forget_confirm", lang, fields=names)
            )
        if intent in ("consent_grant", "consent_revoke"):
            purpose = (
                "personalisation"
                if re.search(r"personali|个性化|track|购买记录|purchases", turn.text, re.I)
                else "profile"
            )
            with self.db.session() as session:
                if intent == "consent_grant":
                    identity.grant_consent(session, customer_id=member.customer_id, purpose=purpose)
                else:
                    identity.revoke_consent(
                        session, customer_id=member.customer_id, purpose=purpose
                    )
            self._audit(turn, f"account.{intent}", {"purpose": purpose}, {"ok": True})
            key = "consent_granted" if intent == "consent_grant" else "consent_revoked"
            text = say(key, lang, purpose=purpose)
            if intent == "consent_grant" and turn.state.get("unsaved_profile"):
                changes = turn.state.pop("unsaved_profile")
                with self.db.session() as session:
                    identity.update_profile(session, customer_id=member.customer_id, **changes)
                self._audit(turn, "account.remember", changes, {"saved": changes})
                text += " " + say("saved", lang, facts=_describe_changes(changes, lang))
            return text
        saved = self._distill(turn, quiet=False)
        return saved or say("nothing_to_save", lang)

    def _distill(self, turn: _Turn, *, quiet: bool) -> str:
        """Store preferences the person stated about themselves; returns what to say about it."""
        if not _SELF_STATEMENT.search(turn.text):
            return ""
        changes = _preferences(turn.text, self._profile(turn.member))
        if not changes:
            return ""
        member = turn.member
        with self.db.session() as session:
            consented = identity.has_consent(
                session, customer_id=member.customer_id, purpose="profile"
            )
            view = identity.update_profile(session, customer_id=member.customer_id, **changes)
        kept = {k: v for k, v in changes.items() if getattr(view, k) == v}
        refused = {
            k: v for k, v in changes.items() if k in identity.SENSITIVE_FIELDS and not consented
        }
        self._audit(
            turn,
            "account.remember",
            changes,
            {"saved": kept, "refused_without_consent": sorted(refused)},
        )
        parts = []
        if kept:
            parts.append(say("saved", turn.language, facts=_describe_changes(kept, turn.language)))
        if refused:
            turn.state["unsaved_profile"] = refused
            parts.append(say("not_saved_consent", turn.language))
        if quiet and not refused:
            return parts[0] if parts else ""
        return " ".join(parts)

    def _do_forget(self, turn: _Turn, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
        member, lang = turn.member, turn.language
        fields: list[str] | None = args.get("fields")
        remove: list[str] = args.get("remove_avoid") or []
        with self.db.session() as session:
            if remove:
                profile = identity.get_profile(session, customer_id=member.customer_id)
                keep = [i for i in profile.avoid_ingredients if i not in remove]
                identity.update_profile(
                    session, customer_id=member.customer_id, avoid_ingredients=keep
                )
                described = ", ".join(remove)
            else:
                identity.delete_profile(session, customer_id=member.customer_id, fields=fields)
                described = (
                    ", ".join(_FIELD_NAMES[f][1 if lang == "zh" else 0] for f in fields)
                    if fields
                    else ("profile" if lang == "en" else "全部偏好")
                )
            after = identity.get_profile(session, customer_id=member.customer_id).to_dict()
        return {"profile": after}, say("forgot", lang, fields=described)

    def _do_delete_all(self, turn: _Turn, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
        member = turn.member
        with self.db.session() as session:
            for purpose in ("profile", "personalisation", "automation", "marketing"):
                identity.revoke_consent(session, customer_id=member.customer_id, purpose=purpose)
            identity.delete_customer_data(session, customer_id=member.customer_id)
            erased = conv_repo.erase_customer_history(session, customer_id=member.customer_id)
        # What this turn would still carry about the person goes too.
        turn.state.clear()
        turn.finishes = [(cid, conf, None) for cid, conf, _ in turn.finishes]
        return {
            "deleted": ["profile", "consents", "sign_ins", "conversation_turns"],
            **erased,
        }, say("deleted_all", turn.language)

    # --- small talk --------------------------------------------------------------------------

    def _smalltalk(self, route: Route, turn: _Turn) -> str:
        lang = turn.language
        if route.intent == "greet":
            return say("greet", lang, name=turn.member.display_name.split()[0])
        if route.intent in ("thanks", "bye", "help"):
            return say(route.intent, lang)
        return say("fallback", lang)


# --- helpers -------------------------------------------------------------------------------

_INGREDIENT_WORDS: tuple[tuple[str, str], ...] = (
    (r"fragrance|perfume|香精", "fragrance"),
    (r"alcohol|酒精", "alcohol"),
    (r"parabens?|防腐剂", "parabens"),
    (r"sulfates?|硫酸盐", "sulfates"),
    (r"silicones?|硅油", "silicones"),
)


def _ordinal(text: str) -> int | None:
    found = _ordinals_all(text)
    return found[0] if found else None


def _ordinals_all(text: str) -> list[int]:
    out: list[tuple[int, int]] = []
    for word, index in _ORDINALS_EN.items():
        for m in re.finditer(rf"\b{word}\b", text, re.I):
            out.append((m.start(), index))
    for m in re.finditer(r"第([一二两三四1234])", text):
        out.append((m.start(), _ORDINALS_ZH[m.group(1)]))
    return [i for _, i in sorted(out)]


def _quantity(text: str) -> int:
    m = _QUANTITY.search(text)
    if not m:
        return 1
    word = (m.group(1) or m.group(3) or "1").lower()
    if word.isdigit():
        return int(word)
    return _QUANTITY_WORDS.get(word, 1)


def _fields_in(text: str) -> list[str]:
    if re.search(
        r"everything|all|preferences|profile|偏好|喜好|全部|一切", text, re.I
    ) and not re.search(r"skin|肤质|皮肤", text, re.I):
        return []
    fields = [name for pattern, name in _FIELD_WORDS if re.search(pattern, text, re.I)]
    if (
        "skin_types" in fields
        and "concerns" not in fields
        and re.search(r"info|信息|情况|stuff|everything about my skin|what you know", text, re.I)
    ):
        fields.append("concerns")
    if (
        re.search(r"fragrance|alcohol|parabens?|香精|酒精|防腐剂", text, re.I)
        and "avoid_ingredients" not in fields
    ):
        fields.append("avoid_ingredients")
    return fields


def _preferences(text: str, current: identity.ProfileView) -> dict[str, Any]:
    need = parse_need(text)
    changes: dict[str, Any] = {}
    if need.skin_types:
        changes["skin_types"] = list(need.skin_types)
    concerns = sorted({name for pattern, name in _CONCERNS if re.search(pattern, text, re.I)})
    if concerns:
        changes["concerns"] = sorted(set(current.concerns) | set(concerns))
    if need.exclude_ingredients:
        changes["avoid_ingredients"] = sorted(
            set(current.avoid_ingredients) | set(need.exclude_ingredients)
        )
    if need.brands and re.search(r"like|prefer|love|fan|喜欢|粉丝", text, re.I):
        changes["brands"] = sorted(set(current.brands) | set(need.brands))
    if need.max_price is not None and re.search(r"budget|预算", text, re.I):
        changes["max_price_minor"] = int(round(need.max_price * 100))
    return changes


def _describe_changes(changes: dict[str, Any], lang: str) -> str:
    parts = []
    for key, value in changes.items():
        label = _FIELD_NAMES.get(key, (key, key))[1 if lang == "zh" else 0]
        shown = (
            _money(value)
            if key == "max_price_minor" and value is not None
            else ", ".join(value)
            if isinstance(value, list)
            else str(value)
        )
        parts.append(f"{label}: {shown}")
    return "; ".join(parts)


def _profile_facts(profile: identity.ProfileView, lang: str) -> list[str]:
    facts = []
    for key in ("skin_types", "concerns", "brands", "avoid_ingredients", "include_ingredients"):
        values = getattr(profile, key)
        if values:
            facts.append(f"{_FIELD_NAMES[key][1 if lang == 'zh' else 0]}: {', '.join(values)}")
    if profile.max_price_minor is not None:
        facts.append(
            f"{_FIELD_NAMES['max_price_minor'][1 if lang == 'zh' else 0]}: {_money(profile.max_price_minor)}"
        )
    return facts


_STATUS_ZH = {
    "created": "已下单，等待取件",
    "picked_up": "已取件",
    "in_transit": "运输中",
    "out_for_delivery": "正在派送",
    "delivered": "已送达",
    "exception": "异常",
}


_RETURN_STATUS_EN = {
    "created": "booked, waiting for the courier to pick it up",
    "picked_up": "picked up",
    "in_transit": "on its way back to our depot",
    "out_for_delivery": "on the courier's round",
    "delivered": "back at our depot",
    "exception": "held up (pickup failed)",
}
_RETURN_STATUS_ZH = {
    "created": "已受理，等待快递员上门取件",
    "picked_up": "已取件",
    "in_transit": "正在退回仓库",
    "out_for_delivery": "快递员正在上门途中",
    "delivered": "已退回仓库",
    "exception": "取件失败",
}


_ORDER_STATUS_ZH = {
    "pending": "待确认",
    "confirmed": "已确认",
    "shipped": "配送中",
    "delivered": "已送达",
    "cancelled": "已取消",
    "return_requested": "退货中",
    "returned": "已退货",
}


def _order_status_words(status: str, lang: str) -> str:
    """An order's status in words ("return requested", "退货中")."""
    if lang == "zh":
        return _ORDER_STATUS_ZH.get(status, status)
    return status.replace("_", " ")


def _return_status_words(status: str, lang: str) -> str:
    table = _RETURN_STATUS_ZH if lang == "zh" else _RETURN_STATUS_EN
    return table.get(status, status.replace("_", " "))


def preview_address_id(order: orders.OrderView, addresses: list[dict[str, Any]]) -> int | None:
    """The pickup address of ``order``: its own (the shipments' destination) or the first."""
    for a in addresses:
        for s in order.shipments:
            if s.lat == a.get("lat") and s.lon == a.get("lon"):
                return int(a["id"])
    return int(addresses[0]["id"]) if addresses else None


def _product_words(text: str) -> list[str]:
    """The words that may name a product ("the cleanser", "kiehl's"), lowercased."""
    words = re.findall(r"[a-z][a-z'\-]{2,}", text.lower())
    return [w for w in words if w not in _NOT_PRODUCT_WORDS]


def _status_words(status: str, lang: str) -> str:
    if lang == "zh":
        return _STATUS_ZH.get(status, status)
    return status.replace("_", " ")


def _recommend_text(answer: GuideAnswer, lang: str) -> str:
    if not answer.items:
        return (answer.note + " " if answer.note else "") + say("recommend_none", lang)
    lines = [answer.note] if answer.note else []
    if answer.relaxed:
        lines.append(say("recommend_relaxed", lang, relaxed=", ".join(answer.relaxed)))
    else:
        lines.append(say("recommend_intro", lang))
    for n, p in enumerate(answer.items, start=1):
        lines.append(_item_line(n, p, lang))
    lines.append(say("recommend_outro", lang))
    return "\n".join(lines)


def _item_line(n: int, p: ProductPick, lang: str) -> str:
    return say(
        "recommend_item",
        lang,
        n=n,
        brand=p.brand,
        name=p.name,
        price=_money(p.price_minor, p.currency),
        reason=p.reason or p.category,
    )
