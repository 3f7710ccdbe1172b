"""Migrations upgrade, downgrade and upgrade again on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from lingxi.data import Base, Database, current_revision, downgrade, upgrade


def _fresh(request: pytest.FixtureRequest, tmp_path: Path, backend: str) -> Database:
    if backend == "sqlite":
        return Database.from_url(f"sqlite:///{tmp_path / 'm.db'}")
    url: str = request.getfixturevalue("pg_url")
    # A schema of its own so this test does not disturb the session's migrated database.
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS mig CASCADE"))
        conn.execute(text("CREATE SCHEMA mig"))
    admin.dispose()
    return Database.from_url(url + "?options=-csearch_path%3Dmig")


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
def test_upgrade_downgrade_upgrade(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    """Every table appears on upgrade, disappears on downgrade, and comes back."""
    db = _fresh(request, tmp_path, backend)
    tables = {t.name for t in Base.metadata.sorted_tables}
    upgrade(db.engine)
    assert tables <= set(inspect(db.engine).get_table_names())
    assert current_revision(db.engine) is not None
    downgrade(db.engine, "base")
    assert not tables & set(inspect(db.engine).get_table_names())
    upgrade(db.engine)
    assert tables <= set(inspect(db.engine).get_table_names())
    db.dispose()


def test_models_match_migrations(tmp_path: Path) -> None:
    """The migrations create exactly what the models declare (no pending autogenerate diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database.from_url(f"sqlite:///{tmp_path / 'diff.db'}")
    upgrade(db.engine)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    db.dispose()


def test_sqlite_uses_wal(sqlite_db: Database) -> None:
    """The embedded database runs in WAL mode with foreign keys on."""
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
