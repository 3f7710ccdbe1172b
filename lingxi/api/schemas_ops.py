"""HTTP models of the operator console (`/api/ops`, staff only): planning jobs, the history of
plans and the smart-home maker's device list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from lingxi.api.errors import ErrorDetail
from lingxi.api.schemas_dispatch import DayPlanPublic, TrafficResultPublic

__all__ = [
    "HouseholdDevicesPublic",
    "HouseholdsDevicesPublic",
    "JobPublic",
    "PlanHistoryPublic",
    "PlanRecordPublic",
    "UnassignedReasonPublic",
]


class JobPublic(BaseModel):
    """A day plan or a traffic re-plan running in the background."""

    id: int
    kind: Literal["plan", "traffic"]
    day: date = Field(description="The day the job plans (the one it holds while it runs).")
    status: Literal["queued", "running", "done", "failed"]
    stage: Literal["queued", "loading", "solving", "done", "failed"]
    progress: float = Field(ge=0, le=1, description="0 to 1; 1 once done or failed.")
    created_at: datetime
    finished_at: datetime | None
    created: bool = Field(
        default=False,
        description="In a POST's answer: true when this request started the job, false when "
        "the day's job of that kind was already under way and is the one returned.",
    )
    plan: DayPlanPublic | None = Field(description="A finished day plan's result.")
    traffic: TrafficResultPublic | None = Field(description="A finished traffic re-plan's result.")
    error: ErrorDetail | None = Field(description="Why a failed job failed.")


class UnassignedReasonPublic(BaseModel):
    """A shipment a plan could not serve, and why."""

    shipment_id: int
    reason: str


class PlanRecordPublic(BaseModel):
    """One saved plan's totals (the day's live routes after it)."""

    id: int
    day: date
    at: datetime = Field(description="When the plan was made.")
    kind: Literal["plan", "traffic"]
    routes: int
    stops: int
    duration_s: int = Field(description="Planned driving time of every live route: the cost.")
    distance_m: int
    on_time: float = Field(
        ge=0, le=1, description="Share of stops no later than 15 minutes after their promise."
    )
    unassigned: int = Field(description="Open shipments no live route of the day serves.")
    reasons: list[UnassignedReasonPublic]


class PlanHistoryPublic(BaseModel):
    """Plans, oldest first."""

    day: date | None
    data: list[PlanRecordPublic]
    count: int


class HouseholdDevicesPublic(BaseModel):
    """A household's devices, as counted from the home data (read-only)."""

    household_id: int
    household: str
    devices: int
    entities: int
    available: int = Field(description="Entities whose current state is known and available.")
    unavailable: int
    unknown: int = Field(description="Entities with no state yet, or an unknown one.")
    last_change: datetime | None
    manufacturers: list[str]


class HouseholdsDevicesPublic(BaseModel):
    """Every household with devices, by id."""

    data: list[HouseholdDevicesPublic]
    count: int
