"""Catalogue versions: upserts by SKU that remember what they changed, and their rollback.

Every import or edit is a :class:`~lingxi.data.models.CatalogueVersion`; each product it inserted
or updated has a :class:`~lingxi.data.models.CatalogueChange` holding the product's values
before the version. Rolling a version back deletes the products it inserted and restores the
previous values of those it updated (for it and every later version still applied, newest
first), so the catalogue is exactly as it was before that version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from lingxi.data.base import utcnow
from lingxi.data.models import (
    CatalogueChange,
    CatalogueVersion,
    Ingredient,
    Product,
    ProductEmbedding,
    ProductIngredient,
)
from lingxi.data.repos.catalog import (
    SKIN_TYPES,
    ProductRecord,
    ProductView,
    _view,
    split_inci,
)
from lingxi.errors import ConflictError, NotFoundError

__all__ = [
    "EMBEDDED_FIELDS",
    "BatchResult",
    "RollbackResult",
    "VersionView",
    "apply_records",
    "count_without_embedding",
    "discard_version",
    "finish_version",
    "get_record",
    "get_view",
    "get_views",
    "list_versions",
    "lock_existing",
    "products_without_embedding",
    "rollback",
    "search_products",
    "start_version",
]

EMBEDDED_FIELDS = frozenset({"brand", "name", "category", "skin_types", "ingredients_raw"})
"""Fields the guide's product passage is built from: a change to one needs a new embedding."""

_CHUNK = 500
"""Bound on the ids in one IN (...) and the rows in one bulk insert."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What one batch of records did."""

    inserted: int
    updated: int
    unchanged: int
    reembed: tuple[int, ...]
    """Ids of products that are new or whose embedded text changed."""


@dataclass(frozen=True, slots=True)
class VersionView:
    """One stored catalogue version."""

    id: int
    created_at: datetime
    kind: str
    source: str
    actor: str
    status: str
    inserted: int
    updated: int
    unchanged: int
    skipped: int
    rolled_back_at: datetime | None


@dataclass(frozen=True, slots=True)
class RollbackResult:
    """What a rollback undid."""

    versions: tuple[int, ...]
    """The versions rolled back, newest first."""
    deleted: int
    """Products removed (the versions had added them)."""
    restored: int
    """Products given back their previous values."""
    reembed: tuple[int, ...]
    """Ids of restored products whose embeddings were dropped."""


def _record_values(r: ProductRecord) -> dict[str, Any]:
    return {
        "brand": r.brand,
        "name": r.name,
        "category": r.category,
        "price_minor": int(r.price_minor),
        "currency": r.currency,
        "rating": r.rating,
        "ingredients_raw": r.ingredients_raw,
        "skin_types": sorted(r.skin_types),
        "image": r.image,
        "stock": r.stock,
    }


def _product_values(p: Product) -> dict[str, Any]:
    return {
        "brand": p.brand,
        "name": p.name,
        "category": p.category,
        "price_minor": p.price_minor,
        "currency": p.currency,
        "rating": p.rating,
        "ingredients_raw": p.ingredients_raw,
        "skin_types": p.skin_types,
        "image": p.image_ref,
        "stock": p.stock,
    }


def _write(p: Product, values: dict[str, Any]) -> None:
    p.brand, p.name, p.category = values["brand"], values["name"], values["category"]
    p.price_minor, p.currency, p.rating = (
        values["price_minor"],
        values["currency"],
        values["rating"],
    )
    p.ingredients_raw = values["ingredients_raw"]
    p.image_ref, p.stock = values["image"], values["stock"]
    for t in SKIN_TYPES:
        setattr(p, f"skin_{t}", t in values["skin_types"])


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _names_to_ids(session: Session, names: Sequence[str]) -> dict[str, int]:
    rows = session.execute(select(Ingredient.name, Ingredient.id).where(Ingredient.name.in_(names)))
    return {name: id_ for name, id_ in rows}


def _ingredient_ids(session: Session, names: set[str]) -> dict[str, int]:
    """Ids of ``names``, inserting the missing ones (concurrent importers both succeed)."""
    wanted = sorted(names)
    found: dict[str, int] = {}
    for part in _chunks(wanted):
        found.update(_names_to_ids(session, part))
    missing = [n for n in wanted if n not in found]
    if missing:
        dialect_insert = (
            pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        for part in _chunks(missing):
            session.execute(
                dialect_insert(Ingredient).on_conflict_do_nothing(index_elements=["name"]),
                [{"name": n} for n in part],
            )
            found.update(_names_to_ids(session, part))
    return found


def _relink(session: Session, pairs: Sequence[tuple[int, str]]) -> None:
    """Replace the ingredient links of each ``(product_id, ingredients_raw)``."""
    if not pairs:
        return
    lists = [(pid, split_inci(raw)) for pid, raw in pairs]
    ids = _ingredient_ids(session, {n for _, names in lists for n in names})
    for part in _chunks([pid for pid, _ in pairs]):
        session.execute(delete(ProductIngredient).where(ProductIngredient.product_id.in_(part)))
    links = [
        {"product_id": pid, "ingredient_id": ids[n], "position": i}
        for pid, names in lists
        for i, n in enumerate(names)
    ]
    for part in _chunks(links):
        session.execute(insert(ProductIngredient), list(part))


def _drop_embeddings(session: Session, product_ids: Sequence[int]) -> None:
    for part in _chunks(product_ids):
        session.execute(delete(ProductEmbedding).where(ProductEmbedding.product_id.in_(part)))


def start_version(session: Session, *, kind: str, source: str, actor: str) -> int:
    """A new, applied version; its id."""
    version = CatalogueVersion(kind=kind, source=source[:500], actor=actor[:320])
    session.add(version)
    session.flush()
    return version.id


def finish_version(
    session: Session, *, version_id: int, inserted: int, updated: int, unchanged: int, skipped: int
) -> None:
    """Store a version's counts."""
    version = session.get(CatalogueVersion, version_id)
    if version is None:
        raise NotFoundError(
            f"No catalogue version {version_id}.", field="version", value=version_id
        )
    version.inserted, version.updated = inserted, updated
    version.unchanged, version.skipped = unchanged, skipped


def discard_version(session: Session, *, version_id: int) -> None:
    """Delete a version that changed nothing (there is nothing to roll back)."""
    session.execute(delete(CatalogueVersion).where(CatalogueVersion.id == version_id))


def apply_records(
    session: Session, *, version_id: int, records: Sequence[ProductRecord]
) -> BatchResult:
    """Upsert ``records`` by SKU under ``version_id``, remembering each changed row's old values.

    A record equal to the stored product changes nothing and records nothing. Only the batch's
    own products are read, and the session is emptied afterwards, so an import of any size
    runs in bounded memory.
    """
    skus = [r.sku for r in records]
    existing: dict[str, Product] = {}
    for part in _chunks(skus):
        existing.update(
            (p.sku, p) for p in session.scalars(select(Product).where(Product.sku.in_(part)))
        )
    changes: list[dict[str, Any]] = []
    relink: list[tuple[Product, str]] = []
    reembed: list[Product] = []
    stale: list[int] = []
    inserted = updated = unchanged = 0
    with session.no_autoflush:
        for r in records:
            new = _record_values(r)
            product = existing.get(r.sku)
            if product is None:
                product = Product(sku=r.sku)
                _write(product, new)
                session.add(product)
                existing[r.sku] = product
                changes.append({"sku": r.sku, "action": "insert", "before": None})
                relink.append((product, r.ingredients_raw))
                reembed.append(product)
                inserted += 1
                continue
            old = _product_values(product)
            if old == new:
                unchanged += 1
                continue
            changes.append({"sku": r.sku, "action": "update", "before": old})
            _write(product, new)
            if old["ingredients_raw"] != new["ingredients_raw"]:
                relink.append((product, r.ingredients_raw))
            if any(old[f] != new[f] for f in EMBEDDED_FIELDS):
                reembed.append(product)
                stale.append(product.id)
            updated += 1
    session.flush()
    _relink(session, [(p.id, raw) for p, raw in relink])
    _drop_embeddings(session, stale)
    for part in _chunks(changes):
        session.execute(insert(CatalogueChange), [{**c, "version_id": version_id} for c in part])
    result = BatchResult(inserted, updated, unchanged, tuple(p.id for p in reembed))
    session.flush()
    session.expunge_all()
    return result


def list_versions(session: Session, *, limit: int = 100) -> list[VersionView]:
    """The newest ``limit`` versions, newest first."""
    rows = session.scalars(
        select(CatalogueVersion).order_by(CatalogueVersion.id.desc()).limit(limit)
    )
    return [
        VersionView(
            v.id,
            v.created_at,
            v.kind,
            v.source,
            v.actor,
            v.status,
            v.inserted,
            v.updated,
            v.unchanged,
            v.skipped,
            v.rolled_back_at,
        )
        for v in rows
    ]


def rollback(session: Session, *, version_id: int) -> RollbackResult:
    """Undo ``version_id`` and every later version still applied, newest first.

    Raises
    ------
    NotFoundError
        No such version.
    ConflictError
        The version was rolled back already.
    """
    target = session.get(CatalogueVersion, version_id)
    if target is None:
        raise NotFoundError(
            f"No catalogue version {version_id}.", field="version", value=version_id
        )
    if target.status != "applied":
        raise ConflictError(
            f"Catalogue version {version_id} was rolled back already.",
            field="version",
            value=version_id,
        )
    versions = list(
        session.scalars(
            select(CatalogueVersion.id)
            .where(CatalogueVersion.id >= version_id, CatalogueVersion.status == "applied")
            .order_by(CatalogueVersion.id.desc())
        )
    )
    deleted = restored = 0
    reembed: set[int] = set()
    for version in versions:
        change_ids = list(
            session.scalars(
                select(CatalogueChange.id)
                .where(CatalogueChange.version_id == version)
                .order_by(CatalogueChange.id.desc())
            )
        )
        for part in _chunks(change_ids):
            d, r, ids = _undo(session, part)
            deleted, restored = deleted + d, restored + r
            reembed |= ids
        session.execute(
            update(CatalogueVersion)
            .where(CatalogueVersion.id == version)
            .values(status="rolled_back", rolled_back_at=utcnow())
        )
    # A product restored and later deleted again by an older insert has no id any more.
    alive = set(session.scalars(select(Product.id).where(Product.id.in_(sorted(reembed)))))
    return RollbackResult(tuple(versions), deleted, restored, tuple(sorted(reembed & alive)))


def _undo(session: Session, change_ids: Sequence[int]) -> tuple[int, int, set[int]]:
    changes = list(
        session.scalars(
            select(CatalogueChange)
            .where(CatalogueChange.id.in_(change_ids))
            .order_by(CatalogueChange.id.desc())
        )
    )
    products = {
        p.sku: p
        for p in session.scalars(
            select(Product).where(Product.sku.in_(sorted({c.sku for c in changes})))
        )
    }
    deleted = restored = 0
    relink: list[tuple[Product, str]] = []
    gone: list[str] = []
    with session.no_autoflush:
        for change in changes:
            product = products.get(change.sku)
            if change.action == "insert":
                if product is not None:
                    gone.append(change.sku)
                    products.pop(change.sku)
                    deleted += 1
                continue
            assert change.before is not None
            if product is None:  # deleted since (by hand): bring it back
                product = Product(sku=change.sku)
                session.add(product)
                products[change.sku] = product
            _write(product, change.before)
            relink.append((product, product.ingredients_raw))
            restored += 1
    session.flush()
    for part in _chunks(gone):
        session.execute(delete(Product).where(Product.sku.in_(part)))
    removed = set(gone)
    keep = [(p, raw) for p, raw in relink if p.sku not in removed]
    _relink(session, [(p.id, raw) for p, raw in keep])
    ids = [p.id for p, _ in keep]
    _drop_embeddings(session, ids)
    session.flush()
    session.expunge_all()
    return deleted, restored, set(ids)


def get_view(session: Session, *, sku: str) -> ProductView:
    """One product by SKU."""
    product = session.scalar(
        select(Product).options(selectinload(Product.ingredients)).where(Product.sku == sku)
    )
    if product is None:
        raise NotFoundError(f"No product with SKU {sku!r}.", field="sku", value=sku)
    return _view(product)


def get_record(session: Session, *, sku: str) -> ProductRecord:
    """One stored product as the record that would store it again."""
    v = get_view(session, sku=sku)
    return ProductRecord(
        sku=v.sku,
        brand=v.brand,
        name=v.name,
        category=v.category,
        price_minor=v.price_minor,
        rating=v.rating,
        ingredients_raw=v.ingredients_raw,
        skin_types=frozenset(v.skin_types),
        currency=v.currency,
        image=v.image,
        stock=v.stock,
    )


def search_products(
    session: Session, *, text: str = "", limit: int = 50, offset: int = 0
) -> tuple[list[ProductView], int]:
    """Products whose SKU, brand or name contains ``text`` (case-insensitive), by id; and how
    many match in all."""
    where = []
    if text.strip():
        needle = text.strip().lower()
        where.append(
            or_(
                func.lower(Product.sku).contains(needle, autoescape=True),
                func.lower(Product.brand).contains(needle, autoescape=True),
                func.lower(Product.name).contains(needle, autoescape=True),
            )
        )
    total = session.scalar(select(func.count(Product.id)).where(*where)) or 0
    rows = session.scalars(
        select(Product)
        .options(selectinload(Product.ingredients).selectinload(ProductIngredient.ingredient))
        .where(*where)
        .order_by(Product.id)
        .limit(limit)
        .offset(offset)
    )
    return [_view(p) for p in rows], total


def products_without_embedding(
    session: Session, *, model: str, after_id: int = 0, limit: int = 256
) -> list[int]:
    """Ids (ascending, over ``after_id``) of products with no cached embedding of ``model``."""
    cached = select(ProductEmbedding.id).where(
        ProductEmbedding.product_id == Product.id, ProductEmbedding.model == model
    )
    return list(
        session.scalars(
            select(Product.id)
            .where(Product.id > after_id, ~cached.exists())
            .order_by(Product.id)
            .limit(limit)
        )
    )


def count_without_embedding(session: Session, *, model: str) -> int:
    """How many products have no cached embedding of ``model``."""
    cached = select(ProductEmbedding.id).where(
        ProductEmbedding.product_id == Product.id, ProductEmbedding.model == model
    )
    return session.scalar(select(func.count(Product.id)).where(~cached.exists())) or 0


def get_views(session: Session, *, product_ids: Sequence[int]) -> list[ProductView]:
    """Products by id, ascending, with their ingredient names (three queries in all)."""
    rows = session.scalars(
        select(Product)
        .options(selectinload(Product.ingredients).selectinload(ProductIngredient.ingredient))
        .where(Product.id.in_(list(product_ids)))
        .order_by(Product.id)
    )
    return [_view(p) for p in rows]


def lock_existing(session: Session, *, product_ids: Sequence[int]) -> set[int]:
    """Which of ``product_ids`` still exist, share-locked (PostgreSQL) until the transaction
    ends so that a concurrent rollback cannot delete them under a write that refers to them."""
    query = select(Product.id).where(Product.id.in_(list(product_ids)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    return set(session.scalars(query))
