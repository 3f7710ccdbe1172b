"""The ``lingxi`` command: serve, db, demo, doctor, user and one sub-command per engine."""

from __future__ import annotations

import importlib
import logging
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from lingxi.cli._common import console, emit_json, handle_errors, settings

__all__ = ["app", "main"]

# name -> (module, attribute, one-line help). A command's module (and the engine behind it) is
# imported only when that command runs or shows its own help; `lingxi --help` reads this table.
# tests/cli/test_lazy.py checks each help line against the module's own.
LAZY: dict[str, tuple[str, str, str]] = {
    "doctor": (
        "lingxi.cli._db",
        "doctor",
        "Report which real parts are reachable and configured; exit 3 when a configured one is down.",
    ),
    "chat": (
        "lingxi.cli.chat",
        "chat",
        "Talk to the assistant: shopping, orders and deliveries, the home, your data.",
    ),
    "db": ("lingxi.cli._db", "db_app", "Database migrations."),
    "demo": ("lingxi.cli._db", "demo_app", "Demo data."),
    "user": (
        "lingxi.cli.user",
        "app",
        "Deployment staff and couriers, invitations and password resets.",
    ),
    "orders": ("lingxi.cli.orders", "app", "Orders from outside: CSV import."),
    "guide": ("lingxi.cli.guide", "app", "The shopping guide."),
    "dispatch": ("lingxi.cli.dispatch", "app", "The dispatch engine."),
    "home": ("lingxi.cli.home", "app", "The smart-home engine."),
    "city": ("lingxi.cli.city", "app", "The cities the deployment delivers in."),
    "fleet": ("lingxi.cli.fleet", "app", "Depots, vehicles and service areas."),
    "catalogue": (
        "lingxi.cli.catalogue",
        "app",
        "The product catalogue: import, versions, rollback.",
    ),
}


def load_command(name: str) -> Any:
    """The click command behind ``name`` in :data:`LAZY` (imports its module)."""
    module, attr, _ = LAZY[name]
    target = getattr(importlib.import_module(module), attr)
    if isinstance(target, typer.Typer):
        command: Any = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _LazyGroup(TyperGroup):
    """The root group: lazy commands are real when resolved, help-only stubs when listed."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(dict.fromkeys([*self.commands, *LAZY]))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in LAZY:
            return self.commands.get(cmd_name)
        if self._listing:
            return TyperCommand(cmd_name, help=LAZY[cmd_name][2])
        command = self.commands[cmd_name] = load_command(cmd_name)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    cls=_LazyGroup,
    # Plain help and errors at the top: Rich's help layout imports Markdown and more (~0.2 s CPU)
    # for every `lingxi` run; each command group keeps Rich's layout for its own --help.
    rich_markup_mode=None,
    name="lingxi",
    help="Lingxi: a self-hostable AI commerce assistant (shopping, deliveries, smart home).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    # A callback keeps `lingxi` a group: its only eagerly registered command is `serve`.
    pass


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
