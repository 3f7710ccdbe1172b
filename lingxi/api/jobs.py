"""Planning jobs: a day plan or a traffic re-plan that a POST starts and GET follows.

``POST /api/ops/plan`` (or ``/traffic``) claims the day in the ``ops_job`` table and answers 202
with the job at once; the search runs in the solver workers (:mod:`lingxi.api.workers`), which
write the job's stages and, at the end, its result or its error into the same row, so any API
process (replicas under Ray Serve too) answers ``GET /api/ops/jobs/{id}``.

Exactly once: the day's ``active_key`` is unique, so of two clicks (or two replicas) one starts
the job and the other is handed the running one. A job whose worker vanished (the process was
killed) stops holding its day once it is :data:`STALE_AFTER_S` past its time limit.

Progress is measured, not guessed by the browser: ``queued`` 0, ``loading`` (the road network)
5 %, ``solving`` from 10 % to 95 % as the search's time limit runs out, then ``done`` 100 %.
Stages are wall-clock times of the worker (the planning clock of the request may be pinned).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lingxi.api.workers import SolverWorkers, _database
from lingxi.config import DatabaseSettings
from lingxi.data import Database, utcnow
from lingxi.data.repos import ops as ops_repo
from lingxi.errors import ConflictError, LingxiError

__all__ = ["STALE_AFTER_S", "PlanningJobs", "job_doc", "plan_day_job", "progress", "traffic_job"]

logger = logging.getLogger(__name__)

STALE_AFTER_S = 300.0
"""A job this long past its stage's time limit has lost its worker: the day is free again."""

_KIND_NAMES = {"plan": "A day plan", "traffic": "A traffic re-plan"}


def _safe(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as plain JSON (dates as ISO strings), for the job's JSON columns."""
    loaded: dict[str, Any] = json.loads(json.dumps(doc, default=str))
    return loaded


def _error_doc(err: BaseException) -> dict[str, Any]:
    if isinstance(err, LingxiError):
        return _safe(err.to_dict())
    return {
        "code": "internal_error",
        "message": "The planning job stopped unexpectedly; nothing more was saved.",
        "details": {},
    }


def _stage(db: Database, job_id: int, stage: str) -> None:
    with db.session() as s:
        ops_repo.set_stage(s, job_id=job_id, stage=stage, now=utcnow())


def _finish(db: Database, job_id: int, result: dict[str, Any]) -> None:
    with db.session() as s:
        ops_repo.finish_job(s, job_id=job_id, result=_safe(result), now=utcnow())


def _fail(db: Database, job_id: int, err: BaseException) -> None:
    with db.session() as s:
        ops_repo.fail_job(s, job_id=job_id, error=_error_doc(err), now=utcnow())


def plan_day_job(
    db_settings: DatabaseSettings,
    job_id: int,
    osm_path: Path | None,
    day: date,
    time_limit_s: float,
    not_before: datetime,
) -> dict[str, Any]:
    """Run job ``job_id``: plan ``day``'s open shipments, write the ETAs, store the result."""
    from lingxi.dispatch import DispatchParams, load_network, plan_shipments

    db = _database(db_settings)
    try:
        _stage(db, job_id, "loading")
        network = load_network(osm_path)
        _stage(db, job_id, "solving")
        plan = plan_shipments(
            db,
            day,
            params=DispatchParams(time_limit=time_limit_s),
            network=network,
            not_before=not_before,
        )
    except LingxiError as err:
        _fail(db, job_id, err)
        return {}
    doc = plan.to_dict()
    for route in doc["routes"]:
        route.pop("geometry", None)
    _finish(db, job_id, doc)
    return doc


def traffic_job(
    db_settings: DatabaseSettings, job_id: int, osm_path: Path | None, report: dict[str, Any]
) -> dict[str, Any]:
    """Run job ``job_id``: record the traffic report, re-plan the routes under way, store what
    changed."""
    from lingxi.dispatch import load_network, report_traffic

    db = _database(db_settings)
    try:
        _stage(db, job_id, "loading")
        network = load_network(osm_path)
        _stage(db, job_id, "solving")
        doc = report_traffic(db, network=network, **report).to_dict()
    except LingxiError as err:
        _fail(db, job_id, err)
        return {}
    _finish(db, job_id, doc)
    return doc


def progress(job: ops_repo.JobView, now: datetime) -> float:
    """How far the job is, 0 to 1 (see the module's note)."""
    if job.status in ("done", "failed"):
        return 1.0
    if job.stage == "loading":
        return 0.05
    if job.stage == "solving":
        share = (now - job.stage_at).total_seconds() / max(job.time_limit_s, 0.1)
        return round(0.1 + 0.85 * min(max(share, 0.0), 1.0), 3)
    return 0.0


def job_doc(job: ops_repo.JobView, now: datetime | None = None) -> dict[str, Any]:
    """The job as the API shows it."""
    result = job.result if job.status == "done" else None
    return {
        "id": job.id,
        "kind": job.kind,
        "day": job.day.isoformat(),
        "status": job.status,
        "stage": job.stage,
        "progress": progress(job, now or utcnow()),
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "plan": result if job.kind == "plan" else None,
        "traffic": result if job.kind == "traffic" else None,
        "error": job.error,
    }


def _error_classes(cls: type[LingxiError]) -> list[type[LingxiError]]:
    return [cls] + [sub for c in cls.__subclasses__() for sub in _error_classes(c)]


def _rebuilt(doc: dict[str, Any]) -> LingxiError:
    """The error a job stored, as the exception of its class (the API answers it the same)."""
    code = str(doc.get("code", "lingxi_error"))
    cls = next((c for c in _error_classes(LingxiError) if c.code == code), LingxiError)
    err = cls.__new__(cls)
    LingxiError.__init__(
        err,
        str(doc.get("message", "The planning job failed.")),
        code=code,
        **doc.get("details", {}),
    )
    return err


def _stale(job: ops_repo.JobView, now: datetime) -> bool:
    return (now - job.stage_at).total_seconds() > job.time_limit_s + STALE_AFTER_S


class PlanningJobs:
    """Starts planning jobs exactly once per day and runs them in the solver workers."""

    def __init__(self, db: Database, workers: SolverWorkers) -> None:
        self._db = db
        self._workers = workers
        self._tasks: set[asyncio.Task[None]] = set()

    def claim(
        self,
        *,
        kind: str,
        day: date,
        time_limit_s: float,
        params: dict[str, Any],
        started_by: int | None,
    ) -> tuple[ops_repo.JobView, bool]:
        """A new job for ``day`` (True), or the same kind's job already under way (False).

        Raises
        ------
        ConflictError
            Another kind of job holds the day (a traffic report while the day is planned).
        """
        for _ in range(5):
            now = utcnow()
            with self._db.session() as s:
                job = ops_repo.insert_job(
                    s,
                    kind=kind,
                    day=day,
                    time_limit_s=time_limit_s,
                    params=_safe(params),
                    now=now,
                    started_by=started_by,
                )
                if job is not None:
                    return job, True
                active = ops_repo.active_job(s, day=day)
                if active is None:
                    continue  # it ended in between: claim again
                if _stale(active, now):
                    ops_repo.fail_job(
                        s,
                        job_id=active.id,
                        error={
                            "code": "interrupted",
                            "message": "The planning job's worker stopped; start it again.",
                            "details": {},
                        },
                        now=now,
                    )
                    continue
                # A second click on "plan the day" joins the plan; a traffic report joins only
                # the very same report (another one would be lost): else the day is busy.
                if active.kind != kind or (kind != "plan" and active.params != _safe(params)):
                    raise ConflictError(
                        f"{_KIND_NAMES.get(active.kind, 'A job')} of {day.isoformat()} is under "
                        f"way (job {active.id}); try again when it is done.",
                        field="day",
                        value=day.isoformat(),
                        job_id=active.id,
                    )
                return active, False
        raise ConflictError(
            f"The planning jobs of {day.isoformat()} keep changing; try again.", field="day"
        )

    def launch(self, job_id: int, fn: Any, *args: Any) -> asyncio.Task[None]:
        """Run ``fn(db_settings, job_id, *args)`` in a worker, from the running event loop."""
        task = asyncio.get_running_loop().create_task(self._run(job_id, fn, args))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def outcome(
        self, job: ops_repo.JobView, created: bool, fn: Any, *args: Any
    ) -> dict[str, Any]:
        """The result of ``job`` once it has ended: started here (``created``) or joined.

        Raises
        ------
        LingxiError
            The job failed: its stored error, rebuilt (same class, code and details).
        """
        if created:
            await asyncio.shield(self.launch(job.id, fn, *args))
        while True:
            view = await asyncio.to_thread(self.get, job.id)
            if view.status == "done":
                return dict(view.result or {})
            if view.status == "failed":
                raise _rebuilt(view.error or {})
            await asyncio.sleep(0.2)

    async def _run(self, job_id: int, fn: Any, args: tuple[Any, ...]) -> None:
        try:
            await self._workers.run(fn, self._workers.db_settings, job_id, *args)
        except Exception as err:  # a worker that died, or a bug: the job must not stay running
            logger.exception("planning job %s failed", job_id)
            await asyncio.to_thread(_fail, self._db, job_id, err)

    def get(self, job_id: int) -> ops_repo.JobView:
        """One job (NotFoundError if there is none)."""
        with self._db.session() as s:
            return ops_repo.get_job(s, job_id=job_id)

    async def drain(self, timeout_s: float = 90.0) -> None:
        """Wait (at most ``timeout_s``) for the jobs this process started: at shutdown, so a
        job under way stores its result rather than being dropped half-way."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout_s)
