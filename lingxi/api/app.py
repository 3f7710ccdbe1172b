"""``create_app(settings)``: the FastAPI application, its routers and error handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from lingxi.api.errors import ERROR_RESPONSES, install_error_handlers
from lingxi.api.idempotency import IdempotencyMiddleware
from lingxi.api.middleware import install_middleware
from lingxi.api.ratelimit import RateLimiter
from lingxi.api.routes import ROUTERS
from lingxi.api.services import build_services, check_ready_to_serve
from lingxi.config import Settings, get_settings
from lingxi.data import Database

__all__ = ["create_app"]

logger = logging.getLogger(__name__)


def _unique_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def _start_owntracks(app: FastAPI, settings: Settings, db: Database) -> None:
    """Couriers' OwnTracks positions from the broker (a broker that is down is logged)."""
    from lingxi.dispatch import city_network_path, load_network
    from lingxi.dispatch.owntracks import OwnTracksSubscriber
    from lingxi.errors import UnavailableError

    # Positions are checked against the active city's roads, as POST /api/courier/position does.
    subscriber = OwnTracksSubscriber(
        db, settings.mqtt, network=lambda: load_network(city_network_path(settings))
    )
    try:
        subscriber.start()
    except UnavailableError as err:
        logger.warning("OwnTracks positions are off: %s", err)
        return
    app.state.on_shutdown.append(subscriber.close)


def _start_home_scheduler(app: FastAPI, settings: Settings) -> None:
    """Carry out the homes' automations (commands for later) when they fall due."""
    from lingxi.api.services import home_controller
    from lingxi.home.automations import AutomationScheduler

    scheduler = AutomationScheduler(
        lambda: home_controller(app.state), interval_s=settings.home.automation_poll_s
    )
    scheduler.start()
    app.state.home_scheduler = scheduler
    app.state.on_shutdown.append(scheduler.close)


def _warm_in_background(app: FastAPI, delay_s: float = 1.0) -> None:
    """Build the guide's index (and embedding model) and the home controller in a thread, after
    the server answers: start-up does not wait for them, and the first shopper seldom does."""
    import threading
    import time

    from lingxi.api.services import home_controller

    def warm() -> None:
        time.sleep(delay_s)  # let the first requests (/api/health) in before the heavy imports
        for name, build in (
            ("guide", app.state.container.guide.get),
            ("home", lambda: home_controller(app.state)),
        ):
            try:
                build()
            except Exception:  # warm-up only: the first request builds it again and reports
                logger.warning("warm-up of the %s failed", name, exc_info=True)

    threading.Thread(target=warm, name="lingxi-warm-up", daemon=True).start()


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    """Build the app for ``settings``; pass ``database`` to share an existing one (tests)."""
    settings = settings or get_settings()
    db = database or Database.from_settings(settings.db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_ready_to_serve(settings, db)  # production: no demo account may sign in
        if settings.environment != "test":
            # Automations (the porch light when the courier is near) run from start-up on,
            # not from the first chat. Tests start them explicitly.
            from lingxi.api.routes import assistant

            assistant.start(app.state)
        if settings.dispatch.owntracks and settings.mqtt.url:
            _start_owntracks(app, settings, db)
        if settings.environment != "test":
            _warm_in_background(app)
            _start_home_scheduler(app, settings)  # tests tick their own, on a pinned clock
        yield
        await app.state.container.planning_jobs.drain()  # day plans under way store their result
        for close in app.state.on_shutdown:
            close()
        if database is None:
            db.dispose()

    # FastAPIOffline serves Swagger UI and ReDoc from the package: no CDN.
    app = FastAPIOffline(
        title="Lingxi",
        version="0.1.0",
        description="Shopping guide, delivery scheduling and smart-home control behind one assistant.",
        generate_unique_id_function=_unique_id,
        responses=ERROR_RESPONSES,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.services = {}
    app.state.container = build_services(settings, db)  # the typed services (api/services.py)
    app.state.on_shutdown = [app.state.container.close]
    app.state.rate_limiter = RateLimiter(settings.rate_limit)
    install_error_handlers(app)
    # Inside the body limit and the CSRF checks (added after it, so outside it).
    app.add_middleware(IdempotencyMiddleware)
    install_middleware(app, settings)
    # Compress responses over 1 kB (scripts, styles, the city map); streams are left alone.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    for router in ROUTERS:
        app.include_router(router)
    from lingxi.api.web import mount_web

    mount_web(app)
    return app
