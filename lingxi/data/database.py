"""The :class:`Database` handle every engine is given: an engine plus a unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lingxi.config import DatabaseSettings
from lingxi.data.engine import make_engine, make_sessionmaker, ping, session_scope

__all__ = ["Database"]


@dataclass(frozen=True)
class Database:
    """One database: an engine and its session factory. Build with :meth:`from_settings`."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> Database:
        """Connect lazily to ``settings.url`` (no I/O until the first session)."""
        engine = make_engine(settings)
        return cls(engine=engine, sessions=make_sessionmaker(engine))

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Shortcut for ``from_settings(DatabaseSettings(url=url))``."""
        return cls.from_settings(DatabaseSettings(url=url))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error."""
        with session_scope(self.sessions) as session:
            yield session

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def ping(self) -> bool:
        """True when the database answers."""
        return ping(self.engine)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
