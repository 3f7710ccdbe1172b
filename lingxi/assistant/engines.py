"""What the skills use of the three engines, and the default wiring of their public facades.

The assistant imports only the engines' facades (``lingxi.guide``, ``lingxi.dispatch``,
``lingxi.home``). There are no stand-ins: without a catalogue the guide says so, without a
delivery planner an order keeps the ETA it was stored with, and without a home controller the
home skill says it cannot reach the home.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from lingxi.assistant.router import EngineMatcher
from lingxi.commerce import DeliveryPlanner, Member
from lingxi.config import GuideSettings, Settings
from lingxi.data import Database
from lingxi.errors import LingxiError

if TYPE_CHECKING:
    from lingxi.guide import Comparison, GuideResult, ProductFacts, ProductQuery
    from lingxi.home import ActionResult, ParseResult

__all__ = [
    "DispatchPlanner",
    "Engines",
    "GuidePort",
    "HomePort",
    "LazyGuide",
    "default_engines",
    "home_matcher",
    "whereabouts",
]

logger = logging.getLogger(__name__)


class GuidePort(Protocol):
    """The shopping guide as the skills use it (:class:`lingxi.guide.ShoppingGuide`)."""

    def recommend_for(
        self, db: Database, request: str | ProductQuery, *, customer_id: int | None, k: int = 10
    ) -> GuideResult:
        """Consent-aware picks for a need."""
        ...

    def product(self, product_id: int) -> ProductFacts:
        """One product's facts (NotFoundError when unknown)."""
        ...

    def compare(
        self, a: str | int, b: str | int, *, need: str | ProductQuery | None = None
    ) -> Comparison:
        """Two products side by side."""
        ...


class HomePort(Protocol):
    """Home control as the skills use it (:class:`lingxi.home.HomeController`).

    ``handle`` raises ``ConfirmationRequiredError`` (with a single-use token) for what the risk
    policy says needs a yes, and ``ForbiddenError`` for what the role may never do; ``confirm``
    redeems the token once.
    """

    def parse(self, text: str, household_id: int) -> ParseResult:
        """What ``text`` means for the household (nothing is touched)."""
        ...

    def handle(
        self, text: str, member: Member, *, channel: str = "text", confirmed: bool = False
    ) -> ActionResult:
        """Understand and carry out one request."""
        ...

    def confirm(self, token: str, member: Member) -> ActionResult:
        """Carry out the request that waited under ``token``."""
        ...

    def turn_on(self, household_id: int, entity_id: str, *, source: str = "automation") -> Any:
        """Turn one entity on (automations)."""
        ...


class LazyGuide:
    """:class:`lingxi.guide.ShoppingGuide` over the stored catalogue, built on first use.

    Orders, the home and the account do not need the guide, so a one-shot "where is my order?"
    never pays for embedding the catalogue.
    """

    def __init__(
        self,
        db: Database,
        *,
        build: Callable[[], Any] | None = None,
        settings: GuideSettings | None = None,
    ) -> None:
        self.db = db
        self._build = build
        self._settings = settings
        """Where the guide comes from (the app's one index); ``from_database`` by default."""
        self._guide: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._guide is None:
                from lingxi.guide import ParseParams, ShoppingGuide

                params = ParseParams.from_settings(self._settings)
                build = self._build or (
                    lambda: ShoppingGuide.from_database(self.db, parse_params=params)
                )
                self._guide = build()
            return self._guide

    def recommend_for(
        self, db: Database, request: str | ProductQuery, *, customer_id: int | None, k: int = 10
    ) -> GuideResult:
        """See :class:`GuidePort`."""
        result: GuideResult = self._get().recommend_for(db, request, customer_id=customer_id, k=k)
        return result

    def product(self, product_id: int) -> ProductFacts:
        """See :class:`GuidePort`."""
        facts: ProductFacts = self._get().product(product_id)
        return facts

    def compare(
        self, a: str | int, b: str | int, *, need: str | ProductQuery | None = None
    ) -> Comparison:
        """See :class:`GuidePort`."""
        comparison: Comparison = self._get().compare(a, b, need=need)
        return comparison


class DispatchPlanner:
    """:class:`lingxi.commerce.DeliveryPlanner` over the dispatch engine, in this process.

    Plans today's open shipments with the road network loaded once, then reads the new
    shipment's ETA from the plan. (The API hands in its solver-worker planner instead.)
    """

    def __init__(self, db: Database, settings: Settings | None = None) -> None:
        self.db = db
        self.time_limit_s = settings.dispatch.time_limit_s if settings is not None else 2.0
        self._settings = settings
        self._network: Any = None
        self._lock = threading.Lock()

    def plan_delivery(self, shipment_id: int) -> datetime | None:
        """Plan the open shipments and return ``shipment_id``'s ETA (None: not planned)."""
        from lingxi.dispatch import DispatchParams, load_network, plan_shipments

        with self._lock:
            if self._network is None:
                from lingxi.dispatch import city_network_path

                path = city_network_path(self._settings) if self._settings is not None else None
                self._network = load_network(path)
            now = datetime.now(UTC)
            plan_shipments(
                self.db,
                now.date(),
                params=DispatchParams(time_limit=self.time_limit_s),
                network=self._network,
                not_before=now,
            )
        eta, _ = whereabouts(self.db, shipment_id)
        return eta


def whereabouts(
    db: Database, shipment_id: int, household_id: int | None = None
) -> tuple[datetime | None, dict[str, Any] | None]:
    """A shipment's current ETA and its place on a planned route (``vehicle``, ``stops_before``).

    Both ``None`` when the dispatch engine cannot say; the caller keeps what it stored.
    """
    try:
        from lingxi.dispatch import eta_for_shipment

        info = eta_for_shipment(db, shipment_id, household_id=household_id)
    except LingxiError as err:
        logger.warning("dispatch cannot place shipment %s: %s", shipment_id, err)
        return None, None
    eta = info.get("eta")
    route = info.get("route")
    return (
        datetime.fromisoformat(eta) if isinstance(eta, str) else None,
        dict(route) if isinstance(route, dict) else None,
    )


@dataclass
class Engines:
    """The engines the skills talk to."""

    guide: GuidePort
    planner: DeliveryPlanner | None = None
    """Plans a new delivery or return pickup when an order is paid; None: not planned now."""
    home: HomePort | None = None


def default_engines(
    db: Database,
    settings: Settings | None = None,
    *,
    home_controller: HomePort | None = None,
    planner: DeliveryPlanner | None = None,
) -> Engines:
    """The engines' public facades: the guide (built on first use), the dispatch engine as the
    delivery planner, and the home controller (pass the app's one to share device states)."""
    home = home_controller
    if home is None:
        from lingxi.home import HomeController, create_driver

        driver = None
        if settings is not None and settings.mqtt.url:
            driver = create_driver("mqtt", settings=settings.mqtt)
        home = HomeController(
            db, settings=settings.home if settings is not None else None, driver=driver
        )
    guide = LazyGuide(db, settings=settings.guide if settings is not None else None)
    return Engines(guide=guide, planner=planner or DispatchPlanner(db, settings), home=home)


def home_matcher(home: HomePort) -> EngineMatcher:
    """The home parser as router evidence: ``(text, language, household_id) -> bool``.

    True for a command of the parser's tier 1 or 2 with real targets, or one whose target is
    ambiguous among several real devices ("turn on the light" in a home with six lights):
    both are home requests, unlike "a light moisturiser", which has no intent.
    """

    def matches(text: str, language: str, household_id: int | None) -> bool:
        if household_id is None or len(text) > 500:
            return False
        try:
            parsed = home.parse(text, household_id)
        except LingxiError:
            return False  # e.g. a household without devices
        # A command for later ("... at nine thirty pm") is a home request too: it is stored.
        if any(c.targets and c.tier in (1, 2, 3) for c in (*parsed.commands, *parsed.scheduled)):
            return True
        # A bare action with nothing named ("products that help with open pores" reads "open")
        # makes the parser ask which device; only a named kind or area is home evidence.
        return parsed.pending is not None and bool(parsed.pending.slots) and bool(parsed.candidates)

    return matches
