"""The OWASP API Security Top 10 (2023), item by item, against the real app.

Two households with the demo home (owner, adult, child each) and a few products. Items
tested elsewhere are referenced where they apply.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.base import utcnow
from lingxi.data.models import AuthToken
from lingxi.data.repos import catalog, identity
from tests.api.test_security import all_routes
from tests.helpers import products
from tests.home.conftest import load_home

LIGHT = "light.bedroom"


@dataclass
class World:
    """Two households' members (bearer headers) and ids of A's data."""

    client: TestClient
    db: Database
    a: dict[str, dict[str, str]]
    b: dict[str, dict[str, str]]
    product: int
    a_address: int
    a_order: int = 0
    a_shipment: int = 0
    a_conversation: int = 0


def _headers(db: Database, customer_id: int) -> dict[str, str]:
    with db.session() as s:
        return {"Authorization": f"Bearer {identity.issue_token(s, customer_id=customer_id)}"}


@pytest.fixture
def world(db: Database, settings: Settings) -> Iterator[World]:
    """Households A and B; A has a confirmed order (with a shipment), a conversation and a
    gesture binding."""
    a, b = load_home(db, tag="a"), load_home(db, tag="b")
    with db.session() as s:
        catalog.upsert_products(s, records=products())
        product = catalog.list_products(s)[0].id
        address = identity.add_address(
            s,
            customer_id=a["owner"].customer_id,
            line1="1 Quai",
            city="Monaco",
            lat=43.73,
            lon=7.42,
        )
    app = create_app(settings, database=db)
    with TestClient(app) as c:
        w = World(
            c,
            db,
            {role: _headers(db, m.customer_id) for role, m in a.items()},
            {role: _headers(db, m.customer_id) for role, m in b.items()},
            product,
            address,
        )
        r = c.post(
            "/api/orders",
            json={"lines": [{"product_id": product}], "address_id": address},
            headers=w.a["owner"],
        )
        w.a_order = r.json()["id"]
        r = c.post(f"/api/orders/{w.a_order}/confirm", headers=w.a["owner"])
        w.a_shipment = r.json()["shipments"][0]["id"]
        r = c.post("/api/assistant/conversations", json={}, headers=w.a["owner"])
        w.a_conversation = r.json()["id"]
        r = c.put(
            "/api/home/gestures/bindings/wave",
            json={"intent": "HassTurnOn", "slots": {"name": "Bedroom Light"}},
            headers=w.a["owner"],
        )
        assert r.status_code == 200, r.text
        yield w


# API1: broken object-level authorisation ---------------------------------------------------


def test_api1_no_object_of_another_household(world: World) -> None:
    """B's owner, with every id of A's data, on every id-taking route: 404 (as if the id did
    not exist), and A's data is unchanged."""
    c, b = world.client, world.b["owner"]
    order, ship, conv = world.a_order, world.a_shipment, world.a_conversation
    attempts: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/api/orders/{order}", None),
        ("POST", f"/api/orders/{order}/confirm", None),
        ("POST", f"/api/orders/{order}/cancel", None),
        ("POST", f"/api/orders/{order}/return", {"reason": "mine now"}),
        ("GET", f"/api/dispatch/shipments/{ship}/eta", None),
        ("GET", f"/api/dispatch/shipments/{ship}/route.geojson", None),
        ("GET", f"/api/dispatch/shipments/{ship}/route.svg", None),
        ("GET", f"/api/assistant/conversations/{conv}", None),
        ("POST", f"/api/assistant/conversations/{conv}/messages", {"text": "where is my order"}),
        (
            "POST",
            f"/api/assistant/conversations/{conv}/messages/stream",
            {"text": "where is my order"},
        ),
        (
            "POST",
            "/api/orders",
            {"lines": [{"product_id": world.product}], "address_id": world.a_address},
        ),
    ]
    for method, path, body in attempts:
        r = c.request(method, path, json=body, headers=b)
        assert r.status_code == 404, (method, path, r.status_code, r.text[:200])
        assert r.json()["error"]["code"] == "not_found"
    a = world.a["owner"]
    doc = c.get(f"/api/orders/{order}", headers=a).json()
    assert doc["status"] == "confirmed" and c.get("/api/orders", headers=b).json()["count"] == 0
    assert c.get(f"/api/assistant/conversations/{conv}", headers=a).json()["count"] == 0


def test_api1_home_entities_and_bindings_stay_in_their_household(world: World) -> None:
    """The same entity id in B's home is B's own device: B's touches, state, history, bindings
    and undo never reach A's devices or A's bindings."""
    c, a, b = world.client, world.a["owner"], world.b["owner"]
    before = c.get("/api/home/state", params={"entity_id": LIGHT}, headers=a).json()["data"]
    a_history = c.get("/api/home/history", headers=a).json()
    r = c.post("/api/home/touch", json={"entity_id": LIGHT, "intent": "HassTurnOn"}, headers=b)
    assert r.status_code == 200, r.text
    r = c.post("/api/home/command", json={"text": "turn off the bedroom light"}, headers=b)
    assert r.status_code == 200, r.text
    assert c.post("/api/home/undo", headers=b).status_code == 200
    assert c.get("/api/home/state", params={"entity_id": LIGHT}, headers=a).json()["data"] == before
    assert c.get("/api/home/history", headers=a).json() == a_history  # B's actions are B's
    assert c.get("/api/home/history", headers=b).json()["count"] >= 2
    # Bindings: B neither sees nor deletes A's; B's own binding leaves A's alone.
    assert c.get("/api/home/gestures/bindings", headers=b).json()["count"] == 0
    assert c.delete("/api/home/gestures/bindings/wave", headers=b).status_code == 404
    assert c.get("/api/home/gestures/bindings", headers=a).json()["count"] == 1
    # A device that only exists in another household is unknown.
    r = c.post(
        "/api/home/touch", json={"entity_id": "light.not_here", "intent": "HassTurnOn"}, headers=b
    )
    assert r.status_code == 404


def test_api1_confirmation_tokens_are_per_household(world: World) -> None:
    """A's pending unlock cannot be redeemed (nor burnt) by B, nor twice by A."""
    c = world.client
    r = c.post(
        "/api/home/command", json={"text": "unlock the front door"}, headers=world.a["adult"]
    )
    assert r.status_code == 409
    token = r.json()["error"]["details"]["token"]
    r = c.post("/api/home/confirm", json={"token": token}, headers=world.b["owner"])
    assert r.status_code in (403, 404), r.text
    assert (
        c.post("/api/home/confirm", json={"token": token}, headers=world.a["adult"]).status_code
        == 200
    )
    assert c.post(
        "/api/home/confirm", json={"token": token}, headers=world.a["adult"]
    ).status_code in (404, 409)


# API2: broken authentication ------------------------------------------------------------------


def test_api2_bad_expired_and_revoked_tokens(world: World) -> None:
    """Garbage, expired and signed-out tokens are all 401; the login error does not say
    whether the e-mail exists (see also tests/api/test_auth.py)."""
    c = world.client
    for header in ("Bearer", "Bearer " + "A" * 43, "Basic b3duZXI6eA==", "bearer ' OR '1'='1"):
        assert c.get("/api/auth/me", headers={"Authorization": header}).status_code == 401
    headers = world.b["adult"]
    token = headers["Authorization"].split()[1]
    with world.db.session() as s:
        row = s.query(AuthToken).filter(AuthToken.token_hash == identity._digest(token)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    r = c.get("/api/auth/me", headers=headers)
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]
    headers = world.b["owner"]
    assert c.post("/api/auth/logout", headers=headers).status_code == 204
    assert c.get("/api/orders", headers=headers).status_code == 401
    unknown = c.post("/api/auth/login", json={"email": "nobody@x.org", "password": "whatever1"})
    wrong = c.post("/api/auth/login", json={"email": "ownera@test.lingxi", "password": "whatever1"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


# API3: broken object property-level authorisation (mass assignment) ------------------------


def test_api3_extra_fields_are_ignored(world: World) -> None:
    """household_id, customer_id, role, price and status in bodies change nothing."""
    c, b = world.client, world.b["adult"]
    me = c.get("/api/auth/me", headers=b).json()
    r = c.post(
        "/api/orders",
        json={
            "lines": [{"product_id": world.product, "price_minor": 1, "unit_price": 0.01}],
            "household_id": 1,
            "customer_id": 1,
            "status": "delivered",
            "total_minor": 1,
        },
        headers=b,
    )
    assert r.status_code == 201
    order = r.json()
    assert order["status"] == "pending" and order["customer_id"] == me["customer_id"]
    assert order["total_minor"] == products()[0].price_minor  # the catalogue price
    r = c.patch(
        "/api/account/profile",
        json={"role": "owner", "household_id": 1, "customer_id": 1, "brands": ["ACME"]},
        headers=b,
    )
    assert r.status_code == 200 and r.json()["brands"] == ["ACME"]
    assert c.get("/api/auth/me", headers=b).json() == me  # role and household unchanged
    r = c.post("/api/assistant/conversations", json={"customer_id": 1}, headers=b)
    assert (
        c.get(
            f"/api/assistant/conversations/{r.json()['id']}", headers=world.a["owner"]
        ).status_code
        == 404
    )


# API4: unrestricted resource consumption ---------------------------------------------------


def test_api4_sizes_depths_and_counts_are_bounded(world: World) -> None:
    """A body over the limit is 413 before it is read; k, text and list lengths are capped;
    deeply nested JSON is refused with 4xx (rate limits: tests/api/test_security.py)."""
    c, a = world.client, world.a["owner"]
    big = b'{"text": "' + b"a" * 1_100_000 + b'"}'
    r = c.post("/api/guide/parse", content=big, headers={**a, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    r = c.post("/api/guide/recommend", json={"text": "cleanser", "k": 100_000}, headers=a)
    assert r.status_code == 422 and "'k'" in r.json()["error"]["message"]
    r = c.post("/api/orders", json={"lines": [{"product_id": world.product}] * 10_000}, headers=a)
    assert r.status_code == 422
    assert c.get("/api/home/history", params={"limit": 10**9}, headers=a).status_code == 422
    for ragged in ({"landmarks": [[], [0.0]]}, {"history": [[1.0, 2.0], [0.0]]}):
        r = c.post("/api/home/gesture", json=ragged, headers=a)  # found by the fuzzer: was 500
        assert r.status_code == 422, r.text
    for depth in (50, 500, 5000):
        slots = '{"a":' * depth + "1" + "}" * depth
        for method, path, body in (
            (
                "PUT",
                "/api/home/gestures/bindings/wave",
                f'{{"intent":"HassTurnOn","slots":{slots}}}',
            ),
            ("POST", "/api/home/touch", f'{{"entity_id":"{LIGHT}","slots":{slots}}}'),
            ("POST", "/api/guide/parse", f'{{"text":"hi","x":{slots}}}'),
        ):
            r = c.request(
                method, path, content=body, headers={**a, "Content-Type": "application/json"}
            )
            assert r.status_code < 500, (method, path, depth, r.text[:200])
            if path != "/api/guide/parse":
                assert r.status_code in (400, 422), (path, depth)


def test_api8_spoken_reply_text_is_never_an_option(world: World) -> None:
    """Text for espeak-ng goes in on stdin: "-f/etc/hostname" is spoken as words, not read as
    an option that makes espeak-ng speak a server file; a NUL byte is no crash (both found by
    fuzzing and review)."""
    import shutil

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    c, a = world.client, world.a["owner"]
    as_option = c.post("/api/home/speak", json={"text": "-f/etc/hostname"}, headers=a)
    from_file = c.post(
        "/api/home/speak", json={"text": Path("/etc/hostname").read_text()}, headers=a
    )
    assert as_option.status_code == 200 and from_file.status_code == 200
    assert as_option.content != from_file.content
    r = c.post("/api/home/speak", json={"text": "a\u0000b"}, headers=a)  # refused before espeak
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "text"


# API5: broken function-level authorisation -------------------------------------------------


def test_api5_roles(world: World) -> None:
    """A child cannot order, confirm, unlock or use operator functions; an adult cannot plan."""
    c, child = world.client, world.a["child"]
    cases = [
        ("POST", "/api/orders", {"lines": [{"product_id": world.product}]}),
        ("POST", f"/api/orders/{world.a_order}/confirm", None),
        ("POST", "/api/home/command", {"text": "unlock the front door"}),
        ("POST", "/api/home/touch", {"entity_id": "lock.front_door", "intent": "HassTurnOff"}),
        ("POST", "/api/dispatch/plan", {"day": "2026-01-05"}),
        ("GET", "/api/web/ops", None),
    ]
    for method, path, body in cases:
        r = c.request(method, path, json=body, headers=child)
        assert r.status_code == 403, (method, path, r.status_code, r.text[:200])
    for method, path, body in cases[-2:]:
        assert c.request(method, path, json=body, headers=world.a["adult"]).status_code == 403
    r = c.post(
        "/api/dispatch/traffic",
        json={
            "kind": "zone",
            "lat": 43.7,
            "lon": 7.4,
            "radius_m": 100,
            "speed_factor": 0.5,
            "starts_at": "2026-01-05T08:00:00Z",
            "ends_at": "2026-01-05T09:00:00Z",
            "day": "2026-01-05",
        },
        headers=world.a["adult"],
    )
    assert r.status_code == 403


# API6: unrestricted access to sensitive business flows -------------------------------------


def test_api6_paying_and_unlocking_need_an_explicit_yes(world: World) -> None:
    """A new order is pending with no shipment until confirmed; an unlock waits for a yes."""
    c, a = world.client, world.a["owner"]
    r = c.post("/api/orders", json={"lines": [{"product_id": world.product}]}, headers=a)
    assert r.json()["status"] == "pending" and r.json()["shipments"] == []
    r = c.post(
        "/api/home/command", json={"text": "unlock the front door"}, headers=world.a["adult"]
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "confirmation_required"
    state = c.get("/api/home/state", params={"entity_id": "lock.front_door"}, headers=a).json()
    assert state["data"][0]["state"] == "locked"


# API7: server-side request forgery ---------------------------------------------------------


def test_api7_no_request_can_name_a_server_to_call(world: World) -> None:
    """No parameter or body field of any operation takes a URL or host: the LLM and speech
    servers come from settings only."""
    schema = world.client.get("/openapi.json").json()
    names: set[str] = set()
    for path_item in schema["paths"].values():
        for op in path_item.values():
            names |= {p["name"] for p in op.get("parameters", [])}
    for component in schema["components"]["schemas"].values():
        names |= set(component.get("properties", {}))
    suspicious = {
        n for n in names if re.search(r"url|uri|host|endpoint|server|callback|webhook", n, re.I)
    }
    assert suspicious == set()
    assert len(names) > 40  # the schema really was read


# API8: security misconfiguration -----------------------------------------------------------


def test_api8_errors_hide_internals_and_docs_are_offline(
    world: World, db: Database, settings: Settings
) -> None:
    """An unexpected error is a plain 500 JSON without a trace; the docs load no outside
    script; headers and CORS: tests/api/test_security.py."""
    app = create_app(settings, database=db)

    def boom() -> None:
        raise RuntimeError("db password is hunter2 at /srv/secret.py line 3")

    app.add_api_route("/api/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/boom")
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
    assert "hunter2" not in r.text and "Traceback" not in r.text and ".py" not in r.text
    docs = world.client.get("/docs").text
    assert not re.search(r"""(src|href)=["']https?://""", docs)
    assert world.client.get("/api/nope").json()["error"]["code"] == "not_found"


# API9: improper inventory management -------------------------------------------------------


def test_api9_openapi_lists_every_api_route(world: World) -> None:
    """Every route under /api is in the OpenAPI document, and nothing else is."""
    app = world.client.app
    served = {
        (m.lower(), p)
        for m, p, r in all_routes(app)  # type: ignore[arg-type]
        if p.startswith("/api/") and m not in ("MOUNT", "HEAD")
    }
    documented = {
        (m, p)
        for p, item in world.client.get("/openapi.json").json()["paths"].items()
        for m in item
    }
    assert served == documented


# API10: unsafe consumption of APIs ---------------------------------------------------------


def test_api10_llm_tool_calls_are_validated() -> None:
    """The LLM's tool calls are validated before use (unknown tools, wrong types, extra
    fields such as household_id are refused and retried, then the offline router answers):
    tests/assistant/test_llm.py::test_malformed_answer_is_retried_once,
    ::test_the_model_cannot_reach_another_household and
    ::test_injected_product_data_cannot_make_the_model_act. Here: the schema refuses them."""
    from lingxi.assistant.llm import ParseFailure, parse_tool_call

    class Call:
        class function:
            name = "orders"
            arguments = '{"intent": "track", "household_id": 2}'

        id = "c1"
        type = "function"

    class Message:
        tool_calls = [Call]
        content = None

    with pytest.raises(ParseFailure):
        parse_tool_call(Message())
