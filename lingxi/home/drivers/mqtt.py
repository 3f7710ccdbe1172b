"""The MQTT driver, with Home Assistant discovery; and a simulated device hub for tests and demos.

The only module that imports paho-mqtt. Topics, for household ``H`` and entity ``domain.obj``:

* ``<discovery_prefix>/<component>/lingxi_H/obj/config``: retained discovery config, re-sent on
  every (re)connect and whenever ``<discovery_prefix>/status`` says ``online``;
* ``<base>/H/domain/obj/set``: commands, JSON, never retained;
* ``<base>/H/domain/obj/state``: the device's state, JSON, retained by the device;
* ``<base>/bridge/availability``: Lingxi's availability (last will ``offline``) and
  ``<base>/H/hub/availability``: the device hub's.

Lights use ``schema: json`` with ``supported_color_modes``; the other components map the same
JSON command and state topics with Home Assistant's ``*_template`` options. Home Assistant's
MQTT integration has no ``media_player`` component, so speakers get topics but no discovery.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from lingxi.config import MQTTSettings
from lingxi.data.repos.home import EntityRecord
from lingxi.errors import InvalidInputError, NotFoundError
from lingxi.home.devices import DeviceState, apply_command
from lingxi.home.drivers.base import DeviceUnavailableError, StateListener

__all__ = ["MQTTDriver", "SimulatedHub", "discovery_config", "fetch_retained", "publish_raw"]

logger = logging.getLogger(__name__)

_COMPONENTS = {
    "light": "light",
    "switch": "switch",
    "fan": "fan",
    "climate": "climate",
    "cover": "cover",
    "lock": "lock",
    "vacuum": "vacuum",
    "sensor": "sensor",
}


def _broker(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
        raise InvalidInputError.for_field("mqtt.url", "of the form mqtt://host:port", url)
    return parsed.hostname, parsed.port or 1883


def _topics(base: str, household_id: int, entity_id: str) -> tuple[str, str]:
    domain, _, obj = entity_id.partition(".")
    root = f"{base}/{household_id}/{domain}/{obj}"
    return f"{root}/set", f"{root}/state"


def discovery_config(
    entity: EntityRecord, *, household_id: int, base: str, discovery_prefix: str
) -> tuple[str, dict[str, Any]] | None:
    """The retained discovery topic and config of ``entity``, or None (no HA component)."""
    component = _COMPONENTS.get(entity.domain)
    if component is None:
        return None
    node = f"lingxi_{household_id}"
    obj = entity.entity_id.partition(".")[2]
    command_topic, state_topic = _topics(base, household_id, entity.entity_id)
    caps = entity.capabilities
    config: dict[str, Any] = {
        "name": None,
        "unique_id": f"{node}_{entity.entity_id.replace('.', '_')}",
        "object_id": obj,
        "device": {
            "identifiers": [f"{node}_{entity.entity_id}"],
            "name": entity.name,
            "manufacturer": "Lingxi",
            "suggested_area": (entity.area_id or "").replace("_", " ").title() or None,
        },
        "availability": [
            {"topic": f"{base}/bridge/availability"},
            {"topic": f"{base}/{household_id}/hub/availability"},
        ],
        "availability_mode": "all",
        "state_topic": state_topic,
    }
    if component != "sensor":
        config["command_topic"] = command_topic
    json_state = "{{ value_json.state }}"
    if component == "light":
        modes = [
            m for m in caps.get("color_modes") or [] if m in ("rgb", "color_temp", "brightness")
        ]
        if not modes:
            modes = ["brightness"] if caps.get("brightness") else ["onoff"]
        if len(modes) > 1 and "brightness" in modes:
            modes.remove("brightness")  # HA refuses brightness mixed with colour modes
        config.update(
            {
                "schema": "json",
                "brightness": bool(caps.get("brightness")),
                "supported_color_modes": modes,
            }
        )
    elif component == "switch":
        config.update(
            {
                "payload_on": '{"state": "ON"}',
                "payload_off": '{"state": "OFF"}',
                "value_template": json_state,
                "state_on": "on",
                "state_off": "off",
            }
        )
    elif component == "fan":
        config.update(
            {
                "payload_on": '{"state": "ON"}',
                "payload_off": '{"state": "OFF"}',
                "state_value_template": json_state,
                "percentage_command_topic": command_topic,
                "percentage_command_template": '{"percentage": {{ value }} }',
                "percentage_state_topic": state_topic,
                "percentage_value_template": "{{ value_json.percentage | default(0) }}",
            }
        )
    elif component == "climate":
        del config["command_topic"], config["state_topic"]
        config.update(
            {
                "modes": list(caps.get("hvac_modes") or ["off", "auto"]),
                "min_temp": caps.get("min_temp", 7),
                "max_temp": caps.get("max_temp", 35),
                "mode_command_topic": command_topic,
                "mode_command_template": '{"mode": "{{ value }}"}',
                "mode_state_topic": state_topic,
                "mode_state_template": json_state,
                "temperature_command_topic": command_topic,
                "temperature_command_template": '{"temperature": {{ value }} }',
                "temperature_state_topic": state_topic,
                "temperature_state_template": "{{ value_json.temperature }}",
                "current_temperature_topic": state_topic,
                "current_temperature_template": "{{ value_json.current_temperature }}",
            }
        )
    elif component == "cover":
        config.update(
            {
                "payload_open": '{"state": "OPEN"}',
                "payload_close": '{"state": "CLOSE"}',
                "payload_stop": None,
                "value_template": json_state,
                "state_open": "open",
                "state_closed": "closed",
                "set_position_topic": command_topic,
                "set_position_template": '{"position": {{ position }} }',
                "position_topic": state_topic,
                "position_template": "{{ value_json.position }}",
                "device_class": entity.device_class,
            }
        )
    elif component == "lock":
        config.update(
            {
                "payload_lock": '{"state": "LOCK"}',
                "payload_unlock": '{"state": "UNLOCK"}',
                "value_template": json_state,
                "state_locked": "locked",
                "state_unlocked": "unlocked",
            }
        )
    elif component == "vacuum":
        config.update(
            {
                "payload_start": '{"command": "start"}',
                "payload_return_to_base": '{"command": "return_to_base"}',
                "payload_stop": '{"command": "stop"}',
                "supported_features": ["start", "stop", "return_home", "status"],
            }
        )
    elif component == "sensor":
        config.update(
            {
                "value_template": json_state,
                "unit_of_measurement": caps.get("unit"),
                "device_class": entity.device_class,
            }
        )
    topic = f"{discovery_prefix}/{component}/{node}/{obj}/config"
    return topic, config


def _wire_state(state: DeviceState) -> dict[str, Any]:
    """A state as a device publishes it (lights in HA's JSON schema)."""
    attrs = dict(state.attributes)
    if state.entity_id.startswith("light."):
        out: dict[str, Any] = {
            "state": state.state.upper(),
            "brightness": attrs.get("brightness", 0),
        }
        if attrs.get("rgb_color"):
            r, g, b = attrs["rgb_color"]
            out["color_mode"] = "rgb"
            out["color"] = {"r": r, "g": g, "b": b}
        elif attrs.get("brightness") is not None:
            out["color_mode"] = "brightness"
        return out
    return {"state": state.state, **attrs}


class _Waiter:
    """A command waiting for its answer: the state before it and the state it should bring."""

    def __init__(self, before: DeviceState | None, expected: DeviceState | None) -> None:
        self.done = threading.Event()
        self._before = before
        self._changes = before is not None and expected is not None and not _same(before, expected)

    def is_stale(self, state: DeviceState) -> bool:
        """The old state again, while the command should have changed it: not the answer."""
        return self._changes and self._before is not None and _same(self._before, state)


def _same(old: DeviceState, new: DeviceState) -> bool:
    """Same state, and every attribute known before unchanged (the wire may add some)."""
    return old.state == new.state and all(
        new.attributes.get(k) == v for k, v in old.attributes.items()
    )


def _read_state(entity_id: str, payload: bytes, household_id: int = 0) -> DeviceState:
    """A device's state message -> DeviceState; raises ValueError on a malformed payload."""
    data = json.loads(payload.decode("utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("state"), str):
        raise ValueError("state payload must be a JSON object with a string 'state'")
    state = data.pop("state").lower()
    if entity_id.startswith("light."):
        color = data.pop("color", None)
        if isinstance(color, dict) and {"r", "g", "b"} <= color.keys():
            data["rgb_color"] = [int(color["r"]), int(color["g"]), int(color["b"])]
    if len(state) > 100:
        raise ValueError("state is longer than 100 characters")
    return DeviceState(entity_id, state, data, household_id)


class _Client:
    """A paho client that connects in the background and reconnects by itself."""

    def __init__(self, settings: MQTTSettings, client_id: str, *, will: tuple[str, str]) -> None:
        if not settings.url:
            raise InvalidInputError.for_field("mqtt.url", "set to use the MQTT driver", None)
        self.host, self.port = _broker(settings.url)
        self.connected = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311
        )
        if settings.username:
            password = settings.password.get_secret_value() if settings.password else None
            self.client.username_pw_set(settings.username, password)
        self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)

    def start(self, timeout_s: float) -> None:
        try:
            self.client.connect(self.host, self.port, keepalive=15)
        except OSError as err:
            raise DeviceUnavailableError(
                f"The MQTT broker at {self.host}:{self.port} is not reachable: {err}"
            ) from err
        self.client.loop_start()
        if not self.connected.wait(timeout_s):
            self.client.loop_stop()
            raise DeviceUnavailableError(
                f"The MQTT broker at {self.host}:{self.port} did not answer."
            )

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class MQTTDriver:
    """Devices on an MQTT broker, announced to Home Assistant by discovery.

    Parameters
    ----------
    settings
        Broker URL, credentials, discovery prefix and base topic.
    timeout_s
        How long :meth:`send` waits for the device to report its new state.
    optimistic
        Return the expected state when a device does not report one in time (for devices
        without a state topic); otherwise such a device is unavailable.
    """

    name = "mqtt"

    def __init__(
        self,
        *,
        settings: MQTTSettings,
        timeout_s: float = 2.0,
        optimistic: bool = False,
        client_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self.optimistic = optimistic
        self.base = settings.base_topic
        self._availability = f"{self.base}/bridge/availability"
        self._entities: dict[tuple[int, str], EntityRecord] = {}
        self._by_state_topic: dict[str, tuple[int, str]] = {}
        self._states: dict[tuple[int, str], DeviceState] = {}
        self._waiters: dict[tuple[int, str], _Waiter] = {}
        self._listeners: list[StateListener] = []
        self._lock = threading.Lock()
        self.discovery_count = 0
        """How many times the discovery configs were (re-)announced."""
        self._mqtt = _Client(
            settings,
            client_id or f"lingxi-{int(time.time() * 1000) % 10**9}",
            will=(self._availability, "offline"),
        )
        self._mqtt.client.on_connect = self._on_connect
        self._mqtt.client.on_disconnect = self._on_disconnect
        self._mqtt.client.on_message = self._on_message
        self._mqtt.start(timeout_s=max(timeout_s, 3.0))

    # paho callbacks run on the network thread -----------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if getattr(reason, "is_failure", False):
            logger.warning("MQTT connection refused: %s", reason)
            return
        client.publish(self._availability, "online", qos=1, retain=True)
        client.subscribe(f"{self.settings.discovery_prefix}/status", qos=1)
        with self._lock:
            topics = list(self._by_state_topic)
        for topic in topics:
            client.subscribe(topic, qos=1)
        self._announce()
        self._mqtt.connected.set()
        logger.info("MQTT connected to %s:%s", self._mqtt.host, self._mqtt.port)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._mqtt.connected.clear()
        if getattr(reason, "is_failure", True):
            logger.warning("MQTT connection lost (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if message.topic == f"{self.settings.discovery_prefix}/status":
            if message.payload.strip().lower() == b"online":
                self._announce()  # Home Assistant restarted: tell it about us again
            return
        with self._lock:
            key = self._by_state_topic.get(message.topic)
        if key is None:
            return
        household_id, entity_id = key
        try:
            state = _read_state(entity_id, bytes(message.payload), household_id)
        except (ValueError, UnicodeDecodeError) as err:
            logger.warning("Ignored a malformed state from %s: %s", entity_id, err)
            return
        with self._lock:
            known = self._states.get(key)
            self._states[key] = state
            waiter = self._waiters.get(key)
            # A retained state replayed on (re)subscribe that matches what we knew is no news.
            replay = bool(message.retain) and known is not None and _same(known, state)
            listeners = [] if replay else list(self._listeners)
        # A retained message is an old state replayed on subscribe, not the answer to a command;
        # nor is the pre-command state re-published live (a hub re-announcing after a broker
        # restart) when the command was meant to change it.
        if waiter is not None and not message.retain and not waiter.is_stale(state):
            waiter.done.set()
        for listener in listeners:
            try:
                listener(state)
            except Exception:  # the network thread must survive a listener
                logger.exception("state listener failed")

    def _discovery(self) -> list[tuple[str, dict[str, Any]]]:
        """``(topic, config)`` of every known entity that Home Assistant can show."""
        with self._lock:
            entities = list(self._entities.items())
        found = (
            discovery_config(
                entity,
                household_id=household_id,
                base=self.base,
                discovery_prefix=self.settings.discovery_prefix,
            )
            for (household_id, _), entity in entities
        )
        return [item for item in found if item is not None]

    def _announce(self) -> None:
        for topic, config in self._discovery():
            self._mqtt.client.publish(topic, json.dumps(config), qos=1, retain=True)
        self.discovery_count += 1

    # DeviceDriver -----------------------------------------------------------------------

    def start(
        self,
        household_id: int,
        entities: Sequence[EntityRecord],
        states: Mapping[str, DeviceState],
    ) -> None:
        """Announce the entities and listen to their state topics."""
        with self._lock:
            for e in entities:
                key = (household_id, e.entity_id)
                self._entities[key] = e
                _, state_topic = _topics(self.base, household_id, e.entity_id)
                self._by_state_topic[state_topic] = key
                if key not in self._states and e.entity_id in states:
                    known = states[e.entity_id]
                    self._states[key] = DeviceState(
                        e.entity_id, known.state, dict(known.attributes), household_id
                    )
        for e in entities:
            self._mqtt.client.subscribe(_topics(self.base, household_id, e.entity_id)[1], qos=1)
        self._announce()

    def send(self, command: Any) -> DeviceState:
        """Publish the command (not retained) and wait for the device's new state."""
        with self._lock:
            key = (command.household_id, command.entity_id)
            entity = self._entities.get(key)
        if entity is None:
            raise NotFoundError(f"No device for {command.entity_id!r}.", field="entity_id")
        if not self._mqtt.connected.is_set():
            raise DeviceUnavailableError("The MQTT broker is not connected; nothing was sent.")
        command_topic, _ = _topics(self.base, command.household_id, command.entity_id)
        with self._lock:
            before = self._states.get(key)
            waiter = _Waiter(
                before,
                None
                if before is None
                else apply_command(before, command.payload, capabilities=entity.capabilities),
            )
            self._waiters[key] = waiter
        try:
            info = self._mqtt.client.publish(
                command_topic, json.dumps(command.payload), qos=1, retain=False
            )
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise DeviceUnavailableError(
                    f"Publishing to {command_topic} failed (rc={info.rc})."
                )
            if waiter.done.wait(self.timeout_s):
                with self._lock:
                    return self._states[key]
            if self.optimistic:
                current = self._states.get(key) or DeviceState(
                    command.entity_id, "unknown", {}, command.household_id
                )
                return apply_command(current, command.payload, capabilities=entity.capabilities)
            raise DeviceUnavailableError(
                f"{entity.name} did not report a new state within {self.timeout_s:g} s."
            )
        finally:
            with self._lock:
                self._waiters.pop(key, None)

    def state(self, entity_id: str, *, household_id: int = 0) -> DeviceState | None:
        """The last state the device reported (or the stored one until it does)."""
        with self._lock:
            return self._states.get((household_id, entity_id))

    def add_listener(self, listener: StateListener) -> None:
        """Be told of every state a device reports."""
        self._listeners.append(listener)

    @property
    def connected(self) -> bool:
        """True while the broker connection is up."""
        return self._mqtt.connected.is_set()

    def withdraw(self) -> None:
        """Remove the entities from Home Assistant (empty retained discovery configs)."""
        for topic, _config in self._discovery():
            self._mqtt.client.publish(topic, b"", qos=1, retain=True).wait_for_publish(1.0)

    def close(self) -> None:
        """Say offline (retained) and disconnect."""
        if self._mqtt.connected.is_set():
            self._mqtt.client.publish(
                self._availability, "offline", qos=1, retain=True
            ).wait_for_publish(1.0)
        self._mqtt.stop()


class SimulatedHub:
    """A hub of simulated devices that answers on the MQTT topics like real ones would.

    It listens on every command topic of the household, applies the command with the same
    device model as the in-memory driver, and publishes the new state (retained). Malformed
    commands are logged and ignored.
    """

    def __init__(
        self,
        *,
        settings: MQTTSettings,
        household_id: int,
        entities: Sequence[EntityRecord],
        states: Mapping[str, DeviceState] | None = None,
        client_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.household_id = household_id
        self.base = settings.base_topic
        self.availability = f"{self.base}/{household_id}/hub/availability"
        self._entities = {e.entity_id: e for e in entities}
        self._states: dict[str, DeviceState] = {
            e.entity_id: (states or {}).get(e.entity_id) or DeviceState(e.entity_id, "off")
            for e in entities
        }
        self.received: list[tuple[str, bytes, bool]] = []
        """Every command message seen: (topic, payload, retained)."""
        self.malformed = 0
        self._mqtt = _Client(
            settings,
            client_id or f"lingxi-sim-{household_id}-{int(time.time() * 1000) % 10**9}",
            will=(self.availability, "offline"),
        )
        self._mqtt.client.on_connect = self._on_connect
        self._mqtt.client.on_message = self._on_message
        self._mqtt.start(timeout_s=3.0)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        client.subscribe(f"{self.base}/{self.household_id}/+/+/set", qos=1)
        client.publish(self.availability, "online", qos=1, retain=True)
        for state in list(self._states.values()):
            self._publish(state)
        self._mqtt.connected.set()

    def _publish(self, state: DeviceState) -> None:
        _, topic = _topics(self.base, self.household_id, state.entity_id)
        self._mqtt.client.publish(topic, json.dumps(_wire_state(state)), qos=1, retain=True)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.received.append((message.topic, bytes(message.payload), bool(message.retain)))
        parts = message.topic.split("/")
        entity_id = f"{parts[-3]}.{parts[-2]}"
        entity = self._entities.get(entity_id)
        if entity is None:
            return
        try:
            payload = json.loads(message.payload.decode("utf-8"))
            if not isinstance(payload, dict):
                raise ValueError("command must be a JSON object")
            new = apply_command(self._states[entity_id], payload, capabilities=entity.capabilities)
        except (ValueError, TypeError, UnicodeDecodeError) as err:
            self.malformed += 1
            logger.warning("Simulated %s ignored a malformed command: %s", entity_id, err)
            return
        self._states[entity_id] = new
        self._publish(new)

    def state(self, entity_id: str) -> DeviceState:
        """The simulated device's state."""
        return self._states[entity_id]

    def set_state(self, state: DeviceState) -> None:
        """Change a device as if by hand (a wall switch) and report it."""
        self._states[state.entity_id] = state
        self._publish(state)

    def close(self, *, clear_retained: bool = False) -> None:
        """Disconnect (cleanly: the last will is not sent, so publish offline first)."""
        if clear_retained:
            for entity_id in self._states:
                topic = _topics(self.base, self.household_id, entity_id)[1]
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


def fetch_retained(
    settings: MQTTSettings, topic_filter: str, *, wait_s: float = 0.5
) -> dict[str, bytes]:
    """The retained messages under ``topic_filter`` (a diagnostic, e.g. for ``lingxi doctor``)."""
    levels = topic_filter.split("/")
    if not topic_filter or any(
        ("#" in lv and (lv != "#" or i != len(levels) - 1)) or ("+" in lv and lv != "+")
        for i, lv in enumerate(levels)
    ):
        raise InvalidInputError.for_field("topic_filter", "a valid MQTT topic filter", topic_filter)
    got: dict[str, bytes] = {}
    client = _Client(
        settings, f"lingxi-peek-{time.monotonic_ns() % 10**9}", will=("lingxi/peek", "")
    )

    def on_connect(c: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        c.subscribe(topic_filter, qos=1)
        client.connected.set()

    def on_message(c: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if message.retain and message.payload:
            got[message.topic] = bytes(message.payload)

    client.client.on_connect = on_connect
    client.client.on_message = on_message
    client.start(timeout_s=3.0)
    time.sleep(wait_s)
    client.stop()
    return got


def publish_raw(
    settings: MQTTSettings, topic: str, payload: bytes, *, retain: bool = False
) -> None:
    """Publish one raw message (diagnostics and tests: e.g. a malformed device payload)."""
    client = _Client(
        settings, f"lingxi-pub-{time.monotonic_ns() % 10**9}", will=("lingxi/peek", "")
    )

    def on_connect(c: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        client.connected.set()

    client.client.on_connect = on_connect
    client.start(timeout_s=3.0)
    client.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(2.0)
    client.stop()
