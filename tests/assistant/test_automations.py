"""The porch-light automation over the outbox: near, far, disabled, delivered, idempotent."""

from __future__ import annotations

from datetime import timedelta

from lingxi.assistant.automations import CONSUMER, AutomationWorker, run_automations
from lingxi.data import utcnow
from lingxi.data.repos import conversation as conv_repo, events, orders
from lingxi.home import HomeController
from tests.assistant.conftest import World, home_controller


def _porch(home: HomeController, household_id: int) -> str:
    return str(home.state(household_id, "light.porch")[0]["state"])


def _lit(world: World) -> list[int]:
    """The households the automation's audit says it lit a porch for."""
    with world.db.session() as s:
        calls = conv_repo.list_tool_calls(s, customer_id=None, tool="automation.porch_light")
    return [c.arguments["household_id"] for c in calls]


def test_light_turns_on_when_the_courier_is_near(world: World) -> None:
    """Out for delivery with an ETA 25 min away: nothing; 8 min away: the porch light, once."""
    home = home_controller(world.db)
    first = run_automations(world.db, home)
    assert first.lights_on == () and first.waiting >= 1  # ETA is 25 min away in the fixture
    with world.db.session() as s:
        orders.add_tracking_event(
            s,
            shipment_id=world.chen_shipment_id,
            status="in_transit",
            place="Boulevard Albert 1er",
            eta=utcnow() + timedelta(minutes=8),
        )
    second = run_automations(world.db, home)
    assert second.lights_on == ((world.mei.household_id, world.chen_shipment_id),)
    assert _porch(home, world.mei.household_id) == "on"
    assert _lit(world) == [world.mei.household_id]
    third = run_automations(world.db, home)  # at-least-once delivery, applied once
    assert third.lights_on == () and _lit(world) == [world.mei.household_id]
    with world.db.session() as s:
        audit = conv_repo.list_tool_calls(s, customer_id=None, tool="automation.porch_light")
        assert events.pending(s, consumer=CONSUMER, topics=("shipment.in_transit",)) == []
    assert len(audit) == 1 and audit[0].channel == "automation"
    assert audit[0].arguments["shipment_id"] == world.chen_shipment_id
    assert 0 <= audit[0].arguments["minutes_away"] <= 10


def test_time_passing_is_enough(sqlite_world: World) -> None:
    """With no new event, the light goes on once the clock reaches N minutes before the ETA."""
    w = sqlite_world
    home = home_controller(w.db)
    assert run_automations(w.db, home).lights_on == ()
    later = utcnow() + timedelta(minutes=16)
    result = run_automations(w.db, home, now=lambda: later)
    assert result.lights_on == ((w.mei.household_id, w.chen_shipment_id),)


def test_disabled_household_gets_nothing(sqlite_world: World) -> None:
    """The Smith household did not enable the automation: its courier never lights anything."""
    w = sqlite_world
    home = home_controller(w.db)
    with w.db.session() as s:
        order = orders.get_order(s, household_id=w.alex.household_id, order_id=w.smith_order_id)
        orders.add_tracking_event(
            s,
            shipment_id=order.shipments[0].id,
            status="out_for_delivery",
            eta=utcnow() + timedelta(minutes=2),
        )
    run_automations(w.db, home)
    assert w.alex.household_id not in _lit(w)


def test_delivered_closes_without_action(sqlite_world: World) -> None:
    """A delivered parcel closes its events; no light."""
    w = sqlite_world
    home = home_controller(w.db)
    with w.db.session() as s:
        orders.add_tracking_event(s, shipment_id=w.chen_shipment_id, status="delivered")
    result = run_automations(w.db, home)
    assert _lit(w) == [] and result.waiting == 0
    assert _porch(home, w.mei.household_id) == "off"


def test_courier_near_event_with_minutes(sqlite_world: World) -> None:
    """A ``courier.near`` event carrying minutes_away is enough on its own."""
    w = sqlite_world
    home = home_controller(w.db)
    with w.db.session() as s:
        events.emit(
            s,
            topic="courier.near",
            household_id=w.mei.household_id,
            payload={"shipment_id": w.chen_shipment_id, "minutes_away": 4},
        )
    result = run_automations(w.db, home)
    assert result.lights_on == ((w.mei.household_id, w.chen_shipment_id),)


def test_worker_runs_in_the_background(sqlite_world: World) -> None:
    """The worker applies the automation without being called, and stops cleanly."""
    import time

    w = sqlite_world
    home = home_controller(w.db)
    with w.db.session() as s:
        events.emit(
            s,
            topic="courier.near",
            household_id=w.mei.household_id,
            payload={"shipment_id": w.chen_shipment_id, "minutes_away": 3},
        )
    worker = AutomationWorker(w.db, home, interval_s=0.05)
    worker.start()
    deadline = time.monotonic() + 10
    while not _lit(w) and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.stop()
    assert _lit(w) == [w.mei.household_id] and _porch(home, w.mei.household_id) == "on"
    assert worker.runs >= 1
