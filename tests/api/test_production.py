"""Production means production: fleet views are staff-only everywhere, no demo sign-in, and no
serving while a demo account's published password still signs in."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.models import Role
from lingxi.data.repos import identity, orders
from lingxi.data.repos.demo import disable_demo_accounts
from lingxi.errors import ConflictError
from tests.helpers import PASSWORD, Seeded, add_staff, sign_in

DEMO_PASSWORD = "lingxi-demo-mei"


def _settings(tmp_path: Path, environment: str) -> Settings:
    extra = {}
    if environment == "production":
        extra = {"auth": {"secret_key": "a-real-production-secret", "demo_login": False}}
    return Settings(
        environment=environment,  # type: ignore[arg-type]
        data_dir=tmp_path,
        db={"url": f"sqlite:///{tmp_path / 'unused.db'}"},  # type: ignore[arg-type]
        rate_limit={"enabled": False},  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


FLEET_ROUTES = [
    ("GET", "/api/web/ops", None),
    ("POST", "/api/dispatch/plan", {"day": "2026-11-26", "time_limit_s": 0.5}),
    (
        "POST",
        "/api/dispatch/traffic",
        {
            "kind": "zone",
            "lat": 43.73,
            "lon": 7.42,
            "radius_m": 300,
            "speed_factor": 0.5,
            "starts_at": "2026-11-26T08:00:00Z",
            "ends_at": "2026-11-26T09:00:00Z",
            "day": "2026-11-26",
        },
    ),
]


@pytest.mark.parametrize("environment", ["test", "production"])
def test_fleet_routes_are_staff_only_in_every_environment(
    db: Database, seeded: Seeded, tmp_path: Path, environment: str
) -> None:
    """Owner, adult and child all get a 403 naming their role on every fleet-wide route; staff
    see every household's open parcels on the operations board."""
    with db.session() as s:
        for email, role in (("adult@example.org", Role.ADULT), ("teen@example.org", Role.CHILD)):
            identity.create_customer(
                s,
                household_id=seeded.household_a,
                email=email,
                display_name=role.value,
                password=PASSWORD,
                role=role,
            )
        made = []
        for household, customer, address in (
            (seeded.household_a, seeded.alice, seeded.alice_address),
            (seeded.household_b, seeded.bob, seeded.bob_address),
        ):
            o = orders.create_order(
                s,
                household_id=household,
                customer_id=customer,
                lines=[orders.LineRequest(seeded.products[0])],
                address_id=address,
            )
            made.append(orders.confirm_order(s, household_id=household, order_id=o.id).id)
    add_staff(db)
    with TestClient(create_app(_settings(tmp_path, environment), database=db)) as client:
        for email, role in (
            ("alice@example.org", "owner"),
            ("adult@example.org", "adult"),
            ("teen@example.org", "child"),
        ):
            headers = sign_in(client, email)
            for method, path, body in FLEET_ROUTES:
                r = client.request(method, path, json=body, headers=headers)
                assert r.status_code == 403, (email, path, r.text)
                assert r.json()["error"]["details"] == {
                    "field": "role",
                    "value": role,
                    "act": "fleet",
                }
        board = client.get("/api/web/ops", headers=sign_in(client, "ops@example.org"))
        assert board.status_code == 200, board.text
        assert sorted(u["order_id"] for u in board.json()["unassigned"]) == sorted(made)
        # An owner's own view holds only their household's parcels.
        mine = client.get("/api/orders", headers=sign_in(client, "alice@example.org")).json()
        assert [o["id"] for o in mine["data"]] == [made[0]]


def test_demo_sign_in_is_refused_in_production(
    db: Database, seeded: Seeded, tmp_path: Path
) -> None:
    """Production forbids the one-click demo sign-in (it cannot even be configured on)."""
    with pytest.raises(ValueError, match="DEMO_LOGIN must be false in production"):
        Settings(environment="production", auth={"secret_key": "a-real-secret"})  # type: ignore[arg-type]
    with TestClient(create_app(_settings(tmp_path, "production"), database=db)) as client:
        r = client.post("/api/auth/demo-login", params={"email": "mei@demo.lingxi"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def _demo_account(db: Database) -> None:
    with db.session() as s:
        household = identity.create_household(s, name="Chen family")
        identity.create_customer(
            s,
            household_id=household,
            email="mei@demo.lingxi",
            display_name="Mei Chen",
            password=DEMO_PASSWORD,
            role=Role.OWNER,
        )


def test_production_refuses_to_serve_while_a_demo_password_signs_in(
    db: Database, tmp_path: Path
) -> None:
    """Start-up in production fails, naming the account; once the demo accounts are disabled
    it serves, and the published password no longer signs in (nor does an old session)."""
    _demo_account(db)
    with TestClient(create_app(_settings(tmp_path, "test"), database=db)) as client:
        old_session = sign_in(client, "mei@demo.lingxi", DEMO_PASSWORD)
    production = create_app(_settings(tmp_path, "production"), database=db)
    with (
        pytest.raises(ConflictError, match=r"mei@demo\.lingxi can sign in") as refused,
        TestClient(production),
    ):
        pass
    assert refused.value.details["accounts"] == ["mei@demo.lingxi"]
    with db.session() as s:
        assert disable_demo_accounts(s) == ["mei@demo.lingxi"]
    with TestClient(create_app(_settings(tmp_path, "production"), database=db)) as client:
        r = client.post(
            "/api/auth/login", json={"email": "mei@demo.lingxi", "password": DEMO_PASSWORD}
        )
        # Refused before any password check: demo accounts never sign in in production.
        assert r.status_code == 403 and r.json()["error"]["details"]["field"] == "email"
        assert client.get("/api/auth/me", headers=old_session).status_code in (401, 403)
