"""Sign-in: passwords, cookies, bearer tokens, the demo login, and logout."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data import Database
from tests.helpers import Seeded, sign_in


def test_health_needs_no_sign_in(client: TestClient) -> None:
    """Health reports each part without a session."""
    body = client.get("/api/health").json()
    assert body["parts"]["database"]["status"] == "up"
    assert body["parts"]["broker"]["status"] == "not_configured"
    assert body["parts"]["llm"]["status"] == "not_configured"


def test_routes_need_sign_in(client: TestClient, seeded: Seeded) -> None:
    """Without credentials every data route answers 401 JSON."""
    for path in ("/api/orders", "/api/account/profile", "/api/auth/me"):
        r = client.get(path)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"


def test_login_gives_cookie_and_token(client: TestClient, seeded: Seeded) -> None:
    """Login sets an HttpOnly session cookie and returns a bearer token; both sign in."""
    r = client.post(
        "/api/auth/login", json={"email": "alice@example.org", "password": "correct-horse-battery"}
    )
    assert r.status_code == 200
    assert "httponly" in r.headers["set-cookie"].lower()
    assert client.get("/api/auth/me").json()["display_name"] == "Alice"  # via the cookie
    token = r.json()["token"]
    fresh = TestClient(client.app)
    assert (
        fresh.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )


def test_wrong_password(client: TestClient, seeded: Seeded) -> None:
    """A wrong password is 401 without saying which part was wrong."""
    r = client.post("/api/auth/login", json={"email": "alice@example.org", "password": "x"})
    assert r.status_code == 401
    assert r.json()["error"]["message"] == "Wrong e-mail or password."


def test_logout_revokes(client: TestClient, seeded: Seeded) -> None:
    """After logout the token no longer works."""
    headers = sign_in(client, "bob@example.org")
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_demo_login_only_for_demo_accounts(client: TestClient, seeded: Seeded) -> None:
    """The demo login refuses real accounts, and is off when the setting is off."""
    r = client.post("/api/auth/demo-login", params={"email": "alice@example.org"})
    assert r.status_code == 403


def test_demo_login_can_be_turned_off(db: Database, settings: Settings) -> None:
    """LINGXI_AUTH__DEMO_LOGIN=false disables the password-less demo sign-in."""
    off = settings.model_copy(
        update={"auth": settings.auth.model_copy(update={"demo_login": False})}
    )
    with TestClient(create_app(off, database=db)) as c:
        r = c.post("/api/auth/demo-login")
    assert r.status_code == 403 and "turned off" in r.json()["error"]["message"]


def test_security_headers(client: TestClient) -> None:
    """Responses carry deliberate security headers."""
    r = client.get("/api/health")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in r.headers["content-security-policy"]


def test_docs_are_served_offline(client: TestClient) -> None:
    """/docs and its assets come from the app itself, not a CDN."""
    page = client.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "Lingxi"
