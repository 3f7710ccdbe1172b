"""OwnTracks over MQTT: a courier's phone publishes its position, Lingxi records it.

The second module that imports paho-mqtt (the first is :mod:`lingxi.home.drivers.mqtt`, whose
device bus this shares a broker with). OwnTracks publishes to ``owntracks/<user>/<device>``
JSON such as ``{"_type": "location", "lat": 43.73, "lon": 7.42, "tst": 1764650000, "acc": 8}``;
``<user>`` is the courier's e-mail or the part before its ``@``, and ``<device>``, when it is
a vehicle's name, must be the courier's own vehicle. Other message types (``transition``,
``waypoint``, ...) are ignored; refused positions are logged and counted, never stored.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from lingxi.config import MQTTSettings
from lingxi.data import Database, utcnow
from lingxi.data.repos import courier as courier_repo
from lingxi.dispatch.courier import PositionReport, record_position
from lingxi.dispatch.roadnet import RoadNetwork
from lingxi.errors import InvalidInputError, LingxiError, UnavailableError

__all__ = ["OwnTracksOutcome", "OwnTracksSubscriber", "handle_message"]

logger = logging.getLogger(__name__)

TOPIC = "owntracks/+/+"


@dataclass(frozen=True, slots=True)
class OwnTracksOutcome:
    """What became of one message."""

    topic: str
    accepted: bool
    code: str
    """``recorded``, ``ignored`` (not a location), or the refusal's error code."""
    message: str = ""


def _number(doc: dict[str, Any], key: str) -> float:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError.for_field(key, "a number", value)
    return float(value)


def handle_message(
    db: Database,
    topic: str,
    payload: bytes,
    *,
    now: datetime,
    network: RoadNetwork | None = None,
) -> OwnTracksOutcome:
    """Record one OwnTracks message as the courier's position (or say why not)."""
    parts = topic.split("/")
    try:
        if len(parts) != 3 or parts[0] != "owntracks":
            raise InvalidInputError.for_field("topic", "owntracks/<user>/<device>", topic)
        try:
            doc = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise InvalidInputError.for_field("payload", "a JSON object", payload[:60]) from None
        if not isinstance(doc, dict):
            raise InvalidInputError.for_field("payload", "a JSON object", doc)
        if doc.get("_type") != "location":
            return OwnTracksOutcome(topic, False, "ignored", f"_type {doc.get('_type')!r}")
        user, device = parts[1], parts[2]
        with db.session() as s:
            customer_id = courier_repo.courier_by_handle(s, handle=user)
            named = courier_repo.vehicle_by_name(s, name=device)
        if customer_id is None:
            raise InvalidInputError.for_field("user", "a courier's e-mail or its name part", user)
        tst = _number(doc, "tst")
        acc = doc.get("acc")
        report = PositionReport(
            lat=_number(doc, "lat"),
            lon=_number(doc, "lon"),
            recorded_at=datetime.fromtimestamp(tst, UTC),
            accuracy_m=float(acc) if isinstance(acc, int | float) and acc >= 0 else None,
            vehicle=device if named is not None else None,
            source="owntracks",
        )
        record_position(db, customer_id, report, now=now, network=network)
    except (LingxiError, OverflowError, OSError, ValueError) as err:
        code = err.code if isinstance(err, LingxiError) else "invalid_input"
        logger.warning("OwnTracks position on %s refused: %s", topic, err)
        return OwnTracksOutcome(topic, False, code, str(err))
    return OwnTracksOutcome(topic, True, "recorded")


class OwnTracksSubscriber:
    """Subscribes to OwnTracks topics on the broker and records couriers' positions."""

    def __init__(
        self,
        db: Database,
        settings: MQTTSettings,
        *,
        topic: str = TOPIC,
        network: Callable[[], RoadNetwork] | None = None,
        clock: Callable[[], datetime] = utcnow,
        keep: int = 100,
    ) -> None:
        if not settings.url:
            raise InvalidInputError.for_field("mqtt.url", "set for OwnTracks", settings.url)
        parsed = urlparse(settings.url)
        if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
            raise InvalidInputError.for_field("mqtt.url", "of the form mqtt://host:port", "<url>")
        self._host, self._port = parsed.hostname, parsed.port or 1883
        self._db, self._topic, self._network, self._clock = db, topic, network, clock
        self.outcomes: deque[OwnTracksOutcome] = deque(maxlen=keep)
        """The latest outcomes, newest last (for `lingxi doctor` and tests)."""
        self._subscribed = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"lingxi-owntracks-{id(self):x}"
        )
        if settings.username:
            password = settings.password.get_secret_value() if settings.password else None
            self._client.username_pw_set(settings.username, password)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        client.subscribe(self._topic, qos=1)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: Any, codes: Any, props: Any
    ) -> None:
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            outcome = handle_message(
                self._db,
                message.topic,
                bytes(message.payload),
                now=self._clock(),
                # read per message: staff may make another city active while serve runs
                network=self._network() if self._network else None,
            )
        except Exception:  # a callback that raises would stop paho's loop for every courier
            logger.exception("OwnTracks message on %s could not be handled", message.topic)
            outcome = OwnTracksOutcome(message.topic, False, "internal_error")
        self.outcomes.append(outcome)

    def start(self, timeout_s: float = 5.0) -> None:
        """Connect and subscribe; returns once the broker confirmed the subscription."""
        try:
            self._client.connect(self._host, self._port, keepalive=30)
        except OSError as err:
            raise UnavailableError(f"The MQTT broker {self._host}:{self._port} is down.") from err
        self._client.loop_start()
        if not self._subscribed.wait(timeout_s):
            self.close()
            raise UnavailableError(f"The MQTT broker {self._host}:{self._port} did not answer.")

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()
