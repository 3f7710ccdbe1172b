"""The ``lingxi`` command: serve, db, demo, doctor, user and one sub-command per engine."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from lingxi.cli import _db, orders, user
from lingxi.cli._common import console, emit_json, handle_errors, settings

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
    # Each engine owns its own CLI module; registered once per process (tests run many).
    from lingxi.cli import _engines

    if any(g.name == "guide" for g in app.registered_groups):
        return

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


def run(argv: list[str]) -> int:
    """Run ``lingxi ARGV``; the exit code.

    A usage error (a missing argument, an option's bad value) exits 2 like every bad input;
    with ``--json`` it is the one JSON document printed, like any other error.
    """
    from typer.exceptions import TyperException

    _register_engines()
    if "--json" not in argv:
        try:
            app(args=argv, prog_name="lingxi")
        except SystemExit as done:
            return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        return 0
    try:
        code = app(args=argv, prog_name="lingxi", standalone_mode=False)
    except TyperException as err:  # click's usage errors (typer vendors click)
        param = getattr(err, "param", None)
        field = (param.opts[0] if param.opts else param.name) if param is not None else None
        format_message = getattr(err, "format_message", None)
        message = format_message() if callable(format_message) else str(err)
        emit_json(
            {"error": {"code": "invalid_input", "message": message, "details": {"field": field}}}
        )
        return 2
    return code if isinstance(code, int) else 0


def main() -> None:
    """Console-script entry point."""
    import sys

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    raise SystemExit(run(sys.argv[1:]))
