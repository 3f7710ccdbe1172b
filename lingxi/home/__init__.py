"""lingxi.home: multimodal smart-home control (text, voice, touch, gestures) over real devices.

The assistant and the outer layers use these names only::

    from lingxi.home import HomeController
    controller = HomeController(db)                          # in-process devices
    controller.parse("turn off the lights and lock the door", household_id=1)
    controller.handle("把卧室灯调暗一点", member, channel="voice")
    controller.turn_on(1, "light.porch")                     # e.g. the courier is near

Risky acts (unlock, open a garage or gate, heat above the limit) raise
ConfirmationRequiredError with a single-use ``token``; ``controller.confirm(token, member)``
carries the act out once, ``controller.cancel(token, member)`` drops it.

Drivers: ``create_driver("memory")`` (default) or ``create_driver("mqtt", settings=...)`` (a
client: commands and states only); ``server_controller(db, settings)`` is ``lingxi serve``'s,
the MQTT bridge that owns Lingxi's availability in Home Assistant and announces every household.
"""

from lingxi.home._replies import state_labels as state_labels
from lingxi.home.bridge import server_controller as server_controller
from lingxi.home.controller import (
    AUTOMATION_ROLE as AUTOMATION_ROLE,
    CHANNELS as CHANNELS,
    DEFAULT_GESTURE_BINDINGS as DEFAULT_GESTURE_BINDINGS,
    ActionResult as ActionResult,
    HomeController as HomeController,
)
from lingxi.home.devices import DeviceCommand as DeviceCommand, DeviceState as DeviceState
from lingxi.home.drivers._ha import ha_entity as ha_entity
from lingxi.home.drivers.base import (
    DeviceDriver as DeviceDriver,
    DeviceUnavailableError as DeviceUnavailableError,
    create_driver as create_driver,
    register_driver as register_driver,
)
from lingxi.home.model import (
    Command as Command,
    Home as Home,
    NoMatchReason as NoMatchReason,
    ParseResult as ParseResult,
)
from lingxi.home.nlu import Parser as Parser
from lingxi.home.risk import PendingAction as PendingAction, classify as classify

__all__ = [
    "AUTOMATION_ROLE",
    "CHANNELS",
    "DEFAULT_GESTURE_BINDINGS",
    "ActionResult",
    "Command",
    "DeviceCommand",
    "DeviceDriver",
    "DeviceState",
    "DeviceUnavailableError",
    "Home",
    "HomeController",
    "NoMatchReason",
    "ParseResult",
    "Parser",
    "PendingAction",
    "classify",
    "create_driver",
    "ha_entity",
    "register_driver",
    "server_controller",
    "state_labels",
]
