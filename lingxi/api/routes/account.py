"""`/api/account`: the signed-in member's consents, stored profile, export and erasure."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from lingxi.api.deps import CurrentMember, DatabaseDep
from lingxi.data.repos import identity

__all__ = ["router"]

router = APIRouter(prefix="/api/account", tags=["account"])

Purpose = Literal["profile", "personalisation", "automation", "marketing"]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]


class ConsentChange(BaseModel):
    """Grant or revoke one purpose."""

    purpose: Purpose
    granted: bool


class ProfileUpdate(BaseModel):
    """Fields to change in the stored profile; omitted fields stay as they are."""

    skin_types: list[Literal["combination", "dry", "normal", "oily", "sensitive"]] | None = None
    concerns: Annotated[list[ShortText], Field(max_length=20)] | None = None
    brands: Annotated[list[ShortText], Field(max_length=20)] | None = None
    avoid_ingredients: Annotated[list[ShortText], Field(max_length=50)] | None = None
    include_ingredients: Annotated[list[ShortText], Field(max_length=50)] | None = None
    max_price_minor: Annotated[int, Field(ge=0, le=100_000_000)] | None = None


@router.get("/consents")
def consents(member: CurrentMember, db: DatabaseDep) -> dict[str, Any]:
    """Every consent with when it was granted and revoked."""
    with db.session() as session:
        data = identity.list_consents(session, customer_id=member.customer_id)
    return {"data": data, "count": len(data)}


@router.post("/consents")
def change_consent(body: ConsentChange, member: CurrentMember, db: DatabaseDep) -> dict[str, Any]:
    """Grant or revoke a purpose; revoking `profile` erases skin type and concerns at once."""
    with db.session() as session:
        if body.granted:
            identity.grant_consent(session, customer_id=member.customer_id, purpose=body.purpose)
        else:
            identity.revoke_consent(session, customer_id=member.customer_id, purpose=body.purpose)
        data = identity.list_consents(session, customer_id=member.customer_id)
    return {"data": data, "count": len(data)}


@router.get("/profile")
def profile(member: CurrentMember, db: DatabaseDep) -> dict[str, Any]:
    """The stored preference profile."""
    with db.session() as session:
        return identity.get_profile(session, customer_id=member.customer_id).to_dict()


@router.patch("/profile")
def update_profile(body: ProfileUpdate, member: CurrentMember, db: DatabaseDep) -> dict[str, Any]:
    """Change the profile; skin type and concerns are kept only under a `profile` consent."""
    changes = body.model_dump(exclude_unset=True)
    with db.session() as session:
        view = identity.update_profile(session, customer_id=member.customer_id, **changes)
        consented = identity.has_consent(session, customer_id=member.customer_id, purpose="profile")
    result = view.to_dict()
    dropped = [f for f in identity.SENSITIVE_FIELDS if f in changes and not consented]
    result["not_stored"] = dropped
    return result


@router.delete("/profile", status_code=204)
def delete_profile(member: CurrentMember, db: DatabaseDep) -> None:
    """Erase the whole stored profile."""
    with db.session() as session:
        identity.delete_profile(session, customer_id=member.customer_id)


@router.get("/export")
def export(member: CurrentMember, db: DatabaseDep) -> dict[str, Any]:
    """Everything stored about the signed-in member's identity and preferences."""
    with db.session() as session:
        return identity.export_customer(session, customer_id=member.customer_id)
