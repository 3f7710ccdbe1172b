"""Product vectors in PostgreSQL with pgvector: the only module importing ``pgvector``.

Used when the server has the ``vector`` extension (``CREATE EXTENSION vector`` succeeds);
:func:`pgvector_available` says whether it does, and the guide falls back to its in-process
numpy index otherwise (SQLite, or a PostgreSQL without the extension).

The ``product_vector_<dim>`` tables live outside the Alembic schema on purpose: they exist only
where the extension does, so each is created here on first use (``CREATE TABLE IF NOT EXISTS``),
keyed by (model, product) like ``product_embedding``. There is one table per vector dimension
because a ``vector(n)`` column (which an HNSW index needs) holds only vectors of length ``n``:
with a single table, the first model stored fixed the dimension and a model of another size
could never be stored (found by the first run against a real pgvector server). Search is exact by default (a sequential scan
ordered by inner product, which equals cosine for unit vectors); :meth:`PgVectorStore.create_index`
adds an HNSW index for large catalogues, trading exactness for speed.
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

    def ensure_table(self) -> None:
        """Create the table if it does not exist yet."""
        self._table.create(self.engine, checkfirst=True)

    def create_index(self) -> None:
        """An HNSW index on inner product (approximate search; for large catalogues)."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    f"CREATE INDEX IF NOT EXISTS {self.table_name}_hnsw ON {self.table_name} "
                    "USING hnsw (embedding vector_ip_ops)"
                )
            )

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

    def top_k(self, query: npt.NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        """The ``k`` products with the highest inner product with ``query`` (ties by id)."""
        t = self._table
        distance = t.c.embedding.max_inner_product(query.astype(np.float32))  # -(q . v)
        stmt = (
            select(t.c.product_id, distance.label("d"))
            .where(t.c.model == self.model)
            .order_by(distance, t.c.product_id)
            .limit(k)
        )
        with self.engine.connect() as conn:
            return [(int(pid), -float(d)) for pid, d in conn.execute(stmt).all()]
