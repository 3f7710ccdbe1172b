"""The device-driver plugin point: a protocol and a registry keyed by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from lingxi.data.records import EntityRecord
from lingxi.errors import InvalidInputError, UnavailableError
from lingxi.home.devices import DeviceCommand, DeviceState

__all__ = [
    "DeviceDriver",
    "DeviceUnavailableError",
    "StateListener",
    "create_driver",
    "driver_names",
    "register_driver",
]

StateListener = Callable[[DeviceState], None]
"""Called with every state a device reports (also for changes made outside Lingxi)."""


class DeviceUnavailableError(UnavailableError):
    """A device or the bus is down; the command was not carried out."""

    code = "device_unavailable"


@runtime_checkable
class DeviceDriver(Protocol):
    """How Lingxi talks to the devices of one household."""

    name: str

    def start(
        self,
        household_id: int,
        entities: Sequence[EntityRecord],
        states: Mapping[str, DeviceState],
    ) -> None:
        """Announce the household's entities (known ``states`` seed them)."""
        ...

    def send(self, command: DeviceCommand) -> DeviceState:
        """Carry out ``command`` and return the state the device reports afterwards."""
        ...

    def state(self, entity_id: str, *, household_id: int = 0) -> DeviceState | None:
        """The last state the device reported, or None."""
        ...

    def add_listener(self, listener: StateListener) -> None:
        """Be told of every reported state."""
        ...

    def close(self) -> None:
        """Release connections; the driver cannot be used afterwards."""
        ...


_REGISTRY: dict[str, Callable[..., DeviceDriver]] = {}


def register_driver(name: str, factory: Callable[..., DeviceDriver]) -> None:
    """Make a driver available under ``name`` (``memory``, ``mqtt``, ...)."""
    _REGISTRY[name] = factory


def driver_names() -> list[str]:
    """Registered driver names."""
    _load_builtin()
    return sorted(_REGISTRY)


def _load_builtin() -> None:
    if "memory" not in _REGISTRY:
        from lingxi.home.drivers.memory import MemoryDriver

        register_driver("memory", MemoryDriver)
    if "mqtt" not in _REGISTRY:

        def _mqtt(**kwargs: Any) -> DeviceDriver:
            from lingxi.home.drivers.mqtt import MQTTDriver

            return MQTTDriver(**kwargs)

        register_driver("mqtt", _mqtt)


def create_driver(name: str, **options: Any) -> DeviceDriver:
    """Build the driver registered as ``name`` with ``options``."""
    _load_builtin()
    if name not in _REGISTRY:
        raise InvalidInputError.for_field("driver", f"one of {', '.join(sorted(_REGISTRY))}", name)
    try:
        return _REGISTRY[name](**options)
    except UnavailableError:
        raise
    except OSError as err:
        raise DeviceUnavailableError(f"The {name} driver could not start: {err}") from err
