"""Mosquitto restarted while commands flow: devices are re-discovered, and each command is
either carried out exactly once or refused as unavailable (never lost silently, never doubled,
never carried out late after the caller was told it failed)."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter

import pytest

from lingxi.config import MQTTSettings
from lingxi.home.drivers.base import DeviceCommand, DeviceUnavailableError
from lingxi.home.drivers.mqtt import MQTTDriver, SimulatedHub, fetch_retained
from tests.faults.conftest import PrivateMosquitto
from tests.home.test_mqtt import ENTITIES, STATES

logger = logging.getLogger(__name__)


def _until(predicate: object, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.05)


@pytest.mark.integration
@pytest.mark.slow
def test_broker_restart_loses_and_doubles_no_command(private_mosquitto: PrivateMosquitto) -> None:
    """Commands with distinct brightness values are sent before, during and after a broker
    restart. Each acknowledged one reached the device once; each refused one never did; none
    arrived twice."""
    settings = MQTTSettings(url=private_mosquitto.url)
    hub = SimulatedHub(settings=settings, household_id=9, entities=ENTITIES, states=STATES)
    driver = MQTTDriver(settings=settings, role="bridge", timeout_s=2.0)
    ok: list[int] = []
    refused: list[int] = []
    unanswered: list[int] = []
    stale: list[int] = []
    value = 0

    def send() -> None:
        nonlocal value
        value += 1
        command = DeviceCommand("light.kitchen", {"state": "ON", "brightness": value}, 9)
        try:
            state = driver.send(command)
        except DeviceUnavailableError as err:
            # Refused before publishing ("nothing was sent"), or published and unanswered in
            # time (a loaded machine): the latter may have been carried out, once at most.
            (refused if "nothing was sent" in err.message else unanswered).append(value)
            return
        if state.attributes.get("brightness") != value:
            # Known gap (reported to lingxi.home): a state the hub re-publishes on reconnect can
            # arrive while a command waits and be taken as its answer. Whether the command
            # itself was carried out is checked below like any other.
            stale.append(value)
            return
        ok.append(value)

    try:
        driver.start(9, ENTITIES, STATES)
        for _ in range(20):
            send()
        announced = driver.discovery_count
        private_mosquitto.stop()
        _until(lambda: not driver.connected)
        for _ in range(5):
            send()
        private_mosquitto.start()  # a new broker: no retained message survived
        _until(lambda: driver.connected and hub._mqtt.connected.is_set())
        after = len(ok)
        while len(ok) < after + 20:
            send()
        time.sleep(1.0)  # let any late (queued) delivery arrive before counting

        # Re-discovery: the driver announced again, and Home Assistant's retained configs are back.
        assert driver.discovery_count > announced
        retained = fetch_retained(settings, f"{settings.discovery_prefix}/#")
        configs = [t for t in retained if t.endswith("/config") and "lingxi_9" in t]
        assert len(configs) == len(ENTITIES), retained.keys()

        delivered = Counter(
            json.loads(payload)["brightness"]
            for topic, payload, _ in hub.received
            if topic.endswith("light/kitchen/set")
        )
        assert all(n == 1 for n in delivered.values()), delivered  # nothing doubled
        assert set(ok) <= set(delivered)  # nothing acknowledged was lost
        assert not set(refused) & set(delivered)  # nothing refused was carried out later
        assert refused  # the outage was really seen
        assert set(ok) | set(refused) | set(unanswered) | set(stale) == set(range(1, value + 1))
        assert set(stale) <= set(delivered)  # answered with an old state, but carried out once
        if value in ok:
            assert hub.state("light.kitchen").attributes["brightness"] == value
        logger.info(
            f"mosquitto restart: {value} commands, {len(ok)} carried out once, "
            f"{len(refused)} refused as unavailable and never carried out, "
            f"{len(unanswered)} unanswered in time, {len(stale)} answered with a stale state, "
            "0 doubled"
        )
    finally:
        driver.close()
        hub.close()
