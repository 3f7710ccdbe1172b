"""The lean path reads the home and stores its changes exactly as the SQLAlchemy repositories do.

``lingxi home parse`` and ``home do`` on a SQLite file load the home and record each change
over the stdlib ``sqlite3`` (lingxi.data.repos.lean, through lingxi.home._store); these tests
hold it to the repositories' answers and rows.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from lingxi.data import Database
from lingxi.data.models import Household
from lingxi.data.repos import home as repo, lean
from lingxi.data.repos.conversation import household_settings
from lingxi.errors import InvalidInputError, NotFoundError
from lingxi.home._store import load_rows, record_changes
from lingxi.home.devices import DeviceState
from tests.home.conftest import load_home

PINNED = datetime(2026, 3, 1, 21, 30, 5, 123456, tzinfo=UTC)


def _reads(db: Database, household_id: int) -> tuple[Any, Any]:
    with db.session() as s:
        orm = (
            repo.list_areas(s, household_id=household_id),
            repo.list_entities(s, household_id=household_id),
            repo.current_states(s, household_id=household_id),
            household_settings(s, household_id=household_id),
        )
    with db.lean() as conn:
        plain = (
            lean.list_areas(conn, household_id=household_id),
            lean.list_entities(conn, household_id=household_id),
            lean.current_states(conn, household_id=household_id),
            lean.household_settings(conn, household_id=household_id),
        )
    return orm, plain


def _raw_states(db: Database) -> list[tuple[Any, ...]]:
    """Every stored state as SQLite holds it (text for times and JSON), without its id."""
    assert db.sqlite_file is not None
    with sqlite3.connect(db.sqlite_file) as conn:
        return conn.execute(
            "SELECT entity_pk, state, attributes, changed_at, source, actor_customer_id, "
            "typeof(changed_at), typeof(attributes) FROM entity_state ORDER BY id"
        ).fetchall()


def test_demo_home_reads_the_same(sqlite_db: Database) -> None:
    """Areas (aliases, names), entities (no area, capabilities), states and settings agree,
    also after more rows: a floor, an entity without area, a newer state, own settings."""
    members = load_home(sqlite_db)
    hid = members["owner"].household_id
    orm, plain = _reads(sqlite_db, hid)
    assert orm == plain
    assert len(plain[1]) > 10 and len(plain[2]) > 5
    with sqlite_db.session() as s:
        repo.create_area(
            s, household_id=hid, area_id="attic", name="Attic", floor="top", names={"zh": "阁楼"}
        )
        repo.create_entity(
            s, household_id=hid, entity_id="sensor.loose", name="Loose", aliases=["松"]
        )
        repo.record_state(
            s,
            household_id=hid,
            entity_id="light.kitchen",
            state="on",
            attributes={"brightness": 128, "color": {"r": 1.5}},
            source="voice",
            actor_customer_id=members["adult"].customer_id,
            changed_at=PINNED.astimezone(timezone(timedelta(hours=8))),
        )
        household = s.get(Household, hid)
        assert household is not None
        household.settings = {"heat_limit_c": 24.5}
    orm, plain = _reads(sqlite_db, hid)
    assert orm == plain
    assert plain[2]["light.kitchen"].changed_at == PINNED
    assert plain[3] == {"heat_limit_c": 24.5}
    # Another household's rows never leak in; an unknown one is empty both ways.
    assert _reads(sqlite_db, hid + 100) == (([], [], {}, {}), ([], [], {}, {}))


def test_a_state_is_stored_as_the_repository_stores_it(sqlite_db: Database) -> None:
    """The same change written both ways gives the same row, byte for byte (time text,
    JSON text with non-ASCII names), and either side reads the other's row back."""
    members = load_home(sqlite_db)
    hid, actor = members["owner"].household_id, members["child"].customer_id
    attributes = {"brightness": 200, "名字": "客厅", "rgb_color": [255, 0, 10]}
    with sqlite_db.session() as s:
        repo.record_state(
            s,
            household_id=hid,
            entity_id="light.kitchen",
            state="on",
            attributes=attributes,
            source="text",
            actor_customer_id=actor,
            changed_at=PINNED,
        )
    with sqlite_db.lean(write=True) as conn:
        lean.record_states(
            conn,
            household_id=hid,
            states=[("light.kitchen", "on", attributes)],
            source="text",
            actor_customer_id=actor,
            changed_at=PINNED,
        )
    by_orm, by_lean = _raw_states(sqlite_db)[-2:]
    assert by_orm == by_lean
    assert by_lean[3] == "2026-03-01 21:30:05.123456"
    orm, plain = _reads(sqlite_db, hid)
    assert orm == plain
    newest = plain[2]["light.kitchen"]
    assert (newest.attributes, newest.changed_at, newest.source) == (attributes, PINNED, "text")


def test_a_refused_change_stores_nothing_of_its_batch(sqlite_db: Database) -> None:
    """As in one session: an unknown entity or a bad source rolls the whole batch back."""
    hid = load_home(sqlite_db)["owner"].household_id
    before = _raw_states(sqlite_db)
    good = ("light.kitchen", "off", {})
    with pytest.raises(NotFoundError, match="light.nowhere"), sqlite_db.lean(write=True) as c:
        lean.record_states(
            c,
            household_id=hid,
            states=[good, ("light.nowhere", "on", {})],
            source="text",
            actor_customer_id=None,
        )
    with pytest.raises(InvalidInputError, match="source"), sqlite_db.lean(write=True) as c:
        lean.record_states(
            c, household_id=hid, states=[good], source="telepathy", actor_customer_id=None
        )
    assert _raw_states(sqlite_db) == before


@pytest.mark.parametrize("via", ["sqlite_db", "pg_db"])
def test_the_controller_store_reads_and_records_on_either_database(
    via: str, request: pytest.FixtureRequest
) -> None:
    """lingxi.home._store gives the repositories' home on SQLite (lean) and PostgreSQL
    (SQLAlchemy), and a recorded change is the newest state, the operator stored as no one."""
    db: Database = request.getfixturevalue(via)
    hid = load_home(db)["owner"].household_id
    rows = load_rows(db, hid)
    with db.session() as s:
        assert rows.entities == repo.list_entities(s, household_id=hid)
        assert rows.areas == repo.list_areas(s, household_id=hid)
    change = DeviceState("light.kitchen", "on", {"brightness": 77}, hid)
    record_changes(db, hid, [change], "touch", 0)
    newest = load_rows(db, hid).states["light.kitchen"]
    assert (newest.state, newest.attributes, newest.source) == ("on", {"brightness": 77}, "touch")
    assert newest.actor_customer_id is None
    assert newest.changed_at.tzinfo == UTC
