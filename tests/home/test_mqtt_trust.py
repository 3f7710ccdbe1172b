"""A Home Assistant that trusts Lingxi: roles, agreeing formats, hostile payloads, late commands.

Against the real Mosquitto (shared, each test with its own topics) and, for the broker pause, a
TCP relay of our own in front of it. Clocks that decide (deadlines, message ages) are pinned.
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
from pydantic import SecretStr

from lingxi.config import MQTTSettings, Settings
from lingxi.data import Database
from lingxi.data.repos.home import EntityRecord
from lingxi.home.devices import DeviceCommand, DeviceState, apply_command
from lingxi.home.drivers._ha import (
    MalformedStateError,
    discovery_config,
    light_color_modes,
    read_state,
    wire_state,
)
from lingxi.home.drivers.base import DeviceUnavailableError
from lingxi.home.drivers.mqtt import MQTTDriver, SimulatedHub, fetch_retained, publish_raw
from tests.home.test_mqtt import ENTITIES, STATES

BROKER = "mqtt://127.0.0.1:1883"
LIGHTS = {
    "onoff": {},
    "brightness": {"brightness": True, "color_modes": ["brightness"]},
    "color_temp": {"brightness": True, "color_modes": ["color_temp"]},
    "rgb_ct": {"brightness": True, "color_modes": ["rgb", "color_temp"]},
}
FAN = EntityRecord("fan.bedroom", "fan", "Bedroom Fan", (), "bedroom", None, {"percentage": True})


def _settings(url: str = BROKER, **extra: Any) -> MQTTSettings:
    tag = uuid.uuid4().hex[:8]
    return MQTTSettings(
        url=url, base_topic=f"lingxitrust_{tag}", discovery_prefix=f"hatrust_{tag}", **extra
    )


def _wait(predicate: Any, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


# -- formats (no broker) -----------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(LIGHTS))
def test_a_light_state_names_a_colour_mode_its_discovery_supports(kind: str) -> None:
    """Every published light state carries a color_mode out of supported_color_modes, with the
    value that mode needs; HA's JSON-schema flags are set the way 2024.x and 2025.x accept."""
    entity = EntityRecord(f"light.{kind}", "light", "Lamp", (), "hall", None, LIGHTS[kind])
    _, config = discovery_config(entity, household_id=1, base="b", discovery_prefix="p") or (
        "",
        {},
    )
    modes = config["supported_color_modes"]
    assert config["schema"] == "json" and config["color_mode"] is True
    assert config["brightness"] is (modes != ["onoff"])
    assert modes == light_color_modes(LIGHTS[kind])
    assert len(modes) == 1 or not {"onoff", "brightness"} & set(modes)  # HA's rule
    start = DeviceState(entity.entity_id, "off", {})
    for payload in ({"state": "ON"}, {"brightness": 90}, {"color_temp": 250}, {"state": "OFF"}):
        state = apply_command(start, payload, capabilities=LIGHTS[kind])
        wire = wire_state(state, LIGHTS[kind])
        assert wire["color_mode"] in modes, (payload, wire)
        if wire["color_mode"] == "color_temp":
            assert isinstance(wire["color_temp"], int)
        assert ("brightness" in wire) is (modes != ["onoff"])
        back = read_state(entity.entity_id, json.dumps(wire).encode())
        assert back.state == state.state


def test_colour_temperature_from_home_assistant_reaches_the_light() -> None:
    """HA's JSON light sends color_temp in mireds: the device takes it and reports it back."""
    caps = LIGHTS["rgb_ct"]
    state = apply_command(
        DeviceState("light.x", "on", {"brightness": 10, "rgb_color": [255, 0, 0]}),
        {"state": "ON", "color_temp": 250},
        capabilities=caps,
    )
    assert state.attributes["color_temp_kelvin"] == 4000
    wire = wire_state(state, caps)
    assert (wire["color_mode"], wire["color_temp"]) == ("color_temp", 250)


def test_fan_discovery_and_state_use_the_same_words() -> None:
    """HA compares the rendered state with payload_on/payload_off: both are ON/OFF."""
    _, config = discovery_config(FAN, household_id=1, base="b", discovery_prefix="p") or ("", {})
    assert (config["payload_on"], config["payload_off"]) == ("ON", "OFF")
    assert config["command_template"] == '{"state": "{{ value }}"}'
    assert config["state_value_template"] == "{{ value_json.state | upper }}"
    assert wire_state(DeviceState("fan.bedroom", "on", {"percentage": 40}))["state"] == "ON"
    assert read_state("fan.bedroom", b'{"state": "ON", "percentage": 40}').state == "on"


MALFORMED: list[bytes] = [
    b'{"state":"ON","color":{"r":[1],"g":0,"b":0}}',
    b'{"state":"ON","brightness":[1]}',
    b'{"state":"ON","brightness":1e999}',
    b'{"state":"ON","brightness":NaN}',
    b'{"state":"ON","brightness":"bright"}',
    b'{"state":"ON","brightness":true}',
    b'{"state":"ON","color_temp":0}',
    b'{"state":"ON","color_mode":["rgb"]}',
    b'{"state":"ON","color":"red"}',
    b'{"state":"MAYBE"}',
    b'{"state":5}',
    b'{"state":null}',
    b'{"brightness":10}',
    b"[1,2]",
    b'"ON"',
    b"null",
    b"not json",
    b"\xff\xfe",
    b"{" * 50_000,
    b'{"state":"ON","x":"' + b"a" * 9000 + b'"}',
    b'{"state":"ON","brightness":' + b"9" * 5000 + b"}",
]


@pytest.mark.parametrize("payload", MALFORMED, ids=lambda p: repr(p[:40]))
def test_read_state_refuses_malformed_payloads(payload: bytes) -> None:
    """Each one is a MalformedStateError (logged and dropped), never another exception."""
    with pytest.raises(MalformedStateError):
        read_state("light.kitchen", payload)


# -- on the broker -----------------------------------------------------------------------


@pytest.fixture
def bus() -> Iterator[tuple[MQTTSettings, SimulatedHub, MQTTDriver]]:
    """A bridge and a simulated hub on the shared broker, cleaned up afterwards."""
    settings = _settings()
    hub = SimulatedHub(settings=settings, household_id=7, entities=ENTITIES, states=STATES)
    driver = MQTTDriver(settings=settings, role="bridge", timeout_s=3.0)
    driver.start(7, ENTITIES, STATES)
    yield settings, hub, driver
    driver.withdraw()
    driver.close()
    hub.close(clear_retained=True)
    publish_raw(settings, f"{settings.base_topic}/bridge/availability", b"", retain=True)


@pytest.mark.integration
def test_a_cli_client_leaves_home_assistant_as_it_was(
    bus: tuple[MQTTSettings, SimulatedHub, MQTTDriver],
) -> None:
    """A client (lingxi home do, lingxi chat) sends and exits; the bridge's availability stays
    online, and the client announced nothing."""
    settings, hub, bridge = bus
    topic = f"{settings.base_topic}/bridge/availability"
    assert _wait(lambda: fetch_retained(settings, topic, wait_s=0.2).get(topic) == b"online")
    client = MQTTDriver(settings=settings, timeout_s=3.0)
    assert client.role == "client" and not client.is_bridge
    client.start(7, ENTITIES, STATES)
    assert client.send(DeviceCommand("lock.front_door", {"state": "UNLOCK"}, 7)).state == "unlocked"
    client.close()
    assert client.discovery_count == 0
    time.sleep(0.3)
    assert fetch_retained(settings, topic, wait_s=0.3).get(topic) == b"online"
    client = MQTTDriver(settings=settings, timeout_s=3.0)
    client._mqtt.client.loop_stop()  # an abrupt exit: no last will is set, so none is sent
    sock = client._mqtt.client.socket()
    if sock is not None:
        sock.close()
    time.sleep(0.5)
    assert fetch_retained(settings, topic, wait_s=0.3).get(topic) == b"online"
    assert bridge.connected


@pytest.mark.integration
def test_malformed_states_are_dropped_and_nothing_else_stops(
    bus: tuple[MQTTSettings, SimulatedHub, MQTTDriver],
) -> None:
    """The whole table on a real state topic: each is dropped; the network thread lives on,
    a valid state after them is taken, and a command still works."""
    settings, _, driver = bus
    topic = f"{settings.base_topic}/7/light/kitchen/state"
    seen: list[DeviceState] = []
    driver.add_listener(seen.append)
    for payload in MALFORMED:
        publish_raw(settings, topic, payload)
    publish_raw(settings, topic, b'{"state": "ON", "brightness": 77, "color_mode": "rgb"}')
    assert _wait(lambda: any(s.attributes.get("brightness") == 77 for s in seen))
    assert driver.dropped == len(MALFORMED)
    health = driver.health()
    assert health["thread_alive"] and health["connected"] and health["network_thread_errors"] == 0
    assert driver.send(DeviceCommand("lock.front_door", {"state": "UNLOCK"}, 7)).state == "unlocked"


@pytest.mark.integration
def test_malformed_commands_leave_the_hub_answering(
    bus: tuple[MQTTSettings, SimulatedHub, MQTTDriver],
) -> None:
    """The simulated hub survives any command payload, then answers the next real command."""
    settings, hub, driver = bus
    topic = f"{settings.base_topic}/7/light/kitchen/set"
    bad = [
        *MALFORMED,
        b'{"brightness": 1e999}',
        b'{"brightness": [1]}',
        b'{"color": {"r": "x"}}',
        b'{"color_temp": 0}',
        b'{"lingxi": {"deadline": "soon"}}',
        b'{"lingxi": []}',
    ]
    for payload in bad:
        publish_raw(settings, topic, payload)
    assert _wait(lambda: len(hub.received) >= len(bad))
    time.sleep(0.3)  # the hub's answers to the valid ones (naming no command) drain first
    assert hub.malformed >= 12  # the rest are commands a lenient device may take or ignore
    assert hub._mqtt.thread_alive
    state = driver.send(DeviceCommand("light.kitchen", {"state": "ON", "brightness": 50}, 7))
    assert state.attributes["brightness"] == 50


class _Relay:
    """A TCP relay to the broker whose client-to-broker direction can be held (a stalled
    broker, as under a 6 s pause): bytes wait in the relay and are passed on when released."""

    def __init__(self, port: int = 1883) -> None:
        self.target = ("127.0.0.1", port)
        self.flowing = threading.Event()
        self.flowing.set()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(conn, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, conn, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, held: bool) -> None:
        try:
            while data := src.recv(65536):
                if held:
                    self.flowing.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                s.close()

    def close(self) -> None:
        self._closed = True
        self.server.close()


@pytest.mark.integration
def test_a_command_that_timed_out_is_never_carried_out_late() -> None:
    """The broker stalls; the command is answered 'did not report' (503); when the broker
    resumes the hub gets it past its deadline and refuses it; the next command works."""
    settings = _settings()
    now = {"t": 1_000_000.0}
    hub = SimulatedHub(
        settings=settings,
        household_id=5,
        entities=ENTITIES,
        states=STATES,
        wall_clock=lambda: now["t"],
    )
    relay = _Relay()
    via_relay = settings.model_copy(update={"url": f"mqtt://127.0.0.1:{relay.port}"})
    driver = MQTTDriver(settings=via_relay, timeout_s=0.5, wall_clock=lambda: now["t"])
    try:
        driver.start(5, ENTITIES, STATES)
        time.sleep(0.2)
        relay.flowing.clear()  # the broker stalls
        with pytest.raises(DeviceUnavailableError, match="withdrawn"):
            driver.send(DeviceCommand("lock.front_door", {"state": "UNLOCK"}, 5))
        now["t"] += 6.0  # the pause lasted 6 s
        relay.flowing.set()  # the broker resumes and delivers what waited
        assert _wait(lambda: hub.expired == 1)
        assert hub.state("lock.front_door").state == "locked"
        state = driver.send(DeviceCommand("light.kitchen", {"state": "ON"}, 5))
        assert state.state == "on"
        assert hub.state("lock.front_door").state == "locked"
    finally:
        driver.close()
        hub.close(clear_retained=True)
        relay.close()


@pytest.mark.integration
def test_health_reports_the_worker_with_a_pinned_clock() -> None:
    """connected, network thread alive, and the age of the last message on the clock given."""
    settings = _settings()
    now = {"t": 50.0}
    driver = MQTTDriver(settings=settings, timeout_s=0.5, clock=lambda: now["t"])
    try:
        assert driver.health()["last_message_age_s"] is None
        driver.start(4, ENTITIES[:1], {})
        state_topic = f"{settings.base_topic}/4/light/kitchen/state"
        publish_raw(settings, state_topic, b'{"state":"OFF"}', retain=True)  # even if early
        assert _wait(lambda: driver.health()["last_message_age_s"] is not None)
        now["t"] = 62.5
        health = driver.health()
        assert health == {
            "role": "client",
            "connected": True,
            "thread_alive": True,
            "last_message_age_s": 12.5,
            "dropped_states": 0,
            "network_thread_errors": 0,
        }
    finally:
        driver.close()
        publish_raw(settings, f"{settings.base_topic}/4/light/kitchen/state", b"", retain=True)
    assert not driver.health()["thread_alive"]


def test_command_timeout_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """LINGXI_MQTT__COMMAND_TIMEOUT_S (default 5) is the driver's wait."""
    assert MQTTSettings().command_timeout_s == 5.0
    monkeypatch.setenv("LINGXI_MQTT__COMMAND_TIMEOUT_S", "1.5")
    assert Settings().mqtt.command_timeout_s == 1.5


@pytest.mark.integration
def test_serve_announces_every_household_at_start(sqlite_db: Database) -> None:
    """lingxi serve's controller announces each household's entities before any request, and
    /api/health then carries the bridge worker's state."""
    from fastapi.testclient import TestClient

    from lingxi.api import create_app
    from lingxi.home import server_controller
    from tests.home.conftest import load_home

    first = load_home(sqlite_db)["owner"].household_id
    second = load_home(sqlite_db, tag="b")["owner"].household_id
    mqtt = _settings()
    settings = Settings(mqtt=mqtt, environment="test")
    controller = server_controller(sqlite_db, settings)
    try:
        retained: dict[str, bytes] = {}

        def announced() -> bool:
            retained.update(fetch_retained(mqtt, f"{mqtt.discovery_prefix}/#", wait_s=0.3))
            return all(
                f"{mqtt.discovery_prefix}/light/lingxi_{h}/kitchen/config" in retained
                for h in (first, second)
            )

        assert _wait(announced, timeout_s=10)
        app = create_app(settings, database=sqlite_db)
        app.state.services["home_controller"] = controller
        with TestClient(app) as client:
            broker = client.get("/api/health").json()["parts"]["broker"]
        assert broker["status"] == "up"
        assert broker["worker"]["role"] == "bridge" and broker["worker"]["thread_alive"]
    finally:
        controller.driver.withdraw()  # type: ignore[attr-defined]
        controller.close()
        publish_raw(mqtt, f"{mqtt.base_topic}/bridge/availability", b"", retain=True)


@pytest.fixture
def acl_broker(tmp_path: Path) -> Iterator[int]:
    """A private Mosquitto with the shipped deploy/mosquitto/acl and a password per user."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    passwd_tool = shutil.which("mosquitto_passwd")
    if not Path(binary).exists() or passwd_tool is None:
        pytest.skip("mosquitto and mosquitto_passwd are not installed")
    passwd = tmp_path / "passwd"
    passwd.touch(mode=0o600)
    for user in ("lingxi", "homeassistant", "hub-1"):
        subprocess.run([passwd_tool, "-b", str(passwd), user, f"pw-{user}"], check=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        # `user root`: started as root, Mosquitto would become `mosquitto`, who cannot read
        # the test's files (no effect when not started as root).
        f"listener {port} 127.0.0.1\nallow_anonymous false\npersistence false\nuser root\n"
        f"password_file {passwd}\nacl_file {ACL}\n"
    )
    proc = subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        assert _wait(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0)
        yield port
    finally:
        proc.terminate()
        proc.wait(5)


ACL = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "acl"


@pytest.mark.integration
def test_the_shipped_acl_lets_only_devices_report_and_only_lingxi_command(acl_broker: int) -> None:
    """Anonymous clients are refused; Home Assistant (or anyone but the hub) cannot fake a
    state; nobody but Lingxi reaches the devices; Lingxi and the hub work end to end."""
    url = f"mqtt://127.0.0.1:{acl_broker}"

    def as_user(user: str) -> MQTTSettings:
        return MQTTSettings(url=url, username=user, password=SecretStr(f"pw-{user}"))

    with pytest.raises(DeviceUnavailableError):
        MQTTDriver(settings=MQTTSettings(url=url), timeout_s=0.5)
    hub = SimulatedHub(settings=as_user("hub-1"), household_id=1, entities=ENTITIES, states=STATES)
    driver = MQTTDriver(settings=as_user("lingxi"), role="bridge", timeout_s=3.0)
    try:
        driver.start(1, ENTITIES, STATES)
        assert driver.send(DeviceCommand("light.kitchen", {"state": "ON"}, 1)).state == "on"
        seen: list[DeviceState] = []
        driver.add_listener(seen.append)
        fake = b'{"state": "unlocked"}'
        publish_raw(as_user("homeassistant"), "lingxi/1/lock/front_door/state", fake)
        publish_raw(as_user("lingxi"), "lingxi/1/lock/front_door/state", fake)
        commands = len(hub.received)
        publish_raw(as_user("homeassistant"), "lingxi/1/lock/front_door/set", b'{"state":"UNLOCK"}')
        publish_raw(as_user("hub-1"), "lingxi/1/lock/front_door/set", b'{"state":"UNLOCK"}')
        hub.set_state(DeviceState("cover.bedroom_blinds", "closed", {"position": 0}))
        assert _wait(lambda: any(s.entity_id == "cover.bedroom_blinds" for s in seen))
        assert not any(s.entity_id == "lock.front_door" for s in seen)
        assert driver.state("lock.front_door", household_id=1).state == "locked"  # type: ignore[union-attr]
        assert len(hub.received) == commands and hub.state("lock.front_door").state == "locked"
        retained = fetch_retained(as_user("homeassistant"), "homeassistant/#")
        assert "homeassistant/light/lingxi_1/kitchen/config" in retained
        assert fetch_retained(as_user("homeassistant"), "lingxi/bridge/availability") == {
            "lingxi/bridge/availability": b"online"
        }
    finally:
        driver.close()
        hub.close()


@pytest.mark.integration
def test_a_replica_dying_does_not_black_out_the_others() -> None:
    """Two server processes (replicas) are bridges; one drops off abruptly and its will says
    offline; the one still serving says online again."""
    settings = _settings()
    topic = f"{settings.base_topic}/bridge/availability"
    first = MQTTDriver(settings=settings, role="bridge", timeout_s=0.5)
    second = MQTTDriver(settings=settings, role="bridge", timeout_s=0.5)
    try:
        second._mqtt.client.loop_stop()
        sock = second._mqtt.client.socket()
        assert sock is not None
        sock.close()  # no DISCONNECT: the broker sends second's last will (offline)
        assert _wait(lambda: first.health()["last_message_age_s"] is not None)
        time.sleep(1.0)
        assert _wait(lambda: fetch_retained(settings, topic, wait_s=0.3).get(topic) == b"online")
    finally:
        first.close()  # the last server process goes: offline, and nobody says otherwise
    try:
        assert fetch_retained(settings, topic, wait_s=0.5).get(topic) == b"offline"
    finally:
        publish_raw(settings, topic, b"", retain=True)


def _persistent_subscriber(settings: MQTTSettings, cid: str, topic: str) -> tuple[Any, list[bytes]]:
    """A paho MQTT 5 client with a session the broker keeps for a minute while it is away."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    got: list[bytes] = []
    subscribed = threading.Event()
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=paho.MQTTv5)
    client.on_message = lambda c, u, m: got.append(bytes(m.payload))
    client.on_subscribe = lambda c, u, mid, rc, p: subscribed.set()
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 60
    client.connect("127.0.0.1", 1883, clean_start=False, properties=props)
    client.loop_start()
    assert subscribed.wait(5)
    return client, got


@pytest.mark.integration
def test_the_broker_drops_a_command_that_expired_while_the_device_was_away() -> None:
    """A device with a persistent session is away when a command times out; when it comes
    back the broker does not hand it the expired command (MQTT 5 message expiry)."""
    settings = _settings()
    topic = f"{settings.base_topic}/3/lock/front_door/set"
    cid = f"lingxi-test-device-{uuid.uuid4().hex[:8]}"
    device, _ = _persistent_subscriber(settings, cid, topic)
    device.disconnect()
    device.loop_stop()
    driver = MQTTDriver(settings=settings, timeout_s=0.5)
    try:
        driver.start(3, [ENTITIES[1]], {})
        with pytest.raises(DeviceUnavailableError, match="withdrawn"):
            driver.send(DeviceCommand("lock.front_door", {"state": "UNLOCK"}, 3))
    finally:
        driver.close()
    time.sleep(1.6)  # past the command's 1 s expiry interval
    device, got = _persistent_subscriber(settings, cid, topic)
    time.sleep(0.5)
    device.disconnect()
    device.loop_stop()
    assert got == []
