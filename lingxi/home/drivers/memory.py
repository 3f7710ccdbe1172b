"""The in-process driver: the embedded default, and the fake at the boundary in tests."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from lingxi.data.records import EntityRecord
from lingxi.errors import NotFoundError
from lingxi.home.devices import DeviceCommand, DeviceState, apply_command
from lingxi.home.drivers.base import DeviceUnavailableError, StateListener

__all__ = ["MemoryDriver"]

_INITIAL = {
    "light": "off",
    "switch": "off",
    "fan": "off",
    "cover": "closed",
    "lock": "locked",
    "climate": "off",
    "media_player": "idle",
    "vacuum": "docked",
}


class MemoryDriver:
    """Devices simulated in memory; every command succeeds at once.

    Parameters
    ----------
    offline
        Entity ids that behave as unreachable (for tests of failure paths).
    """

    name = "memory"

    def __init__(self, *, offline: Sequence[str] = ()) -> None:
        self.offline = set(offline)
        self._states: dict[tuple[int, str], DeviceState] = {}
        self._capabilities: dict[tuple[int, str], dict[str, object]] = {}
        self._listeners: list[StateListener] = []
        self._lock = threading.Lock()
        self.sent: list[DeviceCommand] = []
        """Every command sent, in order (tests read it)."""

    def start(
        self,
        household_id: int,
        entities: Sequence[EntityRecord],
        states: Mapping[str, DeviceState],
    ) -> None:
        """Seed the simulated devices."""
        with self._lock:
            for e in entities:
                key = (household_id, e.entity_id)
                self._capabilities[key] = dict(e.capabilities)
                if key not in self._states:
                    known = states.get(e.entity_id)
                    self._states[key] = DeviceState(
                        e.entity_id,
                        known.state if known else _INITIAL.get(e.domain, "unknown"),
                        dict(known.attributes) if known else {},
                        household_id,
                    )

    def send(self, command: DeviceCommand) -> DeviceState:
        """Apply the command to the simulated device."""
        key = (command.household_id, command.entity_id)
        if command.entity_id in self.offline:
            raise DeviceUnavailableError(f"{command.entity_id} is not responding.")
        with self._lock:
            current = self._states.get(key)
            if current is None:
                raise NotFoundError(f"No device for {command.entity_id!r}.", field="entity_id")
            new = apply_command(current, command.payload, capabilities=self._capabilities.get(key))
            self._states[key] = new
            self.sent.append(command)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(new)
        return new

    def state(self, entity_id: str, *, household_id: int = 0) -> DeviceState | None:
        """The simulated state."""
        return self._states.get((household_id, entity_id))

    def add_listener(self, listener: StateListener) -> None:
        """Be told of every change."""
        self._listeners.append(listener)

    def close(self) -> None:
        """Nothing to release."""
