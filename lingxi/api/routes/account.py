"""`/api/account`: the signed-in member's consents, stored profile, export and erasure.

The rules are :mod:`lingxi.commerce`'s, the same as in chat. A request here is the person's
own act in the web app (a toggle, a button), so it carries their confirmation.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from lingxi import commerce
from lingxi.api.deps import CurrentMember, DatabaseDep
from lingxi.api.routes.orders import OrderPublic

__all__ = ["router"]

router = APIRouter(prefix="/api/account", tags=["account"])

Purpose = Literal["profile", "personalisation", "automation", "marketing"]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
SkinType = Literal["combination", "dry", "normal", "oily", "sensitive"]


class ConsentChange(BaseModel):
    """Grant or revoke one purpose."""

    purpose: Purpose
    granted: StrictBool


class ProfileUpdate(BaseModel):
    """Fields to change in the stored profile; omitted fields stay as they are."""

    skin_types: list[SkinType] | None = None
    concerns: Annotated[list[ShortText], Field(max_length=20)] | None = None
    brands: Annotated[list[ShortText], Field(max_length=20)] | None = None
    avoid_ingredients: Annotated[list[ShortText], Field(max_length=50)] | None = None
    include_ingredients: Annotated[list[ShortText], Field(max_length=50)] | None = None
    max_price_minor: Annotated[StrictInt, Field(ge=0, le=100_000_000)] | None = None


class ConsentPublic(BaseModel):
    """One consent: its purpose, when it was granted and revoked."""

    purpose: str
    active: bool
    granted_at: str | None
    revoked_at: str | None


class ConsentsPublic(BaseModel):
    """Every consent, newest first."""

    data: list[ConsentPublic]
    count: int


class ProfilePublic(BaseModel):
    """The stored preference profile."""

    customer_id: int
    skin_types: list[str]
    concerns: list[str]
    brands: list[str]
    avoid_ingredients: list[str]
    include_ingredients: list[str]
    max_price_minor: int | None
    updated_at: str | None


class ProfileChangePublic(ProfilePublic):
    """The profile after a change."""

    not_stored: list[str]
    """Fields of the request that were not stored (skin type, concerns without consent)."""


class CustomerPublic(BaseModel):
    """Who the member is."""

    id: int
    email: str
    display_name: str
    household_id: int
    role: str
    locale: str


class ExportPublic(BaseModel):
    """Everything stored about the member (the same document chat's "export my data" gives)."""

    model_config = ConfigDict(extra="allow")
    customer: CustomerPublic
    addresses: list[dict[str, Any]]
    consents: list[ConsentPublic]
    profile: ProfilePublic
    orders: list[OrderPublic]


def _consents(rows: list[commerce.ConsentView]) -> ConsentsPublic:
    data = [
        ConsentPublic(
            purpose=c.purpose, active=c.active, granted_at=c.granted_at, revoked_at=c.revoked_at
        )
        for c in rows
    ]
    return ConsentsPublic(data=data, count=len(data))


@router.get("/consents")
def consents(member: CurrentMember, db: DatabaseDep) -> ConsentsPublic:
    """Every consent with when it was granted and revoked."""
    return _consents(commerce.list_consents(db, member))


@router.post("/consents")
def change_consent(body: ConsentChange, member: CurrentMember, db: DatabaseDep) -> ConsentsPublic:
    """Grant or revoke a purpose; revoking `profile` erases skin type and concerns at once."""
    return _consents(commerce.set_consent(db, member, body.purpose, body.granted, confirmed=True))


@router.get("/profile")
def profile(member: CurrentMember, db: DatabaseDep) -> ProfilePublic:
    """The stored preference profile."""
    return ProfilePublic.model_validate(commerce.get_profile(db, member).to_dict())


@router.patch("/profile")
def update_profile(
    body: ProfileUpdate, member: CurrentMember, db: DatabaseDep
) -> ProfileChangePublic:
    """Change the profile; skin type and concerns are kept only under a `profile` consent."""
    change = commerce.update_profile(db, member, **body.model_dump(exclude_unset=True))
    return ProfileChangePublic.model_validate(
        {**change.profile.to_dict(), "not_stored": list(change.not_stored)}
    )


@router.delete("/profile", status_code=204)
def delete_profile(member: CurrentMember, db: DatabaseDep) -> None:
    """Erase the whole stored profile."""
    commerce.forget(db, member, confirmed=True)


@router.get("/export")
def export(member: CurrentMember, db: DatabaseDep) -> ExportPublic:
    """Everything stored about the member: identity, addresses, consents, profile and orders."""
    return ExportPublic.model_validate(commerce.export_data(db, member))
