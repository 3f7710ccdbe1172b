"""The ``lingxi`` command: serve, db, demo, doctor, user and one sub-command per engine."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from lingxi.cli import _db, orders, user
from lingxi.cli._common import console, handle_errors, settings

__all__ = ["app", "main"]

app = typer.Typer(
    name="lingxi",
    help="Lingxi: a self-hostable AI commerce assistant (shopping, deliveries, smart home).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(_db.db_app, name="db")
app.add_typer(_db.demo_app, name="demo")
app.command("doctor")(_db.doctor)
app.add_typer(user.app, name="user")
app.add_typer(orders.app, name="orders")


def _register_engines() -> None:
    # Each engine owns its own CLI module; a module that is not built yet is skipped.
    from lingxi.cli import _engines

    for name, sub in _engines.sub_apps():
        app.add_typer(sub, name=name)
    for name, command in _engines.commands():
        app.command(name)(command)


@app.command()
@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    ray: Annotated[
        bool,
        typer.Option(
            "--ray",
            help="Serve under Ray Serve on the cluster at LINGXI_RAY__ADDRESS, with "
            "LINGXI_RAY__SERVE_REPLICAS replicas sharing the database (use PostgreSQL).",
        ),
    ] = False,
    replicas: Annotated[
        int | None, typer.Option(help="Replicas under --ray (default from settings).", min=1)
    ] = None,
) -> None:
    """Serve the web app and the HTTP API."""
    if ray:
        from lingxi.api import serve as ray_serve

        conf = settings()
        ray_serve.run(conf, host=host, port=port, replicas=replicas, block=False)
        n = replicas or conf.ray.serve_replicas
        console.print(f"Lingxi under Ray Serve ({n} replicas) on http://{host}:{port}")
        ray_serve.wait()
        return
    import uvicorn

    from lingxi.api import create_app
    from lingxi.api.serve import uvicorn_options
    from lingxi.api.services import check_ready_to_serve

    conf = settings()
    web_app = create_app(conf)
    check_ready_to_serve(conf, web_app.state.db)  # production: one clear line, no traceback
    console.print(f"Lingxi on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(web_app, host=host, port=port, log_level="info", **uvicorn_options(conf))


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _register_engines()
    app()
