"""What the assistant needs from each engine, as small Protocols, and their default adapters.

The assistant never imports an engine's submodules: it talks to :class:`GuideEngine`,
:class:`DispatchEngine` and :class:`HomeEngine`. :func:`default_engines` wires in the
engines' public facades (``lingxi.guide``, ``lingxi.dispatch``, ``lingxi.home``) when
they offer what is needed, and otherwise data-layer fallbacks that keep the assistant
useful offline: a plain catalogue filter for the guide, the stored shipment ETA for
dispatch, and "not available" for the home.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.repos import catalog, identity, orders
from lingxi.data.repos.identity import Member
from lingxi.errors import (
    ConfirmationRequiredError,
    ForbiddenError,
    LingxiError,
    NotFoundError,
)

__all__ = [
    "CatalogueGuide",
    "DispatchEngine",
    "Engines",
    "FacadeDispatch",
    "FacadeGuide",
    "FacadeHome",
    "GuideAnswer",
    "GuideEngine",
    "HomeEngine",
    "HomeOutcome",
    "LazyGuide",
    "NeedSummary",
    "ProductPick",
    "StoredEtaDispatch",
    "default_engines",
    "parse_need",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProductPick:
    """A product the guide proposes, with only facts from the catalogue."""

    id: int
    name: str
    brand: str
    price_minor: int
    currency: str
    category: str
    skin_types: tuple[str, ...]
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "name": self.name,
            "brand": self.brand,
            "price": self.price_minor / 100,
            "price_minor": self.price_minor,
            "currency": self.currency,
            "category": self.category,
            "skin_types": list(self.skin_types),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class NeedSummary:
    """What a shopping request asks for (the guide's parse schema, DESIGN.md)."""

    category: str | None = None
    skin_types: tuple[str, ...] = ()
    max_price: float | None = None
    min_price: float | None = None
    brands: tuple[str, ...] = ()
    exclude_ingredients: tuple[str, ...] = ()
    include_ingredients: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when nothing was recognised."""
        return not (
            self.category
            or self.skin_types
            or self.max_price is not None
            or self.brands
            or self.exclude_ingredients
            or self.include_ingredients
        )


@dataclass(frozen=True, slots=True)
class GuideAnswer:
    """A recommendation: picks, relaxed constraints and the parsed need."""

    items: tuple[ProductPick, ...]
    need: NeedSummary
    relaxed: tuple[str, ...] = ()
    note: str = ""
    """A plain note (e.g. see a dermatologist) to show with the picks."""


@dataclass(frozen=True, slots=True)
class HomeOutcome:
    """What a home request did (or would do)."""

    handled: bool
    """False when the message was not understood as a home request."""
    reply: str
    actions: tuple[dict[str, Any], ...] = ()
    needs_confirmation: bool = False
    """True when the action (unlock, open a door, heating) waits for a yes."""
    confirm_token: str | None = None
    """The engine's token for the pending action, passed back to :meth:`HomeEngine.confirm`."""


class GuideEngine(Protocol):
    """The shopping guide as the assistant uses it."""

    def recommend(self, text: str, *, customer_id: int | None, k: int = 3) -> GuideAnswer:
        """Picks for a free-text need; what the customer consented to fills the rest."""
        ...

    def product(self, product_id: int) -> ProductPick | None:
        """One product's facts."""
        ...

    def compare(self, a: int, b: int, *, need: str) -> tuple[str, dict[str, Any]]:
        """A verdict sentence and the side-by-side facts of two products."""
        ...


class DispatchEngine(Protocol):
    """Delivery planning as the assistant uses it."""

    def plan(self) -> None:
        """(Re-)plan the open shipments and store their ETAs."""
        ...

    def eta(self, shipment_id: int) -> datetime | None:
        """The current plan's ETA for a shipment, if planned."""
        ...

    def position(self, shipment_id: int) -> dict[str, Any] | None:
        """Where the shipment sits on its planned route (``vehicle``, ``stops_before``)."""
        ...


class HomeEngine(Protocol):
    """Home control as the assistant uses it."""

    def matches(self, text: str, language: str, household_id: int | None) -> bool:
        """True when the engine's parser recognises a home command in ``text``."""
        ...

    def handle(
        self, text: str, member: Member, *, channel: str = "text", confirmed: bool = False
    ) -> HomeOutcome:
        """Parse and execute a home request for the member's household.

        Risky actions (unlock, doors, heating) run only with ``confirmed=True``; otherwise the
        outcome has ``needs_confirmation`` set.
        """
        ...

    def confirm(self, token: str, member: Member) -> HomeOutcome:
        """Execute a pending risky action after the person said yes."""
        ...

    def turn_on(self, household_id: int, entity_id: str, *, source: str) -> None:
        """Turn an entity on (used by automations)."""
        ...


@dataclass
class Engines:
    """The engines the assistant talks to; ``None`` where one is not available."""

    guide: GuideEngine
    dispatch: DispatchEngine
    home: HomeEngine | None = None
    notes: list[str] = field(default_factory=list)
    """Which adapter was chosen for each engine (for ``lingxi doctor`` and logs)."""


# --- a small need parser, used by the fallback guide and for memory ----------------------

_CATEGORIES: tuple[tuple[str, str], ...] = (
    (r"eye ?cream|眼霜", "Eye cream"),
    (r"sun ?screen|sunblock|\bspf\b|防晒", "Sun protect"),
    (r"\bmasks?\b|面膜", "Face Mask"),
    (
        r"cleans(er|ing)|clenser|face ?wash|makeup remover|洗面奶|洁面|卸妆",
        "Cleanser",
    ),
    (r"serum|treatment|retinol|vitamin c|essence|精华|晚霜", "Treatment"),
    (r"moisturi[sz]|cream|lotion|gel|面霜|乳液|保湿霜|水乳|黄油", "Moisturizer"),
)
_SKIN: tuple[tuple[str, str], ...] = (
    (r"\boily\b|\bshiny\b|油皮|油性|油痘|变油|出油", "oily"),
    (r"\bdry\b|flak(y|ing)|tight|干皮|干性|起皮|很干|好干|比较干", "dry"),
    (r"sensitive|redness|敏感|泛红", "sensitive"),
    (r"combination|\bcombo\b|混合", "combination"),
    (r"\bnormal skin\b|中性", "normal"),
)
_INGREDIENTS: tuple[tuple[str, str], ...] = (
    (r"fragrance|perfume|parfum|香精|香料", "fragrance"),
    (r"alcohol|酒精", "alcohol"),
    (r"parabens?|防腐剂", "parabens"),
    (r"sulfates?|硫酸盐", "sulfates"),
    (r"silicones?|硅油", "silicones"),
)
_AVOID_CUE = re.compile(
    r"(no|without|free|avoid|hate|allergic|don'?t like|can'?t stand|never|不要|不含|无|不用|不喜欢|过敏|忌)",
    re.IGNORECASE,
)
_INCLUDE: tuple[tuple[str, str], ...] = (
    (r"niacinamide|烟酰胺", "niacinamide"),
    (r"hyaluronic|玻尿酸|透明质酸", "hyaluronic acid"),
    (r"retinol|视黄醇|a醇", "retinol"),
)
_MAX_PRICE = re.compile(
    r"(?:under|below|less than|max|up to|within|budget(?: is)?(?: usually)?(?: around)?)\s*"
    r"\$?\s*(\d+(?:\.\d+)?)|\$\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:dollars|bucks|usd|块|元|刀|美元)",
    re.IGNORECASE,
)
_ZH_NUMBERS = {"十": 10, "二十": 20, "三十": 30, "四十": 40, "五十": 50, "一百": 100}
_BRANDS: tuple[tuple[str, str], ...] = (
    (r"clinique|倩碧", "CLINIQUE"),
    (r"kiehl'?s|科颜氏|契尔氏", "KIEHL'S SINCE 1851"),
    (r"first aid beauty", "FIRST AID BEAUTY"),
    (r"la roche[- ]posay|理肤泉", "LA ROCHE-POSAY"),
    (r"tatcha", "TATCHA"),
    (r"drunk elephant", "DRUNK ELEPHANT"),
    (r"est[ée]e lauder|雅诗兰黛", "ESTÉE LAUDER"),
    (r"origins|悦木之源", "ORIGINS"),
    (r"lanc[ôo]me|兰蔻", "LANCÔME"),
)


def parse_need(text: str) -> NeedSummary:
    """A small deterministic need parser (category, skin types, budget, brands, ingredients).

    The guide engine has the full parser; this one serves the offline fallback and the
    distillation of stated preferences into the profile.
    """
    t = text.lower()
    category = next((c for p, c in _CATEGORIES if re.search(p, t)), None)
    skin = tuple(sorted({s for p, s in _SKIN if re.search(p, t)}))
    exclude: set[str] = set()
    include: set[str] = set()
    for pattern, name in _INGREDIENTS:
        for m in re.finditer(pattern, t):
            window = t[max(0, m.start() - 24) : m.end() + 6]
            if _AVOID_CUE.search(window):
                exclude.add(name)
    for pattern, name in _INCLUDE:
        if re.search(pattern, t) and name not in exclude:
            include.add(name)
    max_price: float | None = None
    price = _MAX_PRICE.search(t)
    if price:
        max_price = float(next(g for g in price.groups() if g))
    else:
        for word, value in sorted(_ZH_NUMBERS.items(), key=lambda kv: -len(kv[0])):
            if re.search(word + r"(块|元|刀)", t):
                max_price = float(value)
                break
    brands = tuple(sorted({b for p, b in _BRANDS if re.search(p, t)}))
    return NeedSummary(
        category=category,
        skin_types=skin,
        max_price=max_price,
        brands=brands,
        exclude_ingredients=tuple(sorted(exclude)),
        include_ingredients=tuple(sorted(include)),
    )


_DRYING_ALCOHOL = re.compile(r"\b(alcohol denat|sd alcohol|ethanol|^alcohol$|isopropyl alcohol)")
_INGREDIENT_MATCH = {
    "fragrance": re.compile(r"\b(fragrance|parfum|perfume)\b"),
    "parabens": re.compile(r"paraben"),
    "sulfates": re.compile(r"\bsulfate\b|lauryl sulfate|laureth sulfate"),
    "silicones": re.compile(r"methicone|siloxane"),
    "niacinamide": re.compile(r"niacinamide"),
    "hyaluronic acid": re.compile(r"hyaluron"),
    "retinol": re.compile(r"retin"),
}


def _has(ingredients: tuple[str, ...], name: str) -> bool:
    if name == "alcohol":
        return any(_DRYING_ALCOHOL.search(i) for i in ingredients)
    pattern = _INGREDIENT_MATCH.get(name)
    return pattern is not None and any(pattern.search(i) for i in ingredients)


class CatalogueGuide:
    """Fallback guide: exact filtering of the stored catalogue by the parsed need, by rating.

    Used until the guide engine's facade is available. Facts come only from the catalogue.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._products: list[catalog.ProductView] | None = None
        self._flags: dict[int, frozenset[str]] = {}
        self._lock = threading.Lock()

    def _catalogue(self) -> list[catalog.ProductView]:
        with self._lock:
            if self._products is None:
                with self.db.session() as session:
                    products = catalog.list_products(session)
                # Which tracked ingredients each product contains, computed once.
                names = ("alcohol", *_INGREDIENT_MATCH)
                self._flags = {
                    p.id: frozenset(n for n in names if _has(p.ingredients, n)) for p in products
                }
                self._products = products
            return self._products

    def product(self, product_id: int) -> ProductPick | None:
        """One product's facts."""
        for p in self._catalogue():
            if p.id == product_id:
                return _pick(p, "")
        return None

    def compare(self, a: int, b: int, *, need: str) -> tuple[str, dict[str, Any]]:
        """Price and skin types side by side; the cheaper one named."""
        pa, pb = self.product(a), self.product(b)
        if pa is None or pb is None:
            raise NotFoundError(f"No product with id {a if pa is None else b}.", field="product_id")
        cheaper = pa if pa.price_minor <= pb.price_minor else pb
        text = (
            f"{pa.brand} {pa.name} costs ${pa.price_minor / 100:.2f}, {pb.brand} {pb.name} costs "
            f"${pb.price_minor / 100:.2f}; {cheaper.brand} {cheaper.name} is cheaper. Skin types: "
            f"{', '.join(pa.skin_types) or '-'} vs {', '.join(pb.skin_types) or '-'}."
        )
        return text, {"a": pa.to_dict(), "b": pb.to_dict(), "better": None}

    def recommend(self, text: str, *, customer_id: int | None, k: int = 3) -> GuideAnswer:
        """Products meeting every parsed constraint, best rated first; relaxes in a fixed order."""
        profile = None
        if customer_id is not None:
            with self.db.session() as session:
                # Skin type and concerns exist only under a PROFILE consent (identity enforces it).
                profile = identity.get_profile(session, customer_id=customer_id)
        need = parse_need(text)
        skin = need.skin_types or tuple(profile.skin_types if profile else ())
        avoid = set(need.exclude_ingredients) | set(profile.avoid_ingredients if profile else ())
        constraints: dict[str, Any] = {
            "category": need.category,
            "skin_types": skin,
            "max_price": need.max_price,
            "brands": need.brands,
            "exclude_ingredients": tuple(sorted(avoid)),
            "include_ingredients": need.include_ingredients,
        }
        relaxed: list[str] = []
        order: tuple[str, ...] = ("brands", "include_ingredients", "max_price", "skin_types")
        while True:
            found = [p for p in self._catalogue() if _fits(p, constraints, self._flags[p.id])]
            if found or not order:
                break
            name, order = order[0], order[1:]
            if constraints[name]:
                constraints[name] = () if name != "max_price" else None
                relaxed.append(name)
        found.sort(key=lambda p: (-(p.rating or 0.0), p.price_minor, p.id))
        picks = tuple(_pick(p, _reason(p, constraints)) for p in found[:k])
        effective = NeedSummary(
            category=need.category,
            skin_types=tuple(skin),
            max_price=need.max_price,
            brands=need.brands,
            exclude_ingredients=tuple(sorted(avoid)),
            include_ingredients=need.include_ingredients,
        )
        return GuideAnswer(items=picks, need=effective, relaxed=tuple(relaxed))


def _fits(p: catalog.ProductView, c: dict[str, Any], flags: frozenset[str]) -> bool:
    if c["category"] and p.category != c["category"]:
        return False
    if any(s not in p.skin_types for s in c["skin_types"]):
        return False
    if c["max_price"] is not None and p.price_minor > c["max_price"] * 100:
        return False
    if c["brands"] and p.brand not in c["brands"]:
        return False
    if any(i in flags for i in c["exclude_ingredients"]):
        return False
    if c["include_ingredients"] and not p.ingredients:
        return False
    return all(i in flags for i in c["include_ingredients"])


def _reason(p: catalog.ProductView, c: dict[str, Any]) -> str:
    parts = []
    if c["skin_types"]:
        parts.append("suits " + " and ".join(c["skin_types"]) + " skin")
    if c["exclude_ingredients"]:
        parts.append("no " + ", ".join(c["exclude_ingredients"]))
    if c["include_ingredients"]:
        parts.append("with " + ", ".join(c["include_ingredients"]))
    if p.rating:
        parts.append(f"rated {p.rating:.1f}/5")
    return "; ".join(parts)


def _pick(p: catalog.ProductView, reason: str) -> ProductPick:
    return ProductPick(
        id=p.id,
        name=p.name,
        brand=p.brand,
        price_minor=p.price_minor,
        currency=p.currency,
        category=p.category,
        skin_types=tuple(p.skin_types),
        reason=reason,
    )


class StoredEtaDispatch:
    """Fallback dispatch: no planning of its own, the ETA stored on the shipment."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def plan(self) -> None:
        """Nothing to do without the dispatch engine; ETAs stay as stored."""
        logger.info("dispatch facade not available: shipments keep their stored ETA")

    def eta(self, shipment_id: int) -> datetime | None:
        """The ETA stored on the shipment."""
        with self.db.session() as session:
            return orders.get_shipment(session, shipment_id=shipment_id).eta

    def position(self, shipment_id: int) -> dict[str, Any] | None:
        """Unknown without the dispatch engine."""
        return None


class FacadeDispatch:
    """The dispatch engine's ``plan_shipments`` / ``eta_for_shipment`` behind :class:`DispatchEngine`."""

    def __init__(self, db: Database, settings: Settings | None = None) -> None:
        self.db = db
        self.time_limit_s = settings.dispatch.time_limit_s if settings is not None else 2.0
        self._network: Any = None
        self._lock = threading.Lock()

    def plan(self) -> None:
        """Plan today's open shipments (routes, ETAs) with the road network loaded once."""
        from datetime import UTC

        from lingxi.dispatch import DispatchParams, load_network, plan_shipments

        with self._lock:
            if self._network is None:
                self._network = load_network()
            now = datetime.now(UTC)
            plan_shipments(
                self.db,
                now.date(),
                params=DispatchParams(time_limit=self.time_limit_s),
                network=self._network,
                not_before=now,
            )

    def _info(self, shipment_id: int) -> dict[str, Any]:
        from lingxi.dispatch import eta_for_shipment

        info: dict[str, Any] = eta_for_shipment(self.db, shipment_id)
        return info

    def eta(self, shipment_id: int) -> datetime | None:
        """The ETA of the current plan (written to the shipment by the planner)."""
        eta = self._info(shipment_id).get("eta")
        return datetime.fromisoformat(eta) if isinstance(eta, str) else None

    def position(self, shipment_id: int) -> dict[str, Any] | None:
        """The shipment's vehicle and how many stops come before it."""
        route = self._info(shipment_id).get("route")
        return dict(route) if isinstance(route, dict) else None


class FacadeGuide:
    """The guide engine's :class:`lingxi.guide.ShoppingGuide` behind :class:`GuideEngine`."""

    def __init__(self, db: Database, guide: Any) -> None:
        self.db = db
        self.guide = guide

    def recommend(self, text: str, *, customer_id: int | None, k: int = 3) -> GuideAnswer:
        """The guide's consent-aware recommendation."""
        result = self.guide.recommend_for(self.db, text, customer_id=customer_id, k=k)
        q = result.query
        need = NeedSummary(
            category=q.category,
            skin_types=tuple(q.skin_types),
            max_price=q.max_price_minor / 100 if q.max_price_minor is not None else None,
            min_price=q.min_price_minor / 100 if q.min_price_minor is not None else None,
            brands=tuple(q.brands),
            exclude_ingredients=tuple(q.exclude_ingredients),
            include_ingredients=tuple(q.include_ingredients),
        )
        items = tuple(
            ProductPick(
                id=r.id,
                name=r.name,
                brand=r.brand,
                price_minor=r.price_minor,
                currency="USD",
                category=r.category,
                skin_types=tuple(r.skin_types),
                reason=r.reason,
            )
            for r in result.items
        )
        return GuideAnswer(
            items=items,
            need=need,
            relaxed=tuple(result.relaxed),
            note=result.dermatologist_note or "",
        )

    def product(self, product_id: int) -> ProductPick | None:
        """One product's facts from the guide's index."""
        try:
            p = self.guide.product(product_id)
        except NotFoundError:
            return None
        return ProductPick(
            id=p.id,
            name=p.name,
            brand=p.brand,
            price_minor=p.price_minor,
            currency="USD",
            category=p.category,
            skin_types=tuple(p.skin_types),
            reason="",
        )

    def compare(self, a: int, b: int, *, need: str) -> tuple[str, dict[str, Any]]:
        """The guide's comparison: its verdict and rows."""
        comparison = self.guide.compare(a, b, need=need or None)
        return str(comparison.verdict), dict(comparison.to_dict())


class FacadeHome:
    """The home engine's :class:`lingxi.home.HomeController` behind :class:`HomeEngine`."""

    def __init__(self, controller: Any) -> None:
        self.controller = controller

    def matches(self, text: str, language: str, household_id: int | None) -> bool:
        """True when the home parser resolves the text to the household's own devices.

        Either a command from the parser's tier 1 or 2 with real targets, or a command whose
        target is ambiguous among several real devices ("turn on the light" in a home with six
        lights): both are home requests, unlike "a light moisturiser", which has no intent.
        """
        if household_id is None or len(text) > 500:
            return False
        try:
            parsed = self.controller.parse(text, household_id)
        except LingxiError:
            return False  # e.g. a household without devices
        if any(c.targets and c.tier in (1, 2) for c in parsed.commands):
            return True
        return parsed.pending is not None and bool(parsed.candidates)

    def _outcome(self, result: Any) -> HomeOutcome:
        actions = tuple(dict(c) for c in result.changes) or tuple(dict(c) for c in result.commands)
        return HomeOutcome(handled=bool(result.ok), reply=str(result.reply), actions=actions)

    def handle(
        self, text: str, member: Member, *, channel: str = "text", confirmed: bool = False
    ) -> HomeOutcome:
        """Parse and execute for the member's household; a needed yes becomes a pending token."""
        home_channel = channel if channel in ("voice", "text", "touch", "gesture") else "text"
        try:
            result = self.controller.handle(text, member, channel=home_channel, confirmed=confirmed)
        except ConfirmationRequiredError as err:
            return HomeOutcome(False, err.message, needs_confirmation=True, confirm_token=err.token)
        except (ForbiddenError, NotFoundError) as err:
            return HomeOutcome(False, err.message)
        except LingxiError as err:
            # The engine could not carry it out; say so instead of failing the whole turn.
            logger.warning("home engine refused %r: %s", text[:80], err)
            return HomeOutcome(False, err.message)
        return self._outcome(result)

    def confirm(self, token: str, member: Member) -> HomeOutcome:
        """Run the engine's pending action."""
        return self._outcome(self.controller.confirm(token, member))

    def turn_on(self, household_id: int, entity_id: str, *, source: str) -> None:
        """Turn an entity on (automations)."""
        self.controller.turn_on(household_id, entity_id, source=source)


class LazyGuide:
    """Builds the guide engine on first use (it embeds the catalogue once), else the fallback.

    Orders, the home and the account do not need the guide, so a one-shot "where is my order?"
    never pays for building it.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._engine: GuideEngine | None = None
        self._lock = threading.Lock()

    def _get(self) -> GuideEngine:
        with self._lock:
            if self._engine is None:
                self._engine = _real_guide(self.db) or CatalogueGuide(self.db)
            return self._engine

    def recommend(self, text: str, *, customer_id: int | None, k: int = 3) -> GuideAnswer:
        """See :class:`GuideEngine`."""
        return self._get().recommend(text, customer_id=customer_id, k=k)

    def product(self, product_id: int) -> ProductPick | None:
        """See :class:`GuideEngine`."""
        return self._get().product(product_id)

    def compare(self, a: int, b: int, *, need: str) -> tuple[str, dict[str, Any]]:
        """See :class:`GuideEngine`."""
        return self._get().compare(a, b, need=need)


def _real_guide(db: Database) -> GuideEngine | None:
    try:
        from lingxi.guide import ShoppingGuide
    except ImportError as err:  # the engine is being built in the same tree
        logger.warning("guide facade not importable, using the catalogue filter: %s", err)
        return None
    try:
        return FacadeGuide(db, ShoppingGuide.from_database(db))
    except LingxiError as err:
        logger.warning("guide engine unavailable, using the catalogue filter: %s", err)
        return None


def _real_home(db: Database, settings: Settings | None) -> HomeEngine | None:
    try:
        from lingxi.home import HomeController, create_driver
    except ImportError as err:
        logger.warning("home facade not importable: %s", err)
        return None
    driver = None
    if settings is not None and settings.mqtt.url:
        try:
            driver = create_driver("mqtt", settings=settings.mqtt)
        except LingxiError as err:
            logger.warning("MQTT driver unavailable, using the in-process devices: %s", err)
    home_settings = settings.home if settings is not None else None
    return FacadeHome(HomeController(db, settings=home_settings, driver=driver))


def _real_dispatch(db: Database, settings: Settings | None) -> DispatchEngine | None:
    try:
        from lingxi.dispatch import eta_for_shipment, plan_shipments  # noqa: F401
    except ImportError as err:
        logger.warning("dispatch facade not importable, using stored ETAs: %s", err)
        return None
    return FacadeDispatch(db, settings)


def default_engines(
    db: Database,
    settings: Settings | None = None,
    *,
    real: bool = True,
    home_controller: Any | None = None,
) -> Engines:
    """The engines' public facades where available (``real``), else the data-layer fallbacks.

    Pass ``home_controller`` to share the app's one :class:`lingxi.home.HomeController` (one
    set of device states) instead of building another.
    """
    guide: GuideEngine = LazyGuide(db) if real else CatalogueGuide(db)
    home: HomeEngine | None = None
    if home_controller is not None:
        home = FacadeHome(home_controller)
    elif real:
        home = _real_home(db, settings)
    dispatch = _real_dispatch(db, settings) if real else None
    notes = [
        "guide: ShoppingGuide (built on first use)" if real else "guide: catalogue filter",
        "dispatch: plan_shipments" if dispatch else "dispatch: stored ETA",
        "home: HomeController" if home else "home: not available",
    ]
    return Engines(guide=guide, dispatch=dispatch or StoredEtaDispatch(db), home=home, notes=notes)
