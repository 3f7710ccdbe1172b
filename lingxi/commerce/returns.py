"""Returns: what can go back, a preview that writes nothing, and the booking after the "yes".

The rules live here once: only a delivered order, within :data:`RETURN_WINDOW_DAYS` of
delivery, only units not already on their way back, quantities within what is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lingxi.commerce._common import DeliveryPlanner, plan_quietly
from lingxi.commerce.orders import get_order
from lingxi.data import Database, utcnow
from lingxi.data.repos import identity, orders as repo
from lingxi.data.repos.identity import Member
from lingxi.data.repos.orders import (
    MAX_REASON_CHARS,
    RETURN_WINDOW_DAYS,
    OrderView,
    ReturnItem,
    ShipmentView,
)
from lingxi.errors import ConflictError, InvalidInputError, NotFoundError
from lingxi.policy import Act, check

__all__ = [
    "RETURN_WINDOW_DAYS",
    "BookedReturn",
    "ReturnLinePlan",
    "ReturnPreview",
    "preview_return",
    "request_return",
    "returnable_orders",
]


@dataclass(frozen=True, slots=True)
class ReturnLinePlan:
    """One order line in a return: how many units and their refund."""

    line_id: int
    sku: str
    name: str
    quantity: int
    refund_minor: int


@dataclass(frozen=True, slots=True)
class ReturnPreview:
    """Exactly what a "yes" would book: lines, refund and the pickup address."""

    order_id: int
    lines: tuple[ReturnLinePlan, ...]
    refund_minor: int
    currency: str
    pickup_address: str
    """``line1, city`` of the order's address ("" when it has none)."""
    reason: str

    @property
    def items(self) -> list[ReturnItem]:
        """The lines as :class:`ReturnItem` (what to hand to :func:`request_return`)."""
        return [ReturnItem(line.line_id, line.quantity) for line in self.lines]


@dataclass(frozen=True, slots=True)
class BookedReturn:
    """A booked return pickup, its order afterwards and the pickup's ETA (None: not planned)."""

    order: OrderView
    shipment: ShipmentView
    eta: datetime | None


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _plan(
    order: OrderView, items: list[ReturnItem] | None, now: datetime
) -> tuple[ReturnLinePlan, ...]:
    """Apply the return rules to ``order`` as it is now; raises what forbids the return."""
    status = order.status
    if status == "cancelled":
        raise ConflictError(
            f"Order {order.id} was cancelled; there is nothing to return.",
            field="status",
            value=status,
            rule="return_cancelled",
            order_id=order.id,
        )
    if status == "returned":
        raise ConflictError(
            f"Order {order.id} has already been returned.",
            field="status",
            value=status,
            rule="return_already_returned",
            order_id=order.id,
        )
    if status not in ("delivered", "return_requested"):
        raise ConflictError(
            f"Order {order.id} is {status}; only a delivered order can be returned.",
            field="status",
            value=status,
            rule="return_not_delivered",
            order_id=order.id,
        )
    # Without a delivered event (imported history) the window counts from the order date.
    delivered_at = order.delivered_at or order.created_at
    until = _aware(delivered_at) + timedelta(days=RETURN_WINDOW_DAYS)
    if _aware(now) > until:
        raise ConflictError(
            f"Order {order.id} was delivered on {delivered_at.date().isoformat()}; returns "
            f"are accepted within {RETURN_WINDOW_DAYS} days of delivery "
            f"(until {until.date().isoformat()}).",
            field="delivered_at",
            value=delivered_at.isoformat(),
            rule="return_window_closed",
            order_id=order.id,
            days=RETURN_WINDOW_DAYS,
        )
    lines = {int(line["id"]): line for line in order.lines}
    left = {i: int(li["quantity"]) - int(li["returned_quantity"]) for i, li in lines.items()}
    wanted: dict[int, int] = {}
    if items is None:
        wanted = {i: n for i, n in left.items() if n > 0}
        if not wanted:
            raise ConflictError(
                f"Every item of order {order.id} is already being returned.",
                field="items",
                value=None,
                rule="return_all_in_progress",
                order_id=order.id,
            )
    else:
        if not items:
            raise InvalidInputError.for_field("items", "a non-empty list or null (all)", items)
        for item in items:
            if item.line_id not in lines:
                raise NotFoundError(
                    f"Order {order.id} has no line {item.line_id}.",
                    field="line_id",
                    value=item.line_id,
                )
            if item.line_id in wanted:
                raise InvalidInputError.for_field("line_id", "named once", item.line_id)
            if left[item.line_id] <= 0:
                raise ConflictError(
                    f"{lines[item.line_id]['name']} of order {order.id} is already being returned.",
                    field="line_id",
                    value=item.line_id,
                    rule="return_line_in_progress",
                    order_id=order.id,
                )
            quantity = left[item.line_id] if item.quantity is None else item.quantity
            if (
                not isinstance(quantity, int)
                or isinstance(quantity, bool)
                or not 1 <= quantity <= left[item.line_id]
            ):
                raise InvalidInputError.for_field(
                    "quantity", f"an integer from 1 to {left[item.line_id]}", item.quantity
                )
            wanted[item.line_id] = quantity
    return tuple(
        ReturnLinePlan(
            i,
            str(lines[i]["sku"]),
            str(lines[i]["name"]),
            q,
            int(lines[i]["unit_price_minor"]) * q,
        )
        for i, q in wanted.items()
    )


def _check_reason(reason: str) -> str:
    if not isinstance(reason, str) or len(reason) > MAX_REASON_CHARS:
        raise InvalidInputError.for_field(
            "reason", f"a text of at most {MAX_REASON_CHARS} characters", reason
        )
    return reason.strip()


def returnable_orders(db: Database, member: Member) -> list[OrderView]:
    """The member's orders (the household's when none) with units that can still go back."""
    with db.session() as session:
        every = repo.list_orders(session, household_id=member.household_id)
    mine = [o for o in every if o.customer_id == member.customer_id] or every
    return [o for o in mine if any(li["returnable_quantity"] for li in o.lines)]


def preview_return(
    db: Database,
    member: Member,
    order_id: int,
    items: list[ReturnItem] | None = None,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> ReturnPreview:
    """What :func:`request_return` would book, by the same rules, writing nothing.

    Raises
    ------
    ForbiddenError
        The member's role may not return orders.
    NotFoundError, ConflictError, InvalidInputError
        As :func:`request_return`.
    """
    check(Act.RETURN_ORDER, member.role)
    reason = _check_reason(reason)
    with db.session() as session:
        order = repo.get_order(session, household_id=member.household_id, order_id=order_id)
        addresses = identity.list_addresses(session, customer_id=order.customer_id)
    planned = _plan(order, items, now or utcnow())
    address = next((a for a in addresses if a["id"] == order.address_id), None)
    return ReturnPreview(
        order.id,
        planned,
        sum(line.refund_minor for line in planned),
        order.currency,
        f"{address['line1']}, {address['city']}" if address else "",
        reason,
    )


def request_return(
    db: Database,
    member: Member,
    order_id: int,
    items: list[ReturnItem] | None = None,
    *,
    reason: str = "",
    expected_refund_minor: int | None = None,
    planner: DeliveryPlanner | None = None,
    now: datetime | None = None,
) -> BookedReturn:
    """Book a return pickup at the order's address, after the person's "yes".

    The rules are checked again under the order's write lock, so two simultaneous requests
    cannot both book the same units. ``expected_refund_minor`` (from the preview the person
    agreed to) must still hold, else nothing is booked.

    Raises
    ------
    ForbiddenError
        The member's role may not return orders.
    NotFoundError
        No such order in this household, or a ``line_id`` not of this order.
    ConflictError
        Not delivered, the window is over, the units are already being returned, or the
        refund changed since the preview.
    InvalidInputError
        A quantity outside 1..(units left), a line named twice, or an over-long reason.
    """
    check(Act.RETURN_ORDER, member.role, confirmed=True)
    reason = _check_reason(reason)
    when = now or utcnow()
    with db.session() as session:
        repo.lock_order(session, order_id=order_id)
        order = repo.get_order(session, household_id=member.household_id, order_id=order_id)
        planned = _plan(order, items, when)
        refund = sum(line.refund_minor for line in planned)
        if expected_refund_minor is not None and refund != expected_refund_minor:
            raise ConflictError(
                f"The refund changed from {expected_refund_minor / 100:.2f} to "
                f"{refund / 100:.2f} {order.currency}; please ask again.",
                field="refund_minor",
                value=refund,
            )
        shipment = repo.insert_return(
            session,
            household_id=member.household_id,
            order_id=order_id,
            lines={line.line_id: line.quantity for line in planned},
            reason=reason,
            refund_minor=refund,
            requested_at=now,
        )
    eta = plan_quietly(planner, shipment.id)
    return BookedReturn(get_order(db, member, order_id), shipment, eta)
