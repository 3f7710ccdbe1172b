"""HTTP routes of the home engine under `/api/home`."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(prefix="/api/home", tags=["home"])
