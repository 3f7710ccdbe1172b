"""HTTP routes of the assistant engine under `/api/assistant`."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(prefix="/api/assistant", tags=["assistant"])
