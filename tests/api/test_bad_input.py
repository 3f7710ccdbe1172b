"""Bad input gets a 4xx JSON error naming the field, never a 500, and loses no data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.helpers import Seeded, sign_in


@pytest.fixture
def alice(client: TestClient, seeded: Seeded) -> dict[str, str]:
    return sign_in(client, "alice@example.org")


def test_malformed_json(client: TestClient, alice: dict[str, str]) -> None:
    """A body that is not JSON is 422 saying so."""
    r = client.post(
        "/api/orders", content=b'{"lines": [', headers={**alice, "Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "The request body is not valid JSON."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": "many"}, "lines"),
        ({"lines": [{"product_id": "abc"}]}, "lines.0.product_id"),
        ({"lines": [{"product_id": 1, "quantity": -1}]}, "lines.0.quantity"),
        ({"lines": [{"product_id": 1, "quantity": 10**12}]}, "lines.0.quantity"),
        ({"lines": []}, "lines"),
        ({}, "lines"),
    ],
)
def test_wrong_types_name_the_field(
    client: TestClient, alice: dict[str, str], body: dict[str, object], field: str
) -> None:
    """Wrong types and out-of-range values are 422 naming the field."""
    r = client.post("/api/orders", json=body, headers=alice)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_input"
    assert field in err["message"]


def test_unknown_ids(client: TestClient, alice: dict[str, str]) -> None:
    """Unknown ids are 404 naming the id; ids out of range are 422."""
    r = client.get("/api/orders/987654", headers=alice)
    assert r.status_code == 404 and "987654" in r.json()["error"]["message"]
    r = client.post("/api/orders", json={"lines": [{"product_id": 987654}]}, headers=alice)
    assert r.status_code == 404 and "987654" in r.json()["error"]["message"]
    assert client.get("/api/orders/99999999999999999999", headers=alice).status_code == 422
    assert client.get("/api/orders/abc", headers=alice).status_code == 422


def test_oversize_body(client: TestClient, alice: dict[str, str]) -> None:
    """A body over the limit is refused with 413 before it is read."""
    huge = b'{"lines": [' + b'{"product_id": 1},' * 200_000 + b'{"product_id": 1}]}'
    r = client.post(
        "/api/orders", content=huge, headers={**alice, "Content-Type": "application/json"}
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


@pytest.mark.parametrize(
    "text",
    [
        "'; DROP TABLE customer; --",
        "<script>alert(1)</script>",
        '" OR 1=1 --',
        "x" * 101,
    ],
)
def test_injection_in_text_fields(
    client: TestClient, alice: dict[str, str], seeded: Seeded, text: str
) -> None:
    """SQL or HTML in text fields is stored as text or refused, and nothing is lost."""
    client.post(
        "/api/account/consents", json={"purpose": "profile", "granted": True}, headers=alice
    )
    r = client.patch("/api/account/profile", json={"brands": [text]}, headers=alice)
    if len(text) > 100:
        assert r.status_code == 422 and "brands.0" in r.json()["error"]["message"]
    else:
        assert r.status_code == 200 and r.json()["brands"] == [text]
    # Everyone is still there.
    assert client.get("/api/auth/me", headers=alice).status_code == 200
    assert client.get("/api/orders", headers=sign_in(client, "bob@example.org")).status_code == 200


def test_unknown_route_and_method(client: TestClient) -> None:
    """Unknown routes and methods are JSON errors too."""
    r = client.get("/api/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.delete("/api/health")
    assert r.status_code == 405


def test_bad_consent_purpose(client: TestClient, alice: dict[str, str]) -> None:
    """An unknown consent purpose names the field and the value."""
    r = client.post(
        "/api/account/consents", json={"purpose": "telepathy", "granted": True}, headers=alice
    )
    assert r.status_code == 422
    assert "purpose" in r.json()["error"]["message"] and "telepathy" in r.json()["error"]["message"]


def test_profile_without_consent_reports_not_stored(
    client: TestClient, alice: dict[str, str]
) -> None:
    """Skin type sent without consent is not stored, and the reply says so."""
    r = client.patch(
        "/api/account/profile", json={"skin_types": ["oily"], "brands": ["ACME"]}, headers=alice
    )
    assert r.status_code == 200
    assert r.json()["skin_types"] == [] and r.json()["not_stored"] == ["skin_types"]
