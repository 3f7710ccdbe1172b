"""Typed dependencies: settings, database and the signed-in member."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.repos.identity import Member, resolve_token
from lingxi.errors import UnauthorizedError

__all__ = [
    "SESSION_COOKIE",
    "CurrentMember",
    "DatabaseDep",
    "SettingsDep",
    "current_member",
    "get_db",
    "get_settings",
    "service",
]

SESSION_COOKIE = "lingxi_session"

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


def current_member(
    request: Request,
    db: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Member:
    """The signed-in member, from a bearer token or the session cookie; 401 otherwise."""
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    if not token:
        raise UnauthorizedError("Sign in first: no bearer token or session cookie was sent.")
    with db.session() as session:
        return resolve_token(session, token=token)


CurrentMember = Annotated[Member, Depends(current_member)]


_build_lock = threading.RLock()  # re-entrant: a factory may build another service


def service(request: Request, name: str, factory: Any) -> Any:
    """A per-app singleton built on first use by ``factory(app.state)`` (engines, indexes).

    Built once even when the first requests arrive together (sync routes run in a thread
    pool): two concurrent guide builds both stored the catalogue embeddings and one failed
    with a unique violation on PostgreSQL (found by ``bench_load``'s warm-up).
    """
    services: dict[str, Any] = request.app.state.services
    if name not in services:
        with _build_lock:
            if name not in services:
                services[name] = factory(request.app.state)
    return services[name]
