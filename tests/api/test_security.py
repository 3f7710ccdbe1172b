"""Attacks refused: sign-in on every route, rate limits, CORS, security headers, no secret in logs."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.routing import BaseRoute, Mount, Route
from typer.testing import CliRunner

from lingxi.api import create_app
from lingxi.config import Settings, masked_url
from lingxi.data import Database
from lingxi.data.models import Customer
from lingxi.data.repos import identity
from lingxi.text import MAX_MESSAGE_CHARS
from tests.assistant.conftest import build_world, offline_assistant
from tests.assistant.fake_llm import serve
from tests.helpers import PASSWORD, Seeded, sign_in

# Routes that answer without a signed-in member, and why (DESIGN.md: "every route but health
# and sign-in"; the static web app and the offline API docs are public pages with no data).
PUBLIC = {
    ("GET", "/api/health"): "health",
    ("POST", "/api/auth/login"): "sign-in",
    ("POST", "/api/auth/demo-login"): "sign-in (demo, off in production)",
    ("POST", "/api/auth/signup"): "sign-up (a setting, off in production by default)",
    ("GET", "/api/auth/signup"): "whether sign-up is open, and nothing else",
    ("POST", "/api/auth/accept-invite"): "the one-time invitation token is the credential",
    ("POST", "/api/auth/reset"): "the one-time reset token is the credential",
    ("POST", "/api/integrations/orders"): "a shop's webhook: authenticated by its HMAC",
    ("GET", "/api/web/session"): "sign-in state: {'signed_in': false} and nothing else",
    ("GET", "/"): "the web app's page",
    ("GET", "/openapi.json"): "API docs",
    ("HEAD", "/openapi.json"): "API docs",
    ("GET", "/docs"): "API docs",
    ("GET", "/docs/oauth2-redirect"): "API docs",
    ("GET", "/redoc"): "API docs",
}
PUBLIC_MOUNTS = {"/static", "/static-offline-docs"}  # files of the web app and of the docs


def all_routes(app: FastAPI) -> Iterator[tuple[str, str, BaseRoute]]:
    """Every (method, path, route) the app serves, including those of included routers."""

    def walk(routes: list[BaseRoute], prefix: str) -> Iterator[tuple[str, str, BaseRoute]]:
        for route in routes:
            included = getattr(route, "original_router", None)
            if included is not None:
                yield from walk(included.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
            elif isinstance(route, APIRoute | Route):
                for method in sorted(route.methods or ()):
                    yield method, prefix + route.path, route
            elif isinstance(route, Mount):
                yield "MOUNT", prefix + route.path, route

    return walk(list(app.routes), "")


def _concrete(path: str) -> str:
    """A path with each parameter filled in with a valid-looking value."""
    return re.sub(r"\{(\w+)\}", lambda m: "wave" if m.group(1) == "gesture" else "1", path)


def test_every_route_but_health_and_sign_in_refuses_anonymous(
    client: TestClient, seeded: Seeded
) -> None:
    """Enumerate the app's routes: each one not on the public list answers 401 JSON to a
    request without credentials, and the public list has no stale entry."""
    seen_public = set()
    checked = 0
    for method, path, _route in all_routes(client.app):  # type: ignore[arg-type]
        if method == "MOUNT":
            assert path in PUBLIC_MOUNTS, f"unexpected mount {path}"
            continue
        if (method, path) in PUBLIC:
            seen_public.add((method, path))
            continue
        r = client.request(method, _concrete(path), json={})
        assert r.status_code == 401, (method, path, r.status_code, r.text[:200])
        assert r.json()["error"]["code"] == "unauthorized", (method, path)
        checked += 1
    assert seen_public == set(PUBLIC), set(PUBLIC) - seen_public
    assert checked >= 30  # the API's data routes really were enumerated
    # A forged or garbage token is no better than none.
    for token in ("x" * 40, "Bearer", "' OR 1=1 --"):
        r = client.get("/api/orders", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
    # The anonymous session probe reveals nothing.
    assert client.get("/api/web/session").json() == {
        "signed_in": False,
        "member": None,
        "max_message_chars": MAX_MESSAGE_CHARS,
    }


# -- rate limits ------------------------------------------------------------------------------


def _with(settings: Settings, **changes: Any) -> Settings:
    return Settings.model_validate({**settings.model_dump(), **changes})


def test_login_is_rate_limited(db: Database, settings: Settings, seeded: Seeded) -> None:
    """Past the login limit: 429 in the error shape with Retry-After, even with the right
    password; other clients' limits and already issued tokens are unaffected."""
    limited = _with(settings, rate_limit={"login": "3/minute", "chat": "100/minute"})
    with TestClient(create_app(limited, database=db)) as c:
        for _ in range(3):
            r = c.post("/api/auth/login", json={"email": "bob@example.org", "password": "nope"})
            assert r.status_code == 401
        r = c.post("/api/auth/login", json={"email": "bob@example.org", "password": PASSWORD})
        assert r.status_code == 429
        error = r.json()["error"]
        assert error["code"] == "rate_limited"
        assert "Try again in" in error["message"]
        retry = int(r.headers["Retry-After"])
        assert 1 <= retry <= 60 and error["details"]["retry_after_s"] == retry
        # The demo sign-in (no password to guess; off in production) is not counted.
        assert c.post("/api/auth/demo-login").status_code != 429
    # Another client address has its own budget.
    with TestClient(create_app(limited, database=db), client=("10.0.0.2", 5000)) as c:
        assert sign_in(c, "bob@example.org")


def test_rate_limits_can_be_turned_off_and_bad_values_are_named(
    db: Database, settings: Settings, seeded: Seeded
) -> None:
    """``rate_limit.enabled=false`` turns limits off; a malformed limit names the setting."""
    off = _with(settings, rate_limit={"enabled": False, "login": "1/minute"})
    with TestClient(create_app(off, database=db)) as c:
        for _ in range(3):
            sign_in(c, "bob@example.org")
    bad = _with(settings, rate_limit={"login": "lots"})
    with pytest.raises(ValueError, match=r"'rate_limit\.login'.*'lots'"):
        create_app(bad, database=db)


def test_chat_messages_are_rate_limited_per_member(settings: Settings, sqlite_db: Database) -> None:
    """Past the chat limit a member gets 429 (JSON and stream routes alike); another member
    of the same household still chats."""
    world = build_world(sqlite_db)
    limited = _with(settings, rate_limit={"chat": "2/minute"})
    app = create_app(limited, database=world.db)
    app.state.services["assistant"] = offline_assistant(world.db)
    with TestClient(app) as c:
        with world.db.session() as s:
            mei = {
                "Authorization": f"Bearer {identity.issue_token(s, customer_id=world.mei.customer_id)}"
            }
            lei = {
                "Authorization": f"Bearer {identity.issue_token(s, customer_id=world.lei.customer_id)}"
            }
        cid = c.post("/api/assistant/conversations", headers=mei, json={}).json()["id"]
        url = f"/api/assistant/conversations/{cid}/messages"
        for _ in range(2):
            assert c.post(url, headers=mei, json={"text": "hello"}).status_code == 200
        r = c.post(url, headers=mei, json={"text": "hello"})
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
        assert int(r.headers["Retry-After"]) >= 1
        assert c.post(url + "/stream", headers=mei, json={"text": "hello"}).status_code == 429
        lei_cid = c.post("/api/assistant/conversations", headers=lei, json={}).json()["id"]
        r = c.post(
            f"/api/assistant/conversations/{lei_cid}/messages", headers=lei, json={"text": "hi"}
        )
        assert r.status_code == 200


# -- CORS and headers -------------------------------------------------------------------------


def _preflight(c: TestClient, origin: str) -> Any:
    return c.options(
        "/api/orders",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )


def test_cors_allows_only_the_configured_origins(
    db: Database, settings: Settings, seeded: Seeded
) -> None:
    """An origin on ``cors_origins`` gets CORS headers (with credentials); others get none."""
    allowed = _with(settings, cors_origins=["https://shop.example"])
    with TestClient(create_app(allowed, database=db)) as c:
        r = _preflight(c, "https://shop.example")
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://shop.example"
        assert r.headers["access-control-allow-credentials"] == "true"
        assert "authorization" in r.headers["access-control-allow-headers"].lower()
        headers = sign_in(c, "bob@example.org")
        r = c.get("/api/orders", headers={**headers, "Origin": "https://shop.example"})
        assert r.headers["access-control-allow-origin"] == "https://shop.example"

        r = _preflight(c, "https://evil.example")
        assert r.status_code == 400 and "access-control-allow-origin" not in r.headers
        r = c.get("/api/orders", headers={**headers, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


def test_cors_is_closed_by_default(client: TestClient) -> None:
    """With no ``cors_origins`` no origin is allowed, not even a look-alike of the app's own."""
    assert Settings().cors_origins == ()
    for origin in ("https://evil.example", "http://127.0.0.1:8000", "null"):
        r = _preflight(client, origin)
        assert r.status_code == 400 and "access-control-allow-origin" not in r.headers
        r = client.get("/api/health", headers={"Origin": origin})
        assert "access-control-allow-origin" not in r.headers


def test_security_headers_on_api_errors_and_pages(client: TestClient) -> None:
    """JSON answers, errors and the web page carry nosniff, DENY framing and a strict CSP; the
    session cookie is HttpOnly and SameSite."""
    for path in ("/api/health", "/api/orders", "/api/nope", "/"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["x-frame-options"] == "DENY", path
        assert r.headers["referrer-policy"] == "same-origin", path
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-eval" not in csp and "script-src 'self';" in csp, path


# -- secrets ----------------------------------------------------------------------------------

SECRET_KEY = "sk-session-4f1b9c2e7d"
LLM_KEY = "sk-llm-a8c3e5f7b9d1"
DB_PASSWORD = "db-pw-7e2d4c6a"
MQTT_PASSWORD = "mqtt-pw-3b5d7f9a"


def _secret_settings(settings: Settings, db_url: str, llm_url: str) -> Settings:
    return _with(
        settings,
        db={"url": db_url},
        llm={"base_url": llm_url, "api_key": LLM_KEY, "timeout_s": 5},
        auth={"secret_key": SECRET_KEY},
        mqtt={"url": f"mqtt://lingxi:{MQTT_PASSWORD}@127.0.0.1:1", "password": MQTT_PASSWORD},
    )


def _url_with_password(db: Database) -> str:
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        # The test server trusts loopback, so the password is carried but not checked.
        return url.set(password=DB_PASSWORD).render_as_string(hide_password=False)
    return url.render_as_string(hide_password=False)


def test_no_secret_in_logs_during_start_sign_in_and_llm_call(
    db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Start the app from settings holding secrets, sign in, chat through an LLM (that fails
    once, so errors are logged too), read health: no secret value appears in any log record,
    response, or the settings' repr."""
    world = build_world(db)
    with world.db.session() as s:
        customer = s.get(Customer, world.mei.customer_id)
        assert customer is not None
        customer.password_hash = identity.hash_password(PASSWORD)
        email = customer.email
    secrets = (SECRET_KEY, LLM_KEY, DB_PASSWORD, MQTT_PASSWORD)
    caplog.set_level(logging.DEBUG)
    bodies = []
    with serve() as fake:
        cfg = _secret_settings(settings, _url_with_password(db), fake.url)
        assert isinstance(cfg.llm.api_key, SecretStr) and isinstance(cfg.auth.secret_key, SecretStr)
        logging.getLogger("test").info("settings: %r %s", cfg, cfg)
        app = create_app(cfg)  # its own engine, from the URL with the password
        app.state.services["assistant"] = offline_assistant(app.state.db, settings=cfg)
        fake.push({"status": 500}, {"tool": "orders", "arguments": {"intent": "track"}})
        with TestClient(app) as c:
            r = c.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            assert r.status_code == 200, r.text
            bodies.append(r.text)
            c.headers["Authorization"] = f"Bearer {r.json()['token']}"  # a script: no CSRF
            cid = c.post("/api/assistant/conversations", json={}).json()["id"]
            r = c.post(
                f"/api/assistant/conversations/{cid}/messages", json={"text": "where is it?"}
            )
            assert r.status_code == 200 and r.json()["skill"] == "orders", r.text
            bodies.append(r.text)
            bodies.append(c.get("/api/health").text)
        assert len(fake.requests) == 2  # the LLM really was called (and retried)
    logged = "\n".join(
        f"{rec.getMessage()} {rec.exc_text or ''} {rec.args!r}" for rec in caplog.records
    )
    assert caplog.records  # something was logged at all
    for secret in secrets:
        assert secret not in logged, secret
        for body in bodies:
            assert secret not in body, secret


def test_doctor_json_masks_secrets(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`lingxi doctor --json` reports the parts without any password or key."""
    from lingxi.cli.main import app as cli_app
    from lingxi.config import get_settings

    monkeypatch.setenv("LINGXI_DB__URL", f"sqlite:///{tmp_path / 'doctor.db'}")
    monkeypatch.setenv("LINGXI_MQTT__URL", f"mqtt://lingxi:{MQTT_PASSWORD}@127.0.0.1:1")
    monkeypatch.setenv("LINGXI_LLM__BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("LINGXI_LLM__API_KEY", LLM_KEY)
    monkeypatch.setenv("LINGXI_AUTH__SECRET_KEY", SECRET_KEY)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["doctor", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 3, result.output  # the broker and the LLM are down
    doc = json.loads(result.stdout)
    assert doc["broker"]["detail"] == "mqtt://lingxi:***@127.0.0.1:1"
    for secret in (MQTT_PASSWORD, LLM_KEY, SECRET_KEY):
        assert secret not in result.output


def test_masked_url() -> None:
    """Passwords in URLs are masked; URLs without one are unchanged."""
    assert (
        masked_url("postgresql+psycopg://u:p%40ss@h:5432/db")
        == "postgresql+psycopg://u:***@h:5432/db"
    )
    assert masked_url("mqtt://host:1883") == "mqtt://host:1883"
    assert masked_url("mqtt://user@host") == "mqtt://user@host"
    assert masked_url("sqlite:///var/lingxi.db") == "sqlite:///var/lingxi.db"
