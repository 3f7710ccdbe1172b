"""Planning off the API's threads: a small pool of solver worker processes.

A day plan or a traffic re-plan searches for seconds, and PyVRP holds the GIL while it does;
run in a request thread it would stall every other request of the server for that long. The
jobs here (and the planning jobs of :mod:`lingxi.api.jobs`) run in spawned processes that open
the same database by URL, so what they write is what the API reads next. Errors come back
whole (the error tree pickles with its details).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lingxi.config import DatabaseSettings, Settings
from lingxi.data import Database

__all__ = ["SolverWorkers", "WorkerPlanner", "plan_job"]

_databases: dict[str, Database] = {}


def _database(settings: DatabaseSettings) -> Database:
    # One engine (and pool) per worker process and URL, reused by every job it runs.
    if settings.url not in _databases:
        _databases[settings.url] = Database.from_settings(settings)
    return _databases[settings.url]


def plan_job(
    db_settings: DatabaseSettings,
    osm_path: Path | None,
    day: date,
    time_limit_s: float,
    not_before: datetime,
) -> dict[str, Any]:
    """Plan ``day``'s open shipments and write the ETAs; the plan without its geometry."""
    from lingxi.dispatch import DispatchParams, load_network, plan_shipments

    plan = plan_shipments(
        _database(db_settings),
        day,
        params=DispatchParams(time_limit=time_limit_s),
        network=load_network(osm_path),
        not_before=not_before,
    )
    doc = plan.to_dict()
    for route in doc["routes"]:
        route.pop("geometry", None)
    return doc


class SolverWorkers:
    """The app's solver processes (``settings.dispatch.solver_processes``; 0 runs in-thread).

    Started on the first job, not with the app, so tests and commands that never plan pay
    nothing; an in-memory SQLite database (invisible to another process) also runs in-thread.
    """

    def __init__(self, settings: Settings, db: Database) -> None:
        self._size = settings.dispatch.solver_processes
        url = db.engine.url
        self._db_settings = settings.db.model_copy(
            update={"url": url.render_as_string(hide_password=False)}
        )
        self._in_memory = url.get_backend_name() == "sqlite" and url.database in (
            None,
            "",
            ":memory:",
        )
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def db_settings(self) -> DatabaseSettings:
        """The database the jobs open (the app's, by URL)."""
        return self._db_settings

    @property
    def started(self) -> bool:
        """True once worker processes have been started."""
        return self._pool is not None

    def _executor(self) -> ProcessPoolExecutor | None:
        if self._size == 0 or self._in_memory:
            return None
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self._size, mp_context=multiprocessing.get_context("spawn")
                )
            return self._pool

    async def run(self, fn: Any, *args: Any) -> dict[str, Any]:
        """``fn(*args)`` in a worker process (or in a thread when there is none)."""
        pool = self._executor()
        if pool is None:
            result: dict[str, Any] = await asyncio.to_thread(fn, *args)
            return result
        return await asyncio.wrap_future(pool.submit(fn, *args))

    def run_sync(self, fn: Any, *args: Any) -> dict[str, Any]:
        """``fn(*args)`` in a worker process, waiting for it (from a request thread)."""
        pool = self._executor()
        result: dict[str, Any] = fn(*args) if pool is None else pool.submit(fn, *args).result()
        return result

    def close(self) -> None:
        """Stop the workers (a job under way finishes first)."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None


class WorkerPlanner:
    """:class:`lingxi.commerce.DeliveryPlanner` over the solver workers: plan today, read the ETA.

    Called from a request thread (sync routes), it waits for the worker's plan; the search
    itself runs in the worker process, so other requests are not held up.
    """

    def __init__(self, workers: SolverWorkers, settings: Settings, db: Database) -> None:
        self._workers = workers
        self._settings = settings
        self._db = db

    def plan_delivery(self, shipment_id: int) -> datetime | None:
        """Plan today's open shipments in a worker and return ``shipment_id``'s ETA."""
        from lingxi.data.repos import fleet, orders
        from lingxi.dispatch import city_network_path

        with self._db.session() as session:
            depots, vehicles = fleet.get_fleet(session)
        if not depots or not vehicles:
            return None  # nothing to plan with (no fleet loaded): skip starting a solver process
        now = datetime.now(UTC)
        self._workers.run_sync(
            plan_job,
            self._workers.db_settings,
            city_network_path(self._settings),
            now.date(),
            self._settings.dispatch.time_limit_s,
            now,
        )
        with self._db.session() as session:
            return orders.get_shipment(session, shipment_id=shipment_id).eta
