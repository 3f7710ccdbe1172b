"""Shared fixtures: a migrated database on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data import Base, Database, upgrade
from tests.helpers import Seeded, seed

PG_ADMIN_URL = os.environ.get(
    "LINGXI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _shared_data() -> Path:
    """The data sets beside the checkout (../shared/data), or where LINGXI_SHARED_DATA says."""
    if env := os.environ.get("LINGXI_SHARED_DATA"):
        return Path(env)
    beside = Path(__file__).resolve().parents[2] / "shared" / "data"
    return beside if beside.is_dir() else Path("/work/shared/data")


SHARED_DATA = _shared_data()


def _truncate_all(db: Database) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            quoted = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for t in reversed(tables):
                conn.execute(text(f'DELETE FROM "{t}"'))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    name = f"lingxi_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # Test data need not survive a PostgreSQL crash; Lingxi's own commits still do.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def _pg_database(pg_url: str) -> Iterator[Database]:
    db = Database.from_url(pg_url)
    upgrade(db.engine)
    yield db
    db.dispose()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Real argon2, with the smallest cost parameters, so tests do not spend minutes hashing."""
    from argon2 import PasswordHasher

    from lingxi.data.repos import identity

    original = identity._hasher
    identity._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    identity._hasher = original


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "lingxi.db"
    db = Database.from_url(f"sqlite:///{path}")
    upgrade(db.engine)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def sqlite_db(tmp_path: Path, _sqlite_template: Path) -> Iterator[Database]:
    """A migrated SQLite database in a temporary file."""
    path = tmp_path / "lingxi.db"
    shutil.copyfile(_sqlite_template, path)
    db = Database.from_url(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def pg_db(_pg_database: Database) -> Iterator[Database]:
    """The session's migrated PostgreSQL database, emptied after each test."""
    yield _pg_database
    _truncate_all(_pg_database)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db(request: pytest.FixtureRequest) -> Database:
    """A migrated database: each test using it runs on SQLite and on PostgreSQL."""
    name = "sqlite_db" if request.param == "sqlite" else "pg_db"
    database: Database = request.getfixturevalue(name)
    return database


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Test settings on a temporary SQLite file, no broker, no LLM."""
    return Settings(
        environment="test",
        data_dir=tmp_path,
        db={"url": f"sqlite:///{tmp_path / 'lingxi.db'}"},  # type: ignore[arg-type]
    )


@pytest.fixture
def seeded(db: Database) -> Seeded:
    """Two households with members and products, on ``db``."""
    return seed(db)


@pytest.fixture
def client(db: Database, settings: Settings) -> Iterator[TestClient]:
    """An anonymous client on the app over ``db``."""
    with TestClient(create_app(settings, database=db)) as c:
        yield c
