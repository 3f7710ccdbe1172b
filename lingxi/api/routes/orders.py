"""`/api/orders`: the household's orders, shipments (deliveries and return pickups) and tracking
events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from lingxi.api.deps import CurrentMember, DatabaseDep
from lingxi.data.repos import orders
from lingxi.errors import ForbiddenError

__all__ = ["router"]

router = APIRouter(prefix="/api/orders", tags=["orders"])

OrderIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Order id")]


class LineCreate(BaseModel):
    """A product and a quantity."""

    product_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    quantity: Annotated[int, Field(ge=1, le=orders.MAX_QUANTITY)] = 1


class OrderCreate(BaseModel):
    """A new order for the signed-in member; it stays pending until confirmed."""

    lines: Annotated[list[LineCreate], Field(min_length=1, max_length=orders.MAX_LINES)]
    address_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None


class ReturnLineRequest(BaseModel):
    """An order line (its ``id`` in the order view) and how many units to send back."""

    line_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    quantity: Annotated[int, Field(ge=1, le=orders.MAX_QUANTITY)] | None = None
    """``null``: every unit of the line not yet in a return."""


class ReturnCreate(BaseModel):
    """A return of some or all of a delivered order's items; ``items`` null means all."""

    items: (
        Annotated[list[ReturnLineRequest], Field(min_length=1, max_length=orders.MAX_LINES)] | None
    ) = None
    reason: Annotated[str, Field(max_length=orders.MAX_REASON_CHARS)] = ""


@router.get("")
def list_orders(member: CurrentMember, db: DatabaseDep) -> dict[str, Any]:
    """The household's orders, newest first."""
    with db.session() as session:
        data = [o.to_dict() for o in orders.list_orders(session, household_id=member.household_id)]
    return {"data": data, "count": len(data)}


@router.post("", status_code=201)
def create_order(body: OrderCreate, member: CurrentMember, db: DatabaseDep) -> dict[str, Any]:
    """Create a pending order (prices are snapshotted now)."""
    if member.role == "child":
        raise ForbiddenError("A child member cannot place orders.", field="role")
    with db.session() as session:
        order = orders.create_order(
            session,
            household_id=member.household_id,
            customer_id=member.customer_id,
            lines=[orders.LineRequest(line.product_id, line.quantity) for line in body.lines],
            address_id=body.address_id,
        )
    return order.to_dict()


@router.get("/{order_id}")
def get_order(order_id: OrderIdPath, member: CurrentMember, db: DatabaseDep) -> dict[str, Any]:
    """One order with its lines, shipments and tracking events."""
    with db.session() as session:
        return orders.get_order(
            session, household_id=member.household_id, order_id=order_id
        ).to_dict()


@router.post("/{order_id}/confirm")
def confirm_order(order_id: OrderIdPath, member: CurrentMember, db: DatabaseDep) -> dict[str, Any]:
    """Confirm (pay for) a pending order: creates its shipment."""
    if member.role == "child":
        raise ForbiddenError("A child member cannot confirm orders.", field="role")
    with db.session() as session:
        order = orders.confirm_order(session, household_id=member.household_id, order_id=order_id)
    return order.to_dict()


@router.post("/{order_id}/cancel")
def cancel_order(order_id: OrderIdPath, member: CurrentMember, db: DatabaseDep) -> dict[str, Any]:
    """Cancel an order that has not left the depot."""
    with db.session() as session:
        order = orders.cancel_order(session, household_id=member.household_id, order_id=order_id)
    return order.to_dict()


@router.post("/{order_id}/return", status_code=201)
def request_return(
    order_id: OrderIdPath, body: ReturnCreate, member: CurrentMember, db: DatabaseDep
) -> dict[str, Any]:
    """Request a return within 30 days of delivery: a pickup at the order's address.

    Returns the order, whose ``shipments`` now include the ``kind: "return"`` pickup (with its
    tracking number, refund and lines) and whose status is ``return_requested``.
    """
    if member.role == "child":
        raise ForbiddenError("A child member cannot return orders.", field="role")
    with db.session() as session:
        orders.request_return(
            session,
            household_id=member.household_id,
            order_id=order_id,
            items=(
                None
                if body.items is None
                else [orders.ReturnItem(i.line_id, i.quantity) for i in body.items]
            ),
            reason=body.reason,
        )
        return orders.get_order(
            session, household_id=member.household_id, order_id=order_id
        ).to_dict()
