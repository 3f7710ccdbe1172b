"""Product vectors in PostgreSQL with pgvector: the only module importing ``pgvector``.

Used when the server has the ``vector`` extension (``CREATE EXTENSION vector`` succeeds);
:func:`pgvector_available` says whether it does, and the guide falls back to its in-process
numpy index otherwise (SQLite, or a PostgreSQL without the extension).

The ``product_vector_<dim>`` tables live outside the Alembic schema on purpose: they exist only
where the extension does, so each is created here on first use (``CREATE TABLE IF NOT EXISTS``),
keyed by (model, product) like ``product_embedding``. There is one table per vector dimension
because a ``vector(n)`` column (which an HNSW index needs) holds only vectors of length ``n``:
with a single table, the first model stored fixed the dimension and a model of another size
could never be stored (found by the first run against a real pgvector server).

Search is exact by default: a sequential scan ordered by inner product (cosine, for unit
vectors), ties by product id, the numpy index's order. :meth:`PgVectorStore.create_index` adds
an HNSW index for large catalogues; search on that table is then approximate unless
``exact=True`` is asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

__all__ = ["PgVectorStore", "pgvector_available"]

logger = logging.getLogger(__name__)


def pgvector_available(engine: Engine) -> bool:
    """True when ``engine`` is PostgreSQL with the ``vector`` extension installed or installable
    (it is created if the server offers it and the role may), and the Python package is present."""
    if engine.dialect.name != "postgresql":
        return False
    try:
        import pgvector.sqlalchemy  # noqa: F401
    except ImportError:
        return False
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).first():
                return True
            offered = conn.execute(
                text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
            ).first()
        if not offered:
            logger.info("PostgreSQL does not offer the vector extension")
            return False
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
        return True
    except DBAPIError:
        logger.warning("the vector extension could not be checked or created", exc_info=True)
        return False


class PgVectorStore:
    """Unit-length product vectors of one embedding model, searched in PostgreSQL."""

    def __init__(self, engine: Engine, *, model: str, dim: int) -> None:
        from pgvector.sqlalchemy import VECTOR

        if dim < 1:
            raise ValueError(f"dim must be a positive int, got {dim!r}")
        self.engine = engine
        self.model = model
        self.dim = dim
        self.table_name = f"product_vector_{dim}"
        self._table = Table(
            self.table_name,
            MetaData(),
            Column("model", String(120), primary_key=True),
            Column("product_id", Integer, primary_key=True),
            Column("embedding", VECTOR(dim), nullable=False),
        )
        self._index_name = f"{self.table_name}_hnsw"
        self._indexed: bool | None = None

    def ensure_table(self) -> None:
        """Create the extension and the table if they do not exist yet (a store used without
        :func:`pgvector_available` first failed with 'type "vector" does not exist')."""
        with self.engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
            self._table.create(conn, checkfirst=True)

    def create_index(self) -> None:
        """An HNSW index on inner product: approximate search, for large catalogues. It covers
        every model of this dimension; search filters by model after the index."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    f"CREATE INDEX IF NOT EXISTS {self._index_name} ON {self.table_name} "
                    "USING hnsw (embedding vector_ip_ops)"
                )
            )
        self._indexed = True

    def replace(self, product_ids: Sequence[int], vectors: npt.NDArray[np.float32]) -> None:
        """Store exactly these vectors for this model (previous ones are removed)."""
        if vectors.shape != (len(product_ids), self.dim):
            raise ValueError(f"vectors must have shape ({len(product_ids)}, {self.dim})")
        rows = [
            {"model": self.model, "product_id": int(pid), "embedding": vec.astype(np.float32)}
            for pid, vec in zip(product_ids, vectors, strict=True)
        ]
        with self.engine.begin() as conn:
            conn.execute(delete(self._table).where(self._table.c.model == self.model))
            for start in range(0, len(rows), 1000):
                conn.execute(insert(self._table), rows[start : start + 1000])

    def count(self) -> int:
        """Vectors stored for this model."""
        with self.engine.connect() as conn:
            n = conn.execute(
                select(func.count())
                .select_from(self._table)
                .where(self._table.c.model == self.model)
            ).scalar_one()
        return int(n)

    def indexed(self) -> bool:
        """True when this dimension's table has the HNSW index, so search is approximate by
        default (asked once per store; :meth:`create_index` sets it)."""
        if self._indexed is None:
            with self.engine.connect() as conn:
                found = conn.execute(
                    text("SELECT to_regclass(:name) IS NOT NULL"), {"name": self._index_name}
                ).scalar_one()
            self._indexed = bool(found)
        return self._indexed

    def _search_sql(self, *, exact: bool) -> str:
        # Exact: ties by id in SQL (a sequential scan). Approximate: ORDER BY the distance alone,
        # the only order an HNSW index can serve; with ", product_id" PostgreSQL never used it.
        order = "d, product_id" if exact else "d"
        return (
            f"SELECT product_id, embedding <#> CAST(:q AS vector) AS d FROM {self.table_name} "
            f"WHERE model = :model ORDER BY {order} LIMIT :k"
        )

    def _search_params(self, query: npt.NDArray[np.float32], k: int) -> dict[str, object]:
        q = np.asarray(query, dtype=np.float32).ravel()
        if q.shape != (self.dim,):
            raise ValueError(f"query must have {self.dim} dimensions, got {q.shape}")
        return {"q": "[" + ",".join(repr(float(x)) for x in q) + "]", "model": self.model, "k": k}

    def top_k(
        self, query: npt.NDArray[np.float32], k: int, *, exact: bool | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` products with the highest inner product with ``query``, ties by id.

        ``exact`` defaults to "no HNSW index on this table". Approximate search raises
        ``hnsw.ef_search`` (the index's candidate list, 40 by default) to ``2 k`` so that a
        request for more than 40 products gets them, and orders ties by id afterwards.
        """
        if exact is None:
            exact = not self.indexed()
        with self.engine.begin() as conn:
            if not exact:
                conn.execute(text(f"SET LOCAL hnsw.ef_search = {min(1000, max(40, 2 * k))}"))
            rows = conn.execute(
                text(self._search_sql(exact=exact)), self._search_params(query, k)
            ).all()
        found = [(int(pid), -float(d)) for pid, d in rows]
        return found if exact else sorted(found, key=lambda r: (-r[1], r[0]))

    def scores(
        self, query: npt.NDArray[np.float32], product_ids: Sequence[int]
    ) -> npt.NDArray[np.float32]:
        """Inner product of ``query`` with each of ``product_ids`` (in that order; 0 for an id
        without a stored vector), computed by the server."""
        params = self._search_params(query, 0)
        params["ids"] = [int(i) for i in product_ids]
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT product_id, embedding <#> CAST(:q AS vector) FROM {self.table_name} "
                    "WHERE model = :model AND product_id = ANY(:ids)"
                ),
                params,
            ).all()
        found = {int(pid): -float(d) for pid, d in rows}
        return np.asarray([found.get(int(i), 0.0) for i in product_ids], dtype=np.float32)

    def explain(self, query: npt.NDArray[np.float32], k: int, *, exact: bool | None = None) -> str:
        """PostgreSQL's plan for :meth:`top_k` (to see whether the HNSW index serves it)."""
        if exact is None:
            exact = not self.indexed()
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("EXPLAIN " + self._search_sql(exact=exact)), self._search_params(query, k)
            ).all()
        return "\n".join(str(r[0]) for r in rows)
