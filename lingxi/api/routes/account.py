"""HTTP routes under `/api/account`."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(prefix="/api/account", tags=["account"])
