"""`/api/assistant`: conversations, JSON replies, SSE streaming, isolation, bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data.repos import identity
from tests.assistant.conftest import World, offline_assistant


@pytest.fixture
def client(world: World, settings: Settings) -> Iterator[TestClient]:
    """The app over the small world, with the offline assistant."""
    app = create_app(settings, database=world.db)
    app.state.services["assistant"] = offline_assistant(world.db)
    with TestClient(app) as c:
        yield c


def _headers(world: World, customer_id: int) -> dict[str, str]:
    with world.db.session() as s:
        token = identity.issue_token(s, customer_id=customer_id)
    return {"Authorization": f"Bearer {token}"}


def test_conversation_and_json_messages(client: TestClient, world: World) -> None:
    """Create a conversation, send messages, read the turns back."""
    h = _headers(world, world.lei.customer_id)
    r = client.post("/api/assistant/conversations", headers=h, json={})
    assert r.status_code == 201
    cid = r.json()["id"]
    r = client.post(
        f"/api/assistant/conversations/{cid}/messages",
        headers=h,
        json={"text": "a cleanser for oily skin"},
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert {"reply", "skill", "actions", "needs_confirmation"} <= doc.keys()
    assert doc["skill"] == "guide" and doc["items"]
    r = client.post(
        f"/api/assistant/conversations/{cid}/messages",
        headers=h,
        json={"text": "buy the first one"},
    )
    assert r.json()["needs_confirmation"] is True
    turns = client.get(f"/api/assistant/conversations/{cid}", headers=h).json()
    assert turns["count"] == 4


def test_sse_stream(client: TestClient, world: World) -> None:
    """The streamed reply arrives as meta, deltas and done, and the deltas add up to the reply."""
    h = _headers(world, world.mei.customer_id)
    cid = client.post("/api/assistant/conversations", headers=h).json()["id"]
    with client.stream(
        "POST",
        f"/api/assistant/conversations/{cid}/messages/stream",
        headers=h,
        json={"text": "我的快递到哪了"},
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        body = "".join(r.iter_text())
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1][6:]))
        for block in body.strip().split("\n\n")
    ]
    assert events[0][0] == "meta" and events[0][1]["skill"] == "orders"
    assert events[-1][0] == "done"
    deltas = "".join(d["text"] for e, d in events if e == "delta")
    assert deltas == events[-1][1]["reply"] and "正在派送" in deltas


def test_needs_sign_in(client: TestClient) -> None:
    """Without a token the routes answer 401."""
    assert client.post("/api/assistant/conversations").status_code == 401


def test_other_members_conversation_is_404(client: TestClient, world: World) -> None:
    """Someone else's conversation id is not found, not forbidden (no existence leak)."""
    cid = client.post(
        "/api/assistant/conversations", headers=_headers(world, world.alex.customer_id)
    ).json()["id"]
    r = client.post(
        f"/api/assistant/conversations/{cid}/messages",
        headers=_headers(world, world.mei.customer_id),
        json={"text": "where is my order"},
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "body", [{"text": ""}, {"text": "x" * 5000}, {}, {"text": "hi", "channel": "telepathy"}]
)
def test_bad_bodies_are_422(client: TestClient, world: World, body: dict) -> None:
    """Empty, huge or malformed messages get a 422 naming the field."""
    h = _headers(world, world.mei.customer_id)
    cid = client.post("/api/assistant/conversations", headers=h).json()["id"]
    r = client.post(f"/api/assistant/conversations/{cid}/messages", headers=h, json=body)
    assert r.status_code == 422
    assert "text" in r.text or "channel" in r.text


def test_the_app_assistant_shares_the_home_controller(world: World, settings: Settings) -> None:
    """Built by the app, the assistant uses the one HomeController of the home routes."""
    app = create_app(settings, database=world.db)
    with TestClient(app) as c:
        r = c.post(
            "/api/assistant/conversations/1/messages",
            headers=_headers(world, world.mei.customer_id),
            json={"text": "hello"},
        )
        assert r.status_code == 404  # no conversation 1 yet; the service is built anyway
        assistant = app.state.services["assistant"]
        controller = app.state.services["home_controller"]
        assert assistant.engines.home is controller


@pytest.mark.parametrize(
    ("lang", "stated", "undo"),
    [
        ("en", "I have dry skin now", "undo that change"),
        ("zh", "我是干皮", "撤销这次修改"),
    ],
)
def test_a_noted_preference_is_said_and_can_be_undone(
    client: TestClient, world: World, lang: str, stated: str, undo: str
) -> None:
    """Chat changes the stored skin type only saying so, with the words that put it back; those
    words restore what was stored before, once."""
    lei = world.lei.customer_id
    with world.db.session() as s:
        identity.grant_consent(s, customer_id=lei, purpose="profile")
        identity.update_profile(s, customer_id=lei, skin_types=["oily"])
    h = _headers(world, lei)
    cid = client.post("/api/assistant/conversations", headers=h, json={"language": lang}).json()[
        "id"
    ]

    def say(text: str) -> str:
        r = client.post(
            f"/api/assistant/conversations/{cid}/messages", headers=h, json={"text": text}
        )
        assert r.status_code == 200, r.text
        return str(r.json()["reply"])

    noted = say(stated)
    assert undo in noted, noted
    with world.db.session() as s:
        assert identity.get_profile(s, customer_id=lei).skin_types == ["dry"]
    back = say(undo)
    with world.db.session() as s:
        assert identity.get_profile(s, customer_id=lei).skin_types == ["oily"], back
    again = say(undo)
    assert again != back
    with world.db.session() as s:
        assert identity.get_profile(s, customer_id=lei).skin_types == ["oily"]
