"""The paho-mqtt client the driver, the simulated hub and the diagnostics share (MQTT 5).

The only module that imports paho-mqtt (the import-linter contract says so). Every client authenticates with ``mqtt.username``
and ``mqtt.password`` when set (the broker's ACL then decides who may publish what: see
``deploy/mosquitto``).
"""

from __future__ import annotations

import logging
import math
import socket
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from lingxi.config import MQTTSettings
from lingxi.errors import InvalidInputError
from lingxi.home.drivers.base import DeviceUnavailableError

__all__ = [
    "PUBLISH_OK",
    "Client",
    "Message",
    "PahoClient",
    "expiring",
    "fetch_retained",
    "new_client_id",
    "publish_raw",
]

logger = logging.getLogger(__name__)

PahoClient = mqtt.Client
"""paho's client, as the callbacks of the other driver modules receive it."""
Message = mqtt.MQTTMessage
PUBLISH_OK = mqtt.MQTT_ERR_SUCCESS


def _broker(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
        raise InvalidInputError.for_field("mqtt.url", "of the form mqtt://host:port", url)
    return parsed.hostname, parsed.port or 1883


def new_client_id(kind: str) -> str:
    """A client id of its own for each connection (``lingxi-bridge-...``, ``lingxi-cli-...``):
    two connections with one id throw each other off the broker."""
    return f"lingxi-{kind}-{uuid.uuid4().hex[:12]}"


def expiring(seconds: float) -> Properties:
    """PUBLISH properties with an MQTT 5 message expiry interval (whole seconds, at least 1):
    the broker discards the message rather than deliver it later."""
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.MessageExpiryInterval = max(1, math.ceil(seconds))
    return props


def _no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """Send each packet at once. A command is a small packet, and with Nagle's algorithm on
    it waits for the broker's delayed ACK of the one before: about 40 ms per command."""
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Client:
    """A paho client that connects in the background and reconnects by itself.

    ``will`` is the retained last will ``(topic, payload)``, or None for none: only the
    process that owns an availability topic may set a will on it.
    """

    def __init__(self, settings: MQTTSettings, cid: str, *, will: tuple[str, str] | None) -> None:
        if not settings.url:
            raise InvalidInputError.for_field("mqtt.url", "set to use the MQTT driver", None)
        self.host, self.port = _broker(settings.url)
        self.connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv5)
        # An exception in a callback is logged, never allowed to end the network thread.
        self.client.suppress_exceptions = True
        if settings.username:
            password = settings.password.get_secret_value() if settings.password else None
            self.client.username_pw_set(settings.username, password)
        if will is not None:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        self.client.on_socket_open = _no_delay

    def start(self, timeout_s: float) -> None:
        """Connect and start the network thread; raise if the broker does not answer."""
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
                f"The MQTT broker at {self.host}:{self.port} did not answer (or refused "
                "the credentials: mqtt.username / mqtt.password)."
            )

    @property
    def thread_alive(self) -> bool:
        """True while paho's network thread runs."""
        thread = getattr(self.client, "_thread", None)
        return isinstance(thread, threading.Thread) and thread.is_alive()

    def stop(self) -> None:
        """Disconnect cleanly (the broker does not send the last will) and stop the thread."""
        self.client.disconnect()
        self.client.loop_stop()


def _refused(reason: Any) -> bool:
    return bool(getattr(reason, "is_failure", False))


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
    client = Client(settings, new_client_id("peek"), will=None)

    def on_connect(c: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if not _refused(reason):
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
    client = Client(settings, new_client_id("pub"), will=None)

    def on_connect(c: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if not _refused(reason):
            client.connected.set()

    client.client.on_connect = on_connect
    client.start(timeout_s=3.0)
    client.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(2.0)
    client.stop()
