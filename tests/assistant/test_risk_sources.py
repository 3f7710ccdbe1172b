"""Risky acts never depend on wording or on what a model picks: through the HTTP chat route,
typed in any wording or routed by an LLM (our scripted OpenAI-compatible server), an unlock, a
consent change or an erasure waits for the person's own yes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data.repos import identity
from lingxi.data.repos.identity import Member
from lingxi.home import HomeController
from tests.assistant.conftest import World, home_controller, lock_state, offline_assistant
from tests.assistant.fake_llm import FakeLLM, serve


@dataclass
class Chat:
    """The chat route of an app whose assistant routes through the scripted model."""

    client: TestClient
    world: World
    home: HomeController
    model: FakeLLM

    def say(self, member: Member, text: str, cid: int | None = None) -> dict[str, Any]:
        with self.world.db.session() as s:
            h = {
                "Authorization": f"Bearer {identity.issue_token(s, customer_id=member.customer_id)}"
            }
        if cid is None:
            cid = self.client.post("/api/assistant/conversations", headers=h, json={}).json()["id"]
        r = self.client.post(
            f"/api/assistant/conversations/{cid}/messages", headers=h, json={"text": text}
        )
        assert r.status_code == 200, r.text
        doc: dict[str, Any] = r.json()
        return doc


@pytest.fixture
def chat(world: World, settings: Settings) -> Iterator[Chat]:
    """The app over the small world; the assistant asks the scripted model first."""
    with serve() as model:
        llm = Settings(
            environment="test",
            llm={"base_url": model.url, "model": "qwen3-8b", "timeout_s": 5.0},  # type: ignore[arg-type]
        )
        app = create_app(settings, database=world.db)
        home = home_controller(world.db)
        app.state.services["assistant"] = offline_assistant(world.db, home=home, settings=llm)
        with TestClient(app) as client:
            yield Chat(client, world, home, model)


def _members(world: World) -> dict[str, Member]:
    return {"adult": world.lei, "owner": world.mei}


@pytest.mark.parametrize("who", ["adult", "owner"])
@pytest.mark.parametrize("text", ["open the lock", "unlock the front door", "开锁"])
def test_every_wording_of_unlock_asks_first(chat: Chat, who: str, text: str) -> None:
    """Typed in any wording (the model answers nothing usable, so the offline router routes):
    the lock stays locked until the yes."""
    member = _members(chat.world)[who]
    chat.model.push({"content": "no tool call"}, {"content": "still none"})
    r = chat.say(member, text)
    assert r["skill"] == "home" and r["needs_confirmation"], r["reply"]
    assert lock_state(chat.home, member.household_id) == "locked"


@pytest.mark.parametrize("who", ["adult", "owner"])
def test_a_model_that_picks_state_on_the_lock_unlocks_nothing(chat: Chat, who: str) -> None:
    """The model calls home with intent ``state`` on "open the lock": still only a question;
    the next message drops it and the door stays locked."""
    member = _members(chat.world)[who]
    chat.model.push({"tool": "home", "arguments": {"intent": "state"}})
    r = chat.say(member, "open the lock")
    assert len(chat.model.requests) == 1  # the model's pick was used, not the router's
    assert r["needs_confirmation"] and lock_state(chat.home, member.household_id) == "locked"
    chat.model.push({"tool": "smalltalk", "arguments": {"intent": "greet", "reply": "Hi!"}})
    chat.say(member, "hello", r["conversation_id"])
    assert lock_state(chat.home, member.household_id) == "locked"


def _stored(world: World) -> tuple[list[str], list[str], bool]:
    with world.db.session() as s:
        profile = identity.get_profile(s, customer_id=world.mei.customer_id)
        consented = identity.has_consent(s, customer_id=world.mei.customer_id, purpose="profile")
    return profile.skin_types, profile.avoid_ingredients, consented


@pytest.mark.parametrize("intent", ["consent_revoke", "forget", "delete_all", "consent_grant"])
def test_a_model_cannot_change_consent_or_erase_data_on_hello(chat: Chat, intent: str) -> None:
    """The model picks a consent change or an erasure on the user text "hello": the reply only
    asks; the stored skin type, avoid list and consent are untouched, and a "no" keeps them."""
    w = chat.world
    before = _stored(w)
    assert before == (["dry", "sensitive"], ["fragrance"], True)
    chat.model.push({"tool": "account", "arguments": {"intent": intent}})
    r = chat.say(w.mei, "hello")
    assert len(chat.model.requests) == 1  # the model's pick was used, not the router's
    assert r["skill"] == "account" and r["needs_confirmation"], r["reply"]
    assert _stored(w) == before
    r = chat.say(w.mei, "no", r["conversation_id"])
    assert not r["needs_confirmation"] and _stored(w) == before


def test_a_consent_change_the_person_confirms_is_made(chat: Chat) -> None:
    """The same proposal with the person's yes does revoke (and erases the skin type)."""
    w = chat.world
    chat.model.push({"tool": "account", "arguments": {"intent": "consent_revoke"}})
    r = chat.say(w.mei, "stop remembering my skin type")
    r = chat.say(w.mei, "确认", r["conversation_id"])
    assert r["actions"][0]["confirmation"] == "confirmed"
    assert _stored(w) == ([], ["fragrance"], False)
