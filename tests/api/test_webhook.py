"""The shop's order webhook: HMAC-SHA256 over the raw body, replayed events answered with the
first result and never a second order, bad input named, and no CSRF check (not a browser)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lingxi.api import create_app
from lingxi.api.routes.integrations import sign
from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.models import Order, Shipment
from tests.helpers import Seeded, seed

SECRET = "a-shared-webhook-secret"
PATH = "/api/integrations/orders"


def _order(external_id: str = "SHOP-1", **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "external_id": external_id,
        "customer_email": "alice@example.org",
        "address": {"line1": "7 Avenue de la Costa", "city": "Monaco", "lat": 43.74, "lon": 7.42},
        "items": [{"sku": "T-1", "quantity": 2}, {"sku": "T-2"}],
        "window_start": "2026-12-03T09:00:00+01:00",
        "window_end": "2026-12-03T11:00:00+01:00",
    }
    doc.update(changes)
    return doc


def _post(
    c: TestClient, doc: dict[str, Any], event: str, secret: str = SECRET, **headers: str
) -> Any:
    body = json.dumps(doc).encode()
    return c.post(
        PATH,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Lingxi-Signature": sign(secret, body),
            "X-Lingxi-Event-Id": event,
            **headers,
        },
    )


def _orders(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Order)) or 0)


@pytest.fixture
def hook(sqlite_db: Database, tmp_path: Path) -> Iterator[tuple[TestClient, Database, Seeded]]:
    seeded = seed(sqlite_db)
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        db={"url": f"sqlite:///{tmp_path / 'unused.db'}"},
        integrations={"webhook_secret": SECRET},
    )
    with TestClient(create_app(settings, database=sqlite_db)) as c:
        yield c, sqlite_db, seeded


def test_a_signed_order_is_made_once(hook: tuple[TestClient, Database, Seeded]) -> None:
    """A signed order is confirmed with its delivery shipment and window (201); the same event
    again is 200 with the first answer; a new event for the same order is 200 'duplicate'."""
    c, db, seeded = hook
    first = _post(c, _order(), "evt-1")
    assert first.status_code == 201, first.text
    doc = first.json()
    assert doc["status"] == "created" and doc["order"]["status"] == "confirmed"
    assert doc["order"]["customer_id"] == seeded.alice
    assert [line["quantity"] for line in doc["order"]["lines"]] == [2, 1]
    (shipment,) = doc["order"]["shipments"]
    assert shipment["window"] == {
        "start": "2026-12-03T08:00:00+00:00",
        "end": "2026-12-03T10:00:00+00:00",
    }
    replay = _post(c, _order(), "evt-1")
    assert replay.status_code == 200 and replay.json() == doc
    assert replay.headers["idempotent-replayed"] == "true"
    again = _post(c, _order(), "evt-2")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert again.json()["order"]["id"] == doc["order"]["id"]
    assert _orders(db) == 1
    with db.session() as s:
        shipment = s.scalars(select(Shipment)).one()
        assert shipment.window_end is not None and shipment.window_end.hour == 10  # UTC
    other = _post(c, _order("SHOP-2"), "evt-1")  # a reused event id with another body
    assert other.status_code == 409 and _orders(db) == 1


@pytest.mark.parametrize(
    ("secret", "signature", "event"),
    [
        ("wrong-secret-of-the-same-kind", None, "e1"),
        (SECRET, "sha256=00", "e2"),
        (SECRET, "", "e3"),
    ],
)
def test_wrong_signature_is_401(
    hook: tuple[TestClient, Database, Seeded], secret: str, signature: str | None, event: str
) -> None:
    """Another secret, a forged signature or none: 401 and no order."""
    c, db, _ = hook
    extra = {} if signature is None else {"X-Lingxi-Signature": signature}
    r = _post(c, _order(), event, secret, **extra)
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_signature"
    assert _orders(db) == 0


def test_bad_orders_are_named(hook: tuple[TestClient, Database, Seeded]) -> None:
    """Bad input is 422 naming field and value, even with a valid signature; the event id is
    required; a browser-like request with a cookie and a foreign Origin is not CSRF-checked
    (the HMAC is its authentication)."""
    c, db, _ = hook
    r = _post(c, _order(items=[{"sku": "NOPE", "quantity": 1}]), "e1")
    assert r.status_code == 422 and r.json()["error"]["details"]["value"] == "NOPE"
    r = _post(c, _order(customer_email="kid@example.org"), "e2")
    assert r.status_code == 422 and "child" in r.json()["error"]["message"]
    r = _post(c, _order(address={"line1": "x", "city": "y", "lat": 91, "lon": 0}), "e3")
    assert r.status_code == 422
    assert r.json()["error"]["details"]["errors"][0]["field"] == "address.lat"
    r = _post(c, _order(window_start="2026-12-03T09:00:00"), "e4")
    assert r.status_code == 422
    assert _post(c, _order(), "").status_code == 422
    c.cookies.set("lingxi_session", "a-stolen-or-stale-cookie")
    r = _post(c, _order(), "e5", Origin="https://evil.example", **{"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 201 and _orders(db) == 1


def test_webhook_is_off_without_a_secret(sqlite_db: Database, settings: Settings) -> None:
    """No LINGXI_INTEGRATIONS__WEBHOOK_SECRET: the webhook answers 503 not_configured."""
    with TestClient(create_app(settings, database=sqlite_db)) as c:
        r = _post(c, _order(), "e1")
    assert r.status_code == 503 and r.json()["error"]["code"] == "not_configured"
