"""Read-only queries over the stdlib ``sqlite3`` module, for commands that start cold.

Importing SQLAlchemy and declaring the ORM models costs about 0.3 s, more than the whole of
``lingxi guide parse`` is allowed. The few reads a cold command makes on a SQLite file are here
as plain SQL, each giving exactly what its SQLAlchemy twin gives (tests/data/test_lean.py):

* :func:`list_brands` = :func:`lingxi.data.repos.catalog.list_brands`;
* :func:`catalogue_fingerprint` and :func:`interactions_fingerprint` = their namesakes in
  :mod:`lingxi.data.repos.guide`, the keys of the guide's stored index.

PostgreSQL and everything that writes go through SQLAlchemy as before.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from lingxi.errors import UnavailableError

__all__ = [
    "catalogue_fingerprint",
    "connect",
    "interactions_fingerprint",
    "list_brands",
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
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the SQLite file ``path`` (never creates it).

    Raises
    ------
    UnavailableError
        When the file is missing, unreadable, or lacks the tables read (not migrated).
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as err:
        raise UnavailableError(
            f"The database file {path} cannot be opened: {err}.", part="database"
        ) from err
    try:
        yield conn
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
