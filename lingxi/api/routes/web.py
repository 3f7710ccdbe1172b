"""`/api/web`: small page-only endpoints the web app needs and no engine owns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lingxi.api.deps import SESSION_COOKIE, DatabaseDep
from lingxi.data.repos import identity
from lingxi.errors import UnauthorizedError

__all__ = ["router"]

router = APIRouter(prefix="/api/web", tags=["web"])

_bearer = HTTPBearer(auto_error=False)


@router.get("/session")
def session_state(
    request: Request,
    db: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> dict[str, Any]:
    """Who is signed in, or ``{"signed_in": false}``: 200 either way, so a page load logs no 401."""
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    if not token:
        return {"signed_in": False, "member": None}
    try:
        with db.session() as session:
            member = identity.resolve_token(session, token=token)
    except UnauthorizedError:
        return {"signed_in": False, "member": None}
    return {
        "signed_in": True,
        "member": {
            "customer_id": member.customer_id,
            "household_id": member.household_id,
            "display_name": member.display_name,
            "email": member.email,
            "role": member.role,
            "locale": member.locale,
        },
    }
