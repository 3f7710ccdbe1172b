"""Catalogue: products with normalised INCI ingredients, and interactions."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, selectinload

from lingxi.data.base import utcnow
from lingxi.data.models import (
    Ingredient,
    Interaction,
    InteractionKind,
    Product,
    ProductIngredient,
)
from lingxi.data.repos._values import as_enum
from lingxi.errors import InvalidInputError, NotFoundError

__all__ = [
    "SKIN_TYPES",
    "InteractionView",
    "ProductRecord",
    "ProductView",
    "add_interaction",
    "count_products",
    "find_product",
    "get_product",
    "get_products",
    "list_interactions",
    "list_products",
    "normalise_ingredient",
    "read_catalogue_csv",
    "split_inci",
    "upsert_products",
]

SKIN_TYPES = ("combination", "dry", "normal", "oily", "sensitive")
_NO_INFO = re.compile(r"^\s*(no info|visit the .* boutique|#name\?)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """A product to store (from a CSV or a feed)."""

    sku: str
    brand: str
    name: str
    category: str
    price_minor: int
    rating: float | None
    ingredients_raw: str
    skin_types: frozenset[str] = frozenset()
    currency: str = "USD"
    image: str | None = None
    """A path under the images folder or an http(s) URL."""
    stock: int | None = None


@dataclass(frozen=True, slots=True)
class ProductView:
    """A stored product as plain values, with its normalised ingredient list."""

    id: int
    sku: str
    brand: str
    name: str
    category: str
    price_minor: int
    currency: str
    rating: float | None
    skin_types: tuple[str, ...]
    ingredients: tuple[str, ...] = field(default=())
    ingredients_raw: str = ""
    image: str | None = None
    stock: int | None = None

    @property
    def price(self) -> float:
        """Price in major units (USD)."""
        return self.price_minor / 100


@dataclass(frozen=True, slots=True)
class InteractionView:
    """One stored interaction."""

    customer_id: int
    product_id: int
    kind: str
    value: float | None
    occurred_at: datetime


def normalise_ingredient(name: str) -> str:
    """Lowercase, collapse whitespace and strip label punctuation: ``" Water."`` -> ``"water"``."""
    text = re.sub(r"\s+", " ", name.replace("\u00a0", " ")).strip().lower()
    return text.strip(" .;:*-")


def split_inci(raw: str) -> list[str]:
    """Split an INCI list on top-level commas (not those inside parentheses), normalised.

    Placeholder text ("No Info", "Visit the boutique") gives an empty list; duplicates are
    dropped keeping label order.
    """
    if not raw or _NO_INFO.match(raw):
        return []
    parts: list[str] = []
    depth, current = 0, list[str]()
    for ch in raw:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    seen: dict[str, None] = {}
    for part in parts:
        name = normalise_ingredient(part)
        if name and len(name) <= 300:
            seen.setdefault(name, None)
    return list(seen)


def _sku(brand: str, name: str) -> str:
    return "SEP-" + hashlib.sha1(f"{brand}|{name}".encode()).hexdigest()[:10].upper()


def read_catalogue_csv(path: Path) -> Iterator[ProductRecord]:
    """Read the Sephora ``cosmetics.csv`` layout into records (one per brand+name)."""
    seen: set[str] = set()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            sku = _sku(row["Brand"], row["Name"])
            if sku in seen:
                continue
            seen.add(sku)
            rating = float(row["Rank"]) if row["Rank"] else None
            yield ProductRecord(
                sku=sku,
                brand=row["Brand"].strip(),
                name=row["Name"].strip(),
                category=row["Label"].strip(),
                price_minor=round(float(row["Price"]) * 100),
                rating=rating if rating else None,
                ingredients_raw=row["Ingredients"].strip(),
                skin_types=frozenset(t for t in SKIN_TYPES if row[t.capitalize()] == "1"),
            )


def upsert_products(session: Session, *, records: Iterable[ProductRecord]) -> dict[str, int]:
    """Insert new products and update changed ones, keyed by SKU; returns counts.

    Ingredient links are written with bulk inserts: a full catalogue has tens of
    thousands of them, too many for one ORM object each.
    """
    records = list(records)
    existing = {p.sku: p for p in session.scalars(select(Product))}
    ingredient_ids = {
        name: id_ for name, id_ in session.execute(select(Ingredient.name, Ingredient.id))
    }
    needed = {n for r in records for n in split_inci(r.ingredients_raw)} - ingredient_ids.keys()
    if needed:
        session.execute(insert(Ingredient), [{"name": n} for n in sorted(needed)])
        ingredient_ids = {
            name: id_ for name, id_ in session.execute(select(Ingredient.name, Ingredient.id))
        }
    inserted = updated = 0
    relink: list[tuple[Product, ProductRecord]] = []
    with session.no_autoflush:
        for r in records:
            product = existing.get(r.sku)
            if product is None:
                product = Product(sku=r.sku)
                session.add(product)
                inserted += 1
            elif (
                product.price_minor == r.price_minor
                and product.ingredients_raw == r.ingredients_raw
                and product.rating == r.rating
                and product.name == r.name
            ):
                continue
            else:
                updated += 1
            product.brand, product.name, product.category = r.brand, r.name, r.category
            product.price_minor, product.currency, product.rating = (
                r.price_minor,
                r.currency,
                r.rating,
            )
            product.ingredients_raw = r.ingredients_raw
            for t in SKIN_TYPES:
                setattr(product, f"skin_{t}", t in r.skin_types)
            relink.append((product, r))
    session.flush()
    if relink:
        session.execute(
            delete(ProductIngredient).where(
                ProductIngredient.product_id.in_([p.id for p, _ in relink])
            )
        )
        links = [
            {"product_id": p.id, "ingredient_id": ingredient_ids[n], "position": i}
            for p, r in relink
            for i, n in enumerate(split_inci(r.ingredients_raw))
        ]
        if links:
            session.execute(insert(ProductIngredient), links)
        for p, _ in relink:
            session.expire(p, ["ingredients"])
    return {
        "inserted": inserted,
        "updated": updated,
        "unchanged": len(records) - inserted - updated,
    }


def _view(p: Product, names: dict[int, str] | None = None) -> ProductView:
    if names is None:
        ingredients = tuple(pi.ingredient.name for pi in p.ingredients)
    else:
        ingredients = tuple(names[pi.ingredient_id] for pi in p.ingredients)
    return ProductView(
        id=p.id,
        sku=p.sku,
        brand=p.brand,
        name=p.name,
        category=p.category,
        price_minor=p.price_minor,
        currency=p.currency,
        rating=p.rating,
        skin_types=tuple(p.skin_types),
        ingredients=ingredients,
        ingredients_raw=p.ingredients_raw,
        image=p.image_ref,
        stock=p.stock,
    )


def list_products(session: Session) -> list[ProductView]:
    """Every product with its ingredients, ordered by id (two queries, not one per product)."""
    names = {id_: name for id_, name in session.execute(select(Ingredient.id, Ingredient.name))}
    products = session.scalars(
        select(Product).options(selectinload(Product.ingredients)).order_by(Product.id)
    )
    return [_view(p, names) for p in products]


def list_brands(session: Session) -> list[str]:
    """The catalogue's brand names, sorted (what the need parser recognises as brands)."""
    return list(session.scalars(select(Product.brand).distinct().order_by(Product.brand)))


def count_products(session: Session) -> int:
    """How many products are stored."""
    return session.scalar(select(func.count(Product.id))) or 0


def get_product(session: Session, *, product_id: int) -> ProductView:
    """One product by id."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFoundError(
            f"No product with id {product_id}.", field="product_id", value=product_id
        )
    return _view(product)


def get_products(session: Session, *, product_ids: Iterable[int]) -> list[ProductView]:
    """Products by id, in the order given; unknown ids are skipped."""
    ids = list(product_ids)
    rows = {
        p.id: p
        for p in session.scalars(
            select(Product).options(selectinload(Product.ingredients)).where(Product.id.in_(ids))
        )
    }
    return [_view(rows[i]) for i in ids if i in rows]


def find_product(session: Session, *, brand: str, name_contains: str) -> ProductView | None:
    """The first product of ``brand`` whose name contains ``name_contains`` (case-insensitive)."""
    product = session.scalar(
        select(Product)
        .where(
            func.lower(Product.brand) == brand.lower(),
            func.lower(Product.name).contains(name_contains.lower(), autoescape=True),
        )
        .order_by(Product.id)
        .limit(1)
    )
    return _view(product) if product else None


def add_interaction(
    session: Session,
    *,
    customer_id: int,
    product_id: int,
    kind: str,
    value: float | None = None,
    occurred_at: datetime | None = None,
) -> None:
    """Record a view, cart, purchase or rating."""
    k = as_enum(InteractionKind, "kind", kind)
    if k is InteractionKind.RATING and (value is None or not 1 <= value <= 5):
        raise InvalidInputError.for_field("value", "a rating from 1 to 5", value)
    if session.get(Product, product_id) is None:
        raise NotFoundError(
            f"No product with id {product_id}.", field="product_id", value=product_id
        )
    session.add(
        Interaction(
            customer_id=customer_id,
            product_id=product_id,
            kind=k.value,
            value=value,
            occurred_at=occurred_at or utcnow(),
        )
    )
    session.flush()


def list_interactions(
    session: Session, *, customer_id: int | None = None, since: datetime | None = None
) -> list[InteractionView]:
    """Interactions, oldest first, optionally of one customer and after ``since``."""
    query = select(Interaction).order_by(Interaction.occurred_at, Interaction.id)
    if customer_id is not None:
        query = query.where(Interaction.customer_id == customer_id)
    if since is not None:
        query = query.where(Interaction.occurred_at > since)
    return [
        InteractionView(i.customer_id, i.product_id, i.kind, i.value, i.occurred_at)
        for i in session.scalars(query)
    ]
