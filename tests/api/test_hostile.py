"""Hostile clients: forged cross-site requests, chunked and oversized bodies, forged client
addresses, text no database can store, and loose ids. Each is refused with the error tree's JSON
and changes nothing. The body limit and the client address are tested on a real uvicorn server
(``lingxi serve`` in a subprocess): that is where chunked bodies and ``X-Forwarded-For`` arrive.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select as sql_select

from lingxi.api import create_app
from lingxi.api.deps import csrf_token
from lingxi.config import Settings
from lingxi.data import Database, upgrade
from lingxi.data.models import AuthToken, Customer, Role
from lingxi.data.repos import catalog, identity, orders
from lingxi.data.repos.identity import Member
from tests.helpers import PASSWORD, free_port, products, seed, serve_subprocess
from tests.home.conftest import load_home

LIGHT = "light.bedroom"
ORIGIN = "http://testserver"  # TestClient's base URL: the app's own origin


@dataclass
class Home:
    """A household with the demo home; its owner can sign in with :data:`PASSWORD`."""

    client: TestClient
    db: Database
    settings: Settings
    owner: Member
    bearer: dict[str, str]
    product: int
    address: int


def _with(settings: Settings, **changes: Any) -> Settings:
    return Settings.model_validate({**settings.model_dump(), **changes})


@pytest.fixture
def home(db: Database, settings: Settings) -> Iterator[Home]:
    """The demo home, a product and an address, on ``db`` (SQLite and PostgreSQL)."""
    with db.session() as s:
        customer = s.get(Customer, load_home(db, tag="h")["owner"].customer_id)
        assert customer is not None
        customer.password_hash = identity.hash_password(PASSWORD)
        owner = identity.get_member(s, customer_id=customer.id)
        catalog.upsert_products(s, records=products())
        product = catalog.list_products(s)[0].id
        address = identity.add_address(
            s, customer_id=owner.customer_id, line1="1 Quai", city="Monaco", lat=43.73, lon=7.42
        )
        token = identity.issue_token(s, customer_id=owner.customer_id)
    with TestClient(create_app(settings, database=db)) as c:
        yield Home(c, db, settings, owner, {"Authorization": f"Bearer {token}"}, product, address)


def _sign_in_with_cookie(home: Home) -> str:
    r = home.client.post("/api/auth/login", json={"email": home.owner.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    token: str = r.json()["csrf_token"]
    return token


def _light(home: Home) -> str:
    r = home.client.get("/api/home/state", params={"entity_id": LIGHT}, headers=home.bearer)
    state: str = r.json()["data"][0]["state"]
    return state


def _error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error: dict[str, Any] = r.json()["error"]
    assert set(error) == {"code", "message", "details"}
    return error


# -- forged requests (CSRF) --------------------------------------------------------------------


def test_cookie_state_changes_need_the_csrf_token_and_the_own_origin(home: Home) -> None:
    """With the session cookie, a state change without the CSRF token, from another origin
    (a sibling port counts) or that hides its origin is 403 naming what is wrong, and the light
    stays off; the app's own page with the token switches it; a bearer token needs neither."""
    csrf = _sign_in_with_cookie(home)
    c = home.client
    assert c.cookies.get("lingxi_csrf") == csrf
    touch = {"entity_id": LIGHT, "intent": "HassTurnOn"}
    refused = [
        ({}, "origin_missing", "Origin"),
        ({"Origin": ORIGIN}, "csrf_token_missing", "X-CSRF-Token"),
        ({"Origin": ORIGIN, "X-CSRF-Token": "0" * 64}, "csrf_token_mismatch", "X-CSRF-Token"),
        ({"Sec-Fetch-Site": "same-site", "X-CSRF-Token": csrf}, "cross_site_request", None),
        ({"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": csrf}, "cross_site_request", None),
        ({"Sec-Fetch-Site": "none", "X-CSRF-Token": csrf}, "cross_site_request", None),
        ({"Origin": "http://testserver:8081", "X-CSRF-Token": csrf}, "cross_site_request", None),
        ({"Origin": "https://evil.example", "X-CSRF-Token": csrf}, "cross_site_request", None),
        ({"Origin": "null", "X-CSRF-Token": csrf}, "cross_site_request", None),
    ]
    for headers, code, header in refused:
        for path, body in (("/api/home/touch", touch), ("/api/home/undo", None)):
            error = _error(c.post(path, json=body, headers=headers), 403)
            assert error["code"] == code, (headers, error)
            if header:
                assert error["details"]["header"] == header and header in error["message"]
    assert _light(home) == "off"
    r = c.post("/api/home/touch", json=touch, headers={"Origin": ORIGIN, "X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert _light(home) == "on"
    same = {"Sec-Fetch-Site": "same-origin", "X-CSRF-Token": csrf}
    assert c.post("/api/home/undo", headers=same).status_code == 200
    assert _light(home) == "off"
    c.cookies.clear()  # a script: bearer token, no Origin, no CSRF token
    assert c.post("/api/home/touch", json=touch, headers=home.bearer).status_code == 200
    assert _light(home) == "on"


def test_session_cookie_is_strict_and_csrf_cookie_readable(home: Home) -> None:
    """Sign-in sets the session cookie HttpOnly and SameSite=Strict, and a readable SameSite=Strict
    CSRF cookie equal to the answer's ``csrf_token`` (an HMAC of the session token)."""
    r = home.client.post("/api/auth/login", json={"email": home.owner.email, "password": PASSWORD})
    cookies = {h.split("=", 1)[0]: h.lower() for h in r.headers.get_list("set-cookie")}
    assert (
        "httponly" in cookies["lingxi_session"] and "samesite=strict" in cookies["lingxi_session"]
    )
    assert "httponly" not in cookies["lingxi_csrf"] and "samesite=strict" in cookies["lingxi_csrf"]
    body = r.json()
    assert body["csrf_token"] == csrf_token(home.settings, body["token"])
    assert body["csrf_token"] != csrf_token(home.settings, body["token"] + "x")


def test_a_session_without_the_csrf_cookie_gets_one(home: Home) -> None:
    """A session signed in before the CSRF cookie existed gets it on its next answer, and can
    then change state; logout with the cookie needs the token too."""
    with home.db.session() as s:
        token = identity.issue_token(s, customer_id=home.owner.customer_id)
    c = home.client
    c.cookies.set("lingxi_session", token)
    r = c.get("/api/auth/me")
    assert r.status_code == 200
    assert c.cookies.get("lingxi_csrf") == csrf_token(home.settings, token)
    assert c.get("/api/auth/me").headers.get("set-cookie") is None  # once is enough
    error = _error(c.post("/api/auth/logout", headers={"Origin": ORIGIN}), 403)
    assert error["code"] == "csrf_token_missing"
    assert c.get("/api/auth/me").status_code == 200  # still signed in
    csrf = {"Origin": ORIGIN, "X-CSRF-Token": c.cookies["lingxi_csrf"]}
    assert c.post("/api/auth/logout", headers=csrf).status_code == 204
    assert c.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_malformed_cookie_header_does_not_skip_the_check(home: Home) -> None:
    """The check reads cookies with the parser sign-in uses: a Cookie header that another
    parser would give up on still counts as the session cookie, and is refused without a token."""
    with home.db.session() as s:
        token = identity.issue_token(s, customer_id=home.owner.customer_id)
    for raw in (f'x="a; lingxi_session={token}', f'lingxi_session={token}; b"ad=1; c=\\"'):
        assert home.client.get("/api/auth/me", headers={"Cookie": raw}).status_code == 200
        r = home.client.post(
            "/api/home/touch",
            json={"entity_id": LIGHT, "intent": "HassTurnOn"},
            headers={"Cookie": raw, "Origin": ORIGIN},
        )
        assert _error(r, 403)["code"] == "csrf_token_missing"
    assert _light(home) == "off"


def test_a_configured_cors_origin_may_send_the_token(home: Home, db: Database) -> None:
    """An origin in ``cors_origins`` is trusted like the app's own (it still needs the token);
    "*" never vouches for a cookie."""
    for origins, ok in ((("https://shop.example",), True), (("*",), False)):
        cfg = _with(home.settings, cors_origins=origins)
        with TestClient(create_app(cfg, database=db)) as c:
            r = c.post("/api/auth/login", json={"email": home.owner.email, "password": PASSWORD})
            shop = {"Origin": "https://shop.example", "Sec-Fetch-Site": "cross-site"}
            no_token = c.post("/api/home/undo", headers=shop)
            assert no_token.status_code == 403
            r = c.post("/api/home/undo", headers={**shop, "X-CSRF-Token": r.json()["csrf_token"]})
            assert (r.status_code == 200) is ok, r.text


def test_sign_in_refuses_foreign_origins(home: Home) -> None:
    """Login and demo-login from another site (login CSRF) are 403 and issue no token; from a
    script (no Origin) or the app's own page they sign in."""
    c = home.client
    with home.db.session() as s:
        identity.create_customer(
            s, household_id=home.owner.household_id, email="mei@demo.lingxi", display_name="Mei"
        )
    creds = {"email": home.owner.email, "password": PASSWORD}

    def tokens() -> int:
        with home.db.session() as s:
            return int(s.scalar(sql_select(func.count()).select_from(AuthToken)) or 0)

    before = tokens()
    for headers in (
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Origin": "http://testserver:9000"},
    ):
        for r in (
            c.post("/api/auth/login", json=creds, headers=headers),
            c.post("/api/auth/demo-login", params={"email": "mei@demo.lingxi"}, headers=headers),
        ):
            assert _error(r, 403)["code"] == "cross_site_request"
            assert "set-cookie" not in r.headers
    assert tokens() == before
    assert c.post("/api/auth/login", json=creds).status_code == 200
    same = {"Sec-Fetch-Site": "same-origin", "Origin": ORIGIN}
    assert c.post("/api/auth/login", json=creds, headers=same).status_code == 200
    r = c.post("/api/auth/demo-login", params={"email": "mei@demo.lingxi"}, headers=same)
    assert r.status_code == 200 and r.json()["display_name"] == "Mei"
    assert tokens() == before + 3


def test_every_sign_in_route_is_rate_limited(db: Database, settings: Settings) -> None:
    """Password and demo sign-ins each have a per-address limit: 429 with Retry-After."""
    seed(db)
    cfg = _with(settings, rate_limit={"login": "3/minute", "demo_login": "2/minute"})
    with TestClient(create_app(cfg, database=db)) as c:
        wrong = {"email": "alice@example.org", "password": "wrong"}
        assert [c.post("/api/auth/login", json=wrong).status_code for _ in range(4)] == [
            401,
            401,
            401,
            429,
        ]
        codes = [c.post("/api/auth/demo-login").status_code for _ in range(3)]
        assert codes == [404, 404, 429]  # no demo data loaded: 404 still counts
        r = c.post("/api/auth/demo-login")
        assert _error(r, 429)["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1


def test_demo_accounts_are_refused_in_production(db: Database, settings: Settings) -> None:
    """In production a demo account neither signs in with its (published) password nor uses a
    token issued before; a real account does. (Serving is refused while demo accounts can sign
    in, tests/api/test_production.py; here one is added to a running server, so the per-request
    refusal is what stops it.)"""
    seed(db)
    prod = _with(
        settings,
        environment="production",
        auth={"secret_key": "a-real-secret-for-this-test", "demo_login": False},
    )
    with TestClient(create_app(prod, database=db)) as c:
        with db.session() as s:
            household = identity.create_household(s, name="Demo")
            mei = identity.create_customer(
                s,
                household_id=household,
                email="mei@demo.lingxi",
                display_name="Mei",
                password=PASSWORD,
                role=Role.OWNER,
            )
            old = identity.issue_token(s, customer_id=mei)
        r = c.post("/api/auth/login", json={"email": "Mei@demo.lingxi", "password": PASSWORD})
        error = _error(r, 403)
        assert error["details"]["field"] == "email" and "production" in error["message"]
        r = c.get("/api/auth/me", headers={"Authorization": f"Bearer {old}"})
        assert _error(r, 403)["details"]["field"] == "email"
        r = c.post("/api/auth/login", json={"email": "alice@example.org", "password": PASSWORD})
        assert r.status_code == 200


# -- unstorable text and loose ids -------------------------------------------------------------

BAD_TEXT = {"NUL": "\u0000", "surrogate": "\ud800"}


def _post_raw(
    c: TestClient, method: str, path: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    # json.dumps escapes a lone surrogate as \ud800, as a hostile client would send it.
    return c.request(
        method,
        path,
        content=json.dumps(body),
        headers={**headers, "Content-Type": "application/json"},
    )


def _delivered_order(home: Home) -> dict[str, Any]:
    c, a = home.client, home.bearer
    r = c.post(
        "/api/orders",
        json={"lines": [{"product_id": home.product}], "address_id": home.address},
        headers=a,
    )
    order = c.post(f"/api/orders/{r.json()['id']}/confirm", headers=a).json()
    with home.db.session() as s:
        orders.add_tracking_event(
            s, shipment_id=order["shipments"][0]["id"], status="delivered", place="door"
        )
    return order


@pytest.mark.parametrize("kind", list(BAD_TEXT))
def test_unstorable_text_is_422_naming_the_field(home: Home, kind: str) -> None:
    """A NUL byte or a lone surrogate in a chat message, a return reason, a login or demo-login
    e-mail, a gesture binding, touch slots or the history filter is 422 naming the field; the
    light does not switch, the bindings still list, and the same requests without it work."""
    c, a, bad = home.client, home.bearer, BAD_TEXT[kind]
    conversation = c.post("/api/assistant/conversations", json={}, headers=a).json()["id"]
    order = _delivered_order(home)
    line = order["lines"][0]["id"]
    cases: list[tuple[str, str, Any, dict[str, Any] | None, str]] = [
        ("POST", f"/api/assistant/conversations/{conversation}/messages", {"text": f"hi{bad}"}, None, "text"),
        ("POST", f"/api/assistant/conversations/{conversation}/messages/stream", {"text": f"hi{bad}"}, None, "text"),
        ("POST", f"/api/orders/{order['id']}/return", {"items": [{"line_id": line, "quantity": 1}], "reason": f"too{bad}harsh"}, None, "reason"),
        ("POST", "/api/auth/login", {"email": f"a{bad}@example.org", "password": "x"}, None, "email"),
        ("POST", "/api/auth/demo-login", None, {"email": f"mei{bad}@demo.lingxi"}, "query.email"),
        ("PUT", "/api/home/gestures/bindings/wave", {"intent": "HassTurnOn", "slots": {"name": f"Bedroom{bad}"}}, None, "slots.name"),
        ("POST", "/api/home/touch", {"entity_id": LIGHT, "intent": "HassTurnOn", "slots": {"x": [1, f"{bad}"]}}, None, "slots.x.1"),
        ("POST", "/api/home/touch", {"entity_id": LIGHT, "intent": "HassTurnOn", "slots": {f"k{bad}": 1}}, None, "slots.k" + bad.encode("unicode_escape").decode()),
        ("GET", "/api/home/history", None, {"entity_id": f"light.bed{bad}room"}, "query.entity_id"),
    ]  # fmt: skip
    for method, path, body, params, field in cases:
        if kind == "surrogate" and params is not None:
            # A URL carries UTF-8 bytes; the server decodes an encoded surrogate to U+FFFD,
            # which is storable text. Only JSON escapes can carry a lone surrogate.
            continue
        r = c.request(
            method,
            path,
            content=None if body is None else json.dumps(body),
            params=params,
            headers={**a, "Content-Type": "application/json"},
        )
        error = _error(r, 422)
        assert error["code"] == "invalid_input" and error["details"]["field"] == field, error
        assert repr(field) in error["message"]
    assert _light(home) == "off"
    assert c.get("/api/home/gestures/bindings", headers=a).status_code == 200
    turns = c.get(f"/api/assistant/conversations/{conversation}", headers=a).json()
    assert turns["count"] == 0
    # The same requests, storable: they reach the database and work.
    ok = _post_raw(c, "PUT", "/api/home/gestures/bindings/wave", {"intent": "HassTurnOn", "slots": {"name": "Bedroom Light"}}, a)  # fmt: skip
    assert ok.status_code == 200, ok.text
    ok = _post_raw(c, "POST", "/api/home/touch", {"entity_id": LIGHT, "intent": "HassTurnOn", "slots": {}}, a)  # fmt: skip
    assert ok.status_code == 200 and _light(home) == "on"
    ok = _post_raw(c, "POST", f"/api/orders/{order['id']}/return", {"items": [{"line_id": line, "quantity": 1}], "reason": "too harsh"}, a)  # fmt: skip
    assert ok.status_code == 201, ok.text
    assert c.get("/api/home/history", params={"entity_id": LIGHT}, headers=a).status_code == 200


def test_text_in_the_path_is_checked(home: Home) -> None:
    """A NUL byte in the path (a gesture name) is 422 naming ``path``."""
    r = home.client.delete("/api/home/gestures/bindings/wa%00ve", headers=home.bearer)
    assert _error(r, 422)["details"]["field"] == "path"


def test_ids_are_json_integers(home: Home) -> None:
    """``true``, ``1.0`` and ``"1"`` are not product ids (pydantic's lax mode took them as 1):
    422 naming ``product_id``; the integer works."""
    c, a = home.client, home.bearer
    for loose in (True, float(home.product), str(home.product), 0, 2**31):
        r = c.post("/api/guide/feedback", json={"product_id": loose, "kind": "view"}, headers=a)
        error = _error(r, 422)
        assert error["details"]["errors"][0]["field"] == "product_id", (loose, error)
    r = c.post("/api/guide/feedback", json={"product_id": home.product, "kind": "view"}, headers=a)
    assert r.status_code == 201, r.text


def test_a_chunked_body_over_the_limit_is_413(home: Home) -> None:
    """A 3 MB body sent without Content-Length (chunked) is 413 before the route parses it."""

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(48):
            yield b"a" * 65536
        yield b'"}'

    r = home.client.post(
        "/api/guide/parse",
        content=chunks(),
        headers={**home.bearer, "Content-Type": "application/json"},
    )
    assert "content-length" not in r.request.headers
    assert _error(r, 413)["code"] == "too_large"


# -- a real server: chunked bodies and X-Forwarded-For -----------------------------------------


def _memory_mb(pid: int) -> dict[str, float]:
    """The process's resident memory now (VmRSS) and at its peak (VmHWM), in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def _chunked_post(port: int, path: str, total: int, chunk: int = 65536) -> tuple[int, bytes]:
    """POST ``total`` bytes in chunks over a raw socket, reading the answer as soon as the
    server sends one (as a browser does); the bytes sent and the status line and headers."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    sock.sendall(head.encode())
    block = f"{chunk:x}\r\n".encode() + b"a" * chunk + b"\r\n"
    sent, answer, pending = 0, b"", b""
    deadline = time.monotonic() + 60
    sock.setblocking(False)
    try:
        while sent < total and b"\r\n\r\n" not in answer and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 1.0)
            if readable:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
            elif writable:
                pending = pending or block
                pending = pending[sock.send(pending) :]
                sent += 0 if pending else chunk
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()
    return sent, answer


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file with Alice and Bob (shared by the real-server tests)."""
    path = tmp_path_factory.mktemp("hostile") / "lingxi.db"
    db = Database.from_url(f"sqlite:///{path}")
    upgrade(db.engine)
    seed(db)
    db.dispose()
    return f"sqlite:///{path}"


@pytest.mark.integration
def test_real_server_refuses_chunked_bodies_unbuffered(sqlite_url: str, tmp_path: Path) -> None:
    """Under uvicorn: a chunked 3 MB body is 413; an anonymous chunked 128 MiB POST to the
    login is 413 after a few MB, and the server's memory grows by less than 20 MB."""
    port = free_port()
    proc = serve_subprocess(sqlite_url, port, tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        assert httpx.post(f"{base}/api/auth/login", json={"email": "a@b.c", "password": "x"}).status_code == 401  # fmt: skip
        sent, answer = _chunked_post(port, "/api/guide/parse", 3 * 2**20)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        before = _memory_mb(proc.pid)
        sent, answer = _chunked_post(port, "/api/auth/login", 128 * 2**20)
        after = _memory_mb(proc.pid)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert sent < 64 * 2**20  # refused long before the end
        assert after["VmRSS"] - before["VmRSS"] < 20, (before, after)
        assert after["VmHWM"] - before["VmHWM"] < 20, (before, after)
        assert httpx.get(f"{base}/api/health").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wrong_passwords(port: int, n: int) -> list[int]:
    codes = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
        for i in range(n):
            r = c.post(
                "/api/auth/login",
                json={"email": "alice@example.org", "password": f"guess-{i}"},
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
            )
            codes.append(r.status_code)
    return codes


def test_trusted_proxies_must_be_addresses(settings: Settings) -> None:
    """``LINGXI_TRUSTED_PROXIES`` takes addresses and networks; anything else names the setting."""
    assert _with(settings, trusted_proxies=["10.0.0.0/8", "::1"]).trusted_proxies == (
        "10.0.0.0/8",
        "::1",
    )
    with pytest.raises(ValueError, match=r"LINGXI_TRUSTED_PROXIES.*'proxy\.local'"):
        _with(settings, trusted_proxies=["proxy.local"])


@pytest.mark.integration
def test_forwarded_for_is_believed_only_from_trusted_proxies(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under uvicorn, a client on 127.0.0.1 rotating X-Forwarded-For still gets 429 on its 11th
    wrong password; with 127.0.0.1 configured as a trusted proxy, each forwarded address is
    counted on its own."""
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    monkeypatch.delenv("LINGXI_TRUSTED_PROXIES", raising=False)
    port = free_port()
    proc = serve_subprocess(sqlite_url, port, tmp_path)
    try:
        assert _wrong_passwords(port, 11) == [401] * 10 + [429]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    monkeypatch.setenv("LINGXI_TRUSTED_PROXIES", '["127.0.0.1"]')
    port = free_port()
    proc = serve_subprocess(sqlite_url, port, tmp_path)
    try:
        assert _wrong_passwords(port, 11) == [401] * 11
    finally:
        proc.terminate()
        proc.wait(timeout=10)
