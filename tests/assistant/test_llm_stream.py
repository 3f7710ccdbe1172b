"""The model's text streamed (``stream=True``): the planner over real HTTP, and the SSE route."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from lingxi.api import create_app
from lingxi.assistant import Assistant
from lingxi.assistant.llm import ReplyStreamer
from lingxi.config import Settings
from lingxi.data.repos import identity
from tests.assistant.conftest import World, offline_assistant
from tests.assistant.fake_llm import FakeLLM, serve
from tests.assistant.test_sse_http import _events
from tests.helpers import free_port

REPLY = "Hello Mei! Lovely to hear from you; \u4f60\u597d \u2014 what can I do today?"


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    """A scripted chat-completions server on an ephemeral port."""
    with serve() as server:
        yield server


def _assistant(world: World, fake: FakeLLM) -> Assistant:
    settings = Settings(
        environment="test",
        llm={"base_url": fake.url, "model": "qwen3-8b", "timeout_s": 10.0},  # type: ignore[arg-type]
    )
    return offline_assistant(world.db, settings=settings)


def test_reply_streamer_passes_on_only_new_decoded_text() -> None:
    """Escapes cut between pieces wait for their end; markup is held back; nothing repeats."""
    got: list[str] = []
    streamer = ReplyStreamer(got.append)
    whole = json.dumps({"intent": "chitchat", "reply": 'Say "hi" \u4f60\u597d <think>x'})
    for end in range(1, len(whole) + 1):
        streamer.feed(whole[:end])
    assert "".join(got) == 'Say "hi" \u4f60\u597d '
    assert len(got) > 5


def test_planner_streams_the_model_reply(sqlite_world: World, fake: FakeLLM) -> None:
    """With ``on_text`` the request has ``stream: true`` and the reply arrives in pieces."""
    a = _assistant(sqlite_world, fake)
    fake.push({"tool": "smalltalk", "arguments": {"intent": "chitchat", "reply": REPLY}})
    pieces: list[str] = []
    r = a.handle("tell me something nice", sqlite_world.mei, on_text=pieces.append)
    assert fake.requests[0]["stream"] is True
    assert r.source == "llm" and r.skill == "smalltalk" and r.reply == REPLY
    assert len(pieces) > 5 and "".join(pieces) == REPLY


def test_streamed_malformed_answer_is_retried_then_falls_back(
    sqlite_world: World, fake: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    """Streamed arguments that are not JSON are caught like whole ones: retry, then the router."""
    a = _assistant(sqlite_world, fake)
    fake.push(
        {"tool": "orders", "arguments": '{"intent": "track"'},
        {"tool": "orders", "arguments": '{"intent": "teleport"}'},
    )
    with caplog.at_level(logging.WARNING, logger="lingxi.assistant.llm"):
        r = a.handle("where is my order?", sqlite_world.mei, on_text=lambda _: None)
    assert len(fake.requests) == 2 and r.source == "router" and r.skill == "orders"
    assert "not JSON" in caplog.text and "falling back" in caplog.text


def test_sse_route_streams_the_model_text_while_the_model_writes(
    sqlite_world: World, settings: Settings, fake: FakeLLM
) -> None:
    """Over real HTTP twice (model -> Lingxi -> client): the client reads the first words while
    the scripted model is still holding the rest, which it sends only once the client has them."""
    app = create_app(settings, database=sqlite_world.db)
    app.state.services["assistant"] = _assistant(sqlite_world, fake)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    waiter = threading.Event()
    for _ in range(200):
        if server.started:
            break
        waiter.wait(0.05)
    assert server.started
    fake.push(
        {
            "tool": "smalltalk",
            "arguments": {"intent": "chitchat", "reply": REPLY},
            "hold_after": 12,  # the model stops mid-reply until the client has seen text
        }
    )
    with sqlite_world.db.session() as s:
        token = identity.issue_token(s, customer_id=sqlite_world.mei.customer_id)
    seen: list[tuple[str, dict[str, object]]] = []
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ) as client:
            cid = client.post("/api/assistant/conversations", json={}).json()["id"]
            r = client.post(
                f"/api/assistant/conversations/{cid + 1000}/messages/stream",
                json={"text": "hi"},
            )
            assert r.status_code == 404  # checked before the stream starts
            with client.stream(
                "POST",
                f"/api/assistant/conversations/{cid}/messages/stream",
                json={"text": "tell me something nice"},
            ) as resp:
                assert resp.status_code == 200
                for event, data in _events(resp.iter_lines()):
                    seen.append((event, data))
                    if event == "delta" and not fake.gate.is_set():
                        assert "meta" not in [e for e, _ in seen]  # before the answer is done
                        fake.gate.set()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    kinds = [e for e, _ in seen]
    assert fake.gate_waited == [True]  # released by the client, not by the timeout
    assert kinds[-1] == "done" and "meta" in kinds
    assert kinds.index("delta") < kinds.index("meta")
    assert "".join(str(d["text"]) for e, d in seen if e == "delta") == REPLY
    assert seen[-1][1]["reply"] == REPLY
    assert fake.requests[-1]["stream"] is True
