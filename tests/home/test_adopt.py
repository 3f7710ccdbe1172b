"""Adopting devices already on the broker (Zigbee2MQTT- and Tasmota-style retained discovery
configs), then commanding them on their own topics: on the real Mosquitto, through the CLI and
HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from typer.testing import CliRunner

from lingxi.cli.home import app
from lingxi.config import MQTTSettings, get_settings
from lingxi.data import Database
from lingxi.home.adopt import expand, offers_from
from lingxi.home.drivers.mqtt import fetch_retained, publish_raw

runner = CliRunner()
SMALL_FLAT = Path(__file__).resolve().parents[2] / "examples" / "homes" / "small_flat.yaml"


def _z2m_bulb(tag: str) -> dict[str, Any]:
    """What Zigbee2MQTT retains for a colour-temperature bulb (abridged)."""
    return {
        "name": None,
        "unique_id": f"0x0017880108a1b2c3_light_{tag}",
        "schema": "json",
        "command_topic": f"z2m_{tag}/Kitchen Bulb/set",
        "state_topic": f"z2m_{tag}/Kitchen Bulb",
        "brightness": True,
        "brightness_scale": 254,
        "supported_color_modes": ["color_temp", "xy"],
        "min_mireds": 153,
        "max_mireds": 454,
        "availability": [{"topic": f"z2m_{tag}/bridge/state"}],
        "device": {
            "identifiers": ["zigbee2mqtt_0x0017880108a1b2c3"],
            "name": "Kitchen Bulb",
            "manufacturer": "Signify",
            "model": "LCT015",
        },
    }


def _tasmota_plug(tag: str) -> dict[str, Any]:
    """What Tasmota retains for a plug: abbreviated keys and a ``~`` base topic."""
    return {
        "~": f"tasmota_{tag}/plug/",
        "name": None,
        "uniq_id": f"A1B2C3_RL_1_{tag}",
        "cmd_t": "~cmnd/POWER",
        "stat_t": "~tele/STATE",
        "val_tpl": "{{value_json.POWER}}",
        "pl_off": "OFF",
        "pl_on": "ON",
        "dev": {"ids": ["A1B2C3"], "name": "Desk Plug", "mf": "Tasmota", "sa": "Kitchen"},
    }


class FakeDevices:
    """The two devices: record each command on their topics and answer with a state."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.got: list[tuple[str, bytes]] = []
        self.seen = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.client.on_message = self._on_message
        ready = threading.Event()
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.connect("127.0.0.1", 1883)
        self.client.loop_start()
        self.client.subscribe(
            [(f"z2m_{tag}/Kitchen Bulb/set", 1), (f"tasmota_{tag}/plug/cmnd/#", 1)]
        )
        assert ready.wait(5)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        self.got.append((message.topic, bytes(message.payload)))
        if message.topic.startswith("z2m_"):
            body = json.loads(message.payload)
            state = {"state": body.get("state", "ON"), "brightness": body.get("brightness", 254),
                     "color_mode": "color_temp", "color_temp": 370, "linkquality": 120}  # fmt: skip
            client.publish(f"z2m_{self.tag}/Kitchen Bulb", json.dumps(state), qos=1)
        else:
            power = message.payload.decode()
            client.publish(f"tasmota_{self.tag}/plug/tele/STATE", json.dumps({"POWER": power}))
        self.seen.set()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def broker_home(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[MQTTSettings, FakeDevices]]:
    """The small flat imported; two devices' retained configs on the shared Mosquitto under a
    prefix of this test's own; the CLI configured for both."""
    tag = uuid.uuid4().hex[:8]
    settings = MQTTSettings(
        url="mqtt://127.0.0.1:1883", discovery_prefix=f"haadopt_{tag}", base_topic=f"lx_{tag}"
    )
    monkeypatch.setenv("LINGXI_DB__URL", db.engine.url.render_as_string(False))
    monkeypatch.setenv("LINGXI_MQTT__URL", "mqtt://127.0.0.1:1883")
    monkeypatch.setenv("LINGXI_MQTT__DISCOVERY_PREFIX", settings.discovery_prefix)
    monkeypatch.setenv("LINGXI_MQTT__BASE_TOPIC", settings.base_topic)
    monkeypatch.setenv("LINGXI_MQTT__COMMAND_TIMEOUT_S", "3")
    get_settings.cache_clear()
    assert runner.invoke(app, ["import", str(SMALL_FLAT)]).exit_code == 0
    configs = {
        f"{settings.discovery_prefix}/light/0x0017880108a1b2c3/light/config": _z2m_bulb(tag),
        f"{settings.discovery_prefix}/switch/A1B2C3_RL_1/config": _tasmota_plug(tag),
        # Lingxi's own announcement is never offered back to it.
        f"{settings.discovery_prefix}/light/lingxi_1/hall_light/config": {"command_topic": "x"},
    }
    for topic, config in configs.items():
        publish_raw(settings, topic, json.dumps(config).encode(), retain=True)
    devices = FakeDevices(tag)
    yield settings, devices
    devices.close()
    # Everything retained under this test's prefixes (the API test's bridge announces too).
    for root in (settings.discovery_prefix, settings.base_topic):
        for topic in fetch_retained(settings, f"{root}/#", wait_s=0.3):
            publish_raw(settings, topic, b"", retain=True)
    get_settings.cache_clear()


def _json(*args: str) -> tuple[int, Any]:
    r = runner.invoke(app, [*args, "--json"])
    return r.exit_code, json.loads(r.stdout)


def test_announced_devices_are_offered_adopted_and_commanded_on_their_topics(
    broker_home: tuple[MQTTSettings, FakeDevices],
) -> None:
    """List -> adopt into an area -> `home do` sends the device's own payload to its own
    command topic (no Lingxi fields), and its answer becomes the entity's state."""
    settings, devices = broker_home
    tag = devices.tag
    code, listed = _json("adopt")
    assert code == 0, listed
    offers = {o["id"]: o for o in listed["data"]}
    assert set(offers) == {"light/0x0017880108a1b2c3/light", "switch/A1B2C3_RL_1"}
    bulb = offers["light/0x0017880108a1b2c3/light"]
    assert bulb["entity_id"] == "light.kitchen_bulb" and bulb["manufacturer"] == "Signify"
    plug = offers["switch/A1B2C3_RL_1"]
    assert plug["command_topic"] == f"tasmota_{tag}/plug/cmnd/POWER"  # "~" filled in
    assert plug["suggested_area"] == "Kitchen"

    code, adopted = _json("adopt", bulb["id"], "--area", "kitchen")
    assert code == 0 and adopted["outcome"] == "created"
    assert _json("adopt", bulb["id"], "--area", "kitchen")[1]["outcome"] == "unchanged"
    code, plugged_in = _json("adopt", plug["id"])  # into the area its device suggests
    assert code == 0 and plugged_in["area"] == "kitchen"

    code, done = _json("do", "turn on the kitchen bulb")
    assert code == 0, done
    topic, body = devices.got[-1]
    assert topic == f"z2m_{tag}/Kitchen Bulb/set"
    assert json.loads(body) == {"state": "ON"}
    assert done["changes"][0]["state"] == "on"
    assert done["changes"][0]["attributes"]["color_temp_kelvin"] == 2703  # 370 mireds

    code, dimmed = _json("do", "set the kitchen bulb to 50%")
    assert code == 0, dimmed
    assert json.loads(devices.got[-1][1]) == {"brightness": 127}  # 50 % of Z2M's 254
    assert dimmed["changes"][0]["attributes"]["brightness"] == 128  # back on HA's 0-255

    code, plugged = _json("do", "turn on the desk plug")
    assert code == 0, plugged
    assert devices.got[-1] == (f"tasmota_{tag}/plug/cmnd/POWER", b"ON")
    assert plugged["changes"][0]["state"] == "on"


def test_unknown_offer_and_area_are_refused(broker_home: tuple[MQTTSettings, FakeDevices]) -> None:
    """Exit 2, naming the field: an id nobody announced, an area the household lacks."""
    code, doc = _json("adopt", "light/nobody/here")
    assert code == 2 and doc["error"]["details"]["field"] == "id"
    code, doc = _json("adopt", "switch/A1B2C3_RL_1", "--area", "attic")
    assert code == 2 and doc["error"]["details"]["field"] == "area"


def test_abbreviations_expand_and_malformed_configs_are_skipped() -> None:
    """HA's short keys and ``~`` become full options; garbage or command-less configs and
    Lingxi's own are not offered."""
    assert expand({"~": "a/b", "cmd_t": "~/set", "stat_t": "~"})["command_topic"] == "a/b/set"
    retained = {
        "homeassistant/light/n/o/config": b"not json",
        "homeassistant/switch/n/s/config": json.dumps({"name": "no command"}).encode(),
        "homeassistant/light/lingxi_3/x/config": json.dumps({"command_topic": "c"}).encode(),
        "homeassistant/sensor/n/t/config": json.dumps({"state_topic": "t"}).encode(),
        "homeassistant/lock/n/door/config": json.dumps(
            {"name": "Door", "command_topic": "d/set"}
        ).encode(),
    }
    assert [o.id for o in offers_from(retained)] == ["lock/n/door"]


def test_the_api_offers_and_adopts_for_adults_only(
    broker_home: tuple[MQTTSettings, FakeDevices], db: Database, tmp_path: Path
) -> None:
    """GET /api/home/adoptable lists the offers (typed), POST /api/home/adopt adopts one, and
    the next command reaches the device's own topic; a child may do neither (403)."""
    from fastapi.testclient import TestClient

    from lingxi.api import create_app
    from lingxi.config import Settings
    from lingxi.data.models import Role
    from lingxi.data.repos.identity import create_customer, issue_token

    mqtt, devices = broker_home
    headers = {}
    with db.session() as s:
        for role in (Role.OWNER, Role.CHILD):
            cid = create_customer(
                s, household_id=1, email=f"{role.value}@adopt.test", display_name=role.value,
                role=role,
            )  # fmt: skip
            headers[role.value] = {"Authorization": f"Bearer {issue_token(s, customer_id=cid)}"}
    settings = Settings(environment="test", data_dir=tmp_path, mqtt=mqtt)
    with TestClient(create_app(settings, database=db)) as client:
        assert client.get("/api/home/adoptable", headers=headers["child"]).status_code == 403
        listed = client.get("/api/home/adoptable", headers=headers["owner"])
        assert listed.status_code == 200, listed.text
        assert listed.json()["count"] == 2
        r = client.post(
            "/api/home/adopt",
            json={"id": "switch/A1B2C3_RL_1", "area": "kitchen", "name": "Desk Plug"},
            headers=headers["owner"],
        )
        assert r.status_code == 200, r.text
        assert r.json() == {
            "entity_id": "switch.desk_plug", "name": "Desk Plug", "area": "kitchen",
            "outcome": "created",
        }  # fmt: skip
        bad = client.post("/api/home/adopt", json={"id": "x/y"}, headers=headers["owner"])
        assert bad.status_code == 404 and bad.json()["error"]["details"]["field"] == "id"
        done = client.post(
            "/api/home/command", json={"text": "turn on the desk plug"}, headers=headers["owner"]
        )
        assert done.status_code == 200, done.text
        assert devices.got[-1] == (f"tasmota_{devices.tag}/plug/cmnd/POWER", b"ON")
