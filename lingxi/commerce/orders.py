"""Orders: place, pay, cancel, list and look up, with the same rules for chat and API.

Every state change is one conditional update (see :func:`lingxi.data.repos.orders.transition`),
so any number of concurrent confirms make one shipment, and a confirm racing a cancel ends in
one consistent state. Roles come from :mod:`lingxi.policy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lingxi.commerce._common import DeliveryPlanner, plan_quietly
from lingxi.data import Database
from lingxi.data.repos import catalog, identity, orders as repo
from lingxi.data.repos.identity import Member
from lingxi.data.repos.orders import LineRequest, OrderView, ShipmentView
from lingxi.errors import ConflictError, InvalidInputError, NotFoundError
from lingxi.policy import Act, check

__all__ = [
    "OrderProposal",
    "PlacedOrder",
    "cancel_order",
    "confirm_order",
    "create_order",
    "get_order",
    "list_orders",
    "live_orders",
    "place_order",
    "propose_order",
]


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """A paid order, its delivery and the ETA the plan gave it (None: not planned yet)."""

    order: OrderView
    shipment: ShipmentView
    eta: datetime | None


@dataclass(frozen=True, slots=True)
class OrderProposal:
    """What a "yes" would buy: lines, the total now, and where it goes."""

    lines: tuple[LineRequest, ...]
    total_minor: int
    currency: str
    address_id: int
    address: str
    """``line1, city`` of the delivery address."""


def list_orders(db: Database, member: Member, *, own_only: bool = False) -> list[OrderView]:
    """The household's orders, newest first (``own_only``: the member's own)."""
    with db.session() as session:
        return repo.list_orders(
            session,
            household_id=member.household_id,
            customer_id=member.customer_id if own_only else None,
        )


def get_order(db: Database, member: Member, order_id: int) -> OrderView:
    """One order of the member's household (another household's is "not found")."""
    with db.session() as session:
        return repo.get_order(session, household_id=member.household_id, order_id=order_id)


def live_orders(db: Database, member: Member) -> list[OrderView]:
    """Orders on their way, the nearest to the door first (shipped, then confirmed).

    The member's own first; the household's when the member has none.
    """
    every = list_orders(db, member)
    mine = [o for o in every if o.customer_id == member.customer_id] or every
    return [o for o in mine if o.status == "shipped"] + [o for o in mine if o.status == "confirmed"]


def create_order(
    db: Database, member: Member, lines: list[LineRequest], *, address_id: int | None = None
) -> OrderView:
    """A pending order for the member (prices snapshotted now); it ships once confirmed."""
    check(Act.PLACE_ORDER, member.role)
    with db.session() as session:
        return repo.create_order(
            session,
            household_id=member.household_id,
            customer_id=member.customer_id,
            lines=lines,
            address_id=address_id,
        )


def confirm_order(
    db: Database, member: Member, order_id: int, *, planner: DeliveryPlanner | None = None
) -> PlacedOrder:
    """Pay for a pending order, exactly once, and plan its delivery.

    The request itself is the person's "yes" (the API's two steps: create, then confirm).

    Raises
    ------
    ForbiddenError
        The member's role may not pay (a child).
    ConflictError
        The order is not pending (already confirmed, or cancelled).
    """
    check(Act.PAY, member.role, confirmed=True)
    with db.session() as session:
        order = repo.confirm_order(session, household_id=member.household_id, order_id=order_id)
    shipment = order.deliveries[-1]
    eta = plan_quietly(planner, shipment.id)
    if eta is not None:
        order = get_order(db, member, order_id)
    return PlacedOrder(order, shipment, eta)


def propose_order(
    db: Database, member: Member, lines: list[LineRequest], *, address_id: int | None = None
) -> OrderProposal:
    """What :func:`place_order` would create, without writing anything.

    Raises
    ------
    ForbiddenError
        The member's role may not order.
    NotFoundError
        A product, or the address, does not exist.
    ConflictError
        The member has no delivery address.
    """
    check(Act.PLACE_ORDER, member.role)  # the refusal POST /api/orders gives, word for word
    check(Act.PAY, member.role)
    if not lines:
        raise InvalidInputError.for_field("lines", "a non-empty list", lines)
    with db.session() as session:
        addresses = identity.list_addresses(session, customer_id=member.customer_id)
        total, currency = 0, None
        for line in lines:
            product = catalog.get_product(session, product_id=line.product_id)
            total += product.price_minor * line.quantity
            currency = currency or product.currency
    if address_id is None and addresses:
        address_id = int(addresses[0]["id"])
    chosen = next((a for a in addresses if a["id"] == address_id), None)
    if chosen is None:
        if address_id is not None and addresses:
            raise NotFoundError(f"No address {address_id} for this customer.", field="address_id")
        raise ConflictError(
            "There is no delivery address on this account; add one first.", field="address_id"
        )
    return OrderProposal(
        tuple(lines),
        total,
        currency or "USD",
        int(chosen["id"]),
        f"{chosen['line1']}, {chosen['city']}",
    )


def place_order(
    db: Database,
    member: Member,
    proposal: OrderProposal,
    *,
    planner: DeliveryPlanner | None = None,
) -> PlacedOrder:
    """Create and pay for ``proposal`` in one transaction, after the person's "yes".

    Raises
    ------
    ConflictError
        A price changed since the proposal (the total differs): nothing is bought.
    """
    check(Act.PAY, member.role, confirmed=True)
    with db.session() as session:
        order = repo.create_order(
            session,
            household_id=member.household_id,
            customer_id=member.customer_id,
            lines=list(proposal.lines),
            address_id=proposal.address_id,
        )
        if order.total_minor != proposal.total_minor:
            raise ConflictError(
                f"The total changed from {proposal.total_minor / 100:.2f} to "
                f"{order.total_minor / 100:.2f} {order.currency}; please confirm again.",
                field="total_minor",
                value=order.total_minor,
            )
        order = repo.confirm_order(session, household_id=member.household_id, order_id=order.id)
    shipment = order.deliveries[-1]
    eta = plan_quietly(planner, shipment.id)
    return PlacedOrder(order, shipment, eta)


def cancel_order(db: Database, member: Member, order_id: int) -> OrderView:
    """Cancel, exactly once, an order that has not left the depot (after the person's "yes").

    Raises
    ------
    ForbiddenError
        The member's role may not cancel.
    ConflictError
        The order has left the depot, or was cancelled already.
    """
    check(Act.CANCEL_ORDER, member.role, confirmed=True)
    with db.session() as session:
        return repo.cancel_order(session, household_id=member.household_id, order_id=order_id)
