"""Typed dependencies: settings, database and the signed-in member."""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.repos.identity import Member, resolve_token
from lingxi.errors import ForbiddenError, UnauthorizedError

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "DEMO_DOMAIN",
    "SESSION_COOKIE",
    "CurrentMember",
    "DatabaseDep",
    "SettingsDep",
    "bearer_token",
    "csrf_token",
    "current_member",
    "get_db",
    "get_settings",
    "registry_service",
    "service",
]

SESSION_COOKIE = "lingxi_session"
CSRF_COOKIE = "lingxi_csrf"
"""A readable cookie holding the session's CSRF token, for the page's script to send back."""
CSRF_HEADER = "X-CSRF-Token"
DEMO_DOMAIN = "@demo.lingxi"
"""The demo accounts' e-mail domain: refused in production, whatever their password."""

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/auth/login.")


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Database:
    """The app's database."""
    db: Database = request.app.state.db
    return db


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_db)]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, read as :class:`HTTPBearer` reads
    it (so the CSRF check and sign-in agree on whether the cookie is what authenticates)."""
    scheme, token = get_authorization_scheme_param(authorization)
    return token if scheme.lower() == "bearer" and token else None


def csrf_token(settings: Settings, session_token: str) -> str:
    """The CSRF token of a session: an HMAC of its token under the app secret, so it needs no
    storage, dies with the session and cannot be derived from anything another site sees."""
    key = settings.auth.secret_key.get_secret_value().encode()
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def current_member(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Member:
    """The signed-in member, from a bearer token or the session cookie; 401 otherwise.

    Cookie-authenticated state changes passed the CSRF check in :mod:`lingxi.api.middleware`.
    """
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    if not token:
        raise UnauthorizedError("Sign in first: no bearer token or session cookie was sent.")
    with db.session() as session:
        member = resolve_token(session, token=token)
    if settings.environment == "production" and member.email.lower().endswith(DEMO_DOMAIN):
        raise ForbiddenError(
            "Demo accounts are refused in production; sign in with a real account.",
            field="email",
        )
    return member


CurrentMember = Annotated[Member, Depends(current_member)]


_build_lock = threading.RLock()  # re-entrant: a factory may build another service


def registry_service(state: Any, name: str, factory: Any) -> Any:
    """:func:`service` given the app's state instead of a request."""
    services: dict[str, Any] = state.services
    if name not in services:
        with _build_lock:
            if name not in services:
                services[name] = factory(state)
    return services[name]


def service(request: Request, name: str, factory: Any) -> Any:
    """A per-app singleton built on first use by ``factory(app.state)`` (engines, indexes).

    Built once even when the first requests arrive together (sync routes run in a thread
    pool): two concurrent guide builds both stored the catalogue embeddings and one failed
    with a unique violation on PostgreSQL (found by ``bench_load``'s warm-up).
    """
    return registry_service(request.app.state, name, factory)
