"""The shared data layer: one set of tables for customers, catalogue, orders, fleet and home."""

from lingxi.data.base import Base as Base
from lingxi.data.base import utcnow as utcnow
from lingxi.data.database import Database as Database
from lingxi.data.engine import (
    make_engine as make_engine,
)
from lingxi.data.engine import (
    make_sessionmaker as make_sessionmaker,
)
from lingxi.data.engine import (
    ping as ping,
)
from lingxi.data.engine import (
    session_scope as session_scope,
)
from lingxi.data.migrate import (
    current_revision as current_revision,
)
from lingxi.data.migrate import (
    downgrade as downgrade,
)
from lingxi.data.migrate import (
    upgrade as upgrade,
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
