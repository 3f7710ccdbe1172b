"""Product vector search: pgvector in PostgreSQL when the server has it, numpy otherwise, with
the same top-k on the demo catalogue."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from lingxi.data import Database
from lingxi.data.vectors import PgVectorStore, pgvector_available
from lingxi.errors import InvalidInputError
from lingxi.guide import ProductFacts
from lingxi.guide.retrieval import embed_query
from lingxi.guide.vector_index import NumpyIndex, PgVectorIndex, build_index, search_text

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
def test_shared_server_without_the_extension_falls_back(
    pg_db: Database, demo_products: list[ProductFacts], demo_embeddings: np.ndarray
) -> None:
    """The shared PostgreSQL does not offer ``vector``: the guide's index is the numpy one and
    nothing is written to the database."""
    with pg_db.engine.connect() as conn:
        offered = conn.execute(
            sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        ).first()
    if offered:
        pytest.skip("the shared PostgreSQL now offers the vector extension: nothing falls back")
    assert not pgvector_available(pg_db.engine)
    index = build_index(pg_db, _ids(demo_products), demo_embeddings)
    assert index.backend == "numpy"
    with pg_db.engine.connect() as conn:
        tables = conn.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE tablename LIKE 'product_vector%'")
        ).all()
    assert tables == []


@pytest.mark.integration
def test_private_server_picks_pgvector(pgvector_db: Database) -> None:
    """A PostgreSQL that offers ``vector`` gets the extension created and is chosen."""
    assert pgvector_available(pgvector_db.engine)
    with pgvector_db.engine.connect() as conn:
        version = conn.execute(
            sa.text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        ).scalar()
    assert version is not None
    assert build_index(pgvector_db, [1, 2], np.eye(2, dtype=np.float32)).backend == "pgvector"
    assert build_index(
        pgvector_db, [1, 2], np.eye(2, dtype=np.float32), prefer="numpy"
    ).backend == ("numpy")


@pytest.mark.integration
def test_pgvector_top_k_matches_numpy(
    pgvector_db: Database, demo_products: list[ProductFacts], demo_embeddings: np.ndarray
) -> None:
    """On a real pgvector server (exact search, a sequential scan), the index built through
    the pgvector adapter returns the numpy index's top-20, ids and inner products, for English
    and Chinese queries and for a stored product's own vector."""
    ids = _ids(demo_products)
    index = build_index(pgvector_db, ids, demo_embeddings)
    assert isinstance(index, PgVectorIndex)
    assert index.store.count() == len(ids)
    reference = NumpyIndex(ids, demo_embeddings)
    queries = [embed_query(t) for t in QUERIES] + [demo_embeddings[100]]
    for q in queries:
        got, want = index.top_k(q, 20), reference.top_k(q, 20)
        assert [p for p, _ in got] == [p for p, _ in want]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=1e-5)
    assert index.top_k(demo_embeddings[100], 1)[0][0] == ids[100]
    assert [p for p, _ in search_text(index, QUERIES[1], k=5)] == [
        p for p, _ in reference.top_k(embed_query(QUERIES[1]), 5)
    ]


@pytest.mark.integration
def test_pgvector_rebuild_replaces_the_model_rows(
    pgvector_db: Database, demo_products: list[ProductFacts], demo_embeddings: np.ndarray
) -> None:
    """Building again with fewer products leaves exactly those; another model's rows stay,
    also a model of another dimension (each dimension has its own table)."""
    ids = _ids(demo_products)
    other = PgVectorStore(pgvector_db.engine, model="other-model", dim=demo_embeddings.shape[1])
    other.ensure_table()
    other.replace(ids[:3], demo_embeddings[:3])
    small = PgVectorStore(pgvector_db.engine, model="small-model", dim=3)
    small.ensure_table()
    small.replace([7, 8, 9], np.eye(3, dtype=np.float32))
    index = build_index(pgvector_db, ids[:50], demo_embeddings[:50])
    assert isinstance(index, PgVectorIndex)
    assert index.store.count() == 50
    assert other.count() == 3
    assert small.top_k(np.array([0, 1, 0], dtype=np.float32), 1) == [(8, 1.0)]
    assert {p for p, _ in index.top_k(demo_embeddings[200], 50)} == set(ids[:50])
    with pytest.raises(ValueError, match="shape"):
        index.store.replace(ids[:2], demo_embeddings[:3])


@pytest.mark.integration
def test_hnsw_index_serves_approximate_search(pgvector_db: Database) -> None:
    """After ``create_index`` the search is served by the HNSW index (the plan says so; ordering
    by distance and id had kept PostgreSQL from using it), finds a stored vector itself
    and most of the exact top-10, returns k > 40 products (ef_search raised), and
    ``exact=True`` still gives the numpy index's answer. Own dimension (16), so its own table."""
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(3000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = list(range(1, 3001))
    store = PgVectorStore(pgvector_db.engine, model="hnsw-test", dim=16)
    store.ensure_table()
    store.replace(ids, vectors)
    assert "_hnsw" not in store.explain(vectors[0], 10)
    store.create_index()
    with pgvector_db.engine.begin() as conn:
        conn.execute(sa.text(f"ANALYZE {store.table_name}"))
    assert store.indexed()
    assert f"Index Scan using {store.table_name}_hnsw" in store.explain(vectors[0], 10)
    assert "_hnsw" not in store.explain(vectors[0], 10, exact=True)
    reference = NumpyIndex(ids, vectors)
    hits = 0
    for row in range(0, 3000, 150):
        got = store.top_k(vectors[row], 10)
        assert got[0][0] == ids[row]
        assert got == sorted(got, key=lambda r: (-r[1], r[0]))
        hits += len({p for p, _ in got} & {p for p, _ in reference.top_k(vectors[row], 10)})
        assert [p for p, _ in store.top_k(vectors[row], 10, exact=True)] == [
            p for p, _ in reference.top_k(vectors[row], 10)
        ]
    assert hits / 200 >= 0.9
    assert len(store.top_k(vectors[1], 100)) == 100
    with pytest.raises(ValueError, match="16 dimensions"):
        store.top_k(np.ones(3, dtype=np.float32), 5)


@pytest.mark.integration
def test_the_guide_scores_candidates_in_postgres_when_it_can(pgvector_db: Database) -> None:
    """``ShoppingGuide.from_database`` on a server with pgvector has the server score each
    request's candidates, and recommends exactly what the in-process index recommends."""
    from lingxi.data.repos import catalog
    from lingxi.guide import ShoppingGuide
    from tests.helpers import products

    with pgvector_db.session() as s:
        catalog.upsert_products(s, records=products())
    in_postgres = ShoppingGuide.from_database(pgvector_db)
    in_process = ShoppingGuide.from_database(pgvector_db, vector_search="numpy")
    assert in_postgres.retriever.vector_index is not None
    assert in_postgres.retriever.vector_index.backend == "pgvector"  # type: ignore[attr-defined]
    assert in_process.retriever.vector_index is None
    for text in ("a gentle cleanser", "保湿面霜", "something for oily skin"):
        a = in_postgres.recommend(text, k=3)
        b = in_process.recommend(text, k=3)
        assert [i.id for i in a.items] == [i.id for i in b.items]
        assert [i.score for i in a.items] == pytest.approx([i.score for i in b.items], abs=1e-5)
