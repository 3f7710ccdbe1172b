"""Operations: planning jobs run in the background, the history of plans, delivery promises."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lingxi.data.base import Base, TimestampMixin


class JobStatus(StrEnum):
    """A planning job's life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class OpsJob(TimestampMixin, Base):
    """A day plan or a traffic re-plan running in the background, with its progress.

    ``active_key`` is the plan day while the job is queued or running and NULL afterwards; it is
    unique, so a day has at most one job under way on SQLite and PostgreSQL alike (NULLs are
    distinct): a second request for that day finds the running job instead of starting another.
    """

    __tablename__ = "ops_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    """``plan`` (the day's open shipments) or ``traffic`` (a report and the re-plan it causes)."""
    day: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED.value)
    stage: Mapped[str] = mapped_column(String(20), default="queued")
    """queued, loading, solving, saving, done, failed."""
    stage_at: Mapped[datetime]
    """When the current stage began (progress while solving is measured from it)."""
    time_limit_s: Mapped[float]
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    active_key: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    started_by: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), default=None
    )
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class PlanRecord(Base):
    """One saved plan of a day (a day plan or a re-plan) and its totals: the plans' history."""

    __tablename__ = "plan_record"
    __table_args__ = (Index("ix_plan_record_day_at", "day", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    at: Mapped[datetime]
    """When the plan was made."""
    kind: Mapped[str] = mapped_column(String(20))
    """``plan`` or ``traffic``."""
    routes: Mapped[int]
    stops: Mapped[int]
    duration_s: Mapped[int]
    """The day's planned driving time over every live route: the cost."""
    distance_m: Mapped[int]
    on_time: Mapped[float]
    """Share of planned stops arriving no later than 15 minutes after their promised ETA."""
    unassigned: Mapped[int]
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    """``[{"shipment_id", "reason"}, ...]`` for the shipments the plan could not serve."""


class DeliveryPromise(Base):
    """The first ETA a shipment was given: later plans are late or on time against it."""

    __tablename__ = "delivery_promise"

    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipment.id", ondelete="CASCADE"), primary_key=True
    )
    eta: Mapped[datetime]
