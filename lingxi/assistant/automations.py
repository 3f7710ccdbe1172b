"""Cross-engine reactions driven by the domain-event outbox.

The porch-light automation: when a courier is within N minutes of a household that enabled
``porch_light_on_courier`` (N = ``courier_near_minutes``, default 10), the home turns on
``light.porch``. It consumes shipment events (``shipment.out_for_delivery``, ETA updates,
``courier.near``) at least once and applies each once: an event whose courier is still far
stays pending and is looked at again on the next run (the ETA from the current plan decides),
so nothing is missed between events; a delivered or failed shipment closes it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from lingxi.assistant.engines import HomePort
from lingxi.data import Database, utcnow
from lingxi.data.repos import conversation as conv_repo, events
from lingxi.errors import LingxiError, NotFoundError

__all__ = ["CONSUMER", "TOPICS", "AutomationResult", "AutomationWorker", "run_automations"]

logger = logging.getLogger(__name__)

CONSUMER = "assistant.porch_light"
TOPICS = (
    "shipment.picked_up",
    "shipment.in_transit",
    "shipment.out_for_delivery",
    "shipment.eta_changed",
    "shipment.delivered",
    "shipment.exception",
    "courier.near",
)
PORCH_LIGHT = "light.porch"
_CLOSED = ("delivered", "exception")
_LATE_GRACE = timedelta(minutes=30)
"""A courier this late past the ETA still counts as near (the parcel has not arrived)."""


@dataclass(frozen=True, slots=True)
class AutomationResult:
    """What one run did."""

    examined: int
    closed: int
    """Events applied (light turned on, or nothing to do ever)."""
    lights_on: tuple[tuple[int, int], ...]
    """``(household_id, shipment_id)`` for each porch light turned on."""
    waiting: int
    """Events kept pending because the courier is not near yet."""


@dataclass(frozen=True, slots=True)
class _Shipment:
    """What the automation needs of a shipment: its status and current ETA."""

    id: int
    status: str
    eta: datetime | None


def _shipment(db: Database, shipment_id: int, household_id: int | None) -> _Shipment | None:
    """The household's shipment as the dispatch engine sees it (None: not this household's)."""
    from lingxi.dispatch import eta_for_shipment

    try:
        info = eta_for_shipment(db, shipment_id, household_id=household_id)
    except NotFoundError:
        return None
    eta = info.get("eta")
    return _Shipment(
        int(info["shipment_id"]),
        str(info["status"]),
        datetime.fromisoformat(eta) if isinstance(eta, str) else None,
    )


def _minutes_away(event: events.Event, shipment: _Shipment, now: datetime) -> float | None:
    if "minutes_away" in event.payload:
        try:
            return float(event.payload["minutes_away"])
        except (TypeError, ValueError):
            return None
    eta = shipment.eta
    if eta is None:
        return None
    return (eta - now) / timedelta(minutes=1)


def run_automations(
    db: Database,
    home: HomePort | None,
    *,
    now: Callable[[], datetime] = utcnow,
    limit: int = 500,
) -> AutomationResult:
    """Apply the porch-light automation to the pending shipment events.

    Parameters
    ----------
    db
        The shared data layer (outbox, shipments, household settings, audit).
    home
        The home engine; without one, events stay pending until it is available.
    now
        The clock (tests pass a fixed time).
    """
    with db.session() as session:
        pending = events.pending(session, consumer=CONSUMER, topics=TOPICS, limit=limit)
    closed, waiting = 0, 0
    lit: list[tuple[int, int]] = []
    done_shipments: set[int] = set()
    for event in pending:
        shipment_id = event.payload.get("shipment_id")
        household_id = event.household_id
        with db.session() as session:
            if events.is_processed(session, consumer=CONSUMER, event_id=event.id):
                continue
            settings = (
                conv_repo.household_settings(session, household_id=household_id)
                if household_id is not None
                else {}
            )
            shipment = (
                _shipment(db, shipment_id, household_id) if isinstance(shipment_id, int) else None
            )
            enabled = bool(settings.get("porch_light_on_courier"))
            if (
                not enabled
                or shipment is None
                or household_id is None
                or shipment.status in _CLOSED
                or shipment.id in done_shipments
            ):
                events.mark_processed(session, consumer=CONSUMER, event_id=event.id)
                closed += 1
                continue
            minutes = _minutes_away(event, shipment, now())
            limit_min = float(settings.get("courier_near_minutes", 10))
            if (
                minutes is None
                or minutes > limit_min
                or minutes < -_LATE_GRACE.total_seconds() / 60
            ):
                waiting += 1
                continue
        if home is None:
            waiting += 1
            continue
        result: dict[str, Any]
        try:
            home.turn_on(household_id, PORCH_LIGHT, source="automation")
            result = {"entity_id": PORCH_LIGHT, "state": "on"}
        except LingxiError as err:
            logger.warning("porch light automation failed for household %s: %s", household_id, err)
            waiting += 1
            continue
        with db.session() as session:
            conv_repo.record_tool_call(
                session,
                conversation_id=None,
                customer_id=None,
                tool="automation.porch_light",
                arguments={
                    "event_id": event.id,
                    "topic": event.topic,
                    "household_id": household_id,
                    "shipment_id": shipment.id,
                    "minutes_away": round(minutes, 1),
                    "threshold_minutes": limit_min,
                },
                result=result,
                confirmation="not_needed",
                channel="automation",
            )
            # Every pending event of this shipment is answered by this one action.
            for other in pending:
                if other.payload.get("shipment_id") == shipment.id and not events.is_processed(
                    session, consumer=CONSUMER, event_id=other.id
                ):
                    events.mark_processed(session, consumer=CONSUMER, event_id=other.id)
        done_shipments.add(shipment.id)
        lit.append((household_id, shipment.id))
        closed += 1
    return AutomationResult(
        examined=len(pending), closed=closed, lights_on=tuple(lit), waiting=waiting
    )


class AutomationWorker:
    """Runs :func:`run_automations` every ``interval_s`` seconds on a daemon thread.

    Parameters
    ----------
    db
        The shared data layer.
    home
        The home engine the porch light is switched through.
    interval_s
        Seconds between runs (the ETA check is time-based, so this bounds how late it reacts).
    """

    def __init__(self, db: Database, home: HomePort | None, *, interval_s: float = 30.0) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s!r}")
        self.db = db
        self.home = home
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        """Start the thread (no-op when running)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="lingxi-automations", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_automations(self.db, self.home)
            except LingxiError as err:
                logger.warning("automation run failed: %s", err)
            except SQLAlchemyError as err:  # the database went away; try again next time
                logger.warning("automation run failed on the database: %s", err)
            self.runs += 1
            self._stop.wait(self.interval_s)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
