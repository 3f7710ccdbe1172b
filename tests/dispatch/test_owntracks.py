"""OwnTracks positions: the message rules on SQLite, and the subscriber on the real Mosquitto."""

from __future__ import annotations

import json
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lingxi.config import MQTTSettings
from lingxi.data import Database
from lingxi.data.models import Depot, Role, Vehicle
from lingxi.data.repos import courier as courier_repo, identity
from lingxi.dispatch import load_network
from lingxi.dispatch.owntracks import OwnTracksSubscriber, handle_message
from lingxi.home.drivers.mqtt import publish_raw
from tests.helpers import PASSWORD

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
HERE = {"_type": "location", "lat": 43.7339, "lon": 7.4208, "acc": 12, "tst": int(NOW.timestamp())}


def _fleet(db: Database, user: str) -> None:
    """van-1 driven by ``user``@courier.example, van-2 by someone else."""
    with db.session() as s:
        depot = Depot(name="Fontvieille", lat=43.72905, lon=7.41520)
        s.add(depot)
        s.flush()
        for name in ("van-1", "van-2"):
            s.add(Vehicle(depot_id=depot.id, name=name, capacity=10))
        s.flush()
        for email, van in ((f"{user}@courier.example", "van-1"), ("kim@courier.example", "van-2")):
            cid = identity.create_customer(
                s,
                household_id=identity.deployment_household(s),
                email=email,
                display_name=email,
                password=PASSWORD,
                role=Role.COURIER,
            )
            courier_repo.assign_vehicle(s, customer_id=cid, vehicle_name=van)


def _position(db: Database, van: str = "van-1") -> courier_repo.PositionView | None:
    with db.session() as s:
        found = courier_repo.vehicle_by_name(s, name=van)
        assert found is not None
        return courier_repo.latest_position(s, vehicle_id=found.vehicle_id)


@pytest.mark.parametrize(
    ("topic", "doc", "code"),
    [
        ("owntracks/sam/phone", {**HERE, "_type": "transition"}, "ignored"),
        ("owntracks/nobody/phone", HERE, "invalid_input"),
        ("owntracks/sam/van-2", HERE, "forbidden"),  # another courier's vehicle
        ("owntracks/sam/phone", {**HERE, "lat": 48.85, "lon": 2.35}, "invalid_input"),  # Paris
        ("owntracks/sam/phone", {**HERE, "lat": "43.7"}, "invalid_input"),
        ("owntracks/sam/phone", {**HERE, "tst": 10**13}, "invalid_input"),
        ("owntracks/sam", HERE, "invalid_input"),
    ],
)
def test_refused_and_ignored_messages_store_nothing(
    sqlite_db: Database, topic: str, doc: dict[str, object], code: str
) -> None:
    """Non-locations are ignored; unknown users, other couriers' vehicles, far-away or malformed
    positions are refused with the error's code; no position is stored."""
    _fleet(sqlite_db, "sam")
    outcome = handle_message(
        sqlite_db, topic, json.dumps(doc).encode(), now=NOW, network=load_network()
    )
    assert not outcome.accepted and outcome.code == code, outcome
    assert _position(sqlite_db) is None and _position(sqlite_db, "van-2") is None


def test_a_location_is_the_couriers_position(sqlite_db: Database) -> None:
    """``owntracks/sam/phone`` (or ``.../van-1``) is van-1's position, with accuracy and time."""
    _fleet(sqlite_db, "sam")
    for device in ("phone", "van-1"):
        outcome = handle_message(
            sqlite_db, f"owntracks/Sam/{device}", json.dumps(HERE).encode(), now=NOW
        )
        assert outcome.accepted, outcome
    p = _position(sqlite_db)
    assert p is not None and (p.lat, p.lon, p.accuracy_m) == (43.7339, 7.4208, 12.0)
    assert p.recorded_at == NOW and p.source == "owntracks"


def _broker_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.integration
def test_positions_arrive_over_the_real_broker(sqlite_db: Database) -> None:
    """A phone publishing to Mosquitto moves van-1; a message for another courier's van does not."""
    if not _broker_up():
        pytest.skip("Mosquitto is not running on 127.0.0.1:1883")
    user = f"sam{uuid.uuid4().hex[:8]}"
    _fleet(sqlite_db, user)
    settings = MQTTSettings(url="mqtt://127.0.0.1:1883")
    now = NOW  # the fix's time is checked against this pinned clock
    sub = OwnTracksSubscriber(sqlite_db, settings, topic=f"owntracks/{user}/+", clock=lambda: now)
    sub.start()
    try:
        fix = {**HERE, "tst": int((now - timedelta(seconds=5)).timestamp())}
        publish_raw(settings, f"owntracks/{user}/van-2", json.dumps(fix).encode())
        publish_raw(settings, f"owntracks/{user}/phone", json.dumps(fix).encode())
        deadline = time.monotonic() + 10
        while len(sub.outcomes) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sub.close()
    assert [o.code for o in sub.outcomes] == ["forbidden", "recorded"]
    p = _position(sqlite_db)
    assert p is not None and p.source == "owntracks" and p.lat == HERE["lat"]
    assert _position(sqlite_db, "van-2") is None
