"""Read-only queries over the stdlib ``sqlite3`` module, for commands that start cold.

Importing SQLAlchemy and declaring the ORM models costs about 0.3 s, more than the whole of
``lingxi guide parse`` is allowed. The few reads a cold command makes on a SQLite file are here
as plain SQL, each giving exactly what its SQLAlchemy twin gives (tests/data/test_lean.py):

* :func:`list_brands` = :func:`lingxi.data.repos.catalog.list_brands`;
* :func:`catalogue_fingerprint` and :func:`interactions_fingerprint` = their namesakes in
  :mod:`lingxi.data.repos.guide`, the keys of the guide's stored index;
* :func:`list_areas`, :func:`list_entities`, :func:`current_states` and
  :func:`household_settings` = their namesakes in :mod:`lingxi.data.repos.home` and
  :mod:`lingxi.data.repos.conversation`: the home ``lingxi home parse`` and ``home do`` load.

One write is here too, :func:`record_states` (``lingxi home do``'s only write): it stores the
very row :func:`lingxi.data.repos.home.record_state` stores, same text for the time and the
JSON, over a connection opened by ``connect(path, write=True)``. PostgreSQL and every other write go
through SQLAlchemy as before.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lingxi.data.records import AreaRecord, EntityRecord, StateRecord, check_state
from lingxi.errors import NotFoundError, UnavailableError

__all__ = [
    "catalogue_fingerprint",
    "connect",
    "current_states",
    "household_settings",
    "interactions_fingerprint",
    "list_areas",
    "list_brands",
    "list_entities",
    "record_states",
    "sqlite_file",
]

_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL (relative to the working folder, as
    SQLAlchemy reads it), else ``None``: another database, memory, or a URL with options."""
    for prefix in _PREFIXES:
        if url.startswith(prefix):
            path = url.removeprefix(prefix)
            if not path or path == ":memory:" or "?" in path or path.startswith("file:"):
                return None
            return Path(path)
    return None


@contextmanager
def connect(path: Path, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the SQLite file ``path`` (never creates it); with
    ``write=True`` a read-write one set up as the SQLAlchemy engine's are (foreign keys on,
    ``synchronous=NORMAL``, a 10 s busy timeout) that commits when the block ends without
    an error and rolls back when it raises.

    Raises
    ------
    UnavailableError
        When the file is missing, unreadable, or lacks the tables read (not migrated).
    """
    mode = "rw" if write else "ro"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=10)
        if write:
            # lingxi.data.engine's pragmas (the file is in WAL mode already, set by it).
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=10000")
    except sqlite3.Error as err:
        raise UnavailableError(
            f"The database file {path} cannot be opened: {err}.", part="database"
        ) from err
    try:
        yield conn
        if write:
            conn.commit()
    except sqlite3.Error as err:
        raise UnavailableError(
            f"The database file {path} cannot be read: {err}.", part="database"
        ) from err
    finally:
        with suppress(sqlite3.Error):
            conn.close()


def list_brands(conn: sqlite3.Connection) -> list[str]:
    """The catalogue's brand names, sorted (what the need parser recognises as brands)."""
    return [row[0] for row in conn.execute("SELECT DISTINCT brand FROM product ORDER BY brand")]


# The product columns the fingerprint reads, in its order; the five skin flags are booleans
# to SQLAlchemy (True/False) and integers to sqlite3 (1/0), and the digest reads their repr.
_PRODUCT_COLUMNS = (
    "id, sku, name, brand, category, price_minor, currency, rating, skin_combination, "
    "skin_dry, skin_normal, skin_oily, skin_sensitive, length(ingredients_raw)"
)
_BOOLEANS = slice(8, 13)
_AGGREGATES = (
    "SELECT count(*), sum(CAST(ingredient_id AS BIGINT) * (position + 1)), "
    "sum(CAST(product_id AS BIGINT) * (position + 1)) FROM product_ingredient",
    "SELECT count(*), max(id) FROM catalogue_version",
    "SELECT count(*), max(id) FROM product_embedding WHERE model = :model",
)


def catalogue_fingerprint(conn: sqlite3.Connection, *, model: str) -> str:
    """A digest of everything the guide's index is built from (see
    :func:`lingxi.data.repos.guide.catalogue_fingerprint`, which it equals)."""
    digest = hashlib.sha256()
    cursor = conn.execute(f"SELECT {_PRODUCT_COLUMNS} FROM product ORDER BY id")
    for row in cursor:
        values = list(row)
        values[_BOOLEANS] = [None if v is None else bool(v) for v in values[_BOOLEANS]]
        digest.update(repr(tuple(values)).encode("utf-8"))
    for query in _AGGREGATES:
        row = conn.execute(query, {"model": model}).fetchone()
        digest.update(repr(tuple(row)).encode("utf-8"))
    return digest.hexdigest()


def interactions_fingerprint(conn: sqlite3.Connection) -> str:
    """A digest of the stored interactions (equals
    :func:`lingxi.data.repos.guide.interactions_fingerprint`)."""
    row = conn.execute("SELECT count(*), max(id) FROM interaction").fetchone()
    return hashlib.sha256(repr(tuple(row)).encode("utf-8")).hexdigest()


# -------------------------------------------------------------------------------- the home


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _names(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items() if v}


def _utc(text: str) -> datetime:
    """A stored time as SQLAlchemy's ``UTCDateTime`` reads it back: aware, in UTC."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def list_areas(conn: sqlite3.Connection, *, household_id: int) -> list[AreaRecord]:
    """The household's areas, by name (= :func:`lingxi.data.repos.home.list_areas`)."""
    rows = conn.execute(
        "SELECT area_id, name, aliases, floor, names FROM area WHERE household_id = ? "
        "ORDER BY name",
        (household_id,),
    )
    return [
        AreaRecord(
            area_id=area_id,
            name=name,
            aliases=tuple(str(a) for a in _json(aliases) or ()),
            floor=floor,
            names=_names(_json(names)),
        )
        for area_id, name, aliases, floor, names in rows
    ]


def list_entities(conn: sqlite3.Connection, *, household_id: int) -> list[EntityRecord]:
    """The household's entities with their area slugs, by entity id
    (= :func:`lingxi.data.repos.home.list_entities`)."""
    rows = conn.execute(
        "SELECT e.entity_id, e.domain, e.name, e.aliases, a.area_id, e.device_class, "
        "e.capabilities, e.names FROM entity e LEFT OUTER JOIN area a ON e.area_id = a.id "
        "WHERE e.household_id = ? ORDER BY e.entity_id",
        (household_id,),
    )
    return [
        EntityRecord(
            entity_id=entity_id,
            domain=domain,
            name=name,
            aliases=tuple(str(a) for a in _json(aliases) or ()),
            area_id=area_slug,
            device_class=device_class,
            capabilities=dict(_json(capabilities) or {}),
            names=_names(_json(names)),
        )
        for entity_id, domain, name, aliases, area_slug, device_class, capabilities, names in rows
    ]


def current_states(conn: sqlite3.Connection, *, household_id: int) -> dict[str, StateRecord]:
    """The newest recorded state of each entity of the household that has one
    (= :func:`lingxi.data.repos.home.current_states`)."""
    rows = conn.execute(
        "SELECT s.id, e.entity_id, s.state, s.attributes, s.changed_at, s.source, "
        "s.actor_customer_id FROM entity_state s JOIN entity e ON s.entity_pk = e.id "
        "WHERE s.id IN (SELECT max(s2.id) FROM entity_state s2 JOIN entity e2 "
        "ON s2.entity_pk = e2.id WHERE e2.household_id = ? GROUP BY s2.entity_pk)",
        (household_id,),
    )
    return {
        entity_id: StateRecord(
            entity_id=entity_id,
            state=state,
            attributes=dict(_json(attributes) or {}),
            changed_at=_utc(changed_at),
            source=source,
            actor_customer_id=actor,
            id=pk,
        )
        for pk, entity_id, state, attributes, changed_at, source, actor in rows
    }


def household_settings(conn: sqlite3.Connection, *, household_id: int) -> dict[str, Any]:
    """A household's switches; empty when unknown
    (= :func:`lingxi.data.repos.conversation.household_settings`)."""
    row = conn.execute("SELECT settings FROM household WHERE id = ?", (household_id,)).fetchone()
    return dict(_json(row[0]) or {}) if row else {}


# SQLAlchemy's SQLite DATETIME text (sqlalchemy.dialects.sqlite.DATETIME), of the UTC time.
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def record_states(
    conn: sqlite3.Connection,
    *,
    household_id: int,
    states: list[tuple[str, str, dict[str, Any]]],
    source: str,
    actor_customer_id: int | None,
    changed_at: datetime | None = None,
) -> None:
    """Append ``(entity_id, state, attributes)`` to each entity's history, as
    :func:`lingxi.data.repos.home.record_state` does (at ``changed_at``, else each at the
    time it is written), in the caller's transaction.

    Raises
    ------
    InvalidInputError
        A source or state :func:`~lingxi.data.records.check_state` refuses.
    NotFoundError
        An entity the household does not have.
    """
    if changed_at is not None and changed_at.tzinfo is None:
        raise ValueError("Naive datetimes are refused: pass a timezone-aware value.")
    for entity_id, state, attributes in states:
        check_state(state, source)
        stamp = (changed_at or datetime.now(UTC)).astimezone(UTC).strftime(_TIME_FORMAT)
        row = conn.execute(
            "SELECT id FROM entity WHERE household_id = ? AND entity_id = ?",
            (household_id, entity_id),
        ).fetchone()
        if row is None:
            raise NotFoundError(
                f"No entity {entity_id!r} in household {household_id}.", field="entity_id"
            )
        conn.execute(
            "INSERT INTO entity_state (entity_pk, state, attributes, changed_at, source, "
            "actor_customer_id) VALUES (?, ?, ?, ?, ?, ?)",
            (row[0], state, json.dumps(dict(attributes or {})), stamp, source, actor_customer_id),
        )
