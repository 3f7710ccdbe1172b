"""`/api/health`: each part up, down or not configured. No sign-in needed."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from lingxi.api.deps import DatabaseDep, SettingsDep
from lingxi.status import check_parts

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health")
async def health(settings: SettingsDep, db: DatabaseDep) -> dict[str, Any]:
    """Report the database, the device broker and the LLM server."""
    return await asyncio.to_thread(check_parts, settings, db)
