"""Chat and API run the same rules (lingxi.commerce): a child's order is refused in the same
words, and the data export holds the same orders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data.repos import identity, orders
from lingxi.data.repos.identity import Member
from tests.assistant.conftest import World, offline_assistant


@pytest.fixture
def client(world: World, settings: Settings) -> Iterator[TestClient]:
    """The app over the small world with the offline assistant."""
    app = create_app(settings, database=world.db)
    app.state.services["assistant"] = offline_assistant(world.db)
    with TestClient(app) as c:
        yield c


def _headers(world: World, member: Member) -> dict[str, str]:
    with world.db.session() as s:
        return {
            "Authorization": f"Bearer {identity.issue_token(s, customer_id=member.customer_id)}"
        }


def _say(client: TestClient, h: dict[str, str], cid: int, text: str) -> dict:
    r = client.post(f"/api/assistant/conversations/{cid}/messages", headers=h, json={"text": text})
    assert r.status_code == 200, r.text
    doc: dict = r.json()
    return doc


def test_a_child_ordering_in_chat_gets_the_apis_refusal(client: TestClient, world: World) -> None:
    """The API answers 403 with the policy's sentence; chat says that same sentence, asks
    nothing, and no order exists for the child either way."""
    h = _headers(world, world.child)
    cid = client.post("/api/assistant/conversations", headers=h, json={}).json()["id"]
    shown = _say(client, h, cid, "a cleanser for oily skin")
    api = client.post(
        "/api/orders", headers=h, json={"lines": [{"product_id": shown["items"][0]["id"]}]}
    )
    assert api.status_code == 403
    refusal = api.json()["error"]["message"]
    r = _say(client, h, cid, "buy the first one")
    assert refusal in r["reply"] and not r["needs_confirmation"] and r["action_id"] is None
    r = _say(client, h, cid, "yes")
    with world.db.session() as s:
        mine = orders.list_orders(
            s, household_id=world.child.household_id, customer_id=world.child.customer_id
        )
    assert mine == []


def test_chat_export_holds_the_orders_of_the_api_export(client: TestClient, world: World) -> None:
    """ "Export my data" in chat and GET /api/account/export list the same orders."""
    h = _headers(world, world.mei)
    api = client.get("/api/account/export", headers=h)
    assert api.status_code == 200
    cid = client.post("/api/assistant/conversations", headers=h, json={}).json()["id"]
    r = _say(client, h, cid, "export my data")
    assert r["skill"] == "account"
    doc = r["actions"][-1]["result"]["export"]
    assert doc["orders"], "Mei has an order on its way"
    chat_orders = [(o["id"], o["status"], o["total_minor"]) for o in doc["orders"]]
    api_orders = [(o["id"], o["status"], o["total_minor"]) for o in api.json()["orders"]]
    assert chat_orders == api_orders == [(world.chen_order_id, "shipped", 1900)]
    assert doc["customer"]["email"] == api.json()["customer"]["email"]
