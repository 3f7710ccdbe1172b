"""Operations: planning jobs, the history of plans, delivery promises, and the fleet board's and
the device list's reads across households (staff views)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lingxi.data.models import (
    DeliveryPromise,
    Device,
    Entity,
    EntityState,
    Household,
    JobStatus,
    OpsJob,
    PlanRecord,
    Route,
    RouteStatus,
    RouteStop,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from lingxi.errors import NotFoundError

__all__ = [
    "ExceptionView",
    "HouseholdDevicesView",
    "JobView",
    "PlanRecordSpec",
    "PlanRecordView",
    "ReportedPosition",
    "active_job",
    "add_plan_record",
    "exceptions",
    "fail_job",
    "finish_job",
    "get_job",
    "household_devices",
    "insert_job",
    "latest_reasons",
    "list_plan_records",
    "planned_days",
    "promise_etas",
    "promises",
    "reported_positions",
    "set_stage",
]

ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


@dataclass(frozen=True, slots=True)
class JobView:
    """A planning job as stored."""

    id: int
    kind: str
    day: date
    status: str
    stage: str
    stage_at: datetime
    time_limit_s: float
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None
    started_by: int | None


def _job_view(j: OpsJob) -> JobView:
    return JobView(
        j.id,
        j.kind,
        j.day,
        j.status,
        j.stage,
        j.stage_at,
        j.time_limit_s,
        dict(j.params or {}),
        j.result,
        j.error,
        j.created_at,
        j.finished_at,
        j.started_by,
    )


def insert_job(
    session: Session,
    *,
    kind: str,
    day: date,
    time_limit_s: float,
    params: dict[str, Any],
    now: datetime,
    started_by: int | None = None,
) -> JobView | None:
    """A new queued job for ``day``, or ``None`` when the day already has one under way.

    The insert is the unit's first write and the day's ``active_key`` is unique, so of two
    concurrent callers exactly one gets the job (SQLite and PostgreSQL alike).
    """
    job = OpsJob(
        kind=kind,
        day=day,
        status=JobStatus.QUEUED.value,
        stage="queued",
        stage_at=now,
        time_limit_s=time_limit_s,
        params=params,
        active_key=day.isoformat(),
        started_by=started_by,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        return None
    return _job_view(job)


def active_job(session: Session, *, day: date) -> JobView | None:
    """The job under way for ``day``, if any."""
    job = session.scalar(select(OpsJob).where(OpsJob.active_key == day.isoformat()))
    return _job_view(job) if job is not None else None


def get_job(session: Session, *, job_id: int) -> JobView:
    """One job; NotFoundError when there is none with that id."""
    job = session.get(OpsJob, job_id)
    if job is None:
        raise NotFoundError(f"No planning job with id {job_id}.", field="job_id", value=job_id)
    return _job_view(job)


def set_stage(session: Session, *, job_id: int, stage: str, now: datetime) -> None:
    """A job under way reached ``stage`` (loading, solving, saving) at ``now``."""
    session.execute(
        update(OpsJob)
        .where(OpsJob.id == job_id, OpsJob.status.in_(ACTIVE))
        .values(status=JobStatus.RUNNING.value, stage=stage, stage_at=now)
    )


def _end_job(
    session: Session, job_id: int, status: JobStatus, now: datetime, **values: Any
) -> bool:
    """End a job that is still active (frees its day); False if it had already ended."""
    ended = session.execute(
        update(OpsJob)
        .where(OpsJob.id == job_id, OpsJob.status.in_(ACTIVE))
        .values(
            status=status.value,
            stage=status.value,
            stage_at=now,
            active_key=None,
            finished_at=now,
            **values,
        )
    )
    return bool(getattr(ended, "rowcount", 0))


def finish_job(session: Session, *, job_id: int, result: dict[str, Any], now: datetime) -> bool:
    """Store a job's result; the day is free for the next job. False if it was no longer active."""
    return _end_job(session, job_id, JobStatus.DONE, now, result=result)


def fail_job(session: Session, *, job_id: int, error: dict[str, Any], now: datetime) -> bool:
    """Mark a job under way failed with ``error``; False if it had already ended."""
    return _end_job(session, job_id, JobStatus.FAILED, now, error=error)


@dataclass(frozen=True, slots=True)
class PlanRecordSpec:
    """The totals of one saved plan."""

    day: date
    at: datetime
    kind: str
    routes: int
    stops: int
    duration_s: int
    distance_m: int
    on_time: float
    unassigned: int
    reasons: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PlanRecordView:
    """A stored plan summary."""

    id: int
    day: date
    at: datetime
    kind: str
    routes: int
    stops: int
    duration_s: int
    distance_m: int
    on_time: float
    unassigned: int
    reasons: list[dict[str, Any]]


def add_plan_record(session: Session, spec: PlanRecordSpec) -> int:
    """Store a plan's summary; returns its id."""
    row = PlanRecord(
        day=spec.day,
        at=spec.at,
        kind=spec.kind,
        routes=spec.routes,
        stops=spec.stops,
        duration_s=spec.duration_s,
        distance_m=spec.distance_m,
        on_time=spec.on_time,
        unassigned=spec.unassigned,
        reasons=list(spec.reasons),
    )
    session.add(row)
    session.flush()
    return row.id


def list_plan_records(
    session: Session, *, day: date | None = None, limit: int = 100
) -> list[PlanRecordView]:
    """Plan summaries, oldest first: of ``day``, or the newest ``limit`` of every day."""
    query = select(PlanRecord).order_by(PlanRecord.id.desc()).limit(limit)
    if day is not None:
        query = query.where(PlanRecord.day == day)
    rows = list(session.scalars(query))[::-1]
    return [
        PlanRecordView(
            r.id,
            r.day,
            r.at,
            r.kind,
            r.routes,
            r.stops,
            r.duration_s,
            r.distance_m,
            r.on_time,
            r.unassigned,
            list(r.reasons or []),
        )
        for r in rows
    ]


def latest_reasons(session: Session, *, day: date) -> dict[int, str]:
    """Shipment id -> why the newest plan of ``day`` that gave reasons could not serve it."""
    row = session.scalar(
        select(PlanRecord)
        .where(PlanRecord.day == day, PlanRecord.kind == "plan")
        .order_by(PlanRecord.id.desc())
        .limit(1)
    )
    if row is None:
        return {}
    return {int(r["shipment_id"]): str(r["reason"]) for r in row.reasons or []}


def promise_etas(session: Session, etas: Mapping[int, datetime]) -> None:
    """Keep each shipment's first ETA: shipments that already have a promise keep it."""
    if not etas:
        return
    known = set(
        session.scalars(
            select(DeliveryPromise.shipment_id).where(DeliveryPromise.shipment_id.in_(list(etas)))
        )
    )
    for sid, eta in etas.items():
        if sid not in known:
            session.add(DeliveryPromise(shipment_id=sid, eta=eta))
    session.flush()


def promises(session: Session, shipment_ids: Iterable[int]) -> dict[int, datetime]:
    """Shipment id -> its first (promised) ETA, for those that have one."""
    ids = list(shipment_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(DeliveryPromise.shipment_id, DeliveryPromise.eta).where(
            DeliveryPromise.shipment_id.in_(ids)
        )
    )
    return {sid: eta for sid, eta in rows}


def planned_days(session: Session, shipment_ids: Iterable[int]) -> dict[int, date]:
    """Shipment id -> the latest day a live (not superseded) route serves it, if any."""
    ids = list(shipment_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(RouteStop.shipment_id, func.max(Route.plan_date))
        .join(Route, Route.id == RouteStop.route_id)
        .where(RouteStop.shipment_id.in_(ids), Route.status != RouteStatus.SUPERSEDED.value)
        .group_by(RouteStop.shipment_id)
    )
    return {sid: day for sid, day in rows if sid is not None}


@dataclass(frozen=True, slots=True)
class ExceptionView:
    """A failed delivery: the shipment, its order and the failure's tracking event."""

    shipment_id: int
    order_id: int
    kind: str
    at: datetime
    note: str
    place: str


def exceptions(session: Session, *, since: datetime, until: datetime) -> list[ExceptionView]:
    """Shipments that failed (status ``exception``) with the failure reported in the span."""
    rows = session.execute(
        select(Shipment.id, Shipment.order_id, Shipment.kind, TrackingEvent)
        .join(TrackingEvent, TrackingEvent.shipment_id == Shipment.id)
        .where(
            Shipment.status == TrackingStatus.EXCEPTION.value,
            TrackingEvent.status == TrackingStatus.EXCEPTION.value,
            TrackingEvent.occurred_at >= since,
            TrackingEvent.occurred_at < until,
        )
        .order_by(TrackingEvent.occurred_at, TrackingEvent.id)
    ).all()
    newest: dict[int, ExceptionView] = {}
    for sid, order_id, kind, ev in rows:
        newest[sid] = ExceptionView(sid, order_id, kind, ev.occurred_at, ev.note, ev.place)
    return sorted(newest.values(), key=lambda e: (e.at, e.shipment_id))


@dataclass(frozen=True, slots=True)
class ReportedPosition:
    """A position reported for a shipment's carrier (a tracking event with a place)."""

    shipment_id: int
    lat: float
    lon: float
    at: datetime
    status: str


def reported_positions(
    session: Session, shipment_ids: Iterable[int], *, since: datetime, until: datetime
) -> dict[int, ReportedPosition]:
    """Shipment id -> the newest tracking event with coordinates in ``[since, until]``."""
    ids = list(shipment_ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(TrackingEvent)
        .where(
            TrackingEvent.shipment_id.in_(ids),
            TrackingEvent.lat.is_not(None),
            TrackingEvent.lon.is_not(None),
            TrackingEvent.occurred_at >= since,
            TrackingEvent.occurred_at <= until,
        )
        .order_by(TrackingEvent.occurred_at, TrackingEvent.id)
    )
    out: dict[int, ReportedPosition] = {}
    for ev in rows:
        out[ev.shipment_id] = ReportedPosition(
            ev.shipment_id, float(ev.lat or 0), float(ev.lon or 0), ev.occurred_at, ev.status
        )
    return out


@dataclass(frozen=True, slots=True)
class HouseholdDevicesView:
    """A household's devices as the home data has them (no names, no places)."""

    household_id: int
    household: str
    devices: int
    entities: int
    available: int
    """Entities whose current state is known and not ``unavailable``."""
    unavailable: int
    unknown: int
    """Entities with no state yet, or ``unknown``."""
    last_change: datetime | None
    manufacturers: list[str]


def household_devices(session: Session) -> list[HouseholdDevicesView]:
    """Every household with a device or an entity: counts and availability, by household id."""
    devices: dict[int, int] = {
        hid: n
        for hid, n in session.execute(
            select(Device.household_id, func.count()).group_by(Device.household_id)
        )
    }
    makers: dict[int, set[str]] = {}
    for hid, maker in session.execute(select(Device.household_id, Device.manufacturer).distinct()):
        if maker:
            makers.setdefault(hid, set()).add(maker)
    newest = (
        select(EntityState.entity_pk, func.max(EntityState.id).label("state_id"))
        .group_by(EntityState.entity_pk)
        .subquery()
    )
    rows = session.execute(
        select(Entity.household_id, EntityState.state, EntityState.changed_at)
        .outerjoin(newest, newest.c.entity_pk == Entity.id)
        .outerjoin(EntityState, EntityState.id == newest.c.state_id)
    )
    counts: dict[int, dict[str, Any]] = {}
    for hid, state, changed in rows:
        c = counts.setdefault(
            hid, {"entities": 0, "available": 0, "unavailable": 0, "unknown": 0, "last": None}
        )
        c["entities"] += 1
        if state is None or state == "unknown":
            c["unknown"] += 1
        elif state == "unavailable":
            c["unavailable"] += 1
        else:
            c["available"] += 1
        if changed is not None and (c["last"] is None or changed > c["last"]):
            c["last"] = changed
    ids = sorted(set(devices) | set(counts))
    names: dict[int, str] = {
        hid: name
        for hid, name in session.execute(
            select(Household.id, Household.name).where(Household.id.in_(ids))
        )
    }
    empty = {"entities": 0, "available": 0, "unavailable": 0, "unknown": 0, "last": None}
    out = []
    for hid in ids:
        c = counts.get(hid, empty)
        out.append(
            HouseholdDevicesView(
                hid,
                names.get(hid, ""),
                devices.get(hid, 0),
                c["entities"],
                c["available"],
                c["unavailable"],
                c["unknown"],
                c["last"],
                sorted(makers.get(hid, set())),
            )
        )
    return out
