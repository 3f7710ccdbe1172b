"""Sign-in: e-mail and password (argon2), session cookie for the web, bearer token for the API.

The session cookie is HttpOnly and SameSite=Strict; beside it a readable ``lingxi_csrf`` cookie
(and ``csrf_token`` in the answer) carries the token the page sends back as ``X-CSRF-Token`` on
every state change (checked in :mod:`lingxi.api.middleware`). Every sign-in route is rate
limited per client address.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from lingxi import commerce
from lingxi.api.deps import (
    CSRF_COOKIE,
    DEMO_DOMAIN,
    SESSION_COOKIE,
    CurrentMember,
    DatabaseDep,
    SettingsDep,
    csrf_token,
)
from lingxi.api.ratelimit import RATE_LIMITED, limit_demo_login, limit_login
from lingxi.config import Settings
from lingxi.errors import ForbiddenError

__all__ = ["router"]

router = APIRouter(prefix="/api/auth", tags=["auth"])

DEMO_EMAIL = "mei" + DEMO_DOMAIN


class LoginBody(BaseModel):
    """E-mail and password."""

    email: Annotated[str, Field(min_length=3, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class TokenPublic(BaseModel):
    """A bearer token and who it signs in."""

    token: str
    token_type: str = "bearer"
    csrf_token: str
    """Send it back as ``X-CSRF-Token`` on state changes made with the session cookie."""
    customer_id: int
    household_id: int
    display_name: str


class MePublic(BaseModel):
    """Who is signed in."""

    customer_id: int
    household_id: int
    display_name: str
    email: str
    role: str
    locale: str


def _refuse_demo_in_production(settings: Settings, email: str) -> None:
    # The demo passwords are published: in production those accounts never sign in.
    if settings.environment == "production" and email.strip().lower().endswith(DEMO_DOMAIN):
        raise ForbiddenError(
            f"Demo accounts (*{DEMO_DOMAIN}) are refused in production.", field="email"
        )


def _signed_in(
    response: Response, settings: SettingsDep, member: commerce.Member, token: str
) -> TokenPublic:
    secure = settings.environment == "production"
    ttl = settings.auth.session_ttl_s
    # Strict: no other site, not even a sibling port or subdomain, makes the browser send it.
    response.set_cookie(
        SESSION_COOKIE, token, max_age=ttl, httponly=True, samesite="strict", secure=secure
    )
    csrf = csrf_token(settings, token)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=ttl, samesite="strict", secure=secure)
    return TokenPublic(
        token=token,
        csrf_token=csrf,
        customer_id=member.customer_id,
        household_id=member.household_id,
        display_name=member.display_name,
    )


@router.post("/login", dependencies=[Depends(limit_login)], responses=RATE_LIMITED)
def login(
    body: LoginBody, response: Response, db: DatabaseDep, settings: SettingsDep
) -> TokenPublic:
    """Sign in with e-mail and password; sets the session cookie and returns a bearer token."""
    _refuse_demo_in_production(settings, body.email)
    done = commerce.sign_in(db, body.email, body.password, ttl_s=settings.auth.session_ttl_s)
    return _signed_in(response, settings, done.member, done.token)


@router.post("/demo-login", dependencies=[Depends(limit_demo_login)], responses=RATE_LIMITED)
def demo_login(
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
    email: Annotated[str, Query(min_length=3, max_length=320)] = DEMO_EMAIL,
) -> TokenPublic:
    """LOCAL DEMO ONLY: sign in as a demo member without a password (off in production)."""
    if not settings.auth.demo_login:
        raise ForbiddenError("The demo sign-in is turned off (LINGXI_AUTH__DEMO_LOGIN=false).")
    _refuse_demo_in_production(settings, email)
    if not email.endswith(DEMO_DOMAIN):
        raise ForbiddenError(
            f"The demo sign-in only works for the demo accounts (*{DEMO_DOMAIN}).", field="email"
        )
    done = commerce.sign_in_without_password(db, email, ttl_s=settings.auth.session_ttl_s)
    return _signed_in(response, settings, done.member, done.token)


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, db: DatabaseDep, member: CurrentMember) -> None:
    """Sign out the current session or token."""
    auth = request.headers.get("authorization", "")
    token = auth[7:] if auth.lower().startswith("bearer ") else request.cookies.get(SESSION_COOKIE)
    if token:
        commerce.sign_out(db, token)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


@router.get("/me")
def me(member: CurrentMember) -> MePublic:
    """Who is signed in."""
    return MePublic(
        customer_id=member.customer_id,
        household_id=member.household_id,
        display_name=member.display_name,
        email=member.email,
        role=member.role,
        locale=member.locale,
    )
