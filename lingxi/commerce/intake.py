"""Order intake: orders from an operator's shop, by CSV import or by a signed webhook.

An incoming order names its customer (an e-mail, or a household whose owner orders), a
delivery address with its point, items by SKU and quantity, and a delivery window. It is
made by the same rules as an order from chat or the API (:mod:`lingxi.policy`: a child's
account cannot order; :func:`lingxi.data.repos.orders.create_order` and ``confirm_order``):
paid at the shop, so confirmed at once, with its delivery shipment and the
``order.confirmed`` outbox event the next plan picks up.

Each order is idempotent by its external id: claiming the id is the first write of the
order's transaction and the unique constraint decides, so a replayed webhook, a CSV
imported twice, or both at once, never make a second order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from lingxi.commerce._common import DeliveryPlanner, plan_quietly
from lingxi.data import Database
from lingxi.data.repos import identity, intake as repo, orders
from lingxi.data.repos.identity import Member
from lingxi.data.repos.orders import MAX_LINES, MAX_QUANTITY, LineRequest, OrderView
from lingxi.errors import InvalidInputError, LingxiError, NotFoundError, show_value
from lingxi.policy import Act, check

__all__ = [
    "MAX_EXTERNAL_ID_CHARS",
    "IncomingAddress",
    "IncomingLine",
    "IncomingOrder",
    "IntakeReport",
    "IntakeResult",
    "Problem",
    "check_orders",
    "import_orders",
    "keep_webhook_answer",
    "take_order",
    "webhook_answer",
]

MAX_EXTERNAL_ID_CHARS = 200
Source = Literal["csv", "webhook"]
Status = Literal["created", "duplicate", "would_create", "invalid"]


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a row (or a webhook body) is refused: where, which field, what value, which rule."""

    row: int | None
    """The file's row (the header is row 1); None for a webhook body."""
    field: str
    value: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"row": self.row, "field": self.field, "value": self.value, "message": self.message}

    @classmethod
    def from_error(cls, row: int | None, err: LingxiError) -> Problem:
        """The problem an error of the tree names (its ``field`` and ``value`` details)."""
        value = err.details.get("value", "")
        return cls(row, str(err.details.get("field", "")), str(value), err.message)


def _fail(name: str, rule: str, value: object) -> InvalidInputError:
    shown = value.isoformat() if isinstance(value, datetime) else value
    return InvalidInputError(
        f"The {name!r} field must be {rule}. Got {show_value(shown)} instead.",
        field=name,
        value=str(shown),
    )


@dataclass(frozen=True, slots=True)
class IncomingAddress:
    """Where the parcel goes, with its point (the shop geocoded it)."""

    line1: str
    city: str
    lat: float
    lon: float
    postcode: str = ""
    country: str = "MC"

    def __post_init__(self) -> None:
        for name in ("line1", "city"):
            value = getattr(self, name)
            if not value.strip() or len(value) > 300:
                raise _fail(name, "1 to 300 characters", value)
        if not -90 <= self.lat <= 90:
            raise _fail("lat", "a latitude from -90 to 90", self.lat)
        if not -180 <= self.lon <= 180:
            raise _fail("lon", "a longitude from -180 to 180", self.lon)
        if len(self.country) != 2:
            raise _fail("country", "a two-letter country code", self.country)


@dataclass(frozen=True, slots=True)
class IncomingLine:
    """A SKU of the catalogue and how many."""

    sku: str
    quantity: int = 1

    def __post_init__(self) -> None:
        if not self.sku.strip() or len(self.sku) > 64:
            raise _fail("sku", "1 to 64 characters", self.sku)
        if isinstance(self.quantity, bool) or not 1 <= self.quantity <= MAX_QUANTITY:
            raise _fail("qty", f"an integer from 1 to {MAX_QUANTITY}", self.quantity)


@dataclass(frozen=True, slots=True)
class IncomingOrder:
    """An order from outside, validated on construction (the error names field and value)."""

    external_id: str
    """The order's id in the shop: one Lingxi order per external id, ever."""
    lines: tuple[IncomingLine, ...]
    address: IncomingAddress
    customer_email: str | None = None
    household_id: int | None = None
    """Instead of an e-mail: the household whose owner (else first adult) orders."""
    customer_name: str = ""
    """The display name of a customer created for an unknown e-mail."""
    window_start: datetime | None = None
    window_end: datetime | None = None
    row: int | None = None
    """Where it was read from (CSV row), for reports."""

    def __post_init__(self) -> None:
        if not self.external_id.strip() or len(self.external_id) > MAX_EXTERNAL_ID_CHARS:
            raise _fail("external_id", f"1 to {MAX_EXTERNAL_ID_CHARS} characters", self.external_id)
        if not self.lines or len(self.lines) > MAX_LINES:
            raise _fail("items", f"1 to {MAX_LINES} items", len(self.lines))
        if (self.customer_email is None) == (self.household_id is None):
            raise _fail(
                "customer_email",
                "a customer e-mail or a household id (exactly one of them)",
                self.customer_email or "",
            )
        if (self.window_start is None) != (self.window_end is None):
            name = "window_end" if self.window_end is None else "window_start"
            raise _fail(name, "set together with the other end of the window", "")
        for name in ("window_start", "window_end"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise _fail(name, "a time with its UTC offset", moment.isoformat())
        if self.window_start and self.window_end and self.window_end <= self.window_start:
            raise _fail(
                "window_end",
                f"after window_start ({self.window_start.isoformat()})",
                self.window_end,
            )


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """What became of one incoming order."""

    external_id: str
    status: Status
    """``created``; ``duplicate`` (imported before: ``order_id`` is that order);
    ``would_create`` (a dry run); ``invalid`` (see ``problems``)."""
    row: int | None = None
    order_id: int | None = None
    shipment_id: int | None = None
    customer_id: int | None = None
    problems: tuple[Problem, ...] = ()
    order: OrderView | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (without the order view)."""
        return {
            "external_id": self.external_id,
            "status": self.status,
            "row": self.row,
            "order_id": self.order_id,
            "shipment_id": self.shipment_id,
            "customer_id": self.customer_id,
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True, slots=True)
class IntakeReport:
    """The outcome of an import: one result per order read, and rows that could not be read."""

    results: tuple[IntakeResult, ...]
    unreadable: tuple[Problem, ...] = ()
    dry_run: bool = False
    refused: bool = False
    """True: there were invalid rows and no ``skip_invalid``, so nothing was imported."""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def problems(self) -> list[Problem]:
        """Every problem, in row order."""
        found = [*self.unreadable, *(p for r in self.results for p in r.problems)]
        return sorted(found, key=lambda p: (p.row or 0, p.field))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "dry_run": self.dry_run,
            "refused": self.refused,
            "counts": self.counts,
            "problems": [p.to_dict() for p in self.problems],
            "orders": [r.to_dict() for r in self.results],
        }


def _customer(
    session: Session, order: IncomingOrder, *, create: bool, write: bool
) -> Member | None:
    """The member who orders (created when allowed and ``write``; None in a dry run then)."""
    if order.household_id is not None:
        found = repo.customer_of_household(session, household_id=order.household_id)
        if found is None:
            raise InvalidInputError(
                f"No household {order.household_id} with an owner or adult to order for.",
                field="household_id",
                value=order.household_id,
            )
        return found
    email = (order.customer_email or "").strip().lower()
    found = repo.find_customer(session, email=email)
    if found is not None:
        return found
    if not create:
        raise InvalidInputError(
            f"No customer with the e-mail {email!r} (allow creating customers to add one, "
            "or invite them first).",
            field="customer_email",
            value=email,
        )
    if "@" not in email:
        raise _fail("customer_email", "an e-mail address", email)
    if not write:
        return None
    name = order.customer_name.strip() or email
    household_id = identity.create_household(session, name=f"{name}'s household")
    customer_id = identity.create_customer(
        session, household_id=household_id, email=email, display_name=name, role="owner"
    )
    return identity.get_member(session, customer_id=customer_id)


def _check(
    session: Session, order: IncomingOrder, *, create: bool, write: bool
) -> tuple[Member | None, dict[str, int]]:
    """The rules a valid order meets (the data it needs); the first broken one raises."""
    member = _customer(session, order, create=create, write=write)
    if member is not None:
        where = "customer_email" if order.customer_email is not None else "household_id"
        try:
            check(Act.PLACE_ORDER, member.role)
            check(Act.PAY, member.role, confirmed=True)
        except LingxiError as err:
            value = order.customer_email or str(order.household_id)
            raise InvalidInputError(err.message, field=where, value=value) from None
    skus = repo.product_ids(session, skus=[line.sku for line in order.lines])
    for line in order.lines:
        if line.sku not in skus:
            raise InvalidInputError(
                f"No product with the SKU {line.sku!r} in the catalogue.",
                field="items",
                value=line.sku,
            )
    return member, skus


def _problems(session: Session, order: IncomingOrder, *, create: bool) -> tuple[Problem, ...]:
    try:
        _check(session, order, create=create, write=False)
    except LingxiError as err:
        return (Problem.from_error(order.row, err),)
    return ()


def check_orders(
    db: Database, incoming: Sequence[IncomingOrder], *, create_customers: bool = False
) -> list[IntakeResult]:
    """What :func:`import_orders` would do with each order, writing nothing."""
    seen: dict[str, int | None] = {}
    with db.session() as session:
        done = repo.imported_orders(session, external_ids=[o.external_id for o in incoming])
        results = []
        for order in incoming:
            if order.external_id in seen:
                first = seen[order.external_id]
                problem = Problem(
                    order.row,
                    "external_id",
                    order.external_id,
                    f"The external id {order.external_id!r} is already on row {first}.",
                )
                results.append(
                    IntakeResult(order.external_id, "invalid", order.row, problems=(problem,))
                )
                continue
            seen[order.external_id] = order.row
            if order.external_id in done:
                results.append(
                    IntakeResult(order.external_id, "duplicate", order.row, done[order.external_id])
                )
                continue
            problems = _problems(session, order, create=create_customers)
            status: Status = "invalid" if problems else "would_create"
            results.append(IntakeResult(order.external_id, status, order.row, problems=problems))
    return results


def take_order(
    db: Database,
    order: IncomingOrder,
    *,
    source: Source,
    create_customers: bool = False,
    planner: DeliveryPlanner | None = None,
) -> IntakeResult:
    """Make (and confirm) the order, once per external id; a repeat returns the first order.

    Raises
    ------
    LingxiError
        The first rule the order breaks (unknown customer or SKU, a role that may not order),
        naming the field and the value; nothing is written then.
    """
    with db.session() as session:
        if repo.claim_external_id(session, external_id=order.external_id, source=source):
            member, skus = _check(session, order, create=create_customers, write=True)
            if member is None:  # only a dry run leaves it unresolved
                raise NotFoundError("No customer for this order.", field="customer_email")
            a = order.address
            address_id = repo.add_or_find_address(
                session,
                customer_id=member.customer_id,
                line1=a.line1.strip(),
                city=a.city.strip(),
                lat=a.lat,
                lon=a.lon,
                postcode=a.postcode.strip(),
                country=a.country.upper(),
            )
            lines = [LineRequest(skus[line.sku], line.quantity) for line in order.lines]
            created = orders.create_order(
                session,
                household_id=member.household_id,
                customer_id=member.customer_id,
                lines=lines,
                address_id=address_id,
            )
            view = orders.confirm_order(
                session, household_id=member.household_id, order_id=created.id
            )
            shipment = view.deliveries[-1]
            repo.set_window(
                session, shipment_id=shipment.id, start=order.window_start, end=order.window_end
            )
            repo.attach_order(session, external_id=order.external_id, order_id=view.id)
            view = orders.get_order(session, household_id=member.household_id, order_id=view.id)
            result = IntakeResult(
                order.external_id,
                "created",
                order.row,
                view.id,
                shipment.id,
                member.customer_id,
                order=view,
            )
        else:
            existing = repo.imported_order(session, external_id=order.external_id)
            view = orders.get_order(
                session, household_id=_household_of(session, existing), order_id=existing or 0
            )
            result = IntakeResult(
                order.external_id,
                "duplicate",
                order.row,
                view.id,
                view.deliveries[-1].id if view.deliveries else None,
                view.customer_id,
                order=view,
            )
    if result.status == "created" and result.shipment_id is not None:
        plan_quietly(planner, result.shipment_id)
    return result


def _household_of(session: Session, order_id: int | None) -> int:
    if order_id is None:
        raise NotFoundError("The order for this external id is missing.", field="external_id")
    return repo.household_of_order(session, order_id=order_id)


def import_orders(
    db: Database,
    incoming: Sequence[IncomingOrder],
    *,
    unreadable: Sequence[Problem] = (),
    dry_run: bool = False,
    skip_invalid: bool = False,
    create_customers: bool = False,
    progress: Callable[[IntakeResult], None] | None = None,
) -> IntakeReport:
    """Check every order, then make the valid new ones (each in its own transaction).

    With invalid orders (or ``unreadable`` rows) and no ``skip_invalid``, nothing is made:
    the report lists every problem. ``dry_run`` writes nothing and reports ``would_create``.
    Orders imported before are ``duplicate``: importing a file twice makes no second order.
    """
    checked = check_orders(db, incoming, create_customers=create_customers)
    bad = bool(unreadable) or any(r.status == "invalid" for r in checked)
    refused = bad and not skip_invalid
    if dry_run or refused:
        return IntakeReport(tuple(checked), tuple(unreadable), dry_run, refused, _count(checked))
    results: list[IntakeResult] = []
    for order, first in zip(incoming, checked, strict=True):
        if first.status != "would_create":
            results.append(first)
        else:
            try:
                results.append(
                    take_order(db, order, source="csv", create_customers=create_customers)
                )
            except LingxiError as err:  # changed since the check (a product removed)
                problem = Problem.from_error(order.row, err)
                results.append(
                    IntakeResult(order.external_id, "invalid", order.row, problems=(problem,))
                )
        if progress is not None:
            progress(results[-1])
    return IntakeReport(tuple(results), tuple(unreadable), False, False, _count(results))


def _count(results: Sequence[IntakeResult]) -> dict[str, int]:
    counts = {"created": 0, "duplicate": 0, "would_create": 0, "invalid": 0}
    for r in results:
        counts[r.status] += 1
    return counts


def webhook_answer(db: Database, event_id: str) -> repo.StoredEvent | None:
    """The answer first given to webhook event ``event_id`` (None: not seen yet)."""
    with db.session() as session:
        return repo.get_event(session, event_id=event_id)


def keep_webhook_answer(
    db: Database, event_id: str, *, body_sha256: str, status_code: int, response: str
) -> None:
    """Keep the answer to webhook event ``event_id`` for its replays (the first one wins)."""
    with db.session() as session:
        repo.record_event(
            session,
            event_id=event_id,
            body_sha256=body_sha256,
            status_code=status_code,
            response=response,
        )
