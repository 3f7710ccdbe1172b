"""Shopping-guide queries: cached product embeddings and per-person interaction histories."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from lingxi.data.models import Interaction, Product, ProductEmbedding, ProductIngredient
from lingxi.data.models.catalogue_version import CatalogueVersion

__all__ = [
    "catalogue_fingerprint",
    "get_embeddings",
    "interaction_events",
    "interaction_sequences",
    "interactions_fingerprint",
    "put_embeddings",
]


def catalogue_fingerprint(session: Session, *, model: str) -> str:
    """A digest of everything the guide's catalogue index is built from: each product's
    fields, the ingredient links, the catalogue versions and ``model``'s cached embeddings
    (the interactions have their own, :func:`interactions_fingerprint`).

    One pass over the product columns (no ORM objects), so it stays far cheaper than a build.
    """
    digest = hashlib.sha256()
    columns = (
        Product.id,
        Product.sku,
        Product.name,
        Product.brand,
        Product.category,
        Product.price_minor,
        Product.currency,
        Product.rating,
        Product.skin_combination,
        Product.skin_dry,
        Product.skin_normal,
        Product.skin_oily,
        Product.skin_sensitive,
        func.length(Product.ingredients_raw),
    )
    for row in session.execute(select(*columns).order_by(Product.id)):
        digest.update(repr(tuple(row)).encode("utf-8"))
    for query in (
        select(
            func.count(),
            func.sum(
                cast(ProductIngredient.ingredient_id, BigInteger) * (ProductIngredient.position + 1)
            ),
            func.sum(
                cast(ProductIngredient.product_id, BigInteger) * (ProductIngredient.position + 1)
            ),
        ),
        select(func.count(), func.max(CatalogueVersion.id)),
        select(func.count(), func.max(ProductEmbedding.id)).where(ProductEmbedding.model == model),
    ):
        digest.update(repr(tuple(session.execute(query).one())).encode("utf-8"))
    return digest.hexdigest()


def interactions_fingerprint(session: Session) -> str:
    """A digest of the stored interactions (what the guide's personal model is fitted on):
    they are only ever added, so their count and newest id tell."""
    row = session.execute(select(func.count(), func.max(Interaction.id))).one()
    return hashlib.sha256(repr(tuple(row)).encode("utf-8")).hexdigest()


def get_embeddings(
    session: Session, *, model: str, product_ids: Iterable[int]
) -> dict[int, npt.NDArray[np.float32]]:
    """Cached embeddings of ``model`` for the given products (missing ones are absent)."""
    wanted = set(product_ids)
    rows = session.execute(
        select(ProductEmbedding.product_id, ProductEmbedding.vector).where(
            ProductEmbedding.model == model
        )
    )
    return {
        pid: np.frombuffer(vec, dtype="<f4").astype(np.float32)
        for pid, vec in rows
        if pid in wanted
    }


def put_embeddings(
    session: Session, *, model: str, vectors: dict[int, npt.NDArray[np.float32]]
) -> None:
    """Store (or replace) embeddings of ``model``, float32 little-endian.

    One upsert, so two processes (or Ray Serve replicas) warming the same catalogue at once
    both succeed instead of one failing on the (product_id, model) unique constraint."""
    if not vectors:
        return
    rows = [
        {"product_id": pid, "model": model, "vector": np.asarray(vec, dtype="<f4").tobytes()}
        for pid, vec in vectors.items()
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for start in range(0, len(rows), 500):  # bounded statements for big catalogues
        stmt = insert(ProductEmbedding).values(rows[start : start + 500])
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["product_id", "model"], set_={"vector": stmt.excluded.vector}
            )
        )


def interaction_sequences(
    session: Session, *, customer_id: int | None = None
) -> dict[int, list[tuple[int, str, float | None]]]:
    """Each customer's ``(product_id, kind, value)`` interactions, oldest first."""
    query = select(
        Interaction.customer_id, Interaction.product_id, Interaction.kind, Interaction.value
    ).order_by(Interaction.occurred_at, Interaction.id)
    if customer_id is not None:
        query = query.where(Interaction.customer_id == customer_id)
    out: dict[int, list[tuple[int, str, float | None]]] = {}
    for cid, pid, kind, value in session.execute(query):
        out.setdefault(cid, []).append((pid, kind, value))
    return out


def interaction_events(
    session: Session, *, customer_id: int
) -> list[tuple[int, str, float | None, datetime]]:
    """One customer's ``(product_id, kind, value, occurred_at)``, oldest first."""
    rows = session.execute(
        select(Interaction.product_id, Interaction.kind, Interaction.value, Interaction.occurred_at)
        .where(Interaction.customer_id == customer_id)
        .order_by(Interaction.occurred_at, Interaction.id)
    )
    return [(pid, kind, value, at) for pid, kind, value, at in rows]
