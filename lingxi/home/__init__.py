"""lingxi.home: multimodal smart-home control (text, voice, touch, gestures) over real devices.

The assistant and the outer layers use these names only::

    from lingxi.home import HomeController
    controller = HomeController(db)                          # in-process devices
    controller.parse("turn off the lights and lock the door", household_id=1)
    controller.handle("把卧室灯调暗一点", member, channel="voice")
    controller.turn_on(1, "light.porch")                     # e.g. the courier is near

Drivers: ``create_driver("memory")`` (default) or ``create_driver("mqtt", settings=...)``.
"""

from lingxi.home.controller import (
    CHANNELS as CHANNELS,
)
from lingxi.home.controller import (
    DEFAULT_GESTURE_BINDINGS as DEFAULT_GESTURE_BINDINGS,
)
from lingxi.home.controller import (
    ActionResult as ActionResult,
)
from lingxi.home.controller import (
    HomeController as HomeController,
)
from lingxi.home.devices import DeviceCommand as DeviceCommand
from lingxi.home.devices import DeviceState as DeviceState
from lingxi.home.drivers.base import (
    DeviceDriver as DeviceDriver,
)
from lingxi.home.drivers.base import (
    DeviceUnavailableError as DeviceUnavailableError,
)
from lingxi.home.drivers.base import (
    create_driver as create_driver,
)
from lingxi.home.drivers.base import (
    register_driver as register_driver,
)
from lingxi.home.model import (
    Command as Command,
)
from lingxi.home.model import (
    Home as Home,
)
from lingxi.home.model import (
    NoMatchReason as NoMatchReason,
)
from lingxi.home.model import (
    ParseResult as ParseResult,
)
from lingxi.home.nlu import Parser as Parser

__all__ = [
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
    "Parser",
    "ParseResult",
    "create_driver",
    "register_driver",
]
