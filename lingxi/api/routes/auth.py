"""Sign-in: e-mail and password (argon2), session cookie for the web, bearer token for the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from lingxi.api.deps import SESSION_COOKIE, CurrentMember, DatabaseDep, SettingsDep
from lingxi.api.ratelimit import RATE_LIMITED, limit_login
from lingxi.data.repos import identity
from lingxi.errors import ForbiddenError, NotFoundError

__all__ = ["router"]

router = APIRouter(prefix="/api/auth", tags=["auth"])

DEMO_EMAIL = "mei@demo.lingxi"


class LoginBody(BaseModel):
    """E-mail and password."""

    email: Annotated[str, Field(min_length=3, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class TokenPublic(BaseModel):
    """A bearer token and who it signs in."""

    token: str
    token_type: str = "bearer"
    customer_id: int
    household_id: int
    display_name: str


def _signed_in(
    response: Response, settings: SettingsDep, member: identity.Member, token: str
) -> TokenPublic:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.auth.session_ttl_s,
        httponly=True,
        samesite="lax",
        secure=settings.environment == "production",
    )
    return TokenPublic(
        token=token,
        customer_id=member.customer_id,
        household_id=member.household_id,
        display_name=member.display_name,
    )


@router.post("/login", dependencies=[Depends(limit_login)], responses=RATE_LIMITED)
def login(
    body: LoginBody, response: Response, db: DatabaseDep, settings: SettingsDep
) -> TokenPublic:
    """Sign in with e-mail and password; sets the session cookie and returns a bearer token."""
    with db.session() as session:
        member = identity.authenticate(session, email=body.email, password=body.password)
        token = identity.issue_token(
            session, customer_id=member.customer_id, ttl_s=settings.auth.session_ttl_s
        )
    return _signed_in(response, settings, member, token)


@router.post("/demo-login")
def demo_login(
    response: Response, db: DatabaseDep, settings: SettingsDep, email: str = DEMO_EMAIL
) -> TokenPublic:
    """LOCAL DEMO ONLY: sign in as a demo member without a password (off in production)."""
    if not settings.auth.demo_login:
        raise ForbiddenError("The demo sign-in is turned off (LINGXI_AUTH__DEMO_LOGIN=false).")
    if not email.endswith("@demo.lingxi"):
        raise ForbiddenError("The demo sign-in only works for the demo accounts (*@demo.lingxi).")
    with db.session() as session:
        member = identity.find_customer_by_email(session, email=email)
        if member is None:
            raise NotFoundError(
                f"No demo account {email!r}: run `lingxi demo load` first.", field="email"
            )
        token = identity.issue_token(
            session, customer_id=member.customer_id, ttl_s=settings.auth.session_ttl_s
        )
    return _signed_in(response, settings, member, token)


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, db: DatabaseDep, member: CurrentMember) -> None:
    """Sign out the current session or token."""
    auth = request.headers.get("authorization", "")
    token = auth[7:] if auth.lower().startswith("bearer ") else request.cookies.get(SESSION_COOKIE)
    if token:
        with db.session() as session:
            identity.revoke_token(session, token=token)
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me")
def me(member: CurrentMember) -> dict[str, Any]:
    """Who is signed in."""
    return {
        "customer_id": member.customer_id,
        "household_id": member.household_id,
        "display_name": member.display_name,
        "email": member.email,
        "role": member.role,
        "locale": member.locale,
    }
