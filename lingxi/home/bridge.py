"""The server's home controller: the MQTT bridge that owns Lingxi's availability in Home
Assistant and announces every household's entities from start-up on."""

from __future__ import annotations

import logging

from lingxi.config import Settings
from lingxi.data import Database
from lingxi.home.controller import HomeController
from lingxi.home.drivers.base import create_driver

__all__ = ["announce_all", "server_controller"]

logger = logging.getLogger(__name__)


def announce_all(controller: HomeController) -> list[int]:
    """Load every household that has entities, so the driver announces them now (not at a
    member's first request); returns their ids. A household that fails is logged and skipped."""
    from lingxi.data.repos import home as repo

    with controller.db.session() as s:
        household_ids = repo.list_households_with_entities(s)
    done = []
    for household_id in household_ids:
        try:
            controller.home(household_id)
        except Exception:
            logger.exception("could not announce the entities of household %s", household_id)
            continue
        done.append(household_id)
    return done


def server_controller(db: Database, settings: Settings) -> HomeController:
    """``lingxi serve``'s one controller: over MQTT as the bridge (``LINGXI_MQTT__URL`` set),
    with every household announced, else over the in-process devices."""
    if not settings.mqtt.url:
        return HomeController(db, settings=settings.home)
    driver = create_driver("mqtt", settings=settings.mqtt, role="bridge")
    controller = HomeController(db, settings=settings.home, driver=driver)
    announced = announce_all(controller)
    logger.info("MQTT bridge announced %d households", len(announced))
    return controller
