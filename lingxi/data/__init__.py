"""The shared data layer: one set of tables for customers, catalogue, orders, fleet and home."""

from typing import TYPE_CHECKING

# Loaded on first use: a command that only reads a table should not import Alembic.
if TYPE_CHECKING:
    from lingxi.data.base import Base as Base, utcnow as utcnow
    from lingxi.data.database import Database as Database
    from lingxi.data.engine import (
        make_engine as make_engine,
        make_sessionmaker as make_sessionmaker,
        ping as ping,
        session_scope as session_scope,
    )
    from lingxi.data.migrate import (
        current_revision as current_revision,
        downgrade as downgrade,
        upgrade as upgrade,
    )
else:
    from lingxi._lazy import exports

    __getattr__, __dir__ = exports(
        __name__,
        {
            "lingxi.data.base": ["Base", "utcnow"],
            "lingxi.data.database": ["Database"],
            "lingxi.data.engine": ["make_engine", "make_sessionmaker", "ping", "session_scope"],
            "lingxi.data.migrate": ["current_revision", "downgrade", "upgrade"],
        },
    )

__all__ = [
    "Base",
    "Database",
    "current_revision",
    "downgrade",
    "make_engine",
    "make_sessionmaker",
    "ping",
    "session_scope",
    "upgrade",
    "utcnow",
]
