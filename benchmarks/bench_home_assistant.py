"""A real Home Assistant beside Lingxi, on the broker at 127.0.0.1:1883, as a new user runs it.

Not run by default (it needs a Home Assistant install):
``python -m benchmarks bench_home_assistant --hass /work/ha-venv/bin/hass``
(``python3.13 -m venv /work/ha-venv && /work/ha-venv/bin/pip install homeassistant==2025.4.4
home-assistant-frontend==20250411.0 paho-mqtt==2.1.0``; HA runs with ``--skip-pip``).

Steps: a fresh SQLite database, ``lingxi home import examples/homes/small_flat.yaml``,
``lingxi serve`` (the MQTT bridge) and ``lingxi home simulate`` (the devices), then Home
Assistant with the MQTT integration (discovery under a prefix of this run's own, so other
users of the broker are not disturbed) and ``mqtt_statestream`` (so the check reads what HA
shows). Recorded: whether every announced entity is available while ``lingxi home do``
commands run (sampled after each), Lingxi -> HA (a CLI command seen in HA) and HA -> Lingxi
(an HA service call seen in ``lingxi home state``), and HA's complaints about Lingxi's MQTT
payloads. JSON to ``benchmarks/results/bench_home_assistant.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks._common import write_result
from lingxi.config import MQTTSettings
from lingxi.home.drivers.mqtt import fetch_retained, publish_raw

ROOT = Path(__file__).resolve().parents[1]
INVENTORY = ROOT / "examples" / "homes" / "small_flat.yaml"
# Entities Home Assistant's MQTT integration can show (it has no media_player nor todo).
ANNOUNCED = (
    "light.hall_light", "light.floor_lamp", "light.kitchen_light", "fan.bedroom_fan",
    "cover.living_room_blind", "lock.front_door", "vacuum.roborock_s7", "valve.water_main",
    "climate.thermostat", "sensor.bathroom_temperature", "switch.kettle",
)  # fmt: skip
COMMANDS = (
    "turn on the hall light", "set the floor lamp to 40%", "turn off the kitchen light",
    "set the bedroom fan to 50%", "set the living room blind to 30%", "lock the front door",
    "start the vacuum", "set the thermostat to 21 degrees", "turn off the hall light",
    "close the water main",
)  # fmt: skip

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
  base_topic: {stream}
  publish_attributes: true
automation:
  - id: lingxi_call
    alias: lingxi call
    mode: queued
    trigger:
      - platform: mqtt
        topic: {calls}
    action:
      - service: "{{{{ trigger.payload_json.service }}}}"
        target:
          entity_id: "{{{{ trigger.payload_json.entity_id }}}}"
        data: "{{{{ trigger.payload_json.data }}}}"
"""


def _view(settings: MQTTSettings, stream: str) -> dict[str, dict[str, Any]]:
    view: dict[str, dict[str, Any]] = {}
    for topic, payload in fetch_retained(settings, f"{stream}/#", wait_s=0.7).items():
        parts = topic.split("/")
        if len(parts) == 4:
            try:
                value = json.loads(payload)
            except ValueError:
                value = payload.decode()
            view.setdefault(f"{parts[1]}.{parts[2]}", {})[parts[3]] = value
    return view


def _unavailable(view: dict[str, dict[str, Any]]) -> list[str]:
    return [e for e in ANNOUNCED if view.get(e, {}).get("state") in (None, "unavailable")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate: Any, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def _ha_config(folder: Path, prefix: str, stream: str, calls: str) -> None:
    (folder / ".storage").mkdir(parents=True)
    (folder / "configuration.yaml").write_text(
        CONFIGURATION.format(stream=stream, calls=calls), "utf-8"
    )
    entry = {
        "entry_id": "01lingxicheckmqtt0000000000", "version": 1, "minor_version": 1,
        "domain": "mqtt", "title": "MQTT", "options": {}, "source": "user",
        "data": {"broker": "127.0.0.1", "port": 1883, "discovery": True,
                 "discovery_prefix": prefix},
        "pref_disable_new_entities": False, "pref_disable_polling": False,
        "unique_id": None, "disabled_by": None,
    }  # fmt: skip
    doc = {"version": 1, "minor_version": 1, "key": "core.config_entries"}
    doc["data"] = {"entries": [entry]}
    (folder / ".storage" / "core.config_entries").write_text(json.dumps(doc), "utf-8")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_home_assistant")
    parser.add_argument("--hass", default=os.environ.get("LINGXI_TEST_HASS"))
    parser.add_argument("--start-timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    if not args.hass or not Path(args.hass).exists():
        print("skipped: pass --hass /path/to/hass (a Home Assistant install)")
        return
    tag = uuid.uuid4().hex[:8]
    prefix, base, stream, calls = (
        f"hacheck_{tag}",
        f"lingxi_{tag}",
        f"hastream_{tag}",
        f"hacall_{tag}",
    )
    settings = MQTTSettings(url="mqtt://127.0.0.1:1883", discovery_prefix=prefix, base_topic=base)
    work = Path(tempfile.mkdtemp(prefix="lingxi-ha-"))
    env = {
        **os.environ,
        "LINGXI_DB__URL": f"sqlite:///{work / 'lingxi.db'}",
        # Not "test": serve builds its MQTT bridge (and announces) at start-up only outside tests.
        "LINGXI_ENVIRONMENT": "development",
        "LINGXI_MQTT__URL": "mqtt://127.0.0.1:1883",
        "LINGXI_MQTT__DISCOVERY_PREFIX": prefix,
        "LINGXI_MQTT__BASE_TOPIC": base,
    }
    lingxi = [sys.executable, "-m", "lingxi.cli"]

    def cli(*a: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*lingxi, *a], env=env, capture_output=True, text=True, check=False)

    assert cli("db", "upgrade").returncode == 0
    assert cli("home", "import", str(INVENTORY)).returncode == 0
    procs = [
        subprocess.Popen([*lingxi, "home", "simulate"], env=env, stderr=subprocess.DEVNULL),
        subprocess.Popen(
            [*lingxi, "serve", "--port", str(_free_port())], env=env, stderr=subprocess.DEVNULL
        ),
    ]
    _ha_config(work / "ha", prefix, stream, calls)
    hass = subprocess.Popen(
        [args.hass, "-c", str(work / "ha"), "--skip-pip"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    version = subprocess.run([args.hass, "--version"], capture_output=True, text=True, check=False)
    result: dict[str, Any] = {
        "home_assistant": version.stdout.strip() or args.hass,
        "entities": list(ANNOUNCED),
    }
    try:
        started = time.monotonic()
        shown = _wait(lambda: not _unavailable(_view(settings, stream)), args.start_timeout)
        result["all_available_after_start"] = shown
        result["seconds_until_available"] = round(time.monotonic() - started, 1)
        samples, seen_in_ha = [], 0
        for text in COMMANDS:
            t0 = time.monotonic()
            done = cli("home", "do", text, "--json")
            ok = done.returncode == 0
            view = _view(settings, stream)
            missing = _unavailable(view)
            samples.append(
                {
                    "text": text,
                    "ok": ok,
                    "cli_s": round(time.monotonic() - t0, 2),
                    "unavailable_after": missing,
                }  # fmt: skip
            )
            if ok:
                change = json.loads(done.stdout)["changes"]
                entity = change[0]["entity_id"] if change else None
                if entity and view.get(entity, {}).get("state") == change[0]["state"]:
                    seen_in_ha += 1
        result["commands"] = samples
        result["every_entity_available_throughout"] = shown and all(
            not s["unavailable_after"] for s in samples
        )
        result["lingxi_to_ha_seen"] = f"{seen_in_ha}/{sum(s['ok'] for s in samples)}"
        # HA -> Lingxi: a service call in HA reaches the device and Lingxi's record.
        call = {"service": "light.turn_on", "entity_id": "light.hall_light", "data": {}}
        publish_raw(settings, calls, json.dumps(call).encode())

        def recorded() -> bool:
            doc = json.loads(cli("home", "state", "--json").stdout)
            return any(
                e["entity_id"] == "light.hall_light" and e["state"] == "on" for e in doc["entities"]
            )

        result["ha_to_lingxi"] = _wait(recorded, 30)
        log = (work / "ha" / "home-assistant.log").read_text("utf-8", errors="replace")
        result["ha_complaints"] = [
            line[:300]
            for line in log.splitlines()
            if "mqtt" in line.lower()
            and ("Invalid" in line or "not valid" in line or "rror" in line)
        ][:20]
    finally:
        hass.terminate()
        for p in procs:
            p.terminate()
        for p in (hass, *procs):
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        for root in (prefix, base, stream):  # leave the shared broker as it was
            for topic in fetch_retained(settings, f"{root}/#", wait_s=0.5):
                publish_raw(settings, topic, b"", retain=True)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    write_result("bench_home_assistant", result)
