"""`/api/orders`: the household's orders, shipments and tracking events."""

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
