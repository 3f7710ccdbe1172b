"""The page-only endpoints under /api/web, on SQLite and PostgreSQL (no browser)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from lingxi.data import Database
from lingxi.data.repos import orders
from lingxi.text import MAX_MESSAGE_CHARS
from tests.helpers import Seeded, add_staff, sign_in


def test_session_is_200_whether_or_not_signed_in(client: TestClient, seeded: Seeded) -> None:
    """Anonymous, bad token and signed in all answer 200, so page loads log no 401."""
    assert client.get("/api/web/session").json() == {
        "signed_in": False,
        "member": None,
        "max_message_chars": MAX_MESSAGE_CHARS,
    }
    bad = client.get("/api/web/session", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 200 and bad.json()["signed_in"] is False
    me = client.get("/api/web/session", headers=sign_in(client, "alice@example.org")).json()
    assert me["signed_in"] is True
    assert me["member"]["customer_id"] == seeded.alice
    assert me["member"]["display_name"] == "Alice"


def test_product_facts_give_ratings_for_cards(client: TestClient, seeded: Seeded) -> None:
    """Facts come back for known ids in order; unknown ids are skipped; bad lists are refused."""
    headers = sign_in(client, "alice@example.org")
    ids = ",".join(str(i) for i in (*seeded.products[:2], 999999))
    data = client.get("/api/web/products", params={"ids": ids}, headers=headers).json()["data"]
    assert [d["id"] for d in data] == list(seeded.products[:2])
    assert all("rating" in d and "category" in d for d in data)
    bad = client.get("/api/web/products", params={"ids": "1;drop"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["errors"][0]["field"] == "query.ids"
    client.cookies.clear()  # the sign-in above also set the session cookie
    assert client.get("/api/web/products", params={"ids": "1"}).status_code == 401


def test_operations_board_is_for_staff_and_lists_unplanned_shipments(
    client: TestClient, seeded: Seeded, db: Database
) -> None:
    """Staff see open shipments no route serves (with their place); customers, owners too,
    are refused."""
    add_staff(db)
    with db.session() as s:
        order = orders.create_order(
            s,
            household_id=seeded.household_b,
            customer_id=seeded.bob,
            lines=[orders.LineRequest(seeded.products[0])],
            address_id=seeded.bob_address,
        )
        orders.confirm_order(s, household_id=seeded.household_b, order_id=order.id)
    board = client.get("/api/web/ops", headers=sign_in(client, "ops@example.org"))
    assert board.status_code == 200, board.text
    doc = board.json()
    assert doc["routes"] == []
    assert [u["order_id"] for u in doc["unassigned"]] == [order.id]
    assert doc["unassigned"][0]["lat"] == pytest.approx(43.732)
    for owner in ("alice@example.org", "bob@example.org"):
        refused = client.get("/api/web/ops", headers=sign_in(client, owner))
        assert refused.status_code == 403
        assert refused.json()["error"]["details"] == {
            "field": "role",
            "value": "owner" if owner.startswith("alice") else "adult",
            "act": "fleet",
        }


@pytest.mark.slow
def test_city_map_is_the_road_network_as_geojson(client: TestClient, seeded: Seeded) -> None:
    """The city map is GeoJSON lines over Monaco, gzip-compressed for browsers that accept it."""
    headers = sign_in(client, "alice@example.org")
    r = client.get("/api/web/city.geojson", headers=headers)
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    doc = r.json()
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) > 500
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert 7.40 < lon < 7.45 and 43.72 < lat < 43.76
    plain = client.get("/api/web/city.geojson", headers={**headers, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == doc
