"""The services the guide, dispatch, health and web routes use, built in one place.

:func:`build_services` runs once in ``create_app``; each route asks for what it needs as a
typed dependency (``GuideDep``, ``SolverWorkersDep``, ``CityMapDep``, ``ClockDep``). A service
whose construction reads the database or a file (the guide's index, the city's road map) is
declared here and built on its first use, once, behind a lock: the catalogue may still be
empty at start-up (`lingxi demo load` comes later) and tests that never ask pay nothing. A
build that fails is not kept, so the next request tries again.

``ClockDep`` is the routes' one wall clock: a test pins it with
``app.dependency_overrides[get_clock] = lambda: lambda: FIXED``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request

from lingxi.api.deps import CurrentMember, registry_service
from lingxi.api.jobs import PlanningJobs
from lingxi.api.workers import SolverWorkers, WorkerPlanner
from lingxi.config import Settings
from lingxi.data import Database, utcnow
from lingxi.data.repos.identity import Member
from lingxi.guide import ShoppingGuide
from lingxi.home import HomeController, server_controller
from lingxi.policy import Act, check

__all__ = [
    "ActiveCityMap",
    "CityMap",
    "CityMapDep",
    "Clock",
    "ClockDep",
    "DeliveryPlannerDep",
    "FleetOperator",
    "GuideDep",
    "HomeControllerDep",
    "Lazy",
    "PlanningJobsDep",
    "Services",
    "SolverWorkersDep",
    "build_services",
    "check_ready_to_serve",
    "fleet_operator",
    "get_city_map",
    "get_clock",
    "get_delivery_planner",
    "get_guide",
    "get_home_controller",
    "get_planning_jobs",
    "get_services",
    "get_solver_workers",
    "home_controller",
]

T = TypeVar("T")

Clock = Callable[[], datetime]
"""Now, as an aware UTC datetime."""


class Lazy(Generic[T]):
    """A service built once, on first use, by ``factory`` (thread-safe; failures not kept).

    Sync routes run in a thread pool, so first requests can arrive together: two concurrent
    guide builds both stored the catalogue embeddings and one failed with a unique violation
    on PostgreSQL (found by ``bench_load``'s warm-up).
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        """True once the service exists."""
        return self._value is not None

    def reset(self) -> None:
        """Forget the service: the next :meth:`get` builds it again (the catalogue changed)."""
        with self._lock:
            self._value = None

    def rebuild(self) -> None:
        """Build the service anew and swap it in; until then requests keep the old one (a
        catalogue import must not make the next shopper wait for the new index)."""
        fresh = self._factory()
        with self._lock:
            self._value = fresh

    def get(self) -> T:
        """The service, built now if it is not yet."""
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._factory()
        return self._value


@dataclass(frozen=True, slots=True)
class CityMap:
    """The city's drivable roads as GeoJSON bytes, plain and gzip-compressed."""

    raw: bytes
    gzipped: bytes
    etag: str = '"city"'
    """Changes with the city (and its cached network), for HTTP revalidation."""


@dataclass
class Services:
    """Everything the guide, dispatch, health and web routes use, for one app."""

    settings: Settings
    db: Database
    solver_workers: SolverWorkers
    delivery_planner: WorkerPlanner
    """Plans a confirmed order's delivery (or a return's pickup) in the solver workers."""
    guide: Lazy[ShoppingGuide]
    city_map: ActiveCityMap
    planning_jobs: PlanningJobs
    """Day plans and traffic re-plans started over the API, run in the solver workers."""
    clock: Clock = utcnow
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Stop what runs in the background (the solver processes)."""
        for close in self.closers:
            close()


def _guide(settings: Settings, db: Database) -> ShoppingGuide:
    from lingxi.guide import ParseParams

    return ShoppingGuide.from_database(
        db,
        vector_search=settings.guide.vector_search,
        parse_params=ParseParams.from_settings(settings.guide),
        cache_dir=settings.data_dir / "cache",
    )


class ActiveCityMap:
    """The active city's road map, built on first use and again when the active city (or its
    cached network) changes: ``lingxi city use`` or ``city import`` under a running server."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._maps: dict[tuple[str, int], Lazy[CityMap]] = {}
        self._lock = threading.Lock()

    def get(self) -> CityMap:
        """The map of the city active now."""
        from lingxi.dispatch import city_network_path

        path = city_network_path(self._settings)
        stamp = path.stat().st_mtime_ns if path is not None and path.is_file() else 0
        key = (str(path), stamp)
        with self._lock:
            if key not in self._maps:
                etag = '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:16] + '"'
                self._maps = {key: Lazy(lambda: _city_map(path, etag))}  # only the current one
            lazy = self._maps[key]
        return lazy.get()


def _city_map(path: Path | None, etag: str) -> CityMap:
    from lingxi.dispatch import load_network, roads_geojson

    doc = roads_geojson(load_network(path))
    raw = json.dumps(doc, separators=(",", ":")).encode()
    return CityMap(raw, gzip.compress(raw, compresslevel=6), etag)


def build_services(settings: Settings, db: Database) -> Services:
    """The app's services (``create_app`` calls this once)."""
    workers = SolverWorkers(settings, db)  # processes start with the first plan, not here
    return Services(
        settings=settings,
        db=db,
        solver_workers=workers,
        delivery_planner=WorkerPlanner(workers, settings, db),
        guide=Lazy(lambda: _guide(settings, db)),
        city_map=ActiveCityMap(settings),
        planning_jobs=PlanningJobs(db, workers),
        closers=[workers.close],
    )


def get_services(request: Request) -> Services:
    """The app's :class:`Services`."""
    services: Services = request.app.state.container
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_clock(services: ServicesDep) -> Clock:
    """The wall clock (UTC)."""
    return services.clock


def get_guide(services: ServicesDep) -> ShoppingGuide:
    """The shopping guide over the stored catalogue."""
    return services.guide.get()


def get_solver_workers(services: ServicesDep) -> SolverWorkers:
    """The solver processes that plan off the request threads."""
    return services.solver_workers


def get_planning_jobs(services: ServicesDep) -> PlanningJobs:
    """The planning jobs (``/api/ops/plan``, ``/api/ops/traffic``)."""
    return services.planning_jobs


def get_delivery_planner(services: ServicesDep) -> WorkerPlanner:
    """The :class:`lingxi.commerce.DeliveryPlanner` of the API."""
    return services.delivery_planner


def home_controller(state: Any) -> HomeController:
    """The app's one :class:`HomeController`, shared by the home routes and the assistant.

    Built on first use under the registry's lock (``deps.service``), so two first requests
    never make two controllers with two views of the devices; tests may put their own in
    ``app.state.services["home_controller"]`` first.
    """

    def build(app_state: Any) -> HomeController:
        # The MQTT bridge: owns Lingxi's availability, announces every household at start-up.
        controller = server_controller(app_state.db, app_state.settings)
        app_state.on_shutdown.append(controller.close)
        return controller

    controller: HomeController = registry_service(state, "home_controller", build)
    return controller


def get_home_controller(request: Request) -> HomeController:
    """The app's home controller."""
    return home_controller(request.app.state)


def get_city_map(services: ServicesDep) -> CityMap:
    """The city's road map (GeoJSON)."""
    return services.city_map.get()


ClockDep = Annotated[Clock, Depends(get_clock)]
GuideDep = Annotated[ShoppingGuide, Depends(get_guide)]
SolverWorkersDep = Annotated[SolverWorkers, Depends(get_solver_workers)]
CityMapDep = Annotated[CityMap, Depends(get_city_map)]
HomeControllerDep = Annotated[HomeController, Depends(get_home_controller)]
DeliveryPlannerDep = Annotated[WorkerPlanner, Depends(get_delivery_planner)]
PlanningJobsDep = Annotated[PlanningJobs, Depends(get_planning_jobs)]


def fleet_operator(member: CurrentMember) -> Member:
    """The signed-in member, when the policy lets their role act on the whole fleet (staff).

    Customers (owner, adult, child, guest) get a 403 in every environment.
    """
    check(Act.FLEET, member.role)
    return member


FleetOperator = Annotated[Member, Depends(fleet_operator)]
"""A staff member: the operations board, day plans and traffic reports."""


def check_ready_to_serve(settings: Settings, db: Database) -> None:
    """Refuse to start in production while a demo account can sign in (a published password).

    Raises
    ------
    ConflictError
        In production, with a demo account that still has its password.
    """
    if settings.environment != "production":
        return
    from lingxi.data.repos.demo import ensure_no_demo_sign_in

    with db.session() as session:
        ensure_no_demo_sign_in(session)
