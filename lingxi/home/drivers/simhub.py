"""A hub of simulated devices on the MQTT broker, for tests, demos and ``lingxi home simulate``.

It behaves as a well-made device hub should: it answers every command on the household's
command topics with the same device model as the in-memory driver and publishes the new state
(retained); it survives any payload (a malformed command is counted and logged, nothing else);
and it refuses a command past its deadline, so a command that Lingxi already gave up on
(answered 503) is never carried out late. A command id seen before (an MQTT redelivery) is
not carried out twice, and the state published after a command names the command it answers
(``"lingxi": {"command_id": ...}``; Home Assistant ignores the field).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lingxi.config import MQTTSettings
from lingxi.data.records import EntityRecord
from lingxi.home.devices import DeviceState, apply_command
from lingxi.home.drivers._client import Client, Message, PahoClient, new_client_id
from lingxi.home.drivers._ha import topics, wire_state

__all__ = ["COMMAND_META", "SimulatedHub", "check_command_meta"]

logger = logging.getLogger(__name__)

COMMAND_META = "lingxi"
"""The key of a command payload that carries ``{"command_id", "deadline"}`` (Unix seconds)."""


def check_command_meta(meta: object, now: float) -> tuple[str | None, bool]:
    """``(command_id, expired)`` of a command's ``lingxi`` field; ValueError when malformed."""
    if not isinstance(meta, dict):
        raise ValueError("the 'lingxi' field must be an object")
    command_id = meta.get("command_id")
    if command_id is not None and (not isinstance(command_id, str) or len(command_id) > 64):
        raise ValueError("lingxi.command_id must be a short string")
    deadline = meta.get("deadline")
    if deadline is None:
        return command_id, False
    if isinstance(deadline, bool) or not isinstance(deadline, int | float):
        raise ValueError("lingxi.deadline must be a number (Unix seconds)")
    if not math.isfinite(deadline):
        raise ValueError("lingxi.deadline must be finite")
    return command_id, now > float(deadline)


class SimulatedHub:
    """Simulated devices of one household that answer on the MQTT topics like real ones.

    Parameters
    ----------
    wall_clock
        Unix seconds, for command deadlines (tests pass a fake one).
    """

    def __init__(
        self,
        *,
        settings: MQTTSettings,
        household_id: int,
        entities: Sequence[EntityRecord],
        states: Mapping[str, DeviceState] | None = None,
        client_id: str | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.household_id = household_id
        self.base = settings.base_topic
        self.wall_clock = wall_clock
        self.availability = f"{self.base}/{household_id}/hub/availability"
        self._entities = {e.entity_id: e for e in entities}
        self._states: dict[str, DeviceState] = {
            e.entity_id: (states or {}).get(e.entity_id) or DeviceState(e.entity_id, "off")
            for e in entities
        }
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.received: list[tuple[str, bytes, bool]] = []
        """Every command message seen: (topic, payload, retained)."""
        self.malformed = 0
        """Commands ignored because they were not valid."""
        self.expired = 0
        """Commands refused because they arrived past their deadline."""
        self.duplicates = 0
        self._mqtt = Client(
            settings,
            client_id or new_client_id(f"sim-{household_id}"),
            will=(self.availability, "offline"),
        )
        self._mqtt.client.on_connect = self._on_connect
        self._mqtt.client.on_message = self._on_message
        self._mqtt.client.on_disconnect = self._on_disconnect
        self._mqtt.client.on_subscribe = self._on_subscribe
        self._subscription: int | None = None
        self._mqtt.start(timeout_s=3.0)

    def _on_connect(
        self, client: PahoClient, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if getattr(reason, "is_failure", False):
            logger.warning("Simulated hub: MQTT connection refused: %s", reason)
            return
        try:
            # Connected (and online) only once the broker has the subscription: a command sent
            # the moment the hub is up must not pass it by (a CI run saw the hub not answering).
            _, self._subscription = client.subscribe(
                f"{self.base}/{self.household_id}/+/+/set", qos=1
            )
        except Exception:
            logger.exception("Simulated hub: subscribing failed")

    def _on_subscribe(
        self, client: PahoClient, userdata: Any, mid: int, reasons: Any, props: Any
    ) -> None:
        if mid != self._subscription:
            return
        try:
            client.publish(self.availability, "online", qos=1, retain=True)
            with self._lock:
                states = list(self._states.values())
            for state in states:
                self._publish(state)
        except Exception:
            logger.exception("Simulated hub: announcing failed")
        self._mqtt.connected.set()

    def _on_disconnect(
        self, client: PahoClient, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._mqtt.connected.clear()

    def _publish(self, state: DeviceState, answers: str | None = None) -> None:
        _, topic = topics(self.base, self.household_id, state.entity_id)
        entity = self._entities.get(state.entity_id)
        wire = wire_state(state, entity.capabilities if entity else None)
        if answers is not None:
            wire[COMMAND_META] = {"command_id": answers}  # the command this state answers
        self._mqtt.client.publish(topic, json.dumps(wire), qos=1, retain=True)

    def _on_message(self, client: PahoClient, userdata: Any, message: Message) -> None:
        try:
            self._handle(bytes(message.payload), message.topic, bool(message.retain))
        except Exception as err:  # noqa: BLE001 (any payload: the hub goes on answering)
            self.malformed += 1
            logger.warning("Simulated hub ignored a command on %s: %r", message.topic, err)

    def _handle(self, payload: bytes, topic: str, retained: bool) -> None:
        self.received.append((topic, payload, retained))
        parts = topic.split("/")
        if len(parts) < 3:
            return
        entity_id = f"{parts[-3]}.{parts[-2]}"
        entity = self._entities.get(entity_id)
        if entity is None:
            return
        body = json.loads(payload.decode("utf-8"))
        if not isinstance(body, dict):
            raise ValueError("command must be a JSON object")
        command_id, expired = None, False
        if COMMAND_META in body:
            command_id, expired = check_command_meta(body.pop(COMMAND_META), self.wall_clock())
        if expired:
            self.expired += 1
            logger.warning("Simulated %s refused a command past its deadline", entity_id)
            return
        with self._lock:
            if command_id is not None:
                if command_id in self._seen:
                    self.duplicates += 1
                    return
                self._seen[command_id] = None
                while len(self._seen) > 1000:
                    self._seen.popitem(last=False)
            new = apply_command(self._states[entity_id], body, capabilities=entity.capabilities)
            self._states[entity_id] = new
        self._publish(new, command_id)

    def state(self, entity_id: str) -> DeviceState:
        """The simulated device's state."""
        with self._lock:
            return self._states[entity_id]

    def set_state(self, state: DeviceState) -> None:
        """Change a device as if by hand (a wall switch) and report it."""
        with self._lock:
            self._states[state.entity_id] = state
        self._publish(state)

    @property
    def connected(self) -> bool:
        """True while the hub's broker connection is up."""
        return self._mqtt.connected.is_set()

    def close(self, *, clear_retained: bool = False) -> None:
        """Disconnect (cleanly: the last will is not sent, so publish offline first)."""
        if clear_retained:
            for entity_id in self._states:
                topic = topics(self.base, self.household_id, entity_id)[1]
                self._mqtt.client.publish(topic, b"", qos=1, retain=True).wait_for_publish(1.0)
            self._mqtt.client.publish(self.availability, b"", qos=1, retain=True).wait_for_publish(
                1.0
            )
        else:
            self._mqtt.client.publish(
                self.availability, "offline", qos=1, retain=True
            ).wait_for_publish(1.0)
        self._mqtt.stop()

    def kill(self) -> None:
        """Drop the connection without a clean disconnect, so the broker sends the last will."""
        self._mqtt.client.loop_stop()
        sock = self._mqtt.client.socket()
        if sock is not None:
            sock.close()
