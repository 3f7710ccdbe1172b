"""The catalogue as numpy arrays, and exact constraint filtering with stated relaxation."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lingxi.guide.inci import load_inci, normalise_label, split_label
from lingxi.guide.kinds import product_kind
from lingxi.guide.schemas import SKIN_TYPES, ProductFacts, ProductQuery

__all__ = [
    "RELAXATION_ORDER",
    "CatalogueIndex",
    "facts_from_record",
    "read_catalogue_csv",
    "satisfies",
    "violations",
]

RELAXATION_ORDER: tuple[str, ...] = (
    "include_ingredients",
    "brands",
    "price",
    "skin_types",
    "category",
)
"""The order in which constraints are loosened when nothing fits. Ingredients to avoid are
never relaxed: they are how people keep away from what hurts them."""

BoolArray = npt.NDArray[np.bool_]


def facts_from_record(
    *,
    id: int,
    name: str,
    brand: str,
    category: str,
    price_minor: int,
    rating: float | None,
    skin_types: Sequence[str],
    ingredients: Sequence[str] | None = None,
    ingredients_raw: str = "",
) -> ProductFacts:
    """Build :class:`ProductFacts`, resolving the label to canonical ingredient names."""
    if ingredients:
        label = tuple(dict.fromkeys(e for e in (normalise_label(x) for x in ingredients) if e))
    else:
        label = split_label(ingredients_raw)
    kind = product_kind(name, category, label)
    return ProductFacts(
        id=int(id),
        name=name,
        brand=brand,
        category=kind.category,
        label=category,
        category_flag=kind.flag,
        price_minor=int(price_minor),
        rating=rating,
        skin_types=tuple(sorted(skin_types)),
        ingredients=label,
        canonical_ingredients=load_inci().canonicals_in(label),
    )


def read_catalogue_csv(path: Path) -> list[ProductFacts]:
    """Products from a Sephora-style CSV (Label,Brand,Name,Price,Rank,Ingredients,<skin flags>),
    numbered 1..n in file order (for benchmarks and tests; the app reads the database)."""
    out = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=1):
            skin = [t for t in SKIN_TYPES if row.get(t.capitalize(), "0").strip() == "1"]
            rating = float(row["Rank"]) if row.get("Rank") else None
            out.append(
                facts_from_record(
                    id=i,
                    name=row["Name"].strip(),
                    brand=row["Brand"].strip(),
                    category=row["Label"].strip(),
                    price_minor=round(float(row["Price"]) * 100),
                    rating=rating if rating else None,
                    skin_types=skin,
                    ingredients_raw=row.get("Ingredients", ""),
                )
            )
    return out


def violations(product: ProductFacts, query: ProductQuery) -> tuple[str, ...]:
    """The hard constraints of ``query`` that ``product`` breaks, named as in ``relaxed``
    (``category``, ``skin_types``, ``price``, ``brands``, ``exclude_brands``,
    ``exclude_ingredients``, ``include_ingredients``); empty when it meets them all.

    This is the reference check every interface's answer is held to; :meth:`CatalogueIndex.mask`
    is its vectorised form. A product whose ingredient list is unknown meets no ingredient
    constraint: nobody can say it lacks what is to be avoided, or has what is wanted."""
    out: list[str] = []
    if query.category and product.category != query.category:
        out.append("category")
    if any(t not in product.skin_types for t in query.skin_types):
        out.append("skin_types")
    if (query.min_price_minor is not None and product.price_minor < query.min_price_minor) or (
        query.max_price_minor is not None and product.price_minor > query.max_price_minor
    ):
        out.append("price")
    if query.brands and product.brand not in query.brands:
        out.append("brands")
    if product.brand in query.exclude_brands:
        out.append("exclude_brands")
    listed = product.ingredients_listed
    if query.exclude_ingredients and (
        not listed or any(i in product.canonical_ingredients for i in query.exclude_ingredients)
    ):
        out.append("exclude_ingredients")
    if query.include_ingredients and (
        not listed or not all(i in product.canonical_ingredients for i in query.include_ingredients)
    ):
        out.append("include_ingredients")
    return tuple(out)


def satisfies(product: ProductFacts, query: ProductQuery) -> bool:
    """True when ``product`` meets every hard constraint of ``query`` (see :func:`violations`)."""
    return not violations(product, query)


@dataclass(frozen=True, slots=True)
class _Relaxation:
    query: ProductQuery
    relaxed: tuple[str, ...]


class CatalogueIndex:
    """Products as columns of arrays, so a constraint check over 100k products is a few masks."""

    def __init__(self, products: Sequence[ProductFacts]) -> None:
        self.products: tuple[ProductFacts, ...] = tuple(products)
        self.ids = np.array([p.id for p in self.products], dtype=np.int64)
        self.position = {int(pid): i for i, pid in enumerate(self.ids)}
        self.price = np.array([p.price_minor for p in self.products], dtype=np.int64)
        self.rating = np.array(
            [p.rating if p.rating is not None else np.nan for p in self.products], dtype=np.float32
        )
        self.categories = tuple(sorted({p.category for p in self.products}))
        cat_code = {c: i for i, c in enumerate(self.categories)}
        self.category = np.array([cat_code[p.category] for p in self.products], dtype=np.int16)
        self.brands = tuple(sorted({p.brand for p in self.products}))
        brand_code = {b: i for i, b in enumerate(self.brands)}
        self.brand = np.array([brand_code[p.brand] for p in self.products], dtype=np.int32)
        self.skin = np.zeros((len(self.products), len(SKIN_TYPES)), dtype=bool)
        for r, p in enumerate(self.products):
            for t in p.skin_types:
                if t in SKIN_TYPES:
                    self.skin[r, SKIN_TYPES.index(t)] = True
        self.listed = np.array([p.ingredients_listed for p in self.products], dtype=bool)
        """Rows whose ingredient list is known."""
        self.ingredient_names = load_inci().names
        self.has_ingredient = np.zeros((len(self.products), len(self.ingredient_names)), dtype=bool)
        code = {n: i for i, n in enumerate(self.ingredient_names)}
        for r, p in enumerate(self.products):
            for name in p.canonical_ingredients:
                self.has_ingredient[r, code[name]] = True
        self._brand_code = brand_code
        self._cat_code = cat_code
        self._ing_code = code

    def __len__(self) -> int:
        return len(self.products)

    def mask(self, query: ProductQuery) -> BoolArray:
        """Products meeting every hard constraint of ``query`` (as :func:`violations` says)."""
        m = self._mask_but_ingredients(query)
        if query.exclude_ingredients or query.include_ingredients:
            m &= self.listed
        for name in query.exclude_ingredients:
            m &= ~self.has_ingredient[:, self._ing_code[name]]
        for name in query.include_ingredients:
            m &= self.has_ingredient[:, self._ing_code[name]]
        return m

    def unlisted_mask(self, query: ProductQuery) -> BoolArray:
        """Products meeting every constraint of ``query`` except its ingredient ones, whose
        ingredient list is unknown (all False when ``query`` names no ingredient)."""
        if not (query.exclude_ingredients or query.include_ingredients):
            return np.zeros(len(self.products), dtype=bool)
        m: BoolArray = self._mask_but_ingredients(query) & ~self.listed
        return m

    def _mask_but_ingredients(self, query: ProductQuery) -> BoolArray:
        n = len(self.products)
        m = np.ones(n, dtype=bool)
        if query.category:
            code = self._cat_code.get(query.category)
            m &= self.category == code if code is not None else False
        for t in query.skin_types:
            m &= self.skin[:, SKIN_TYPES.index(t)]
        if query.min_price_minor is not None:
            m &= self.price >= query.min_price_minor
        if query.max_price_minor is not None:
            m &= self.price <= query.max_price_minor
        if query.brands:
            codes = [self._brand_code[b] for b in query.brands if b in self._brand_code]
            m &= np.isin(self.brand, codes)
        if query.exclude_brands:
            codes = [self._brand_code[b] for b in query.exclude_brands if b in self._brand_code]
            m &= ~np.isin(self.brand, codes)
        return m

    def filter_with_relaxation(
        self, query: ProductQuery, *, minimum: int = 1
    ) -> tuple[BoolArray, ProductQuery, tuple[str, ...]]:
        """The mask for ``query``; if fewer than ``minimum`` products fit, loosen constraints in
        :data:`RELAXATION_ORDER` until enough do. Returns the mask, the query actually applied
        and the names of the relaxed constraints."""
        step = _Relaxation(query, ())
        m = self.mask(query)
        for name in RELAXATION_ORDER:
            if int(m.sum()) >= minimum:
                break
            loosened = _loosen(step.query, name)
            if loosened is None:
                continue
            step = _Relaxation(loosened, (*step.relaxed, name))
            m = self.mask(step.query)
        return m, step.query, step.relaxed


def _loosen(query: ProductQuery, name: str) -> ProductQuery | None:
    """``query`` without constraint ``name``, or ``None`` when it had none."""
    if name == "include_ingredients" and query.include_ingredients:
        return replace(query, include_ingredients=())
    if name == "brands" and query.brands:
        return replace(query, brands=())
    if name == "price" and (query.min_price_minor is not None or query.max_price_minor is not None):
        return replace(query, min_price_minor=None, max_price_minor=None)
    if name == "skin_types" and query.skin_types:
        return replace(query, skin_types=())
    if name == "category" and query.category:
        return replace(query, category=None)
    return None
