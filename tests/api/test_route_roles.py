"""Every route of the app, enumerated: each staff or courier route answers 403 to every
customer role (the anonymous 401s are checked in ``test_security``)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.api.deps import current_member
from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.models import Role
from lingxi.data.repos import identity
from tests.api.test_security import all_routes
from tests.helpers import PASSWORD, seed, sign_in

KNOWN_DEPLOYMENT_ONLY = {
    ("GET", "/api/web/ops"),
    ("POST", "/api/dispatch/plan"),
    ("POST", "/api/dispatch/traffic"),
}
CUSTOMER_ROLES = (Role.OWNER, Role.ADULT, Role.CHILD, Role.GUEST)


def _walk(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _walk(sub)


def _is_role_gate(call: Callable[..., Any]) -> bool:
    """A dependency that takes the signed-in member and hands it on only for some roles
    (``fleet_operator``, a courier gate): it has a member parameter and returns a member."""
    if call is current_member:
        return False
    try:
        signature = inspect.signature(call)
    except (TypeError, ValueError):
        return False
    hint = str(signature.return_annotation)
    takes_member = any("Member" in str(p.annotation) for p in signature.parameters.values())
    return takes_member and hint.endswith("Member")


def _routes(app: Any) -> list[tuple[str, str, APIRoute]]:
    return [(m, p, r) for m, p, r in all_routes(app) if isinstance(r, APIRoute)]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.fixture
def app_and_db(sqlite_db: Database, settings: Settings) -> Iterator[tuple[TestClient, Database]]:
    quiet = settings.model_copy(
        update={"rate_limit": settings.rate_limit.model_copy(update={"enabled": False})}
    )
    with TestClient(create_app(quiet, database=sqlite_db)) as c:
        yield c, sqlite_db


def test_staff_and_courier_routes_refuse_every_customer_role(
    app_and_db: tuple[TestClient, Database],
) -> None:
    """The routes gated by a role dependency (found in each route's dependency tree, so a new
    staff or courier route is covered without listing it) answer 403 to owner, adult, child
    and guest, before reading the body."""
    c, db = app_and_db
    seeded = seed(db)
    with db.session() as s:
        for role in (Role.ADULT, Role.GUEST):
            identity.create_customer(
                s,
                household_id=seeded.household_a,
                email=f"{role.value}@example.org",
                display_name=role.value,
                password=PASSWORD,
                role=role,
            )
        identity.create_customer(
            s,
            household_id=seeded.household_a,
            email="child2@example.org",
            display_name="child",
            password=PASSWORD,
            role=Role.CHILD,
        )
    headers = {
        Role.OWNER: sign_in(c, "alice@example.org"),
        Role.ADULT: sign_in(c, "adult@example.org"),
        Role.CHILD: sign_in(c, "child2@example.org"),
        Role.GUEST: sign_in(c, "guest@example.org"),
    }
    gated = [
        (method, path)
        for method, path, route in _routes(c.app)
        if any(_is_role_gate(call) for call in _walk(route.dependant))
    ]
    assert set(gated) >= KNOWN_DEPLOYMENT_ONLY, gated
    for method, path in gated:
        for role in CUSTOMER_ROLES:
            r = c.request(method, _concrete(path), json={}, headers=headers[role])
            assert r.status_code == 403, (role, method, path, r.status_code, r.text[:200])
            assert r.json()["error"]["code"] == "forbidden"
