"""The order view says when each ETA was last updated and after how long the app shows it stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lingxi.api import create_app
from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.repos import orders
from tests.helpers import Seeded, sign_in


@pytest.fixture
def client(db: Database, tmp_path: Path) -> TestClient:
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        db={"url": f"sqlite:///{tmp_path / 'lingxi.db'}"},  # type: ignore[arg-type]
        dispatch={"eta_stale_after_s": 120},  # type: ignore[arg-type]
    )
    return TestClient(create_app(settings, database=db))


def test_eta_updates_are_recorded_and_the_stale_setting_is_served(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    """A plan's ETA, then a courier's re-estimate: each records when it was set; the order
    view carries both and LINGXI_DISPATCH__ETA_STALE_AFTER_S."""
    with client:
        alice = sign_in(client, "alice@example.org")
        made = client.post(
            "/api/orders", json={"lines": [{"product_id": seeded.products[0]}]}, headers=alice
        ).json()
        placed = client.post(f"/api/orders/{made['id']}/confirm", headers=alice).json()
        shipment = placed["shipments"][0]
        assert shipment["eta"] is None and shipment["eta_updated_at"] is None
        assert placed["eta_stale_after_s"] == 120
        planned_at = datetime(2030, 6, 5, 8, 0, tzinfo=UTC)
        eta = planned_at + timedelta(hours=3)
        with db.session() as s:
            orders.set_shipment_eta(s, shipment_id=shipment["id"], eta=eta, at=planned_at)
        got = client.get(f"/api/orders/{made['id']}", headers=alice).json()
        assert got["eta_stale_after_s"] == 120
        s0 = got["shipments"][0]
        assert datetime.fromisoformat(s0["eta"]) == eta
        assert datetime.fromisoformat(s0["eta_updated_at"]) == planned_at
        seen_at = planned_at + timedelta(minutes=40)
        with db.session() as s:
            orders.add_tracking_event(
                s,
                shipment_id=shipment["id"],
                status="out_for_delivery",
                eta=eta + timedelta(minutes=5),
                occurred_at=seen_at,
            )
        listed = client.get("/api/orders", headers=alice).json()["data"]
        s1 = next(o for o in listed if o["id"] == made["id"])["shipments"][0]
        assert datetime.fromisoformat(s1["eta_updated_at"]) == seen_at
        # An event without an ETA leaves the ETA's age alone.
        with db.session() as s:
            orders.add_tracking_event(
                s, shipment_id=shipment["id"], status="out_for_delivery", note="traffic"
            )
        s2 = client.get(f"/api/orders/{made['id']}", headers=alice).json()["shipments"][0]
        assert s2["eta_updated_at"] == s1["eta_updated_at"]


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/orders/987654/return", 404), ("/api/orders/0/return", 422)],
)
def test_return_route_bad_ids_name_the_field(
    client: TestClient, seeded: Seeded, path: str, status: int
) -> None:
    """The Return button's route: an unknown order is 404, a malformed id 422, naming order_id."""
    with client:
        alice = sign_in(client, "alice@example.org")
        r = client.post(path, json={}, headers=alice)
        assert r.status_code == status, r.text
        err = r.json()["error"]
        assert "order_id" in err["message"] or "order_id" in str(err["details"])
