"""Paid acts happen once, whatever two clients do at once: through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from lingxi.data import Database
from lingxi.data.models import Shipment
from lingxi.data.repos import orders
from tests.helpers import Seeded, at_once, sign_in


def _pending_order(client: TestClient, seeded: Seeded, headers: dict[str, str]) -> int:
    r = client.post(
        "/api/orders",
        json={"lines": [{"product_id": seeded.products[0], "quantity": 1}]},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _shipments(db: Database, order_id: int) -> list[tuple[str, str]]:
    with db.session() as s:
        rows = s.query(Shipment).filter(Shipment.order_id == order_id).all()
        return [(row.kind, row.status) for row in rows]


def test_twenty_concurrent_confirms_make_one_shipment(
    client: TestClient, seeded: Seeded, db: Database
) -> None:
    """20 confirms of one order at once: one 200, nineteen 409, exactly one shipment."""
    alice = sign_in(client, "alice@example.org")
    order_id = _pending_order(client, seeded, alice)
    answers = at_once(20, lambda _: client.post(f"/api/orders/{order_id}/confirm", headers=alice))
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] + [409] * 19, codes
    assert all(
        r.json()["error"]["details"]["field"] == "status" for r in answers if r.status_code == 409
    )
    assert _shipments(db, order_id) == [("delivery", "created")]
    with db.session() as s:
        assert (
            orders.get_order(s, household_id=seeded.household_a, order_id=order_id).status
            == "confirmed"
        )


def test_confirm_racing_cancel_ends_consistent(
    client: TestClient, seeded: Seeded, db: Database
) -> None:
    """Confirm and cancel at once, five rounds: the answers agree with one consistent end state."""
    alice = sign_in(client, "alice@example.org")
    for _ in range(5):
        order_id = _pending_order(client, seeded, alice)
        paths = [f"/api/orders/{order_id}/confirm", f"/api/orders/{order_id}/cancel"] * 3
        answers = at_once(len(paths), lambda i, paths=paths: client.post(paths[i], headers=alice))
        ok = [
            (paths[i].rsplit("/", 1)[1], r.json()["status"])
            for i, r in enumerate(answers)
            if r.status_code == 200
        ]
        assert all(r.status_code in (200, 409) for r in answers), [r.text for r in answers]
        with db.session() as s:
            final = orders.get_order(s, household_id=seeded.household_a, order_id=order_id).status
        shipments = _shipments(db, order_id)
        cancels = [a for a in ok if a[0] == "cancel"]
        confirms = [a for a in ok if a[0] == "confirm"]
        assert len(cancels) <= 1 and len(confirms) <= 1, ok
        if final == "cancelled":
            assert len(cancels) == 1 and cancels[0][1] == "cancelled"
            assert all(status == "exception" for _, status in shipments), shipments
            assert len(shipments) == len(confirms)  # a shipment only from a confirm that won
        else:
            assert final == "confirmed" and not cancels and len(confirms) == 1
            assert shipments == [("delivery", "created")]


def test_idempotency_key_replays_the_same_answer(
    client: TestClient, seeded: Seeded, db: Database
) -> None:
    """The same key twice (and five times at once): one order, the same body every time."""
    alice = sign_in(client, "alice@example.org")
    body: dict[str, Any] = {"lines": [{"product_id": seeded.products[0], "quantity": 2}]}
    first = client.post("/api/orders", json=body, headers={**alice, "Idempotency-Key": "k-1"})
    again = client.post("/api/orders", json=body, headers={**alice, "Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    burst = at_once(
        5,
        lambda _: client.post(
            "/api/orders", json=body, headers={**alice, "Idempotency-Key": "k-burst"}
        ),
    )
    assert {r.status_code for r in burst} == {201}
    assert len({r.json()["id"] for r in burst}) == 1
    listed = client.get("/api/orders", headers=alice).json()
    assert listed["count"] == 2  # k-1 and k-burst, nothing more
    # The same key for another request is refused, naming the header.
    other = client.post(
        "/api/orders",
        json={"lines": [{"product_id": seeded.products[1], "quantity": 1}]},
        headers={**alice, "Idempotency-Key": "k-1"},
    )
    assert (
        other.status_code == 422 and other.json()["error"]["details"]["field"] == "Idempotency-Key"
    )
    # A confirm replayed by key answers the first 200 again instead of a 409, and ships once.
    order_id = first.json()["id"]
    url = f"/api/orders/{order_id}/confirm"
    c1 = client.post(url, headers={**alice, "Idempotency-Key": "pay-1"})
    c2 = client.post(url, headers={**alice, "Idempotency-Key": "pay-1"})
    assert c1.status_code == c2.status_code == 200 and c1.json() == c2.json()
    assert _shipments(db, order_id) == [("delivery", "created")]


def test_keys_belong_to_the_household(client: TestClient, seeded: Seeded) -> None:
    """Bob's request with Alice's key runs for Bob: keys never leak another household's answer."""
    alice = sign_in(client, "alice@example.org")
    bob = sign_in(client, "bob@example.org")
    body = {"lines": [{"product_id": seeded.products[0], "quantity": 1}]}
    a = client.post("/api/orders", json=body, headers={**alice, "Idempotency-Key": "shared"})
    b = client.post("/api/orders", json=body, headers={**bob, "Idempotency-Key": "shared"})
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"] and b.json()["customer_id"] == seeded.bob
    bad = client.post("/api/orders", json=body, headers={**alice, "Idempotency-Key": "x" * 201})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "Idempotency-Key"


def test_child_is_refused_the_same_way_everywhere(client: TestClient, seeded: Seeded) -> None:
    """A child's account: 403 naming the role from the API (the chat says the same message)."""
    from lingxi.data.repos import identity

    db: Database = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as s:
        kid = {"Authorization": f"Bearer {identity.issue_token(s, customer_id=seeded.child)}"}
    r = client.post(
        "/api/orders", json={"lines": [{"product_id": seeded.products[0]}]}, headers=kid
    )
    assert r.status_code == 403 and r.json()["error"]["details"]["field"] == "role"
    assert "child" in r.json()["error"]["message"].lower()


def test_a_key_is_kept_for_a_day(client: TestClient, seeded: Seeded, db: Database) -> None:
    """After 24 hours a key's answer is forgotten: the key may name a new request."""
    from datetime import timedelta

    from sqlalchemy import update

    from lingxi.data import utcnow
    from lingxi.data.models import IdempotentRequest

    alice = {**sign_in(client, "alice@example.org"), "Idempotency-Key": "daily"}
    first = client.post(
        "/api/orders", json={"lines": [{"product_id": seeded.products[0]}]}, headers=alice
    )
    with db.session() as s:
        s.execute(update(IdempotentRequest).values(created_at=utcnow() - timedelta(hours=25)))
    other = client.post(
        "/api/orders", json={"lines": [{"product_id": seeded.products[1]}]}, headers=alice
    )
    assert first.status_code == other.status_code == 201
    assert other.json()["id"] != first.json()["id"] and "idempotent-replayed" not in other.headers
