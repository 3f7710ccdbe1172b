"""Two households: neither can read or change the other's data through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers import Seeded, sign_in


def test_households_are_isolated(client: TestClient, seeded: Seeded) -> None:
    """B cannot list, read, confirm or cancel A's order, nor see A's profile."""
    alice = sign_in(client, "alice@example.org")
    bob = sign_in(client, "bob@example.org")
    r = client.post(
        "/api/orders",
        json={
            "lines": [{"product_id": seeded.products[0], "quantity": 1}],
            "address_id": seeded.alice_address,
        },
        headers=alice,
    )
    assert r.status_code == 201
    order_id = r.json()["id"]

    assert client.get("/api/orders", headers=bob).json() == {"data": [], "count": 0}
    for method, path in (
        ("GET", f"/api/orders/{order_id}"),
        ("POST", f"/api/orders/{order_id}/confirm"),
        ("POST", f"/api/orders/{order_id}/cancel"),
    ):
        r = client.request(method, path, headers=bob)
        assert r.status_code == 404, (method, path, r.text)
    # Bob cannot send his order to Alice's address either.
    r = client.post(
        "/api/orders",
        json={"lines": [{"product_id": seeded.products[0]}], "address_id": seeded.alice_address},
        headers=bob,
    )
    assert r.status_code == 404
    # A's order is untouched.
    assert client.get(f"/api/orders/{order_id}", headers=alice).json()["status"] == "pending"
    assert client.get("/api/orders", headers=alice).json()["count"] == 1


def test_profile_is_per_person(client: TestClient, seeded: Seeded) -> None:
    """Each member reads and changes only their own profile and consents."""
    alice = sign_in(client, "alice@example.org")
    bob = sign_in(client, "bob@example.org")
    client.post(
        "/api/account/consents", json={"purpose": "profile", "granted": True}, headers=alice
    )
    client.patch("/api/account/profile", json={"skin_types": ["dry"]}, headers=alice)
    assert client.get("/api/account/profile", headers=bob).json()["skin_types"] == []
    assert client.get("/api/account/profile", headers=alice).json()["skin_types"] == ["dry"]


def test_child_cannot_order(client: TestClient, seeded: Seeded) -> None:
    """A child member's order is refused with 403."""
    # The child has no password; sign in through a token issued directly.
    from lingxi.data.repos import identity

    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as s:
        token = identity.issue_token(s, customer_id=seeded.child)
    r = client.post(
        "/api/orders",
        json={"lines": [{"product_id": seeded.products[0]}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
