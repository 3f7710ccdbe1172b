"""GET /api/products/{id}: the product page's typed document; bad ids are 404/422 naming the field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from lingxi.data import Database
from lingxi.data.repos import catalog
from lingxi.guide.product_page import REVIEW_SOURCE, reviews_for
from tests.helpers import Seeded, sign_in


@pytest.fixture
def alice(client: TestClient, seeded: Seeded) -> dict[str, str]:
    return sign_in(client, "alice@example.org")


def test_product_page_in_english(client: TestClient, seeded: Seeded, alice: dict[str, str]) -> None:
    """US$ only, every skin-type flag, the label with the asked-about ingredient marked, and an
    image the app serves itself."""
    pid = seeded.products[0]  # ACME Gentle Cleanser, $18, dry + sensitive
    r = client.get(f"/api/products/{pid}", params={"ingredients": "niacinamide"}, headers=alice)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["price"] == {
        "amount": 18.0,
        "amount_minor": 1800,
        "currency": "USD",
        "display": "$18",
        "local_amount": None,
        "local_currency": None,
        "cny_per_usd": None,
    }
    assert doc["rating"] == 4.5 and doc["reviews"] is None  # no public count: none invented
    assert [(f["skin_type"], f["suitable"]) for f in doc["skin_types"]] == [
        ("combination", False),
        ("dry", True),
        ("normal", False),
        ("oily", False),
        ("sensitive", True),
    ]
    marked = [e["name"] for e in doc["ingredients"] if e["asked"] == "niacinamide"]
    assert marked == ["niacinamide"]
    assert [e["name"] for e in doc["ingredients"] if e["asked"] is None] == [
        "water",
        "glycerin",
        "cetearyl alcohol",
    ]
    assert doc["asked"] == [{"canonical": "niacinamide", "label": "niacinamide", "present": True}]
    img = client.get(doc["image_src"], headers=alice)
    assert img.status_code == 200 and img.headers["content-type"].startswith("image/")


def test_product_page_in_chinese_shows_yuan_at_the_configured_rate(
    client: TestClient, seeded: Seeded, alice: dict[str, str]
) -> None:
    """zh: ¥ at LINGXI_GUIDE__CNY_PER_USD beside US$, as the guide shows it; an asked ingredient
    the label lacks is named as absent, and 'alcohol' does not mark a fatty alcohol."""
    rate = client.app.state.settings.guide.cny_per_usd  # type: ignore[attr-defined]
    pid = seeded.products[0]
    r = client.get(
        f"/api/products/{pid}",
        params={"lang": "zh", "ingredients": "alcohol,fragrance"},
        headers=alice,
    )
    assert r.status_code == 200, r.text
    price = r.json()["price"]
    assert price["local_currency"] == "CNY" and price["cny_per_usd"] == rate
    assert price["local_amount"] == round(18 * rate, 2)
    assert rate == 7.2 and price["display"] == "¥129.60（$18）"  # as the guide's replies read
    asked = {a["canonical"]: a for a in r.json()["asked"]}
    assert asked["alcohol"]["present"] is False and asked["fragrance"]["present"] is False
    assert asked["alcohol"]["label"] != "alcohol"  # its Chinese name
    assert all(e["asked"] is None for e in r.json()["ingredients"])
    other = client.get(
        f"/api/products/{seeded.products[1]}", params={"ingredients": "alcohol"}, headers=alice
    ).json()
    assert [e["name"] for e in other["ingredients"] if e["asked"]] == ["alcohol denat"]


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/api/products/987654", {}, 404, "product_id"),
        ("/api/products/0", {}, 422, "product_id"),
        ("/api/products/abc", {}, 422, "product_id"),
        ("/api/products/99999999999999999999", {}, 422, "product_id"),
        ("/api/products/1", {"lang": "fr"}, 422, "lang"),
        ("/api/products/1", {"ingredients": "<script>"}, 422, "ingredients"),
        ("/api/products/1", {"ingredients": "unobtainium"}, 422, "ingredients"),
    ],
)
def test_bad_ids_and_parameters_name_the_field(
    client: TestClient,
    seeded: Seeded,
    alice: dict[str, str],
    path: str,
    params: dict[str, str],
    status: int,
    field: str,
) -> None:
    """Unknown ids are 404, malformed ids and parameters 422; the JSON error names the field."""
    if path.endswith("/1"):
        path = f"/api/products/{seeded.products[0]}"
    r = client.get(path, params=params, headers=alice)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert field in err["message"] or field in str(err["details"])


def test_signed_out_is_refused(client: TestClient, seeded: Seeded) -> None:
    """The page is for signed-in members."""
    assert client.get(f"/api/products/{seeded.products[0]}").status_code == 401


def test_review_counts_come_only_from_the_credited_source(
    client: TestClient, db: Database, seeded: Seeded, alice: dict[str, str]
) -> None:
    """A product in the Sephora 2023 table shows that table's count, rating and credit; every
    row of the shipped table is a product of the demo catalogue (no count without a product)."""
    import csv
    from importlib import resources

    with db.session() as s:
        catalog.upsert_products(
            s,
            records=[
                catalog.ProductRecord(
                    sku="CL-MS",
                    brand="CLINIQUE",
                    name="Moisture Surge Hydrating Supercharged Concentrate",
                    category="Moisturizer",
                    price_minor=3900,
                    rating=4.0,
                    ingredients_raw="Water, Glycerin",
                    skin_types=frozenset({"dry"}),
                )
            ],
        )
        pid = next(p.id for p in catalog.list_products(s) if p.sku == "CL-MS")
    doc = client.get(f"/api/products/{pid}", headers=alice).json()
    assert doc["reviews"] == {"count": 244, "rating": 4.0246, "source": REVIEW_SOURCE}
    demo = resources.files("lingxi.data").joinpath("demo")
    with demo.joinpath("cosmetics.csv").open(encoding="utf-8-sig") as fh:
        names = {(r["Brand"], r["Name"]) for r in csv.DictReader(fh)}
    with demo.joinpath("reviews.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 37 and all((r["brand"], r["name"]) in names for r in rows)
    assert reviews_for("ACME", "Gentle Cleanser") is None
