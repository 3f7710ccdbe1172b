"""Lingxi's MQTT entities in a real Home Assistant (opt-in: it needs an HA install).

Set ``LINGXI_TEST_HASS`` to a ``hass`` executable, e.g. after
``python3.13 -m venv /work/ha-venv && /work/ha-venv/bin/pip install homeassistant==2025.4.4
paho-mqtt==2.1.0`` (or, on Python 3.12, ``homeassistant==2024.3.3 paho-mqtt==1.6.1
janus==1.0.0 Pillow==10.2.0 home-assistant-frontend==20240307.0 psutil-home-assistant==0.0.1
SQLAlchemy==2.0.27 fnv-hash-fast==0.5.0``: HA runs with ``--skip-pip``), then
``LINGXI_TEST_HASS=/work/ha-venv/bin/hass pytest -m "" tests/home/test_home_assistant.py``.
Passes on 2025.4.4 and 2024.3.3.

Home Assistant runs against a private Mosquitto with the MQTT integration (discovery on),
``mqtt_statestream`` (it publishes every entity's state and attributes, so the test reads what
Home Assistant shows) and one automation that calls any service named in a message on
``hacall`` (so the test can press Home Assistant's buttons).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lingxi.config import MQTTSettings
from lingxi.data.repos.home import EntityRecord
from lingxi.home.devices import DeviceCommand, DeviceState
from lingxi.home.drivers.mqtt import MQTTDriver, SimulatedHub, fetch_retained, publish_raw

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HASS = os.environ.get("LINGXI_TEST_HASS")

ENTITIES = [
    EntityRecord("light.onoff", "light", "OnOff Lamp", (), "hall", None, {}),
    EntityRecord(
        "light.dim",
        "light",
        "Dim Lamp",
        (),
        "hall",
        None,
        {"brightness": True, "color_modes": ["brightness"]},
    ),
    EntityRecord(
        "light.ct",
        "light",
        "CT Lamp",
        (),
        "study",
        None,
        {"brightness": True, "color_modes": ["color_temp"]},
    ),
    EntityRecord(
        "light.rgbct",
        "light",
        "RGB Lamp",
        (),
        "living_room",
        None,
        {"brightness": True, "color_modes": ["rgb", "color_temp"]},
    ),
    EntityRecord("fan.bedroom", "fan", "Bedroom Fan", (), "bedroom", None, {"percentage": True}),
    EntityRecord("switch.kettle", "switch", "Kettle", (), "kitchen", "outlet", {"heating": True}),
    EntityRecord("lock.front_door", "lock", "Front Door", (), "porch", None, {}),
    EntityRecord("cover.blinds", "cover", "Blinds", (), "bedroom", "blind", {"position": True}),
    EntityRecord(
        "climate.ac",
        "climate",
        "AC",
        (),
        "living_room",
        None,
        {"min_temp": 16, "max_temp": 30, "hvac_modes": ["off", "cool", "heat"]},
    ),
    EntityRecord("vacuum.robot", "vacuum", "Robot", (), "living_room", None, {}),
    EntityRecord("sensor.temp", "sensor", "Temp", (), "living_room", "temperature", {"unit": "°C"}),
]
STATES = {
    "light.onoff": DeviceState("light.onoff", "on", {}),
    "light.dim": DeviceState("light.dim", "on", {"brightness": 100}),
    "light.ct": DeviceState("light.ct", "on", {"brightness": 200, "color_temp_kelvin": 3000}),
    "light.rgbct": DeviceState(
        "light.rgbct", "on", {"brightness": 150, "rgb_color": [255, 0, 0], "color_mode": "rgb"}
    ),
    "fan.bedroom": DeviceState("fan.bedroom", "on", {"percentage": 40}),
    "switch.kettle": DeviceState("switch.kettle", "off"),
    "lock.front_door": DeviceState("lock.front_door", "locked"),
    "cover.blinds": DeviceState("cover.blinds", "open", {"position": 70}),
    "climate.ac": DeviceState("climate.ac", "cool", {"temperature": 24, "current_temperature": 27}),
    "vacuum.robot": DeviceState("vacuum.robot", "docked"),
    "sensor.temp": DeviceState("sensor.temp", "23.5"),
}

CONFIGURATION = """\
homeassistant:
  name: Lingxi check
  unit_system: metric
  time_zone: UTC
  latitude: 0
  longitude: 0
  elevation: 0
logger:
  default: warning
mqtt_statestream:
  base_topic: hastream
  publish_attributes: true
automation:
  - id: lingxi_call
    alias: lingxi call
    mode: queued
    max: 50
    trigger:
      - platform: mqtt
        topic: hacall
    action:
      - service: "{{ trigger.payload_json.service }}"
        target:
          entity_id: "{{ trigger.payload_json.entity_id }}"
        data: "{{ trigger.payload_json.data }}"
"""


def _wait(predicate: Any, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


@pytest.fixture
def home_assistant(tmp_path: Path) -> Iterator[tuple[MQTTSettings, Path]]:
    """A private Mosquitto and a Home Assistant connected to it; yields (settings, its log)."""
    if not HASS or not Path(HASS).exists():
        pytest.skip("set LINGXI_TEST_HASS to a Home Assistant `hass` executable")
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    broker = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    assert _wait(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 10)
    config = tmp_path / "ha"
    (config / ".storage").mkdir(parents=True)
    (config / "configuration.yaml").write_text(CONFIGURATION)
    entry = {
        "entry_id": "01lingxicheckmqtt0000000000",
        "version": 1,
        "minor_version": 1,
        "domain": "mqtt",
        "title": "MQTT",
        "data": {"broker": "127.0.0.1", "port": port, "discovery": True},
        "options": {},
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "unique_id": None,
        "disabled_by": None,
    }
    (config / ".storage" / "core.config_entries").write_text(
        json.dumps(
            {
                "version": 1,
                "minor_version": 1,
                "key": "core.config_entries",
                "data": {"entries": [entry]},
            }
        )
    )
    hass = subprocess.Popen(
        [HASS, "-c", str(config), "--skip-pip"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield MQTTSettings(url=f"mqtt://127.0.0.1:{port}"), config / "home-assistant.log"
    finally:
        hass.terminate()
        try:
            hass.wait(30)
        except subprocess.TimeoutExpired:
            hass.kill()
        broker.terminate()
        broker.wait(5)


def _view(settings: MQTTSettings) -> dict[str, dict[str, Any]]:
    """Every entity as Home Assistant shows it (mqtt_statestream's retained topics)."""
    view: dict[str, dict[str, Any]] = {}
    for topic, payload in fetch_retained(settings, "hastream/#", wait_s=1.0).items():
        parts = topic.split("/")
        if len(parts) == 4:
            try:
                value = json.loads(payload)
            except ValueError:
                value = payload.decode()
            view.setdefault(f"{parts[1]}.{parts[2]}", {})[parts[3]] = value
    return view


def test_home_assistant_shows_and_commands_every_entity(
    home_assistant: tuple[MQTTSettings, Path],
) -> None:
    """Every discovered entity is accepted and available with Lingxi's state; HA's commands
    (colour temperature, fan, lock, cover, climate, vacuum) reach the devices and come back;
    a CLI client's exit leaves everything available; HA logs no complaint about our states."""
    settings, log = home_assistant
    hub = SimulatedHub(settings=settings, household_id=1, entities=ENTITIES, states=STATES)
    bridge = MQTTDriver(settings=settings, role="bridge", timeout_s=5)
    try:
        bridge.start(1, ENTITIES, STATES)

        def shown() -> bool:
            view = _view(settings)
            return all(
                view.get(e.entity_id, {}).get("state") not in (None, "unavailable")
                for e in ENTITIES
            )

        assert _wait(shown, 180), _view(settings)
        view = _view(settings)
        expected = {
            "fan.bedroom": "on",
            "lock.front_door": "locked",
            "cover.blinds": "open",
            "climate.ac": "cool",
        }
        for entity_id, state in expected.items():
            assert view[entity_id]["state"] == state
        for entity_id, mode in {
            "light.onoff": "onoff",
            "light.dim": "brightness",
            "light.ct": "color_temp",
            "light.rgbct": "rgb",
        }.items():
            assert view[entity_id]["state"] == "on"
            assert view[entity_id]["color_mode"] == mode, view[entity_id]
        calls = [
            ("light.turn_on", "light.ct", {"color_temp_kelvin": 4000}),
            ("light.turn_on", "light.rgbct", {"color_temp_kelvin": 5000}),
            ("fan.turn_off", "fan.bedroom", {}),
            ("lock.unlock", "lock.front_door", {}),
            ("cover.set_cover_position", "cover.blinds", {"position": 30}),
            ("climate.set_temperature", "climate.ac", {"temperature": 22}),
            ("vacuum.start", "vacuum.robot", {}),
        ]
        for service, entity_id, data in calls:
            body = {"service": service, "entity_id": entity_id, "data": data}
            publish_raw(settings, "hacall", json.dumps(body).encode())
        assert _wait(lambda: hub.state("vacuum.robot").state == "cleaning", 30)
        assert hub.state("light.ct").attributes["color_temp_kelvin"] == 4000
        assert hub.state("light.rgbct").attributes["color_mode"] == "color_temp"
        assert (hub.state("fan.bedroom").state, hub.state("lock.front_door").state) == (
            "off",
            "unlocked",
        )
        assert hub.state("cover.blinds").attributes["position"] == 30
        assert hub.state("climate.ac").attributes["temperature"] == 22
        assert _wait(lambda: _view(settings)["light.rgbct"].get("color_temp_kelvin") == 5000, 30)
        assert _view(settings)["fan.bedroom"]["state"] == "off"

        client = MQTTDriver(settings=settings, timeout_s=5)
        client.start(1, ENTITIES, STATES)
        assert client.send(DeviceCommand("switch.kettle", {"state": "ON"}, 1)).state == "on"
        client.close()
        time.sleep(2)
        view = _view(settings)
        assert all(view[e.entity_id]["state"] != "unavailable" for e in ENTITIES), view
        assert view["switch.kettle"]["state"] == "on"
        complaints = [
            line
            for line in log.read_text().splitlines()
            if "mqtt" in line and ("Invalid" in line or "not valid" in line or "Exception" in line)
        ]
        assert not complaints, complaints
    finally:
        bridge.withdraw()
        bridge.close()
        hub.close(clear_retained=True)
