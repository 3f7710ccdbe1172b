"""`/api/health`: each part up, down or not configured. No sign-in needed."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from lingxi import extras
from lingxi.api.deps import DatabaseDep, SettingsDep
from lingxi.api.schemas_web import HealthPublic, PartPublic, PartsPublic
from lingxi.status import check_parts

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["health"])


class MQTTWorkerPublic(BaseModel):
    """The server's MQTT worker as it really is (not just whether the broker's port answers)."""

    role: str = Field(description="bridge (lingxi serve) or client.")
    connected: bool
    thread_alive: bool = Field(description="paho's network thread is running.")
    last_message_age_s: float | None = Field(
        description="Seconds since the last message from the broker; null: none yet."
    )
    dropped_states: int = Field(description="Malformed device states dropped since start.")
    network_thread_errors: int = Field(description="Errors caught in the network thread.")


class BrokerPartPublic(PartPublic):
    """The broker, with the MQTT worker's state once the server has one."""

    worker: MQTTWorkerPublic | None = None


class HealthPartsPublic(PartsPublic):
    """Each part by name."""

    broker: BrokerPartPublic


class FeaturePublic(BaseModel):
    """An optional extra: installed or not, and how to install it."""

    available: bool
    feature: str
    install: str = Field(
        description="e.g. pip install 'lingxi[voice]' (or make install EXTRAS=voice)."
    )


class HealthReportPublic(HealthPublic):
    """``ok`` while the database is up (the broker and the LLM are optional)."""

    parts: HealthPartsPublic
    features: dict[str, FeaturePublic] = Field(
        description="The optional extras (voice, vision, scale); a missing one's routes answer "
        "503 extra_not_installed."
    )


def _mqtt_worker(request: Request) -> dict[str, Any] | None:
    """The app's MQTT driver health, if the home controller was built over MQTT (no build here)."""
    controller = request.app.state.services.get("home_controller")
    health = getattr(getattr(controller, "driver", None), "health", None)
    if not callable(health):
        return None
    report: dict[str, Any] = health()
    return report


@router.get("/health", response_model=HealthReportPublic)
async def health(request: Request, settings: SettingsDep, db: DatabaseDep) -> dict[str, Any]:
    """Report the database, the device broker (and the MQTT worker) and the LLM server."""
    worker = _mqtt_worker(request)
    report = await asyncio.to_thread(check_parts, settings, db, mqtt_worker=worker)
    return {**report, "features": extras.report()}
