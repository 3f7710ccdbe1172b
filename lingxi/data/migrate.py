"""Alembic migrations, driven programmatically (no alembic.ini needed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import OperationalError

from lingxi.errors import UnavailableError

__all__ = ["current_revision", "downgrade", "upgrade"]


def _config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "lingxi.data:migrations")
    cfg.attributes["engine"] = engine
    return cfg


@contextmanager
def _reachable(engine: Engine) -> Iterator[None]:
    try:
        yield
    except OperationalError as err:
        raise UnavailableError(
            f"The database at {engine.url.render_as_string(hide_password=True)} is unavailable.",
            part="database",
        ) from err


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Migrate the database up to ``revision`` (default: every head; each engine owns a branch)."""
    with _reachable(engine):
        command.upgrade(_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the database down to ``revision``."""
    with _reachable(engine):
        command.downgrade(_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The database's current revision(s), comma-joined, or ``None`` if never migrated."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None
