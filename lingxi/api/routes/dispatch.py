"""HTTP routes of the dispatch engine under `/api/dispatch`."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(prefix="/api/dispatch", tags=["dispatch"])
