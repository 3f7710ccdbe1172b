"""Product vector search: pgvector in PostgreSQL when the server has it, numpy otherwise, with
the same top-k on the demo catalogue."""

from __future__ import annotations

import numpy as np
import pytest

from lingxi.data import Database
from lingxi.data.vectors import pgvector_available
from lingxi.errors import InvalidInputError
from lingxi.guide import ProductFacts
from lingxi.guide.retrieval import embed_query
from lingxi.guide.vector_index import NumpyIndex, build_index, search_text

QUERIES = [
    "gentle cleanser for dry sensitive skin",
    "油皮 控油 面霜",
    "sunscreen SPF 50",
    "eye cream",
]


def _ids(products: list[ProductFacts]) -> list[int]:
    return [int(p.id) for p in products]


def test_numpy_index_is_exact_top_k(
    demo_products: list[ProductFacts], demo_embeddings: np.ndarray
) -> None:
    """The numpy index returns the brute-force best k, best first."""
    index = NumpyIndex(_ids(demo_products), demo_embeddings)
    for text in QUERIES:
        q = embed_query(text)
        got = index.top_k(q, 10)
        scores = demo_embeddings @ q
        assert [round(s, 5) for _, s in got] == sorted(
            (round(float(s), 5) for s in scores), reverse=True
        )[:10]
        assert got == sorted(got, key=lambda r: (-r[1], r[0]))


def test_bad_k_and_empty_text_are_refused(
    demo_products: list[ProductFacts], demo_embeddings: np.ndarray
) -> None:
    """k < 1 and empty text are named in the error."""
    index = NumpyIndex(_ids(demo_products), demo_embeddings)
    with pytest.raises(InvalidInputError, match="'k'"):
        index.top_k(embed_query("x"), 0)
    with pytest.raises(InvalidInputError, match="'text'"):
        search_text(index, "  ")


def test_sqlite_uses_the_numpy_index(
    sqlite_db: Database, demo_products: list[ProductFacts], demo_embeddings: np.ndarray
) -> None:
    """SQLite has no pgvector: the in-process index answers."""
    index = build_index(sqlite_db, _ids(demo_products), demo_embeddings)
    assert index.backend == "numpy"
    assert len(search_text(index, QUERIES[0], k=5)) == 5


@pytest.mark.integration
def test_postgres_uses_pgvector_or_falls_back(
    pg_db: Database, demo_products: list[ProductFacts], demo_embeddings: np.ndarray
) -> None:
    """On PostgreSQL the index is pgvector exactly when the server has the extension, and
    either way it returns the numpy index's top-k for every query."""
    has = pgvector_available(pg_db.engine)
    index = build_index(pg_db, _ids(demo_products), demo_embeddings)
    assert index.backend == ("pgvector" if has else "numpy")
    reference = NumpyIndex(_ids(demo_products), demo_embeddings)
    for text in QUERIES:
        q = embed_query(text)
        got, want = index.top_k(q, 10), reference.top_k(q, 10)
        assert [pid for pid, _ in got] == [pid for pid, _ in want]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=1e-5)


@pytest.mark.integration
def test_pgvector_top_k_matches_numpy(
    pg_db: Database, demo_products: list[ProductFacts], demo_embeddings: np.ndarray
) -> None:
    """With the extension, PostgreSQL's exact search returns the same top-k as numpy."""
    if not pgvector_available(pg_db.engine):
        pytest.skip("this PostgreSQL server has no vector extension (postgresql-*-pgvector)")
    index = build_index(pg_db, _ids(demo_products), demo_embeddings)
    assert index.backend == "pgvector"
    reference = NumpyIndex(_ids(demo_products), demo_embeddings)
    for text in QUERIES:
        q = embed_query(text)
        assert [p for p, _ in index.top_k(q, 20)] == [p for p, _ in reference.top_k(q, 20)]
