"""HTTP routes under `/api/orders`."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(prefix="/api/orders", tags=["orders"])
