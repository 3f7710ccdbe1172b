"""The MQTT driver, with Home Assistant discovery.

Topics, for household ``H`` and entity ``domain.obj`` (``<base>`` is ``mqtt.base_topic``,
``lingxi`` by default):

* ``<discovery_prefix>/<component>/lingxi_H/obj/config``: retained discovery config;
* ``<base>/H/domain/obj/set``: commands, JSON, never retained; each carries
  ``"lingxi": {"command_id", "deadline"}`` and an MQTT 5 message expiry, so a command Lingxi
  gave up on is withdrawn rather than carried out late;
* ``<base>/H/domain/obj/state``: the device's state, JSON, retained by the device;
* ``<base>/bridge/availability``: Lingxi's availability and ``<base>/H/hub/availability``:
  the device hub's. Home Assistant shows an entity only while both say ``online``.

Two roles. The **bridge** (``lingxi serve``; each of its processes) owns
``<base>/bridge/availability`` (``online``, last will ``offline``; a bridge that sees another
one's ``offline`` while it serves says ``online`` again), announces every household's entities
and answers Home Assistant's ``<discovery_prefix>/status``. A
**client** (a CLI command: ``lingxi home do``, ``lingxi chat``) only sends commands and reads
states: it never touches the bridge's availability or the discovery configs, so its exit
leaves Home Assistant as it was.

Discovery configs and the state format are in :mod:`lingxi.home.drivers._ha`; the simulated
device hub is :mod:`lingxi.home.drivers.simhub`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from lingxi.config import MQTTSettings
from lingxi.data.records import EntityRecord
from lingxi.errors import InvalidInputError, NotFoundError
from lingxi.home.devices import DeviceState, apply_command
from lingxi.home.drivers._adopted import command_messages, read_adopted, state_topic
from lingxi.home.drivers._client import (
    PUBLISH_OK,
    Client,
    Message,
    PahoClient,
    expiring,
    fetch_retained,
    new_client_id,
    publish_raw,
)
from lingxi.home.drivers._ha import MalformedStateError, discovery_config, read_answer, topics
from lingxi.home.drivers.base import DeviceUnavailableError, StateListener
from lingxi.home.drivers.simhub import COMMAND_META, SimulatedHub

__all__ = ["MQTTDriver", "SimulatedHub", "discovery_config", "fetch_retained", "publish_raw"]

logger = logging.getLogger(__name__)

Role = Literal["bridge", "client"]

DELIVERY_SHARE = 0.6
"""A command must reach its device within this share of the command timeout (its deadline);
the rest is left for the device's answer."""


class _Waiter:
    """A command waiting for its answer: the state before it and the state it should bring."""

    def __init__(
        self, command_id: str, before: DeviceState | None, expected: DeviceState | None
    ) -> None:
        self.done = threading.Event()
        self.command_id = command_id
        self._before = before
        self._changes = before is not None and expected is not None and not _same(before, expected)

    def is_answer(self, state: DeviceState, answers: str | None, *, hub_names: bool) -> bool:
        """A device that names the command it answers is believed, and once a household's
        hub has named one (``hub_names``) a state naming none is not an answer; otherwise the
        old state again, while the command should have changed it, is not the answer."""
        if answers is not None:
            return answers == self.command_id
        if hub_names:
            return False
        stale = self._changes and self._before is not None and _same(self._before, state)
        return not stale


def _same(old: DeviceState, new: DeviceState) -> bool:
    """Same state, and every attribute known before unchanged (the wire may add some)."""
    return old.state == new.state and all(
        new.attributes.get(k) == v for k, v in old.attributes.items()
    )


class MQTTDriver:
    """Devices on an MQTT broker, announced to Home Assistant by discovery.

    Parameters
    ----------
    settings
        Broker URL, credentials, discovery prefix, base topic and command timeout.
    role
        ``bridge`` for the one server process that owns Lingxi's availability and the
        discovery configs (``lingxi serve``); ``client`` (the default) for everything else.
    timeout_s
        How long :meth:`send` waits for the device's new state; default
        ``settings.command_timeout_s``.
    optimistic
        Return the expected state when a device does not report one in time (for devices
        without a state topic); otherwise such a device is unavailable.
    clock, wall_clock
        Monotonic seconds (message ages) and Unix seconds (command deadlines); tests pin them.
    """

    name = "mqtt"

    def __init__(
        self,
        *,
        settings: MQTTSettings,
        role: Role = "client",
        timeout_s: float | None = None,
        optimistic: bool = False,
        client_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.role: Role = role
        self.timeout_s = float(timeout_s if timeout_s is not None else settings.command_timeout_s)
        self.optimistic = optimistic
        self.clock = clock
        self.wall_clock = wall_clock
        self.base = settings.base_topic
        self._availability = f"{self.base}/bridge/availability"
        self._entities: dict[tuple[int, str], EntityRecord] = {}
        self._by_state_topic: dict[str, tuple[int, str]] = {}
        self._states: dict[tuple[int, str], DeviceState] = {}
        # Every command in flight per entity: two quick touches on one slider both wait.
        self._waiters: dict[tuple[int, str], dict[str, _Waiter]] = {}
        self._listeners: list[StateListener] = []
        self._lock = threading.Lock()
        self._last_message_at: float | None = None
        self._closing = False
        self._naming: set[int] = set()
        """Households whose hub names the command each state answers."""
        self.discovery_count = 0
        """How many times the discovery configs were (re-)announced (the bridge only)."""
        self.dropped = 0
        """State messages dropped as malformed."""
        self.network_thread_errors = 0
        """Unexpected errors caught in the network thread's callbacks."""
        self._mqtt = Client(
            settings,
            client_id or new_client_id("bridge" if role == "bridge" else "cli"),
            will=(self._availability, "offline") if role == "bridge" else None,
        )
        self._mqtt.client.on_connect = self._on_connect
        self._mqtt.client.on_disconnect = self._on_disconnect
        self._mqtt.client.on_message = self._on_message
        self._mqtt.start(timeout_s=max(self.timeout_s, 3.0))

    @property
    def is_bridge(self) -> bool:
        """True for the process that owns the availability topic and discovery."""
        return self.role == "bridge"

    # paho callbacks run on the network thread: none may raise ---------------------------

    def _on_connect(
        self, client: PahoClient, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if getattr(reason, "is_failure", False):
            logger.warning("MQTT connection refused: %s", reason)
            return
        try:
            if self.is_bridge:
                client.publish(self._availability, "online", qos=1, retain=True)
                client.subscribe(f"{self.settings.discovery_prefix}/status", qos=1)
                client.subscribe(self._availability, qos=1)
            with self._lock:
                state_topics = list(self._by_state_topic)
            for topic in state_topics:
                client.subscribe(topic, qos=1)
            self._announce()
        except Exception:
            self.network_thread_errors += 1
            logger.exception("MQTT on_connect failed")
        self._mqtt.connected.set()
        logger.info("MQTT connected to %s:%s as %s", self._mqtt.host, self._mqtt.port, self.role)

    def _on_disconnect(
        self, client: PahoClient, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._mqtt.connected.clear()
        if getattr(reason, "is_failure", True):
            logger.warning("MQTT connection lost (%s); reconnecting", reason)

    def _on_message(self, client: PahoClient, userdata: Any, message: Message) -> None:
        try:
            self._last_message_at = self.clock()
            self._receive(message.topic, bytes(message.payload), bool(message.retain))
        except Exception:  # the network thread must survive any message
            self.network_thread_errors += 1
            logger.exception("MQTT message on %r could not be handled", message.topic)

    def _receive(self, topic: str, payload: bytes, retained: bool) -> None:
        if topic == self._availability:
            if self.is_bridge and not self._closing and payload != b"online":
                # Another server process (a replica) went away and its will said offline:
                # this one still serves, so Lingxi is online.
                self._mqtt.client.publish(self._availability, "online", qos=1, retain=True)
            return
        if topic == f"{self.settings.discovery_prefix}/status":
            if self.is_bridge and payload.strip().lower() == b"online":
                self._announce()  # Home Assistant restarted: tell it about us again
            return
        with self._lock:
            key = self._by_state_topic.get(topic)
        if key is None:
            return
        household_id, entity_id = key
        if not payload:
            return  # a retained state being cleared
        with self._lock:
            entity = self._entities.get(key)
            previous = self._states.get(key)
        own = entity.capabilities.get("mqtt") if entity is not None else None
        try:
            if isinstance(own, dict):  # an adopted device, in its own words
                state = read_adopted(entity_id, own, payload, previous, household_id)
                answers = None
            else:
                state, answers = read_answer(entity_id, payload, household_id)
        except MalformedStateError as err:
            self.dropped += 1
            logger.warning(
                "Dropped a malformed state of %s (household %s): %s", entity_id, household_id, err
            )
            return
        with self._lock:
            known = self._states.get(key)
            self._states[key] = state
            waiters = list(self._waiters.get(key, {}).values())
            # A state that matches what we knew is no news, whether a retained one replayed on
            # (re)subscribe or a hub re-announcing at start-up: it must not fill the history.
            no_news = known is not None and _same(known, state)
            listeners = [] if no_news else list(self._listeners)
        # A retained message is an old state replayed on subscribe, not the answer to a command;
        # nor is the pre-command state re-published live (a hub re-announcing after a broker
        # restart) when the command was meant to change it.
        if answers is not None:
            self._naming.add(household_id)
        if not retained:
            hub_names = household_id in self._naming and own is None
            for waiter in waiters:
                if waiter.is_answer(state, answers, hub_names=hub_names):
                    waiter.done.set()
        for listener in listeners:
            try:
                listener(state)
            except Exception:
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
        if not self.is_bridge:
            return
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
        """Listen to the entities' state topics; the bridge also announces them."""
        subscribed = []
        with self._lock:
            for e in entities:
                key = (household_id, e.entity_id)
                self._entities[key] = e
                topic = self._state_topic(household_id, e)
                if topic is not None:
                    self._by_state_topic[topic] = key
                    subscribed.append(topic)
                if key not in self._states and e.entity_id in states:
                    known = states[e.entity_id]
                    self._states[key] = DeviceState(
                        e.entity_id, known.state, dict(known.attributes), household_id
                    )
        for topic in subscribed:
            self._mqtt.client.subscribe(topic, qos=1)
        self._announce()

    def _state_topic(self, household_id: int, entity: EntityRecord) -> str | None:
        own = entity.capabilities.get("mqtt")
        if isinstance(own, dict):
            return state_topic(own)
        return topics(self.base, household_id, entity.entity_id)[1]

    def _messages(
        self, entity: EntityRecord, household_id: int, payload: dict[str, Any], meta: dict[str, Any]
    ) -> list[tuple[str, bytes]]:
        """What to publish: Lingxi's JSON with its command id on Lingxi's topic, or the
        adopted device's own messages on its own topics (they know no command id)."""
        own = entity.capabilities.get("mqtt")
        if isinstance(own, dict):
            try:
                return command_messages(entity.domain, own, payload)
            except ValueError as err:
                raise InvalidInputError(f"{entity.name}: {err}", field="payload") from None
        command_topic, _ = topics(self.base, household_id, entity.entity_id)
        return [(command_topic, json.dumps({**payload, COMMAND_META: meta}).encode())]

    def send(self, command: Any) -> DeviceState:
        """Publish the command (not retained, expiring) and wait for the device's new state."""
        with self._lock:
            key = (command.household_id, command.entity_id)
            entity = self._entities.get(key)
        if entity is None:
            raise NotFoundError(f"No device for {command.entity_id!r}.", field="entity_id")
        if not self._mqtt.connected.is_set():
            raise DeviceUnavailableError("The MQTT broker is not connected; nothing was sent.")
        with self._lock:
            before = self._states.get(key)
            expected = (
                None
                if before is None
                else apply_command(before, command.payload, capabilities=entity.capabilities)
            )
            waiter = _Waiter(uuid.uuid4().hex, before, expected)
            self._waiters.setdefault(key, {})[waiter.command_id] = waiter
        window = self.timeout_s * DELIVERY_SHARE
        meta = {"command_id": waiter.command_id, "deadline": round(self.wall_clock() + window, 3)}
        try:
            messages = self._messages(entity, command.household_id, command.payload, meta)
            for topic, body in messages:
                info = self._mqtt.client.publish(
                    topic, body, qos=1, retain=False, properties=expiring(window)
                )
                if info.rc != PUBLISH_OK:
                    raise DeviceUnavailableError(
                        f"Publishing to {topic} failed (rc={info.rc}); nothing was sent."
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
                f"{entity.name} did not report a new state within {self.timeout_s:g} s; "
                "the command was withdrawn."
            )
        finally:
            with self._lock:
                pending = self._waiters.get(key, {})
                pending.pop(waiter.command_id, None)
                if not pending:
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

    def health(self) -> dict[str, Any]:
        """The worker's real state: connected, network thread alive, last message age."""
        last = self._last_message_at
        return {
            "role": self.role,
            "connected": self.connected,
            "thread_alive": self._mqtt.thread_alive,
            "last_message_age_s": None if last is None else round(self.clock() - last, 1),
            "dropped_states": self.dropped,
            "network_thread_errors": self.network_thread_errors,
        }

    def withdraw(self) -> None:
        """Remove the entities from Home Assistant (empty retained discovery configs)."""
        if not self.is_bridge:
            return
        for topic, _config in self._discovery():
            self._mqtt.client.publish(topic, b"", qos=1, retain=True).wait_for_publish(1.0)

    def close(self) -> None:
        """Disconnect; the bridge says ``offline`` (retained) first."""
        self._closing = True
        if self.is_bridge and self._mqtt.connected.is_set():
            self._mqtt.client.publish(
                self._availability, "offline", qos=1, retain=True
            ).wait_for_publish(1.0)
        self._mqtt.stop()
