"""`/api/guide` routes: parse, recommend, compare, feedback for the signed-in member."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from lingxi.data import Database
from lingxi.data.models import Interaction
from tests.helpers import Seeded, sign_in


def test_routes_need_sign_in(client: TestClient) -> None:
    """Anonymous calls get 401."""
    assert client.post("/api/guide/parse", json={"text": "cleanser"}).status_code == 401


def test_parse_recommend_compare(client: TestClient, seeded: Seeded) -> None:
    """Parse and recommend follow the CLI contracts; compare names the better product."""
    h = sign_in(client, "alice@example.org")
    r = client.post(
        "/api/guide/parse",
        json={"text": "oily skin, moisturizer under $40, no fragrance"},
        headers=h,
    )
    assert r.status_code == 200
    assert r.json()["category"] == "Moisturizer"
    r = client.post(
        "/api/guide/recommend", json={"text": "cleanser for dry skin", "k": 2}, headers=h
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["items"][0]["name"] == "Gentle Cleanser"
    assert body["relaxed"] == []
    a, b = seeded.products[0], seeded.products[1]
    r = client.post(
        "/api/guide/compare", json={"a": str(a), "b": str(b), "need": "no alcohol"}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["better"] == a


def test_feedback_is_recorded_for_the_member(
    client: TestClient, seeded: Seeded, db: Database
) -> None:
    """Feedback is stored under the signed-in member's id."""
    h = sign_in(client, "bob@example.org")
    r = client.post(
        "/api/guide/feedback", json={"product_id": seeded.products[0], "kind": "cart"}, headers=h
    )
    assert r.status_code == 201, r.text
    with db.session() as s:
        rows = s.scalars(select(Interaction)).all()
        assert [(i.customer_id, i.kind) for i in rows] == [(seeded.bob, "cart")]


def test_bad_input_is_4xx_naming_the_field(client: TestClient, seeded: Seeded) -> None:
    """Empty, huge, emoji-only text, absurd budgets, bad k and unknown products are 4xx."""
    h = sign_in(client, "alice@example.org")
    cases = [
        ("/api/guide/parse", {"text": ""}, 422, "text"),
        ("/api/guide/parse", {"text": "x" * 100_000}, 422, "text"),
        ("/api/guide/parse", {"text": "😀😀"}, 422, "text"),
        ("/api/guide/recommend", {"text": "cleanser under $99999999"}, 422, "max_price"),
        ("/api/guide/recommend", {"text": "cleanser", "k": 0}, 422, "k"),
        ("/api/guide/feedback", {"product_id": 999999, "kind": "view"}, 404, "product"),
        ("/api/guide/feedback", {"product_id": seeded.products[0], "kind": "like"}, 422, "kind"),
        ("/api/guide/compare", {"a": "1", "b": "zzzz qqqq"}, 404, "product"),
    ]
    for path, body, status, field in cases:
        r = client.post(path, json=body, headers=h)
        assert r.status_code == status, (path, body, r.text)
        assert field in r.text
