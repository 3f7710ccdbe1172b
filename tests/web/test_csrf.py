"""Forged requests in a real browser: a page on another port of the same host (the same site, so
even a SameSite=Strict cookie goes along) auto-submits plain HTML forms at the app while the
member is signed in there. The app refuses each one, and nothing changes in the database; a
demo sign-in forged from another site (login CSRF) is refused too and sets no cookie."""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.helpers import free_port
from tests.web.conftest import Server, demo_sign_in

pytestmark = pytest.mark.integration

LOCK = "lock.front_door"


class _Attacker:
    """A plain web server on its own port: each page auto-submits one form at the app."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.port = free_port()
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def form(self, name: str, action: str) -> None:
        """``/name``: a page whose form POSTs (url-encoded, no script of the app) to ``action``."""
        self.pages[f"/{name}"] = (
            "<!doctype html><title>You won a prize</title>"
            f'<form id="f" method="POST" action="{html.escape(action)}">'
            '<input type="hidden" name="prize" value="1"></form>'
            "<script>document.getElementById('f').submit()</script>"
        )

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def attacker() -> Iterator[_Attacker]:
    """The attacker's server on 127.0.0.1 (the app's host) at another port."""
    a = _Attacker()
    yield a
    a.close()


def _bearer(page: Any, server: Server) -> httpx.Client:
    # The test's own look at the data: the session token as a bearer token (no CSRF needed).
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "lingxi_session")
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def _lock_state(api: httpx.Client) -> str:
    state: str = api.get("/api/home/state", params={"entity_id": LOCK}).json()["data"][0]["state"]
    return state


def _wait_lock(api: httpx.Client, want: str) -> None:
    deadline = time.monotonic() + 10
    while _lock_state(api) != want:
        assert time.monotonic() < deadline, f"{LOCK} never became {want}"
        time.sleep(0.1)


def _touch_lock(api: httpx.Client, intent: str) -> None:
    r = api.post("/api/home/touch", json={"entity_id": LOCK, "intent": intent})
    if r.status_code == 409:  # the risky act waits for a yes: give it
        r = api.post("/api/home/confirm", json={"token": r.json()["error"]["details"]["token"]})
    assert r.status_code == 200, r.text


def _submit(page: Any, url: str, app: str) -> Any:
    """Open the attacker's page; the app's answer to the form it submits."""
    with page.expect_response(
        lambda r: r.url.startswith(f"{app}/api/") and r.request.method == "POST"
    ) as answer:
        page.goto(url)
    return answer.value


def test_same_site_forms_cannot_confirm_cancel_or_unlock(
    browser: Any, server: Server, attacker: _Attacker
) -> None:
    """Signed in on the app, the member opens a page on another port of 127.0.0.1: its forms
    to confirm one order, cancel another and undo the last lock (which would unlock the door)
    are 403 ``cross_site_request``, and the orders and the lock stay as they were."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        demo_sign_in(page, server, "alex@demo.lingxi")
        api = _bearer(page, server)
        product_id = api.get("/api/orders").json()["data"][0]["lines"][0]["product_id"]
        address_id = api.get("/api/account/export").json()["addresses"][0]["id"]
        pending = [
            api.post(
                "/api/orders",
                json={"lines": [{"product_id": product_id}], "address_id": address_id},
            ).json()["id"]
            for _ in range(2)
        ]
        # Unlock, then lock: the undo the attacker wants would open the door again.
        _touch_lock(api, "HassTurnOff")
        _wait_lock(api, "unlocked")
        _touch_lock(api, "HassTurnOn")
        _wait_lock(api, "locked")

        attacker.form("confirm", f"{server.url}/api/orders/{pending[0]}/confirm")
        attacker.form("cancel", f"{server.url}/api/orders/{pending[1]}/cancel")
        attacker.form("undo", f"{server.url}/api/home/undo")
        for name in ("confirm", "cancel", "undo"):
            answer = _submit(page, f"http://127.0.0.1:{attacker.port}/{name}", server.url)
            sent = answer.request.all_headers()
            assert sent.get("sec-fetch-site") == "same-site", sent  # the setting of the attack
            assert "lingxi_session=" in sent.get("cookie", ""), "the browser sent the session"
            assert answer.status == 403, (name, answer.text())
            assert answer.json()["error"]["code"] == "cross_site_request", answer.text()

        states = [api.get(f"/api/orders/{i}").json()["status"] for i in pending]
        assert states == ["pending", "pending"]
        time.sleep(0.5)  # a forged unlock would have reached the device by now
        assert _lock_state(api) == "locked"
        # The member's own page still works (api.js sends the CSRF token).
        page.goto(f"{server.url}/#/orders")
        page.wait_for_selector("html[data-ready='true']")
        cancelled = page.evaluate(
            """async (id) => {
                const { api } = await import('/static/js/api.js');
                return (await api(`/api/orders/${id}/cancel`, { method: 'POST' })).status;
            }""",
            pending[1],
        )
        assert cancelled == "cancelled"
        api.post(f"/api/orders/{pending[0]}/cancel")
        _touch_lock(api, "HassTurnOn")  # leave Alex's last action a harmless one
    finally:
        context.close()


def test_forged_demo_sign_in_is_refused(browser: Any, server: Server, attacker: _Attacker) -> None:
    """A form on another site (localhost, a different host) or another port of the app's host
    that signs the visitor in as a demo member is 403 and leaves no session cookie."""
    attacker.form("demo", f"{server.url}/api/auth/demo-login?email=mei%40demo.lingxi")
    for site, origin in (
        ("cross-site", f"http://localhost:{attacker.port}"),
        ("same-site", f"http://127.0.0.1:{attacker.port}"),
    ):
        context = browser.new_context()
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            answer = _submit(page, f"{origin}/demo", server.url)
            assert answer.request.all_headers().get("sec-fetch-site") == site
            assert answer.status == 403, answer.text()
            assert answer.json()["error"]["code"] == "cross_site_request"
            assert [c["name"] for c in context.cookies()] == []
        finally:
            context.close()
