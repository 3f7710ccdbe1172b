"""People: sign-up, invitations (create, list, accept) and password reset.

Sign-up, accepting an invitation and resetting a password need no session (the token or the
new account is the credential): like sign-in they are rate limited per client address and
get the origin check but no CSRF token (:data:`lingxi.api.middleware.SIGN_IN_PATHS`).
Creating invitations is for owners (into their household) and staff (staff, couriers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from lingxi import commerce
from lingxi.api.deps import CurrentMember, DatabaseDep, SettingsDep
from lingxi.api.ratelimit import RATE_LIMITED, limit_account
from lingxi.api.routes.auth import TokenPublic, _signed_in
from lingxi.errors import ForbiddenError

__all__ = ["router"]

router = APIRouter(tags=["people"])

Email = Annotated[str, Field(min_length=3, max_length=320)]
Password = Annotated[str, Field(min_length=8, max_length=256)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Token = Annotated[str, Field(min_length=16, max_length=200)]


class SignUpBody(BaseModel):
    """A new account: it gets a household of its own, with the person as its owner."""

    email: Email
    password: Password
    display_name: Name
    household_name: Annotated[str, Field(max_length=200)] | None = None


class AcceptedPublic(BaseModel):
    """The same answer whether or not the e-mail already had an account."""

    status: Literal["accepted"] = "accepted"
    message: str = "If this e-mail can be used, the account is ready: sign in with it."


class InviteBody(BaseModel):
    """Whom to invite and as what (owners: adult or child; staff: staff or courier)."""

    email: Email
    role: Literal["adult", "child", "staff", "courier"]


class InvitationPublic(BaseModel):
    """An invitation; ``link`` and ``token`` are shown once, when it is made."""

    email: str
    household_id: int
    role: str
    expires_at: datetime
    link: str | None = None
    token: str | None = None


class InvitationsPublic(BaseModel):
    """The household's open invitations (without their links)."""

    data: list[InvitationPublic]
    count: int


class AcceptBody(BaseModel):
    """The invitation's token, and the name and password the invitee chooses."""

    token: Token
    display_name: Name
    password: Password


class ResetBody(BaseModel):
    """A password-reset token and the new password."""

    token: Token
    password: Password


class ResetPublic(BaseModel):
    """The password is changed; every earlier session of the account is signed out."""

    status: Literal["password_changed"] = "password_changed"
    signed_out: int
    """How many sessions and tokens were signed out."""


class SignUpOptionsPublic(BaseModel):
    """Whether this deployment lets people create accounts themselves."""

    open: bool


@router.get("/api/auth/signup")
def sign_up_options(settings: SettingsDep) -> SignUpOptionsPublic:
    """Whether sign-up is open (the sign-in page shows its link only then)."""
    return SignUpOptionsPublic(open=settings.signup_open)


@router.post(
    "/api/auth/signup",
    status_code=202,
    dependencies=[Depends(limit_account)],
    responses=RATE_LIMITED,
)
def sign_up(body: SignUpBody, db: DatabaseDep, settings: SettingsDep) -> AcceptedPublic:
    """Create an account with a household of its own, where the deployment allows sign-up.

    The answer is the same whether or not the e-mail already has an account; then sign in.
    """
    if not settings.signup_open:
        raise ForbiddenError(
            "Sign-up is turned off on this deployment (LINGXI_AUTH__SIGNUP=false); ask for an "
            "invitation."
        )
    commerce.sign_up(
        db, body.email, body.password, body.display_name, household_name=body.household_name
    )
    return AcceptedPublic()


@router.post(
    "/api/auth/accept-invite", dependencies=[Depends(limit_account)], responses=RATE_LIMITED
)
def accept_invite(
    body: AcceptBody, response: Response, db: DatabaseDep, settings: SettingsDep
) -> TokenPublic:
    """Join the inviting household with a name and a password, and sign in (the link works once)."""
    done = commerce.accept_invitation(
        db, body.token, body.display_name, body.password, ttl_s=settings.auth.session_ttl_s
    )
    return _signed_in(response, settings, done.member, done.token)


@router.post("/api/auth/reset", dependencies=[Depends(limit_account)], responses=RATE_LIMITED)
def reset_password(body: ResetBody, db: DatabaseDep) -> ResetPublic:
    """Set a new password with a one-time reset token (from ``lingxi user reset-password``).

    The token works once, even under concurrent use; every session of the account ends.
    """
    return ResetPublic(signed_out=commerce.reset_password(db, body.token, body.password))


@router.post("/api/invitations", status_code=201)
def create_invitation(
    body: InviteBody, member: CurrentMember, db: DatabaseDep, settings: SettingsDep
) -> InvitationPublic:
    """Invite a person: owners into their household (adult, child), staff into the
    deployment (staff, courier). Returns the one-time link, shown only now."""
    made = commerce.invite(
        db,
        member,
        body.email,
        body.role,
        ttl_s=settings.auth.invite_ttl_s,
        public_url=settings.public_url,
    )
    return InvitationPublic(
        email=made.email,
        household_id=made.household_id,
        role=made.role,
        expires_at=made.expires_at,
        link=made.link,
        token=made.token,
    )


@router.get("/api/invitations")
def list_invitations(member: CurrentMember, db: DatabaseDep) -> InvitationsPublic:
    """The open invitations of the caller's household (owners and staff)."""
    data = [
        InvitationPublic(
            email=i.email, household_id=i.household_id, role=i.role, expires_at=i.expires_at
        )
        for i in commerce.list_invitations(db, member)
    ]
    return InvitationsPublic(data=data, count=len(data))
