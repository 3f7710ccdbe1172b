"""The MQTT driver against the real Mosquitto broker, with a simulated device hub.

Every test uses its own base topic and discovery prefix, and clears what it retained.
Broker restarts use a private Mosquitto on a free loopback port (never the shared one).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lingxi.config import MQTTSettings
from lingxi.data.repos.home import EntityRecord
from lingxi.home.devices import DeviceCommand, DeviceState
from lingxi.home.drivers._ha import wire_state
from lingxi.home.drivers.base import DeviceUnavailableError
from lingxi.home.drivers.mqtt import MQTTDriver, SimulatedHub, fetch_retained, publish_raw

pytestmark = pytest.mark.integration

BROKER = "mqtt://127.0.0.1:1883"
ENTITIES = [
    EntityRecord(
        "light.kitchen",
        "light",
        "Kitchen Light",
        (),
        "kitchen",
        None,
        {"brightness": True, "color_modes": ["rgb", "color_temp"]},
    ),
    EntityRecord("lock.front_door", "lock", "Front Door", (), "porch", None, {}),
    EntityRecord(
        "climate.living_room",
        "climate",
        "Living Room AC",
        (),
        "living_room",
        None,
        {"min_temp": 16, "max_temp": 30, "hvac_modes": ["off", "cool"]},
    ),
    EntityRecord(
        "cover.bedroom_blinds",
        "cover",
        "Bedroom Blinds",
        (),
        "bedroom",
        "blind",
        {"position": True},
    ),
]
STATES = {
    "light.kitchen": DeviceState("light.kitchen", "off", {"brightness": 0}),
    "lock.front_door": DeviceState("lock.front_door", "locked"),
    "climate.living_room": DeviceState("climate.living_room", "cool", {"temperature": 24}),
    "cover.bedroom_blinds": DeviceState("cover.bedroom_blinds", "open", {"position": 100}),
}


def _settings(url: str = BROKER) -> MQTTSettings:
    tag = uuid.uuid4().hex[:8]
    return MQTTSettings(url=url, base_topic=f"lingxitest_{tag}", discovery_prefix=f"hatest_{tag}")


def _wait(predicate: object, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def bus() -> Iterator[tuple[MQTTSettings, SimulatedHub, MQTTDriver]]:
    """A simulated hub and a driver on the shared broker, cleaned up afterwards."""
    settings = _settings()
    hub = SimulatedHub(settings=settings, household_id=7, entities=ENTITIES, states=STATES)
    driver = MQTTDriver(settings=settings, role="bridge", timeout_s=2.0)
    driver.start(7, ENTITIES, STATES)
    yield settings, hub, driver
    driver.withdraw()
    driver.close()
    hub.close(clear_retained=True)
    publish_raw(settings, f"{settings.base_topic}/bridge/availability", b"", retain=True)


def test_discovery_configs_are_retained_with_json_lights(
    bus: tuple[MQTTSettings, SimulatedHub, MQTTDriver],
) -> None:
    """Each entity has a retained config under <prefix>/<component>/<node>/<object>/config."""
    settings, _, _ = bus
    key = f"{settings.discovery_prefix}/light/lingxi_7/kitchen/config"
    retained: dict[str, bytes] = {}

    def announced() -> bool:
        # The driver publishes asynchronously; on a loaded machine the broker may lag.
        retained.update(fetch_retained(settings, f"{settings.discovery_prefix}/#"))
        return len([t for t in retained if "/lingxi_7/" in t]) == len(ENTITIES)

    assert _wait(announced, timeout_s=10.0)
    light = json.loads(retained[key])
    assert light["schema"] == "json"
    assert light["supported_color_modes"] == ["rgb", "color_temp"]
    assert light["command_topic"].endswith("/7/light/kitchen/set")
    assert {a["topic"] for a in light["availability"]} == {
        f"{settings.base_topic}/bridge/availability",
        f"{settings.base_topic}/7/hub/availability",
    }
    assert f"{settings.discovery_prefix}/lock/lingxi_7/front_door/config" in retained
    climate = json.loads(
        retained[f"{settings.discovery_prefix}/climate/lingxi_7/living_room/config"]
    )
    assert (climate["min_temp"], climate["max_temp"]) == (16, 30)


def test_command_is_not_retained_and_state_is_read_back(
    bus: tuple[MQTTSettings, SimulatedHub, MQTTDriver],
) -> None:
    """The driver returns the state the device reported on its state topic."""
    settings, hub, driver = bus
    state = driver.send(DeviceCommand("light.kitchen", {"state": "ON", "brightness": 128}, 7))
    assert (state.state, state.attributes["brightness"]) == ("on", 128)
    assert hub.state("light.kitchen").attributes["brightness"] == 128
    assert hub.received and all(retained is False for _, _, retained in hub.received)
    assert not fetch_retained(settings, f"{settings.base_topic}/7/+/+/set", wait_s=0.3)
    state = driver.send(DeviceCommand("lock.front_door", {"state": "UNLOCK"}, 7))
    assert state.state == "unlocked"


def test_two_commands_in_flight_on_one_entity_are_both_answered(
    bus: tuple[MQTTSettings, SimulatedHub, MQTTDriver],
) -> None:
    """A slider's input and change events send twice at once; neither may time out as
    'withdrawn' (the second used to replace the first's waiter)."""
    _, hub, driver = bus
    payloads = [{"state": "ON", "brightness": 102}, {"state": "ON", "brightness": 102}]
    payloads.append({"state": "ON", "brightness": 51})
    barrier = threading.Barrier(len(payloads))
    results: list[object] = []

    def send(payload: dict[str, object]) -> None:
        barrier.wait()
        try:
            results.append(driver.send(DeviceCommand("light.kitchen", payload, 7)))
        except DeviceUnavailableError as err:
            results.append(err)

    threads = [threading.Thread(target=send, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(results) == 3
    assert all(isinstance(r, DeviceState) and r.state == "on" for r in results), results
    assert len(hub.received) == 3


def test_device_changes_reach_listeners(bus: tuple[MQTTSettings, SimulatedHub, MQTTDriver]) -> None:
    """A change made at the device (a wall switch) is reported to the driver's listeners."""
    _, hub, driver = bus
    seen: list[DeviceState] = []
    driver.add_listener(seen.append)
    hub.set_state(DeviceState("cover.bedroom_blinds", "closed", {"position": 0}))
    assert _wait(
        lambda: any(s.entity_id == "cover.bedroom_blinds" and s.state == "closed" for s in seen)
    )
    assert driver.state("cover.bedroom_blinds", household_id=7).state == "closed"  # type: ignore[union-attr]


def test_a_state_the_driver_already_knows_is_no_news(
    bus: tuple[MQTTSettings, SimulatedHub, MQTTDriver],
) -> None:
    """A hub re-announcing the state it already had (as at start-up) reaches no listener, so
    the home's history is not filled with entries that changed nothing."""
    _, hub, driver = bus
    seen: list[DeviceState] = []
    driver.add_listener(seen.append)
    hub.set_state(DeviceState("lock.front_door", "locked"))  # what the driver knows already
    hub.set_state(DeviceState("cover.bedroom_blinds", "closed", {"position": 0}))
    assert _wait(lambda: any(s.entity_id == "cover.bedroom_blinds" for s in seen))
    assert [s.entity_id for s in seen] == ["cover.bedroom_blinds"]


def test_malformed_device_payload_is_survived(
    bus: tuple[MQTTSettings, SimulatedHub, MQTTDriver],
) -> None:
    """Garbage on a state topic is logged and ignored; the next command still works."""
    settings, _, driver = bus
    topic = f"{settings.base_topic}/7/light/kitchen/state"
    for payload in (b"\xff\xfe", b"not json", b"[1,2]", b'{"state": 5}'):
        publish_raw(settings, topic, payload)
    publish_raw(settings, f"{settings.base_topic}/7/light/kitchen/set", b"{{{")
    time.sleep(0.3)
    assert driver.send(DeviceCommand("light.kitchen", {"state": "OFF"}, 7)).state == "off"


def test_home_assistant_online_triggers_reannounce(
    bus: tuple[MQTTSettings, SimulatedHub, MQTTDriver],
) -> None:
    """When <prefix>/status says online, the configs are published again."""
    settings, _, driver = bus
    before = driver.discovery_count
    publish_raw(settings, f"{settings.discovery_prefix}/status", b"online")
    assert _wait(lambda: driver.discovery_count > before)


def test_silent_device_is_unavailable() -> None:
    """Without a device answering, send fails clearly instead of pretending."""
    settings = _settings()
    driver = MQTTDriver(settings=settings, timeout_s=0.3)
    try:
        driver.start(8, ENTITIES[:1], {})
        with pytest.raises(DeviceUnavailableError, match="did not report"):
            driver.send(DeviceCommand("light.kitchen", {"state": "ON"}, 8))
    finally:
        driver.withdraw()
        driver.close()
        publish_raw(settings, f"{settings.base_topic}/bridge/availability", b"", retain=True)


def test_unreachable_broker_is_unavailable() -> None:
    """A broker that is not there is an UnavailableError at start."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DeviceUnavailableError):
        MQTTDriver(settings=_settings(f"mqtt://127.0.0.1:{port}"))


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[tuple[int, object]]:
    """A Mosquitto of our own on a free loopback port, restartable by the test."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        procs.append(
            subprocess.Popen(
                [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
        assert _wait(lambda: _port_open(port))

    def stop() -> None:
        procs[-1].terminate()
        procs[-1].wait(5)

    start()
    yield port, (start, stop)
    for p in procs:
        if p.poll() is None:
            p.terminate()
            p.wait(5)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_reconnects_after_broker_restart(private_broker: tuple[int, object]) -> None:
    """After the broker restarts, the driver reconnects, re-announces and commands work again."""
    port, (start, stop) = private_broker  # type: ignore[misc]
    settings = _settings(f"mqtt://127.0.0.1:{port}")
    hub = SimulatedHub(settings=settings, household_id=9, entities=ENTITIES, states=STATES)
    driver = MQTTDriver(settings=settings, role="bridge", timeout_s=2.0)
    try:
        driver.start(9, ENTITIES, STATES)
        assert driver.send(DeviceCommand("light.kitchen", {"state": "ON"}, 9)).state == "on"
        stop()
        assert _wait(lambda: not driver.connected)
        with pytest.raises(DeviceUnavailableError):
            driver.send(DeviceCommand("light.kitchen", {"state": "OFF"}, 9))
        announced = driver.discovery_count
        start()
        assert _wait(lambda: driver.connected, timeout_s=15)
        assert _wait(lambda: driver.discovery_count > announced)
        assert _wait(lambda: hub._mqtt.connected.is_set(), timeout_s=15)
        time.sleep(0.3)
        assert driver.send(DeviceCommand("light.kitchen", {"state": "OFF"}, 9)).state == "off"
        retained = fetch_retained(settings, f"{settings.discovery_prefix}/#")
        assert f"{settings.discovery_prefix}/light/lingxi_9/kitchen/config" in retained
    finally:
        driver.close()
        hub.close()


def test_last_will_marks_the_hub_offline(
    bus: tuple[MQTTSettings, SimulatedHub, MQTTDriver],
) -> None:
    """A hub that drops off without a goodbye is marked offline by its last will."""
    settings = _settings()
    hub = SimulatedHub(settings=settings, household_id=11, entities=ENTITIES[:1], states=STATES)
    topic = f"{settings.base_topic}/11/hub/availability"
    assert _wait(lambda: fetch_retained(settings, topic, wait_s=0.2).get(topic) == b"online")
    hub.kill()
    assert _wait(
        lambda: fetch_retained(settings, topic, wait_s=0.2).get(topic) == b"offline", timeout_s=30
    )
    publish_raw(settings, topic, b"", retain=True)
    publish_raw(settings, f"{settings.base_topic}/11/light/kitchen/state", b"", retain=True)


def test_controller_end_to_end_over_mqtt(sqlite_db: object, tmp_path: Path) -> None:
    """Text -> parse -> MQTT command -> simulated device -> state topic -> history."""
    from lingxi.data import Database
    from lingxi.data.repos import home as repo
    from lingxi.home import HomeController
    from tests.home.conftest import load_home

    db: Database = sqlite_db  # type: ignore[assignment]
    members = load_home(db)
    owner = members["owner"]
    with db.session() as s:
        entities = repo.list_entities(s, household_id=owner.household_id)
        states = {
            k: DeviceState(k, v.state, v.attributes)
            for k, v in repo.current_states(s, household_id=owner.household_id).items()
        }
    settings = _settings()
    hub = SimulatedHub(
        settings=settings, household_id=owner.household_id, entities=entities, states=states
    )
    driver = MQTTDriver(settings=settings, timeout_s=2.0)
    controller = HomeController(db, driver=driver)
    try:
        result = controller.handle(
            "turn on the kitchen light and set the blinds to 40 percent", owner
        )
        assert result.ok
        assert hub.state("light.kitchen").state == "on"
        assert hub.state("cover.bedroom_blinds").attributes["position"] == 40
        history = controller.history(owner.household_id, limit=2)
        assert {h["entity_id"] for h in history} == {"light.kitchen", "cover.bedroom_blinds"}
        assert all(h["source"] == "text" for h in history)
    finally:
        driver.withdraw()
        controller.close()
        hub.close(clear_retained=True)
        publish_raw(settings, f"{settings.base_topic}/bridge/availability", b"", retain=True)


class _EchoingHub(SimulatedHub):
    """A hub that re-publishes the device's old state (live, not retained) just before it
    answers a command, as a hub re-announcing its states after a broker restart does."""

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        entity_id = "{}.{}".format(*message.topic.split("/")[-3:-1])
        if entity_id in self._entities:
            topic = f"{self.base}/{self.household_id}/{entity_id.replace('.', '/')}/state"
            entity = self._entities[entity_id]
            client.publish(
                topic, json.dumps(wire_state(self._states[entity_id], entity.capabilities))
            )
        super()._on_message(client, userdata, message)


def test_an_old_state_republished_is_not_taken_as_the_answer() -> None:
    """The command's answer is the state it brings about, not the pre-command state echoed
    live while it was in flight."""
    settings = _settings()
    hub = _EchoingHub(settings=settings, household_id=8, entities=ENTITIES, states=STATES)
    driver = MQTTDriver(settings=settings, timeout_s=5.0)
    try:
        driver.start(8, ENTITIES, STATES)
        before = STATES["light.kitchen"].attributes.get("brightness")
        for level in (26, 77, 140):
            assert level != before
            state = driver.send(DeviceCommand("light.kitchen", {"brightness": level}, 8))
            assert state.attributes["brightness"] == level
            before = level
    finally:
        driver.withdraw()
        driver.close()
        hub.close(clear_retained=True)


def test_commands_leave_without_nagle_delay(
    bus: tuple[MQTTSettings, SimulatedHub, MQTTDriver],
) -> None:
    """The driver's socket has TCP_NODELAY, so a small command never waits for a delayed ACK."""
    _, _, driver = bus
    sock = driver._mqtt.client.socket()
    assert isinstance(sock, socket.socket)
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
