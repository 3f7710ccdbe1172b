"""The SSE reply over a real HTTP server (uvicorn in a thread): deltas arrive before ``done``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from lingxi.api import create_app
from lingxi.api.routes import assistant as assistant_routes
from lingxi.config import Settings
from lingxi.data.repos import identity
from tests.assistant.conftest import World, offline_assistant
from tests.helpers import free_port


@pytest.fixture
def base_url(sqlite_world: World, settings: Settings) -> Iterator[str]:
    """The app (offline assistant) served by uvicorn on a free port, in a thread."""
    app = create_app(settings, database=sqlite_world.db)
    app.state.services["assistant"] = offline_assistant(sqlite_world.db)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    ready = threading.Event()
    for _ in range(200):
        if server.started:
            ready.set()
            break
        ready.wait(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, object]]]:
    event = ""
    for line in lines:
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield event, json.loads(line.removeprefix("data: "))


def test_deltas_arrive_while_the_server_is_still_streaming(
    base_url: str, sqlite_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server holds the rest of the reply until the client has read two deltas over HTTP.

    If anything between the generator and the socket buffered the stream (gzip, a middleware),
    the client would see nothing until the end, the server would give up waiting, and the test
    would fail: no clock is involved, only who waited for whom.
    """
    released = threading.Event()
    waited: list[bool] = []
    chunks = assistant_routes._chunks

    def held_chunks(text: str) -> Iterator[str]:
        for n, piece in enumerate(chunks(text)):
            if n == 2:
                waited.append(released.wait(timeout=20))
            yield piece

    monkeypatch.setattr(assistant_routes, "_chunks", held_chunks)
    with sqlite_world.db.session() as s:
        token = identity.issue_token(s, customer_id=sqlite_world.mei.customer_id)
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        cid = client.post("/api/assistant/conversations", json={}).json()["id"]
        seen: list[tuple[str, dict[str, object]]] = []
        with client.stream(
            "POST",
            f"/api/assistant/conversations/{cid}/messages/stream",
            json={"text": "where is my order?"},
        ) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            assert "gzip" not in r.headers.get("content-encoding", "")
            for event, data in _events(r.iter_lines()):
                seen.append((event, data))
                if event == "delta" and sum(e == "delta" for e, _ in seen) == 2:
                    assert not released.is_set()
                    released.set()  # only now may the server produce the rest
    kinds = [e for e, _ in seen]
    assert kinds[0] == "meta" and kinds[-1] == "done" and kinds.count("delta") >= 3
    assert waited == [True]  # the server was released by the client, not by its timeout
    reply = str(seen[-1][1]["reply"])
    assert "".join(str(d["text"]) for e, d in seen if e == "delta") == reply
    assert "out for delivery" in reply
