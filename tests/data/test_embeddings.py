"""Cached product embeddings: stored, replaced, and warmed by two processes at once."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from lingxi.data import Database
from lingxi.data.repos import catalog, guide
from tests.helpers import products


def _product_ids(db: Database) -> list[int]:
    with db.session() as s:
        catalog.upsert_products(s, records=products())
    with db.session() as s:
        return [p.id for p in catalog.list_products(s)]


def test_put_replaces_and_get_reads_back(db: Database) -> None:
    ids = _product_ids(db)
    with db.session() as s:
        guide.put_embeddings(s, model="m", vectors={i: np.full(4, i, np.float32) for i in ids})
    with db.session() as s:
        guide.put_embeddings(s, model="m", vectors={ids[0]: np.full(4, -1, np.float32)})
    with db.session() as s:
        got = guide.get_embeddings(s, model="m", product_ids=ids)
        other = guide.get_embeddings(s, model="other", product_ids=ids)
    assert got[ids[0]].tolist() == [-1.0] * 4
    assert got[ids[1]].tolist() == [float(ids[1])] * 4
    assert other == {}


@pytest.mark.integration
def test_two_writers_warming_the_same_cache_both_succeed(pg_db: Database) -> None:
    """Two replicas starting together insert the same (product, model) rows: the second waits
    for the first to commit and then updates, instead of failing on the unique constraint."""
    ids = _product_ids(pg_db)
    vectors = {i: np.ones(4, np.float32) for i in ids}
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with pg_db.session() as s:
                guide.put_embeddings(s, model="m", vectors=vectors)
        except BaseException as err:  # reported by the assertion below
            errors.append(err)

    with pg_db.session() as s:
        guide.put_embeddings(s, model="m", vectors=vectors)
        writer = threading.Thread(target=second)
        writer.start()
        time.sleep(0.5)  # the second writer is now blocked on our uncommitted rows
    writer.join(timeout=30)
    assert errors == []
    with pg_db.session() as s:
        assert set(guide.get_embeddings(s, model="m", product_ids=ids)) == set(ids)
