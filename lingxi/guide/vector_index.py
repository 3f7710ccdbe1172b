"""Nearest products to a text or a vector: pgvector in PostgreSQL, or an in-process numpy index.

:func:`build_index` chooses: when the database is PostgreSQL with the ``vector`` extension
(:func:`lingxi.data.vectors.pgvector_available`), the product embeddings are stored in
``product_vector_<dim>`` and searched there, so a large catalogue need not sit in every API process;
otherwise (SQLite, or PostgreSQL without the extension) the same embeddings are searched with
one numpy mat-vec. Both return the same top-k (exact search, ties broken by product id), unless
an HNSW index was added with :meth:`lingxi.data.vectors.PgVectorStore.create_index`, which makes
the pgvector search approximate (recall@10 0.966 on the demo catalogue,
benchmarks/results/bench_guide_vectors.json).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import numpy.typing as npt

from lingxi.embeddings import EMBEDDING_MODEL, embed_query
from lingxi.errors import InvalidInputError

if TYPE_CHECKING:  # SQLAlchemy (under lingxi.data.vectors) loads only for PostgreSQL
    from lingxi.data import Database
    from lingxi.data.vectors import PgVectorStore

__all__ = ["NumpyIndex", "PgVectorIndex", "VectorIndex", "build_index", "search_text"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]


class VectorIndex(Protocol):
    """Exact nearest-neighbour search over unit-length product vectors."""

    backend: Literal["numpy", "pgvector"]

    def top_k(self, query: FloatArray, k: int) -> list[tuple[int, float]]:
        """``(product_id, inner product)`` of the ``k`` nearest products, best first."""
        ...

    def scores(self, query: FloatArray, product_ids: npt.NDArray[np.int64]) -> FloatArray:
        """Inner product of ``query`` with each of ``product_ids`` (the guide's candidates)."""
        ...


def _check_k(k: int) -> None:
    if k < 1:
        raise InvalidInputError.for_field("k", "an int in [1, inf)", k)


class NumpyIndex:
    """The in-process index: one mat-vec over every product."""

    backend: Literal["numpy", "pgvector"] = "numpy"

    def __init__(self, product_ids: Sequence[int], vectors: FloatArray) -> None:
        if vectors.shape[0] != len(product_ids):
            raise ValueError("vectors must have one row per product id")
        self.ids = np.asarray(product_ids, dtype=np.int64)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._row = {int(pid): i for i, pid in enumerate(self.ids)}

    def top_k(self, query: FloatArray, k: int) -> list[tuple[int, float]]:
        """Best first; ties by product id, as PostgreSQL orders them."""
        _check_k(k)
        scores = self.vectors @ np.asarray(query, dtype=np.float32)
        order = np.lexsort((self.ids, -scores))[:k]
        return [(int(self.ids[i]), float(scores[i])) for i in order]

    def scores(self, query: FloatArray, product_ids: npt.NDArray[np.int64]) -> FloatArray:
        """One mat-vec over the given products."""
        rows = np.asarray([self._row[int(pid)] for pid in product_ids], dtype=np.int64)
        return np.asarray(self.vectors[rows] @ np.asarray(query, np.float32), dtype=np.float32)


class PgVectorIndex:
    """The PostgreSQL index: vectors in ``product_vector_<dim>``, searched by the server."""

    backend: Literal["numpy", "pgvector"] = "pgvector"

    def __init__(self, store: PgVectorStore) -> None:
        self.store = store

    def top_k(self, query: FloatArray, k: int) -> list[tuple[int, float]]:
        """Best first; ties by product id."""
        _check_k(k)
        return self.store.top_k(np.asarray(query, dtype=np.float32), k)

    def scores(self, query: FloatArray, product_ids: npt.NDArray[np.int64]) -> FloatArray:
        """Computed by the server, over the candidates only."""
        return self.store.scores(np.asarray(query, dtype=np.float32), product_ids.tolist())


def build_index(
    db: Database,
    product_ids: Sequence[int],
    vectors: FloatArray,
    *,
    model: str = EMBEDDING_MODEL,
    prefer: Literal["auto", "numpy"] = "auto",
) -> VectorIndex:
    """pgvector when ``db`` offers it (and ``prefer`` is ``auto``), else the numpy index.

    With pgvector the vectors are written to ``product_vector_<dim>`` (replacing this model's rows).
    """
    if prefer == "auto" and db.dialect == "postgresql":
        from lingxi.data.vectors import PgVectorStore, pgvector_available

        if pgvector_available(db.engine):
            store = PgVectorStore(db.engine, model=model, dim=int(vectors.shape[1]))
            store.ensure_table()
            store.replace(product_ids, vectors)
            logger.info("product vector search in PostgreSQL (pgvector), %d products", len(vectors))
            return PgVectorIndex(store)
        logger.info("PostgreSQL without the vector extension: in-process vector search")
    return NumpyIndex(product_ids, vectors)


def search_text(index: VectorIndex, text: str, *, k: int = 10) -> list[tuple[int, float]]:
    """The ``k`` products nearest to ``text`` (a multilingual-e5 query embedding)."""
    if not text.strip():
        raise InvalidInputError.for_field("text", "non-empty text", text)
    return index.top_k(embed_query(text), k)
