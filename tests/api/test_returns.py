"""POST /api/orders/{id}/return: a return pickup, shown in the order view; bad input is 4xx."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from lingxi.data.repos import events, identity, orders
from tests.helpers import Seeded, sign_in


def _delivered_order(client: TestClient, seeded: Seeded, headers: dict[str, str]) -> dict[str, Any]:
    r = client.post(
        "/api/orders",
        json={"lines": [{"product_id": seeded.products[0], "quantity": 2}]},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    order = client.post(f"/api/orders/{r.json()['id']}/confirm", headers=headers).json()
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as s:
        orders.add_tracking_event(
            s, shipment_id=order["shipments"][0]["id"], status="delivered", place="door"
        )
    got: dict[str, Any] = client.get(f"/api/orders/{order['id']}", headers=headers).json()
    assert got["status"] == "delivered" and got["returnable"] is True
    return got


def test_return_shows_in_order_view(client: TestClient, seeded: Seeded) -> None:
    """A return of one unit: 201, the order view has the pickup, its refund and tracking."""
    alice = sign_in(client, "alice@example.org")
    order = _delivered_order(client, seeded, alice)
    line = order["lines"][0]
    r = client.post(
        f"/api/orders/{order['id']}/return",
        json={"items": [{"line_id": line["id"], "quantity": 1}], "reason": "too harsh"},
        headers=alice,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "return_requested"
    ret = [s for s in body["shipments"] if s["kind"] == "return"]
    assert len(ret) == 1 and ret[0]["refund_minor"] == 1800 and ret[0]["reason"] == "too harsh"
    assert ret[0]["tracking_number"].startswith("LR") and ret[0]["events"][0]["status"] == "created"
    assert ret[0]["lines"] == [
        {
            "line_id": line["id"],
            "sku": "T-1",
            "name": line["name"],
            "quantity": 1,
            "refund_minor": 1800,
        }
    ]
    # The answer is the order view plus the pickup's ETA from the plan made for it.
    assert "eta" in body and body["eta"] is None  # no fleet in this household's test world
    assert client.get(f"/api/orders/{order['id']}", headers=alice).json() == {
        k: v for k, v in body.items() if k != "eta"
    }
    # The rest of the line can still go back; then nothing is left.
    r = client.post(f"/api/orders/{order['id']}/return", json={}, headers=alice)
    assert r.status_code == 201 and r.json()["lines"][0]["returnable_quantity"] == 0
    r = client.post(f"/api/orders/{order['id']}/return", json={}, headers=alice)
    assert r.status_code == 409 and r.json()["error"]["details"]["field"] == "items"


def test_return_bad_input_and_isolation(client: TestClient, seeded: Seeded) -> None:
    """Bad bodies are 422 naming the field; another household gets 404 and nothing changes."""
    alice = sign_in(client, "alice@example.org")
    bob = sign_in(client, "bob@example.org")
    order = _delivered_order(client, seeded, alice)
    url = f"/api/orders/{order['id']}/return"
    line_id = order["lines"][0]["id"]
    for body, status, field in (
        ({"items": [{"line_id": line_id, "quantity": 0}]}, 422, "quantity"),
        ({"items": [{"line_id": "abc"}]}, 422, "line_id"),
        ({"items": []}, 422, "items"),
        ({"reason": "x" * 501}, 422, "reason"),
        ({"items": [{"line_id": line_id, "quantity": 3}]}, 422, "quantity"),
        ({"items": [{"line_id": 999999}]}, 404, "line_id"),
    ):
        r = client.post(url, json=body, headers=alice)
        assert r.status_code == status, (body, r.text)
        error = r.json()["error"]
        assert field in (str(error["details"]) + error["message"]), (body, error)
    r = client.post("/api/orders/abc/return", json={}, headers=alice)
    assert r.status_code == 422
    r = client.post(url, json={}, headers=bob)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    client.cookies.clear()  # signing in set a session cookie; go anonymous
    r = client.post(url, json={}, headers={})
    assert r.status_code == 401
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as s:
        token = identity.issue_token(s, customer_id=seeded.child)
    r = client.post(url, json={}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    after = client.get(f"/api/orders/{order['id']}", headers=alice).json()
    assert after["status"] == "delivered" and len(after["shipments"]) == 1
    with db.session() as s:
        assert [e for e in events.pending(s, consumer="t") if e.topic == "return.requested"] == []
