"""The guide over the data layer (SQLite and PostgreSQL): embedding cache, consents, feedback."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from lingxi.data import Database
from lingxi.data.models import Product, ProductEmbedding
from lingxi.data.repos import catalog, identity, orders
from lingxi.data.repos.demo import demo_file
from lingxi.errors import InvalidInputError, NotFoundError
from lingxi.guide import ShoppingGuide, _build as build_module


@pytest.fixture
def stocked(db: Database) -> tuple[Database, int, int]:
    """80 demo products (every 18th, all categories) and two customers in one household (ids returned)."""
    records = list(
        itertools.islice(catalog.read_catalogue_csv(demo_file("cosmetics.csv")), 0, 1440, 18)
    )
    with db.session() as s:
        catalog.upsert_products(s, records=records)
        hh = identity.create_household(s, name="H")
        ann = identity.create_customer(
            s, household_id=hh, email="ann@example.org", display_name="Ann"
        )
        ben = identity.create_customer(
            s, household_id=hh, email="ben@example.org", display_name="Ben"
        )
    return db, ann, ben


def test_embeddings_are_cached_in_the_database(
    stocked: tuple[Database, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first build stores one embedding per product; the second computes none."""
    db, _, _ = stocked
    ShoppingGuide.from_database(db)
    with db.session() as s:
        assert s.scalar(select(func.count(ProductEmbedding.id))) == 80

    def refuse(texts: object) -> None:
        raise AssertionError("embeddings were recomputed")

    monkeypatch.setattr(build_module, "embed_passages", refuse)
    monkeypatch.setattr(build_module, "shipped_embeddings", lambda texts: {})
    ShoppingGuide.from_database(db).recommend("cleanser", k=3)


def test_consent_gates_profile_and_history(stocked: tuple[Database, int, int]) -> None:
    """Without consent only the request counts; with it, the avoid-list and history do."""
    db, ann, _ = stocked
    guide = ShoppingGuide.from_database(db)
    with db.session() as s:
        identity.update_profile(s, customer_id=ann, avoid_ingredients=["fragrance"])
    anonymous = guide.recommend_for(db, "moisturizer", customer_id=ann, k=20)
    assert not anonymous.personalised
    with db.session() as s:
        identity.grant_consent(s, customer_id=ann, purpose="profile")
    with_profile = guide.recommend_for(db, "moisturizer", customer_id=ann, k=20)
    assert with_profile.personalised
    assert all(
        "fragrance" not in guide.product(i.id).canonical_ingredients for i in with_profile.items
    )


def test_feedback_changes_next_recommendations_at_once(stocked: tuple[Database, int, int]) -> None:
    """A recorded purchase reshapes the next answer for that person only, with no refit."""
    db, ann, ben = stocked
    with db.session() as s:
        identity.grant_consent(s, customer_id=ann, purpose="personalisation")
        identity.grant_consent(s, customer_id=ben, purpose="personalisation")
    guide = ShoppingGuide.from_database(db)
    before = [i.id for i in guide.recommend_for(db, "treatment", customer_id=ann, k=10).items]
    target = next(p for p in guide.index.products if p.category == "Eye cream")
    guide.record_interaction(db, customer_id=ann, product_id=target.id, kind="purchase")
    after = guide.recommend_for(db, "treatment", customer_id=ann, k=10)
    assert [i.id for i in after.items] != before
    ben_view = [i.id for i in guide.recommend_for(db, "treatment", customer_id=ben, k=10).items]
    assert ben_view == before


def test_reasons_cite_only_orders_the_person_can_see(stocked: tuple[Database, int, int]) -> None:
    """A purchase recorded without an order (a history import) lifts items but is never cited;
    once the person has ordered the product, the reason names that order's number and date."""
    db, ann, _ = stocked
    with db.session() as s:
        identity.grant_consent(s, customer_id=ann, purpose="personalisation")
        household = identity.get_member(s, customer_id=ann).household_id
    guide = ShoppingGuide.from_database(db)
    target = next(p for p in guide.index.products if p.category == "Eye cream")
    guide.record_interaction(db, customer_id=ann, product_id=target.id, kind="purchase")
    lifted = guide.recommend_for(db, "treatment", customer_id=ann, k=10)
    assert lifted.personalised
    assert not any(target.name in i.reason or "order #" in i.reason for i in lifted.items)
    with db.session() as s:
        order = orders.create_order(
            s,
            household_id=household,
            customer_id=ann,
            lines=[orders.LineRequest(target.id, 1)],
        )
    cited = guide.recommend_for(db, "treatment", customer_id=ann, k=10)
    linked = [i.reason for i in cited.items if f"order #{order.id}" in i.reason]
    assert linked and all(target.name in r for r in linked), [i.reason for i in cited.items]
    zh = guide.recommend_for(db, "推荐一款精华", customer_id=ann, k=10)
    assert any(f"订单 #{order.id}" in i.reason for i in zh.items), [i.reason for i in zh.items]


def test_unknown_customer_and_bad_feedback(stocked: tuple[Database, int, int]) -> None:
    """Unknown customers and products are NotFoundError; a bad kind names the field."""
    db, ann, _ = stocked
    guide = ShoppingGuide.from_database(db)
    with pytest.raises(NotFoundError):
        guide.recommend_for(db, "cleanser", customer_id=987_654, k=3)
    with pytest.raises(NotFoundError, match="product"):
        guide.record_interaction(db, customer_id=ann, product_id=987_654, kind="view")
    with pytest.raises(InvalidInputError, match="kind"):
        guide.record_interaction(
            db, customer_id=ann, product_id=guide.index.products[0].id, kind="like"
        )


def test_empty_catalogue_is_a_clear_error(db: Database) -> None:
    """Building a guide before the demo is loaded says what to do."""
    with pytest.raises(NotFoundError, match="demo load"):
        ShoppingGuide.from_database(db)


def test_the_built_index_is_reused_until_the_catalogue_changes(
    stocked: tuple[Database, int, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second start reads the stored index (no build). A product edit builds both parts again;
    a new interaction refits only the personal part, over the stored catalogue part; a torn
    file rebuilds its own part. Each time the answers are those of a guide built afresh."""
    db, ann, _ = stocked
    cache = tmp_path / "cache"
    first = ShoppingGuide.from_database(db, cache_dir=cache)
    assert sorted(f.name for f in cache.iterdir()) == ["guide-catalogue.pkl", "guide-personal.pkl"]
    builds: list[str] = []
    real_catalogue, real_personal = build_module.build_catalogue, build_module.build_personal

    def catalogue(database: Database) -> Any:
        builds.append("catalogue")
        return real_catalogue(database)

    def personal(database: Database, index: Any) -> Any:
        builds.append("personal")
        return real_personal(database, index)

    monkeypatch.setattr(build_module, "build_catalogue", catalogue)
    monkeypatch.setattr(build_module, "build_personal", personal)

    def same_as_fresh(guide: ShoppingGuide, person: int | None = None) -> None:
        fresh = ShoppingGuide.from_database(db)
        for text in ("cleanser", "moisturiser for dry skin"):
            got = guide.recommend_for(db, text, customer_id=person, k=5).to_dict()
            assert got == fresh.recommend_for(db, text, customer_id=person, k=5).to_dict()

    again = ShoppingGuide.from_database(db, cache_dir=cache)
    assert builds == []
    same_as_fresh(again)
    builds.clear()  # the fresh guides above built too

    with db.session() as s:
        product = s.get(Product, first.index.products[0].id)
        assert product is not None
        product.price_minor += 100
    changed = ShoppingGuide.from_database(db, cache_dir=cache)
    assert builds == ["catalogue", "personal"]
    assert changed.product(first.index.products[0].id).price_minor == (
        first.index.products[0].price_minor + 100
    )
    builds.clear()
    with db.session() as s:
        identity.grant_consent(s, customer_id=ann, purpose="personalisation")
    for pid in (first.index.products[1].id, first.index.products[2].id):
        changed.record_interaction(db, customer_id=ann, product_id=pid, kind="purchase")
    refit = ShoppingGuide.from_database(db, cache_dir=cache)
    assert builds == ["personal"]
    builds.clear()
    same_as_fresh(refit, person=ann)
    builds.clear()

    (cache / "guide-catalogue.pkl").write_bytes(b"torn")
    ShoppingGuide.from_database(db, cache_dir=cache)
    assert builds == ["catalogue"]
    builds.clear()
    (cache / "guide-personal.pkl").write_bytes(b"torn")
    ShoppingGuide.from_database(db, cache_dir=cache)
    assert builds == ["personal"]
