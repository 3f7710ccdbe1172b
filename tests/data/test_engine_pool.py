"""PostgreSQL connection pooling follows the settings, and a pool that stays full answers 503."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from lingxi.config import DatabaseSettings
from lingxi.data import Database
from lingxi.data.engine import make_engine
from lingxi.errors import UnavailableError

pytestmark = pytest.mark.integration


def test_pool_follows_settings(pg_url: str) -> None:
    """Size, overflow, timeout, recycle and pre-ping come from DatabaseSettings."""
    engine = make_engine(
        DatabaseSettings(
            url=pg_url, pool_size=3, max_overflow=1, pool_timeout_s=2.5, pool_recycle_s=60
        )
    )
    pool = engine.pool
    assert pool.size() == 3  # type: ignore[attr-defined]
    assert pool._max_overflow == 1  # type: ignore[attr-defined]
    assert pool._timeout == 2.5  # type: ignore[attr-defined]
    assert pool._recycle == 60 and pool._pre_ping
    default = make_engine(DatabaseSettings(url=pg_url, pool_size=4)).pool
    assert default._max_overflow == 8  # type: ignore[attr-defined]


def test_full_pool_is_unavailable_not_a_crash(pg_url: str, pg_db: Database) -> None:
    """With every connection held, a unit of work waits pool_timeout_s and raises
    UnavailableError (HTTP 503) naming the database; it works again once one is free."""
    settings = DatabaseSettings(url=pg_url, pool_size=1, max_overflow=0, pool_timeout_s=0.3)
    db = Database.from_settings(settings)
    try:
        held = db.engine.connect()
        with pytest.raises(UnavailableError, match="busy") as info, db.session() as s:
            s.execute(text("SELECT 1"))
        assert info.value.details.get("part") == "database"
        held.close()
        with db.session() as s:
            assert s.execute(text("SELECT 1")).scalar() == 1
    finally:
        db.dispose()
