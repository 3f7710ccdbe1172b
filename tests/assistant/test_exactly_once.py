"""Exactly once in chat, through the HTTP chat route: a pending confirmation is a stored action
with an id; one yes (or one click on that action's button) runs it, a second says it is done,
and an older action's button never confirms a newer one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.assistant.language import say
from lingxi.config import Settings
from lingxi.data.repos import conversation as conv_repo, identity, orders
from lingxi.data.repos.identity import Member
from lingxi.home import HomeController
from tests.assistant.conftest import World, home_controller, lock_state, offline_assistant
from tests.helpers import at_once


@dataclass
class Chat:
    """The app's chat route for one world, with the home controller behind it."""

    client: TestClient
    world: World
    home: HomeController

    def headers(self, member: Member) -> dict[str, str]:
        with self.world.db.session() as s:
            token = identity.issue_token(s, customer_id=member.customer_id)
        return {"Authorization": f"Bearer {token}"}

    def start(self, member: Member) -> tuple[int, dict[str, str]]:
        h = self.headers(member)
        r = self.client.post("/api/assistant/conversations", headers=h, json={})
        assert r.status_code == 201, r.text
        return int(r.json()["id"]), h

    def say(self, cid: int, h: dict[str, str], text: str, **extra: Any) -> dict[str, Any]:
        r = self.client.post(
            f"/api/assistant/conversations/{cid}/messages", headers=h, json={"text": text, **extra}
        )
        assert r.status_code == 200, r.text
        doc: dict[str, Any] = r.json()
        return doc


@pytest.fixture
def chat(world: World, settings: Settings) -> Iterator[Chat]:
    """The app over the small world: the real guide and home controller, no LLM."""
    app = create_app(settings, database=world.db)
    home = home_controller(world.db)
    app.state.services["assistant"] = offline_assistant(world.db, home=home)
    with TestClient(app) as client:
        yield Chat(client, world, home)


def _orders(world: World, member: Member) -> list[orders.OrderView]:
    with world.db.session() as s:
        return orders.list_orders(
            s, household_id=member.household_id, customer_id=member.customer_id
        )


def _proposal(chat: Chat, member: Member) -> tuple[int, dict[str, str], dict[str, Any]]:
    """A conversation whose last reply asks to buy the first cleanser shown."""
    cid, h = chat.start(member)
    shown = chat.say(cid, h, "a cleanser for oily skin")
    assert shown["items"]
    asked = chat.say(cid, h, "buy the first one")
    assert asked["needs_confirmation"] and asked["action_id"] is not None
    assert asked["actions"][-1]["action_id"] == asked["action_id"]
    return cid, h, asked


def _concurrent_yes(chat: Chat, cid: int, h: dict[str, str], n: int, **extra: Any) -> list[str]:
    replies = at_once(n, lambda _: str(chat.say(cid, h, "yes", **extra)["reply"]))
    assert len(replies) == n
    return replies


def test_five_concurrent_yes_place_one_order(chat: Chat) -> None:
    """Five simultaneous "yes" after "buy the first one": one order, one delivery shipment; the
    other four replies say it is already done."""
    w = chat.world
    before = len(_orders(w, w.lei))
    cid, h, asked = _proposal(chat, w.lei)
    replies = _concurrent_yes(chat, cid, h, 5)
    placed = _orders(w, w.lei)
    assert len(placed) == before + 1
    assert len(placed[0].shipments) == 1 and placed[0].status == "confirmed"
    assert sum(f"#{placed[0].id} is confirmed" in r for r in replies) == 1
    assert sum("already done" in r for r in replies) == 4
    with w.db.session() as s:
        calls = conv_repo.list_tool_calls(
            s, customer_id=w.lei.customer_id, tool="orders.place_order"
        )
    assert [(c.id, c.confirmation) for c in calls] == [(asked["action_id"], "confirmed")]
    assert calls[0].result["order_id"] == placed[0].id


def test_yes_twice_places_one_order(chat: Chat) -> None:
    """ "yes", then "yes" again: one order; the second reply says it is already done."""
    w = chat.world
    before = len(_orders(w, w.lei))
    cid, h, _ = _proposal(chat, w.lei)
    first = chat.say(cid, h, "yes")
    second = chat.say(cid, h, "yes")
    assert "is confirmed" in first["reply"] and not first["needs_confirmation"]
    assert "already done" in second["reply"] and second["actions"] == []
    assert len(_orders(w, w.lei)) == before + 1


def test_a_double_click_on_confirm_places_one_order(chat: Chat) -> None:
    """Two clicks on the same Confirm button (two yeses carrying its action id, at once)."""
    w = chat.world
    before = len(_orders(w, w.lei))
    cid, h, asked = _proposal(chat, w.lei)
    replies = _concurrent_yes(chat, cid, h, 2, action_id=asked["action_id"])
    assert len(_orders(w, w.lei)) == before + 1
    assert sorted("already done" in r for r in replies) == [False, True]


@pytest.mark.parametrize("who", ["adult", "owner"])
def test_a_stale_confirm_never_confirms_a_newer_action(chat: Chat, who: str) -> None:
    """Buy, then "unlock the front door", then a click on the old Confirm under the order: the
    door stays locked, nothing is bought, and the reply says that request was replaced."""
    w = chat.world
    member = w.lei if who == "adult" else w.mei
    before = len(_orders(w, member))
    cid, h, bought = _proposal(chat, member)
    unlock = chat.say(cid, h, "unlock the front door")
    assert unlock["skill"] == "home" and unlock["needs_confirmation"]
    assert unlock["action_id"] not in (None, bought["action_id"])
    assert "token" not in unlock["actions"][-1]["arguments"]
    stale = chat.say(cid, h, "yes", action_id=bought["action_id"])
    assert stale["reply"] == say("action_stale", stale["language"])
    assert not stale["needs_confirmation"]
    assert lock_state(chat.home, member.household_id) == "locked"
    assert len(_orders(w, member)) == before
    # The unlock the old button did not mean is dropped too: a typed yes now does nothing.
    later = chat.say(cid, h, "yes")
    assert later["reply"] == say("nothing_pending", later["language"])
    assert lock_state(chat.home, member.household_id) == "locked"
    with w.db.session() as s:
        calls = conv_repo.list_tool_calls(s, customer_id=member.customer_id, conversation_id=cid)
    proposed = [(c.tool, c.confirmation) for c in calls if c.confirmation != "not_needed"]
    assert proposed == [("orders.place_order", "expired"), ("home.command", "expired")]


def test_the_current_actions_own_button_confirms_it(chat: Chat) -> None:
    """A click on the newest action's own button runs that action (the unlock, once)."""
    w = chat.world
    cid, h = chat.start(w.lei)
    unlock = chat.say(cid, h, "unlock the front door")
    done = chat.say(cid, h, "yes", action_id=unlock["action_id"])
    assert done["actions"][0]["confirmation"] == "confirmed"
    assert done["actions"][0]["action_id"] == unlock["action_id"]
    assert lock_state(chat.home, w.lei.household_id) == "unlocked"


def test_another_members_action_id_confirms_nothing(chat: Chat) -> None:
    """An action id of someone else's conversation is refused like an expired one."""
    w = chat.world
    before = len(_orders(w, w.lei))
    _, _, asked = _proposal(chat, w.lei)
    cid, h = chat.start(w.mei)
    r = chat.say(cid, h, "yes", action_id=asked["action_id"])
    assert r["reply"] == say("action_stale", r["language"])
    assert len(_orders(w, w.lei)) == before and len(_orders(w, w.mei)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "buy the first one", "action_id": 3}, "action_id"),
        ({"text": "yes", "action_id": True}, "action_id"),
        ({"text": "yes", "action_id": 0}, "action_id"),
        ({"text": "yes", "action_id": "1; DROP"}, "action_id"),
    ],
)
def test_bad_action_ids_are_422(chat: Chat, body: dict[str, Any], field: str) -> None:
    """An action id that is not a positive integer, or that comes without a yes or a no, is a
    422 naming the field."""
    cid, h = chat.start(chat.world.lei)
    r = chat.client.post(f"/api/assistant/conversations/{cid}/messages", headers=h, json=body)
    assert r.status_code == 422 and field in r.text


def test_the_reply_model_is_in_openapi(chat: Chat) -> None:
    """The chat routes declare typed answers: the reply (with action_id) is described."""
    spec = chat.client.get("/openapi.json").json()
    post = spec["paths"]["/api/assistant/conversations/{conversation_id}/messages"]["post"]
    ref = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    reply = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"reply", "skill", "actions", "needs_confirmation", "action_id"} <= set(
        reply["properties"]
    )
    body = spec["paths"]["/api/assistant/conversations"]["post"]["responses"]["201"]
    assert "$ref" in body["content"]["application/json"]["schema"]
