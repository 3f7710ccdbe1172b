"""`/api/ops`: the operator console, for the deployment's staff only (``policy.Act.FLEET``).

A household member, an owner too, gets 403 from every route here, in every environment. Day
plans and traffic re-plans are background jobs: the POST answers 202 with the job, and
``GET /api/ops/jobs/{id}`` follows its progress to the result (:mod:`lingxi.api.jobs`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from lingxi.api.deps import DatabaseDep, SettingsDep
from lingxi.api.jobs import job_doc, plan_day_job, traffic_job
from lingxi.api.routes.dispatch import TrafficReport
from lingxi.api.schemas_ops import (
    HouseholdDevicesPublic,
    HouseholdsDevicesPublic,
    JobPublic,
    PlanHistoryPublic,
    PlanRecordPublic,
)
from lingxi.api.schemas_web import OpsBoardPublic
from lingxi.api.services import ClockDep, FleetOperator, PlanningJobsDep, fleet_operator
from lingxi.data.repos import ops as ops_repo
from lingxi.dispatch import city_network_path
from lingxi.errors import InvalidInputError

__all__ = ["router"]

router = APIRouter(prefix="/api/ops", tags=["ops"], dependencies=[Depends(fleet_operator)])

JobIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Planning job id")]
DayQuery = Annotated[date | None, Query(description="Plan day (default: today, UTC)")]


class OpsPlanRequest(BaseModel):
    """Plan a delivery day in the background."""

    day: date | None = Field(default=None, description="Default: today (UTC).")
    time_limit_s: Annotated[float, Field(gt=0, le=60)] = 2.0


@router.get("/board", response_model=OpsBoardPublic)
def board(
    staff: FleetOperator,
    db: DatabaseDep,
    settings: SettingsDep,
    clock: ClockDep,
    day: DayQuery = None,
) -> Any:
    """The fleet board of the active city: live routes with their lines and each vehicle's
    position (reported or planned), the open shipments no route serves with the reason, failed
    deliveries, late stops, the depot and the vehicles."""
    from lingxi.dispatch import active_city, operations_board

    now = clock()
    return operations_board(db, day or now.date(), now=now, city=active_city(settings))


def _accepted(response: Response, job: ops_repo.JobView, created: bool) -> dict[str, Any]:
    response.headers["Location"] = f"/api/ops/jobs/{job.id}"
    return {**job_doc(job), "created": created}


@router.post("/plan", response_model=JobPublic, status_code=202)
async def start_plan(
    body: OpsPlanRequest,
    response: Response,
    staff: FleetOperator,
    jobs: PlanningJobsDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """Start planning the day's open shipments (202 with the job); while that day's plan runs,
    asking again returns the running job (``created: false``) instead of starting another."""
    now = clock()
    day = body.day or now.date()
    job, created = await asyncio.to_thread(
        jobs.claim,
        kind="plan",
        day=day,
        time_limit_s=body.time_limit_s,
        params=body.model_dump(mode="json"),
        started_by=staff.customer_id,
    )
    if created:
        jobs.launch(job.id, plan_day_job, city_network_path(settings), day, body.time_limit_s, now)
    return _accepted(response, job, created)


def _check_span(body: TrafficReport) -> None:
    if body.ends_at <= body.starts_at:
        raise InvalidInputError.for_field("ends_at", "after starts_at", body.ends_at.isoformat())
    start = datetime(body.day.year, body.day.month, body.day.day, tzinfo=UTC)
    if not (body.starts_at < start + timedelta(days=1) and body.ends_at > start):
        raise InvalidInputError.for_field(
            "starts_at", f"a span overlapping the day {body.day.isoformat()} (UTC)", body.starts_at
        )


@router.post("/traffic", response_model=JobPublic, status_code=202)
async def start_traffic(
    body: TrafficReport,
    response: Response,
    staff: FleetOperator,
    jobs: PlanningJobsDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Report traffic and re-plan the day's routes under way in the background (202 with the
    job). The job's result says what changed: ``routes_replanned`` and ``plan_updated``."""
    _check_span(body)
    report = body.to_report()
    job, created = await asyncio.to_thread(
        jobs.claim,
        kind="traffic",
        day=body.day,
        time_limit_s=1.0,
        params=body.model_dump(mode="json"),
        started_by=staff.customer_id,
    )
    if created:
        jobs.launch(job.id, traffic_job, city_network_path(settings), report)
    return _accepted(response, job, created)


@router.get("/jobs/{job_id}", response_model=JobPublic)
def job(job_id: JobIdPath, staff: FleetOperator, jobs: PlanningJobsDep) -> dict[str, Any]:
    """A planning job: its stage and progress, then its result (or why it failed)."""
    return job_doc(jobs.get(job_id))


@router.get("/history", response_model=PlanHistoryPublic)
def history(
    staff: FleetOperator,
    db: DatabaseDep,
    day: Annotated[date | None, Query(description="Only this day's plans")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PlanHistoryPublic:
    """The history of plans (oldest first): each plan's time, cost, distance, on-time share and
    unassigned count, as the server stored them."""
    with db.session() as s:
        rows = ops_repo.list_plan_records(s, day=day, limit=limit)
    data = [
        PlanRecordPublic.model_validate(
            {
                "id": r.id,
                "day": r.day,
                "at": r.at,
                "kind": r.kind,
                "routes": r.routes,
                "stops": r.stops,
                "duration_s": r.duration_s,
                "distance_m": r.distance_m,
                "on_time": r.on_time,
                "unassigned": r.unassigned,
                "reasons": r.reasons,
            }
        )
        for r in rows
    ]
    return PlanHistoryPublic(day=day, data=data, count=len(data))


@router.get("/homes", response_model=HouseholdsDevicesPublic)
def homes(staff: FleetOperator, db: DatabaseDep) -> HouseholdsDevicesPublic:
    """The smart-home maker's view: each household's device and entity counts and how many
    entities are available, from the home data (read-only; no device names or places)."""
    with db.session() as s:
        rows = ops_repo.household_devices(s)
    data = [
        HouseholdDevicesPublic(
            household_id=r.household_id,
            household=r.household,
            devices=r.devices,
            entities=r.entities,
            available=r.available,
            unavailable=r.unavailable,
            unknown=r.unknown,
            last_change=r.last_change,
            manufacturers=r.manufacturers,
        )
        for r in rows
    ]
    return HouseholdsDevicesPublic(data=data, count=len(data))
