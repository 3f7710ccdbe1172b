"""What a product page shows: the price as the shopper counts, the rating with its review count
(only where a public source gives one), the label with the asked-about ingredients marked, and
every skin-type flag.

Review counts are not in the demo catalogue (``cosmetics.csv`` has a star rating only). They come
from ``lingxi/data/demo/reviews.csv``, rows of the CC BY 4.0 Sephora table matched to the catalogue
by brand and name (see that folder's PROVENANCE.md); a product without a row has no count, and the
page says so instead of showing a number.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal
from urllib.parse import quote

from lingxi.data import Database
from lingxi.data.repos import catalog
from lingxi.errors import InvalidInputError
from lingxi.guide import replies
from lingxi.guide.inci import load_inci
from lingxi.guide.schemas import SKIN_TYPES

__all__ = [
    "REVIEW_SOURCE",
    "AskedIngredient",
    "LabelEntry",
    "ProductPage",
    "Reviews",
    "product_page",
]

REVIEW_SOURCE = "Sephora Products and Skincare Reviews (Nady Inky, Kaggle, 2023; CC BY 4.0)"
"""Where the review counts come from, as the page credits it."""
MAX_ASKED = 20
"""Asked-about ingredients one page marks (a need names a handful)."""


@dataclass(frozen=True, slots=True)
class Reviews:
    """A public source's review count and average rating for one product."""

    count: int
    rating: float
    source: str
    """Who counted them (:data:`REVIEW_SOURCE`)."""


@dataclass(frozen=True, slots=True)
class LabelEntry:
    """One entry of the ingredient label, marked when it is one the person asked about."""

    name: str
    asked: str | None
    """The canonical ingredient asked about that this entry is (``"alcohol"``), or None."""


@dataclass(frozen=True, slots=True)
class AskedIngredient:
    """An ingredient the person named, and whether the label has it."""

    canonical: str
    label: str
    """Its name in the page's language (``酒精`` for zh)."""
    present: bool


@dataclass(frozen=True, slots=True)
class ProductPage:
    """Everything a product page shows about one product."""

    id: int
    sku: str
    brand: str
    name: str
    category: str
    price_minor: int
    currency: str
    display_price: str
    """``$12``, or for Chinese ``¥86（$12）`` at the deployment's rate."""
    local_price: float | None
    """The price in yuan for Chinese (None in English)."""
    cny_per_usd: float | None
    rating: float | None
    """The catalogue's average stars (0-5)."""
    reviews: Reviews | None
    skin_types: tuple[tuple[str, bool], ...]
    """Every skin type with whether the catalogue flags the product suitable for it."""
    ingredients: tuple[LabelEntry, ...]
    asked: tuple[AskedIngredient, ...]
    image_src: str
    stock: int | None


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@lru_cache(maxsize=1)
def _reviews() -> dict[tuple[str, str], Reviews]:
    path = resources.files("lingxi.data").joinpath("demo/reviews.csv")
    with path.open(encoding="utf-8") as fh:
        return {
            (_fold(row["brand"]), _fold(row["name"])): Reviews(
                int(row["reviews"]), float(row["rating"]), REVIEW_SOURCE
            )
            for row in csv.DictReader(fh)
        }


def reviews_for(brand: str, name: str) -> Reviews | None:
    """The review count of a product by brand and name, or None when no source gives one."""
    return _reviews().get((_fold(brand), _fold(name)))


def product_page(
    db: Database,
    product_id: int,
    *,
    asked: tuple[str, ...] = (),
    language: Literal["en", "zh"] = "en",
    cny_per_usd: float = replies.DEFAULT_CNY_PER_USD,
) -> ProductPage:
    """The product page of ``product_id``, marking the canonical ingredients in ``asked``.

    Raises
    ------
    NotFoundError
        No product has that id (field ``product_id``).
    InvalidInputError
        An asked ingredient is not a canonical name (field ``ingredients``).
    """
    inci = load_inci()
    wanted = tuple(dict.fromkeys(a.strip().lower() for a in asked if a.strip()))
    if len(wanted) > MAX_ASKED:
        raise InvalidInputError.for_field("ingredients", f"at most {MAX_ASKED} names", len(wanted))
    unknown = [a for a in wanted if a not in inci.names]
    if unknown:
        raise InvalidInputError.for_field(
            "ingredients", "canonical ingredient names (alcohol, fragrance, ...)", unknown[0]
        )
    with db.session() as session:
        view = catalog.get_product(session, product_id=product_id)
    entries = catalog.split_inci(view.ingredients_raw) or list(view.ingredients)
    label = tuple(
        LabelEntry(e, next((a for a in wanted if inci.entry_matches(a, e)), None)) for e in entries
    )
    found = {e.asked for e in label if e.asked}
    zh = language == "zh"
    minor = view.price_minor
    return ProductPage(
        id=view.id,
        sku=view.sku,
        brand=view.brand,
        name=view.name,
        category=view.category,
        price_minor=minor,
        currency=view.currency,
        display_price=(
            f"{replies.yuan(minor / 100 * cny_per_usd)}（{replies.usd(minor)}）"
            if zh
            else replies.usd(minor)
        ),
        local_price=round(minor / 100 * cny_per_usd, 2) if zh else None,
        cny_per_usd=cny_per_usd if zh else None,
        rating=view.rating,
        reviews=reviews_for(view.brand, view.name),
        skin_types=tuple((s, s in view.skin_types) for s in SKIN_TYPES),
        ingredients=label,
        asked=tuple(AskedIngredient(a, inci.zh_name(a) if zh else a, a in found) for a in wanted),
        image_src=f"/api/products/{quote(view.sku, safe='')}/image",
        stock=view.stock,
    )
