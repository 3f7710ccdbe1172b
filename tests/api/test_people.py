"""People over HTTP: sign-up (a setting; never tells whether an e-mail exists), owners'
invitations and their acceptance, password reset by a one-time token, all rate limited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lingxi import commerce
from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data import Database
from tests.helpers import PASSWORD, Seeded, add_staff, seed, sign_in


def _settings(tmp_path: Path, **changes: object) -> Settings:
    base = Settings(
        environment="test",
        data_dir=tmp_path,
        db={"url": f"sqlite:///{tmp_path / 'unused.db'}"},
        public_url="https://shop.example",
    )
    return base.model_copy(update=changes)


@pytest.fixture
def app_db(sqlite_db: Database) -> tuple[Database, Seeded]:
    return sqlite_db, seed(sqlite_db)


@pytest.fixture
def api(app_db: tuple[Database, Seeded], tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(tmp_path), database=app_db[0])) as c:
        yield c


def test_sign_up_answers_alike_for_new_and_taken_emails(
    api: TestClient, app_db: tuple[Database, Seeded]
) -> None:
    """A new e-mail and a taken one get the same 202 and body; only the new one can then
    sign in with the password it chose, as the owner of a new household."""
    new = api.post(
        "/api/auth/signup",
        json={"email": "neo@example.org", "password": "a-good-password", "display_name": "Neo"},
    )
    taken = api.post(
        "/api/auth/signup",
        json={"email": "alice@example.org", "password": "a-good-password", "display_name": "M"},
    )
    assert new.status_code == taken.status_code == 202
    assert new.json() == taken.json()
    me = api.get("/api/auth/me", headers=sign_in(api, "neo@example.org", "a-good-password"))
    assert me.json()["role"] == "owner"
    assert (
        api.post(
            "/api/auth/login", json={"email": "alice@example.org", "password": "a-good-password"}
        ).status_code
        == 401
    )
    bad = api.post(
        "/api/auth/signup",
        json={"email": "x@example.org", "password": "short", "display_name": "X"},
    )
    assert (
        bad.status_code == 422
        and bad.json()["error"]["details"]["errors"][0]["field"] == "password"
    )


def test_sign_up_is_off_in_production_by_default_and_rate_limited(
    app_db: tuple[Database, Seeded], tmp_path: Path
) -> None:
    """Production without LINGXI_AUTH__SIGNUP refuses sign-up; where it is on, the account
    limit applies per client address, as for demo sign-in."""
    prod = Settings(
        environment="production",
        data_dir=tmp_path,
        auth={"secret_key": "a-real-production-secret", "demo_login": False},
    )
    assert not prod.signup_open
    assert prod.model_copy(
        update={"auth": prod.auth.model_copy(update={"signup": True})}
    ).signup_open
    closed = _settings(tmp_path)
    closed = closed.model_copy(update={"auth": closed.auth.model_copy(update={"signup": False})})
    body = {"email": "z@example.org", "password": "a-good-password", "display_name": "Z"}
    with TestClient(create_app(closed, database=app_db[0])) as c:
        assert c.get("/api/auth/signup").json() == {"open": False}
        r = c.post("/api/auth/signup", json=body)
        assert r.status_code == 403 and "turned off" in r.json()["error"]["message"]
    limited = _settings(tmp_path)
    limited = limited.model_copy(
        update={"rate_limit": limited.rate_limit.model_copy(update={"account": "2/minute"})}
    )
    with TestClient(create_app(limited, database=app_db[0])) as c:
        assert c.get("/api/auth/signup").json() == {"open": True}
        codes = [c.post("/api/auth/signup", json=body).status_code for _ in range(3)]
        assert codes == [202, 202, 429]
        assert (
            c.post("/api/auth/reset", json={"token": "x" * 40, "password": "p" * 9}).status_code
            == 429
        )


def test_owner_invites_and_the_invitee_joins_by_link(
    api: TestClient, app_db: tuple[Database, Seeded]
) -> None:
    """POST /api/invitations (owner) returns a one-time link; accepting it signs the invitee
    in as a member of the owner's household; adults, children and a second use are refused."""
    db, seeded = app_db
    owner = sign_in(api, "alice@example.org")
    made = api.post(
        "/api/invitations", json={"email": "teen@example.org", "role": "child"}, headers=owner
    )
    assert made.status_code == 201, made.text
    doc = made.json()
    assert doc["link"] == f"https://shop.example/#/join/{doc['token']}"
    listed = api.get("/api/invitations", headers=owner).json()
    assert listed["count"] == 1 and listed["data"][0]["link"] is None
    fresh = TestClient(api.app)
    joined = fresh.post(
        "/api/auth/accept-invite",
        json={"token": doc["token"], "display_name": "Teen", "password": "teen-password"},
    )
    assert joined.status_code == 200, joined.text
    me = fresh.get("/api/auth/me").json()  # signed in by the cookie
    assert (me["household_id"], me["role"]) == (seeded.household_a, "child")
    again = fresh.post(
        "/api/auth/accept-invite",
        json={"token": doc["token"], "display_name": "Teen", "password": "teen-password"},
    )
    assert again.status_code == 422 and again.json()["error"]["code"] == "invalid_token"
    bob = sign_in(api, "bob@example.org")  # an adult
    r = api.post("/api/invitations", json={"email": "y@example.org", "role": "adult"}, headers=bob)
    assert r.status_code == 403
    r = api.post(
        "/api/invitations", json={"email": "y@example.org", "role": "staff"}, headers=owner
    )
    assert r.status_code == 403
    add_staff(db)
    staff = sign_in(api, "ops@example.org")
    r = api.post(
        "/api/invitations", json={"email": "v@example.org", "role": "courier"}, headers=staff
    )
    assert r.status_code == 201 and r.json()["role"] == "courier"


def test_reset_password_once_and_sign_out_everywhere(
    api: TestClient, app_db: tuple[Database, Seeded]
) -> None:
    """POST /api/auth/reset with the CLI's token sets the password and ends old sessions,
    even from a browser that still holds a session cookie (no CSRF token needed, the token is
    the credential); the token works once."""
    db, _ = app_db
    old = sign_in(api, "bob@example.org")
    link = commerce.request_password_reset(
        db, "bob@example.org", ttl_s=600, public_url="https://shop.example"
    )
    browser = TestClient(api.app)
    browser.post("/api/auth/login", json={"email": "bob@example.org", "password": PASSWORD})
    r = browser.post(
        "/api/auth/reset",
        json={"token": link.token, "password": "brand-new-password"},
        headers={"Origin": "http://testserver"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "password_changed", "signed_out": 2}
    assert api.get("/api/auth/me", headers=old).status_code == 401
    assert browser.get("/api/auth/me").status_code == 401
    assert sign_in(api, "bob@example.org", "brand-new-password")
    r = api.post("/api/auth/reset", json={"token": link.token, "password": "third-password"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_token"
