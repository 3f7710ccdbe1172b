"""Engines, sessions and the unit of work.

``make_engine`` builds an engine from :class:`~lingxi.config.DatabaseSettings`: SQLite gets
WAL journaling, foreign keys and a busy timeout (so a killed process loses no committed
write); PostgreSQL gets a connection pool with pre-ping (so a restarted server is
reconnected without restarting Lingxi).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from lingxi.config import DatabaseSettings
from lingxi.errors import UnavailableError

__all__ = ["make_engine", "make_sessionmaker", "ping", "session_scope"]

logger = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(settings: DatabaseSettings) -> Engine:
    """Create the engine for ``settings.url``; creates the SQLite file's folder if needed."""
    url = make_url(settings.url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=settings.echo, connect_args={"check_same_thread": False, "timeout": 10}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        echo=settings.echo,
        pool_size=settings.pool_size,
        max_overflow=(
            settings.pool_size * 2 if settings.max_overflow is None else settings.max_overflow
        ),
        pool_pre_ping=True,
        pool_timeout=settings.pool_timeout_s,
        pool_recycle=settings.pool_recycle_s,
        connect_args={"connect_timeout": 5} if url.get_backend_name() == "postgresql" else {},
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    Database connection failures are raised as :class:`UnavailableError`.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except (OperationalError, DBAPIError) as err:
        session.rollback()
        if isinstance(err, OperationalError) or err.connection_invalidated:
            raise UnavailableError(
                "The database is unavailable; try again shortly.", part="database"
            ) from err
        raise
    except PoolTimeoutError as err:
        # Every pooled connection stayed busy for pool_timeout_s: shed load with a 503.
        session.rollback()
        raise UnavailableError(
            "The database is busy (no free connection); try again shortly.", part="database"
        ) from err
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def ping(engine: Engine) -> bool:
    """True when the database answers ``SELECT 1``."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        logger.warning("database ping failed", exc_info=True)
        return False
