"""The :class:`Database` handle every engine is given: an engine plus a unit of work.

The SQLAlchemy engine is built on first use, not with the handle: a command that reads two
things from a SQLite file does so over :meth:`Database.lean` (the stdlib ``sqlite3`` module)
and never imports SQLAlchemy (~0.3 s of a cold start).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lingxi.config import DatabaseSettings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Database"]

_BUILD = threading.Lock()


@dataclass(frozen=True, eq=False)
class Database:
    """One database: an engine and its session factory. Build with :meth:`from_settings`."""

    settings: DatabaseSettings

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> Database:
        """Connect lazily to ``settings.url`` (no I/O, no engine until first used)."""
        return cls(settings=settings)

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Shortcut for ``from_settings(DatabaseSettings(url=url))``."""
        return cls.from_settings(DatabaseSettings(url=url))

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created on first use (once, whichever thread asks first)."""
        engine: Engine | None = self.__dict__.get("_engine")
        if engine is None:
            with _BUILD:
                engine = self.__dict__.get("_engine")
                if engine is None:
                    from lingxi.data.engine import make_engine

                    engine = self.__dict__["_engine"] = make_engine(self.settings)
        return engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory, created on first use."""
        factory: sessionmaker[Session] | None = self.__dict__.get("_sessions")
        if factory is None:
            engine = self.engine
            with _BUILD:
                factory = self.__dict__.get("_sessions")
                if factory is None:
                    from lingxi.data.engine import make_sessionmaker

                    factory = self.__dict__["_sessions"] = make_sessionmaker(engine)
        return factory

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error."""
        from lingxi.data.engine import session_scope

        with session_scope(self.sessions) as session:
            yield session

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        if "_engine" in self.__dict__:
            return self.engine.dialect.name
        return self.settings.url.split(":", 1)[0].split("+", 1)[0]

    @property
    def sqlite_file(self) -> Path | None:
        """The file of a plain ``sqlite:///PATH`` database, else ``None`` (PostgreSQL, memory,
        a URL with options): where :meth:`lean` can read."""
        from lingxi.data.repos.lean import sqlite_file

        return sqlite_file(self.settings.url)

    @contextmanager
    def lean(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A read-only stdlib ``sqlite3`` connection for :mod:`lingxi.data.repos.lean`; with
        ``write=True`` one that may write, committed when the block ends without an error.

        Raises
        ------
        ValueError
            When the database is not a plain SQLite file (see :attr:`sqlite_file`).
        UnavailableError
            When the file cannot be opened.
        """
        from lingxi.data.repos.lean import connect

        path = self.sqlite_file
        if path is None:
            raise ValueError(f"{self.dialect} database: the lean read path is SQLite's only")
        with connect(path, write=write) as conn:
            yield conn

    def ping(self) -> bool:
        """True when the database answers."""
        from lingxi.data.engine import ping

        return ping(self.engine)

    def dispose(self) -> None:
        """Close every pooled connection (nothing to do when no engine was built)."""
        if "_engine" in self.__dict__:
            self.engine.dispose()
