"""HTTP routes of the guide engine under `/api/guide`."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(prefix="/api/guide", tags=["guide"])
