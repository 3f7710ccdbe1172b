"""What a device command will do, as an act of the one risk policy (:mod:`lingxi.policy`).

The controller classifies every device command it is about to send, whatever produced it
(typed or spoken text in any wording, touch, a gesture or its binding, undo, a correction, an
automation, an LLM's tool call): by the entity's domain and device class, the payload, and
the state the device will reach. Wording never enters into it.

Pending confirmations live here too: a risky plan waits under a single-use token until the
member who asked redeems it once.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lingxi.data.records import EntityRecord
from lingxi.errors import ConflictError, NotFoundError
from lingxi.home.devices import DeviceState, apply_command
from lingxi.policy import Act

__all__ = [
    "ENTRANCE_DEVICE_CLASSES",
    "HEATER_DEVICE_CLASSES",
    "HEATING_MODES",
    "PendingAction",
    "classify",
    "household_heat_limit",
]

logger = logging.getLogger(__name__)

ENTRANCE_DEVICE_CLASSES = frozenset({"garage", "gate", "door"})
"""Cover device classes (Home Assistant's) that let people in when opened."""
HEATER_DEVICE_CLASSES = frozenset({"heater", "heat"})
"""Switch device classes of a heater (besides ``capabilities.heating``)."""
HEATING_MODES = frozenset({"heat", "auto", "heat_cool"})
"""Climate HVAC modes in which the device may heat."""


def _is_heater(entity: EntityRecord) -> bool:
    return bool(entity.capabilities.get("heating")) or entity.device_class in HEATER_DEVICE_CLASSES


def _number(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _position(state: DeviceState) -> float:
    fallback = 100.0 if state.state == "open" else 0.0
    return _number(state.attributes.get("position", fallback), fallback)


def classify(
    entity: EntityRecord,
    current: DeviceState,
    payload: Mapping[str, Any],
    *,
    heat_limit_c: float,
) -> Act | None:
    """The risky act ``payload`` does to ``entity`` (in state ``current``), or None when safe.

    * a lock that the command unlocks (or unlatches) -> :attr:`Act.UNLOCK`; locking is safe;
    * a cover of class garage, gate or door that the command opens further ->
      :attr:`Act.OPEN_ENTRANCE`; closing it, and blinds, are safe;
    * a climate that will heat (mode heat, auto or heat_cool) to a target above
      ``heat_limit_c`` and that the command turns on, switches into such a mode or sets
      higher -> :attr:`Act.HEAT_ABOVE_LIMIT`; lowering a target is safe;
    * a heater (``capabilities.heating`` or device class heater) switched on ->
      :attr:`Act.HEAT_ABOVE_LIMIT`.
    """
    command = str(payload.get("state", "")).upper()
    after = apply_command(current, dict(payload), capabilities=entity.capabilities)
    if entity.domain == "lock":
        if command in ("UNLOCK", "OPEN") or (
            after.state == "unlocked" and current.state != "unlocked"
        ):
            return Act.UNLOCK
        return None
    if entity.domain == "cover":
        if entity.device_class not in ENTRANCE_DEVICE_CLASSES:
            return None
        if command == "OPEN" or _position(after) > _position(current):
            return Act.OPEN_ENTRANCE
        return None
    if entity.domain == "climate":
        if after.state not in HEATING_MODES:
            return None
        target = _number(after.attributes.get("temperature"), 0.0)
        if target <= heat_limit_c:
            return None
        was_heating = current.state in HEATING_MODES
        before = _number(current.attributes.get("temperature"), 0.0)
        if not was_heating or target > before:
            return Act.HEAT_ABOVE_LIMIT
        return None
    turns_on = command in ("ON", "TOGGLE") or (after.state == "on" and current.state != "on")
    if _is_heater(entity) and turns_on:
        return Act.HEAT_ABOVE_LIMIT
    return None


def household_heat_limit(own: Mapping[str, Any], *, default: float, household_id: int) -> float:
    """The household's own ``heat_limit_c`` setting (5-35 °C), else ``default``."""
    value = own.get("heat_limit_c")
    if value is None:
        return default
    if isinstance(value, int | float) and not isinstance(value, bool) and 5 <= value <= 35:
        return float(value)
    logger.warning(
        "household %s: heat_limit_c %r is not a number from 5 to 35; using %s",
        household_id,
        value,
        default,
    )
    return default


# ---------------------------------------------------------------------- pending confirmations


@dataclass(frozen=True)
class PendingAction:
    """A risky plan that waits for the yes of the member who asked."""

    token: str
    customer_id: int
    household_id: int
    acts: tuple[Act, ...]
    """The risky acts in the plan, in order (one per entity it touches)."""
    entity_ids: tuple[str, ...]
    """The entities of the risky acts."""
    expires_at: float
    """On the controller's clock."""
    plan: Any = field(compare=False)
    """What will be carried out (the controller's own plan object)."""
    description: str = ""
    """What the yes is for ("unlock Front Door"), in the request's language."""


_MAX_PENDING_PER_MEMBER = 20
"""Older pending confirmations of a member are dropped beyond this many."""


class Confirmations:
    """Single-use tokens for pending plans: created once, redeemed once, by their member only.

    Thread-safe: two redeems of one token race on one lock, so one of them carries out the
    plan and the other is told it was already done.
    """

    def __init__(self, clock: Callable[[], float], ttl_s: float) -> None:
        self._clock = clock
        self._ttl_s = ttl_s
        self._pending: dict[str, PendingAction] = {}
        self._spent: dict[str, tuple[int, float]] = {}
        """token -> (customer id, when it would have expired): a second redeem is told so."""
        self._lock = threading.Lock()

    def hold(
        self,
        *,
        customer_id: int,
        household_id: int,
        acts: tuple[Act, ...],
        entity_ids: tuple[str, ...],
        plan: Any,
        description: str,
    ) -> PendingAction:
        """Keep ``plan`` under a new token until it is redeemed, cancelled or expires."""
        now = self._clock()
        pending = PendingAction(
            token=secrets.token_urlsafe(18),
            customer_id=customer_id,
            household_id=household_id,
            acts=acts,
            entity_ids=entity_ids,
            expires_at=now + self._ttl_s,
            plan=plan,
            description=description,
        )
        with self._lock:
            self._purge(now)
            mine = [p for p in self._pending.values() if p.customer_id == customer_id]
            for old in mine[: max(0, len(mine) - _MAX_PENDING_PER_MEMBER + 1)]:
                del self._pending[old.token]
            self._pending[pending.token] = pending
        return pending

    def redeem(self, token: str, customer_id: int) -> PendingAction:
        """Take the plan of ``token`` out for its member, exactly once.

        Raises
        ------
        ConflictError
            The token was already redeemed (code ``already_confirmed``).
        NotFoundError
            No such token for this member, or it expired or was cancelled.
        """
        now = self._clock()
        with self._lock:
            pending = self._pending.get(token)
            if pending is not None and pending.customer_id == customer_id:
                del self._pending[token]  # only its own member redeems (or burns) a token
                if pending.expires_at >= now:
                    self._spent[token] = (customer_id, pending.expires_at)
                    return pending
            elif self._spent.get(token, (None, 0.0))[0] == customer_id:
                raise ConflictError(
                    "This confirmation was already used; the action was carried out once.",
                    code="already_confirmed",
                    field="token",
                )
        raise NotFoundError(
            "No pending confirmation with this token (it may have expired).", field="token"
        )

    def peek(self, token: str, customer_id: int) -> PendingAction | None:
        """The pending plan of ``token`` for its member (not taken out), or None."""
        with self._lock:
            pending = self._pending.get(token)
        if pending is None or pending.customer_id != customer_id:
            return None
        return pending if pending.expires_at >= self._clock() else None

    def cancel(self, token: str, customer_id: int) -> bool:
        """Drop a pending plan (the person said no); False when there was none."""
        with self._lock:
            pending = self._pending.get(token)
            if pending is None or pending.customer_id != customer_id:
                return False
            del self._pending[token]
            return True

    def forget_member(self, customer_id: int) -> None:
        """Drop every pending plan of one member."""
        with self._lock:
            for token in [t for t, p in self._pending.items() if p.customer_id == customer_id]:
                del self._pending[token]

    def _purge(self, now: float) -> None:
        for token in [t for t, p in self._pending.items() if p.expires_at < now]:
            del self._pending[token]
        for token in [t for t, (_, until) in self._spent.items() if until < now]:
            del self._spent[token]
