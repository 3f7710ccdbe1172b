"""`lingxi home do TEXT --json` as people use it: through the CLI, over the real Mosquitto to a
simulated device hub, to the states stored in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from typer.testing import CliRunner

from lingxi.cli.home import app
from lingxi.config import MQTTSettings, get_settings
from lingxi.data import Database
from lingxi.data.repos import home as repo
from lingxi.home.devices import DeviceState
from lingxi.home.drivers.mqtt import SimulatedHub, fetch_retained, publish_raw
from lingxi.home.learned import model_available
from tests.home.conftest import demo_home_spec, load_home

pytestmark = pytest.mark.integration

runner = CliRunner()


class Listener:
    """A client of its own on the broker: every command message published under a topic root."""

    def __init__(self, root: str) -> None:
        self.topics: list[str] = []
        self._lock = threading.Lock()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        ready = threading.Event()
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", 1883)
        self.client.loop_start()
        self.client.subscribe(f"{root}/#", qos=1)
        assert ready.wait(5)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        if message.topic.endswith("/set"):
            with self._lock:
                self.topics.append(message.topic)

    def seen(self) -> list[str]:
        with self._lock:
            return list(self.topics)

    def wait_for(self, topics: set[str], timeout_s: float = 3.0) -> set[str]:
        """The topics seen once all of ``topics`` were (another client: allow it the delivery)."""
        deadline = time.monotonic() + timeout_s
        while not topics <= set(self.seen()) and time.monotonic() < deadline:
            time.sleep(0.02)
        return set(self.seen())

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@dataclass
class BrokerHome:
    """The demo home in a database the CLI is configured for, with its hub on the broker."""

    db: Database
    household_id: int
    settings: MQTTSettings
    hub: SimulatedHub
    listener: Listener

    def do(self, text: str, *extra: str) -> tuple[int, Any]:
        r = runner.invoke(
            app,
            ["do", text, "--json", "--household", str(self.household_id), "--area", "living_room",
             *extra],
        )  # fmt: skip
        return r.exit_code, json.loads(r.stdout)

    def stored(self) -> dict[str, str]:
        with self.db.session() as s:
            states = repo.current_states(s, household_id=self.household_id)
        return {k: v.state for k, v in states.items()}


@pytest.fixture
def broker_home(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[BrokerHome]:
    """The CLI on this test's database and its own topics of the shared Mosquitto."""
    tag = uuid.uuid4().hex[:8]
    settings = MQTTSettings(
        url="mqtt://127.0.0.1:1883", discovery_prefix=f"hacli_{tag}", base_topic=f"lxcli_{tag}"
    )
    hid = load_home(db)["owner"].household_id
    with db.session() as s:
        entities = repo.list_entities(s, household_id=hid)
    states = {
        k: DeviceState(k, str(v["state"]), v.get("attributes", {}), hid)
        for k, v in demo_home_spec()["initial_states"].items()
    }
    monkeypatch.setenv("LINGXI_DB__URL", db.engine.url.render_as_string(False))
    monkeypatch.setenv("LINGXI_MQTT__URL", settings.url or "")
    monkeypatch.setenv("LINGXI_MQTT__DISCOVERY_PREFIX", settings.discovery_prefix)
    monkeypatch.setenv("LINGXI_MQTT__BASE_TOPIC", settings.base_topic)
    get_settings.cache_clear()
    hub = SimulatedHub(settings=settings, household_id=hid, entities=entities, states=states)
    listener = Listener(settings.base_topic)
    yield BrokerHome(db, hid, settings, hub, listener)
    listener.close()
    hub.close(clear_retained=True)
    for topic in fetch_retained(settings, f"{settings.base_topic}/#", wait_s=0.3):
        publish_raw(settings, topic, b"", retain=True)
    get_settings.cache_clear()


@pytest.mark.skipif(not model_available(), reason="the NLU model is not shipped")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "switch off the bedroom light and turn the plug off",
            [("HassTurnOff", "light.bedroom"), ("HassTurnOff", "switch.kettle")],
        ),
        (
            "turn on the bedroom light and quiet",
            [("HassTurnOn", "light.bedroom"), ("HassMediaPlayerMute", "media_player.living_room_speaker")],
        ),
        (
            "打开卧室的灯，然后安静",
            [("HassTurnOn", "light.bedroom"), ("HassMediaPlayerMute", "media_player.living_room_speaker")],
        ),
    ],
)  # fmt: skip
def test_the_learned_tier_fills_a_clause_the_rules_leave_empty(
    broker_home: BrokerHome, text: str, expected: list[tuple[str, str]]
) -> None:
    """Each command of the sentence is published on the broker and its state stored; the
    clause only the learned tier reads ("turn the plug off", "quiet", "安静") is one of them."""
    code, doc = broker_home.do(text)
    assert code == 0, doc
    assert [(c["intent"], c["targets"][0]) for c in doc["commands"]] == expected
    node = f"{broker_home.settings.base_topic}/{broker_home.household_id}"
    wanted = {f"{node}/{e.replace('.', '/')}/set" for _, e in expected}
    assert wanted <= broker_home.listener.wait_for(wanted)
    stored = broker_home.stored()
    changed = {c["entity_id"]: c["state"] for c in doc["changes"]}
    assert set(changed) == {e for _, e in expected}
    assert all(stored[e] == state for e, state in changed.items())
    if expected[0][0] == "HassTurnOn":
        assert stored["light.bedroom"] == "on"


def test_a_command_for_later_is_published_by_the_scheduler_when_due(
    broker_home: BrokerHome,
) -> None:
    """`home do "... at nine thirty pm"` publishes nothing and stores it; the server's scheduler,
    on a clock pinned just past its due time, publishes it once and the new state is stored."""
    from datetime import datetime, timedelta

    from lingxi.config import HomeSettings
    from lingxi.home import HomeController, create_driver
    from lingxi.home.automations import AutomationScheduler

    code, doc = broker_home.do("turn on the bedroom light at nine thirty pm")
    assert code == 0 and doc["done_now"] is False, doc
    topic = f"{broker_home.settings.base_topic}/{broker_home.household_id}/light/bedroom/set"
    assert topic not in broker_home.listener.seen()
    assert broker_home.stored()["light.bedroom"] == "off"
    due = datetime.fromisoformat(doc["automation"]["due_at"])
    driver = create_driver("mqtt", settings=broker_home.settings, role="client")
    controller = HomeController(
        broker_home.db, settings=HomeSettings(), driver=driver, wall_clock=lambda: due
    )
    try:
        scheduler = AutomationScheduler(
            lambda: controller, wall_clock=lambda: due - timedelta(seconds=1)
        )
        assert scheduler.tick() == []
        scheduler.wall_clock = lambda: due + timedelta(seconds=1)
        assert [a.id for a in scheduler.tick()] == [doc["automation"]["id"]]
        assert scheduler.tick() == []
    finally:
        controller.close()
    broker_home.listener.wait_for({topic})
    assert broker_home.listener.seen().count(topic) == 1
    assert broker_home.stored()["light.bedroom"] == "on"
