"""The API under Ray Serve: several replicas of :func:`create_app` sharing one PostgreSQL.

This module is the one adapter for ``ray.serve`` (Ray's task API is wrapped in
:mod:`lingxi.compute`). Each replica builds the same FastAPI app with the same settings in its
own process (``serve.ingress`` with ``__serve_build_asgi_app__``), so replicas share nothing
but the database: use PostgreSQL (``LINGXI_DB__URL=postgresql+psycopg://...``); each replica
keeps its own connection pool of ``LINGXI_DB__POOL_SIZE``.

Run it with ``lingxi serve --ray`` (``LINGXI_RAY__ADDRESS`` names the cluster; replicas from
``LINGXI_RAY__SERVE_REPLICAS``), or from Python::

    from lingxi.api.serve import run
    run(settings, host="0.0.0.0", port=8000)      # blocks until interrupted

Ray Serve's proxy listens on ``host:port`` and spreads requests over the replicas.

Both servers (``lingxi serve`` under uvicorn, and Ray Serve's proxy, which is uvicorn too) believe
``X-Forwarded-For`` only from ``LINGXI_TRUSTED_PROXIES`` (:func:`uvicorn_options`): uvicorn's own
default trusts 127.0.0.1, so any local client could pick its address and walk around the
sign-in rate limit.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from lingxi.config import Settings
from lingxi.errors import InvalidInputError
from lingxi.extras import MissingExtraError

__all__ = ["deployment", "run", "shutdown", "uvicorn_options", "wait"]

logger = logging.getLogger(__name__)

APP_NAME = "lingxi"


def _serve() -> Any:
    try:
        from ray import serve
    except ImportError as err:
        raise MissingExtraError("scale", "Serving under Ray Serve") from err
    return serve


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config``: proxy headers (the client's
    address and scheme) believed only from ``settings.trusted_proxies``, never by default."""
    trusted = list(settings.trusted_proxies)
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def _proxy_env(settings: Settings) -> dict[str, str]:
    # Ray Serve builds its proxy's uvicorn.Config itself; uvicorn then reads the trusted list
    # from FORWARDED_ALLOW_IPS ("" trusts nobody), which the proxy inherits from the controller.
    return {"FORWARDED_ALLOW_IPS": ",".join(settings.trusted_proxies)}


class LingxiIngress:
    """One replica: the whole app, built in the replica's process from the given settings."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def __serve_build_asgi_app__(self) -> Any:
        from lingxi.api.app import create_app

        return create_app(self._settings)


def deployment(settings: Settings, *, replicas: int | None = None) -> Any:
    """The bound Serve application (``replicas`` defaults to ``settings.ray.serve_replicas``)."""
    serve = _serve()
    n = replicas or settings.ray.serve_replicas
    if n > 1 and settings.db.url.startswith("sqlite"):
        # Replicas are separate processes; SQLite would work on one machine but not across nodes.
        logger.warning("Ray Serve with %d replicas on SQLite: use PostgreSQL to share data.", n)
    ingress = serve.ingress()(LingxiIngress)
    return serve.deployment(
        ingress,
        name="lingxi-api",
        num_replicas=n,
        ray_actor_options={"num_cpus": 0.5},
        max_ongoing_requests=64,
    ).bind(settings)


def run(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    replicas: int | None = None,
    block: bool = True,
) -> None:
    """Deploy the API on the Ray cluster at ``settings.ray.address`` and serve ``host:port``.

    With ``block`` (the CLI), waits until interrupted and then removes the deployment.

    Raises
    ------
    InvalidInputError
        ``settings.ray.address`` is not set.
    UnavailableError
        Ray Serve is not installed or the cluster is unreachable.
    """
    if not settings.ray.address:
        raise InvalidInputError.for_field(
            "LINGXI_RAY__ADDRESS", "a Ray cluster address for --ray", settings.ray.address
        )
    from lingxi.compute import connect

    connect(settings.ray)
    serve = _serve()
    serve.start(
        http_options={"host": host, "port": port},
        proxy_location="HeadOnly",
        controller_options={"runtime_env": {"env_vars": _proxy_env(settings)}},
    )
    serve.run(deployment(settings, replicas=replicas), name=APP_NAME, route_prefix="/")
    logger.info("Lingxi under Ray Serve on http://%s:%d", host, port)
    if block:
        wait()


def wait() -> None:
    """Block until interrupted (Ctrl-C or SIGTERM), then remove the deployment."""
    import signal

    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        shutdown()


def shutdown() -> None:
    """Remove the Lingxi deployment and stop Serve on the connected cluster."""
    serve = _serve()
    try:
        serve.delete(APP_NAME)
        serve.shutdown()
    except Exception:  # the cluster may already be gone
        logger.warning("Ray Serve shutdown failed", exc_info=True)
