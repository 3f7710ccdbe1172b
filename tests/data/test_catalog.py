"""Catalogue repo: INCI parsing, idempotent upserts, interactions."""

from __future__ import annotations

import pytest

from lingxi.data import Database
from lingxi.data.repos import catalog
from lingxi.data.repos.demo import demo_file
from lingxi.errors import InvalidInputError, NotFoundError
from tests.helpers import products, seed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Water, Glycerin.", ["water", "glycerin"]),
        (
            "Algae (Seaweed, Kelp) Extract, Fragrance (Parfum)",
            ["algae (seaweed, kelp) extract", "fragrance (parfum)"],
        ),
        ("Water,  water , WATER", ["water"]),
        ("No Info", []),
        ("Visit the Dior boutique", []),
        ("", []),
    ],
)
def test_split_inci(raw: str, expected: list[str]) -> None:
    """Top-level commas split, commas in parentheses do not, placeholders give nothing."""
    assert catalog.split_inci(raw) == expected


def test_shipped_catalogue_reads_whole() -> None:
    """The shipped Sephora file gives 1,472 products with prices in cents and skin flags."""
    records = list(catalog.read_catalogue_csv(demo_file("cosmetics.csv")))
    assert len(records) == 1472
    first = records[0]
    assert (first.brand, first.category, first.price_minor) == ("LA MER", "Moisturizer", 17500)
    assert first.skin_types == {"combination", "dry", "normal", "oily", "sensitive"}


def test_upsert_is_idempotent_and_normalises_ingredients(db: Database) -> None:
    """A second upsert of the same records changes nothing; ingredients are a shared table."""
    with db.session() as s:
        assert catalog.upsert_products(s, records=products())["inserted"] == 3
    with db.session() as s:
        assert catalog.upsert_products(s, records=products()) == {
            "inserted": 0,
            "updated": 0,
            "unchanged": 3,
        }
        views = {p.sku: p for p in catalog.list_products(s)}
    assert views["T-1"].ingredients == ("water", "glycerin", "cetearyl alcohol", "niacinamide")
    assert views["T-2"].skin_types == ("oily",)
    assert views["T-3"].ingredients == ()


def test_upsert_updates_changed_price(db: Database) -> None:
    """A changed price is updated in place, keyed by SKU."""
    recs = products()
    with db.session() as s:
        catalog.upsert_products(s, records=recs)
    changed = [
        catalog.ProductRecord(
            **{**{f: getattr(recs[0], f) for f in recs[0].__slots__}, "price_minor": 1900}
        )
    ]
    with db.session() as s:
        assert catalog.upsert_products(s, records=changed)["updated"] == 1
        assert catalog.find_product(s, brand="acme", name_contains="gentle").price_minor == 1900  # type: ignore[union-attr]


def test_interactions(db: Database) -> None:
    """Interactions are stored and validated; ratings need a value from 1 to 5."""
    ids = seed(db)
    with db.session() as s:
        catalog.add_interaction(s, customer_id=ids.bob, product_id=ids.products[0], kind="view")
        catalog.add_interaction(
            s, customer_id=ids.bob, product_id=ids.products[1], kind="rating", value=5
        )
        with pytest.raises(InvalidInputError, match="'kind'"):
            catalog.add_interaction(s, customer_id=ids.bob, product_id=ids.products[0], kind="like")
        with pytest.raises(InvalidInputError, match="'value'"):
            catalog.add_interaction(
                s, customer_id=ids.bob, product_id=ids.products[0], kind="rating", value=9
            )
        with pytest.raises(NotFoundError, match="12345"):
            catalog.add_interaction(s, customer_id=ids.bob, product_id=12345, kind="view")
    with db.session() as s:
        rows = catalog.list_interactions(s, customer_id=ids.bob)
    assert [(r.kind, r.value) for r in rows] == [("view", None), ("rating", 5)]
