"""What the commerce operations share: the delivery-planner port and money formatting."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from lingxi.errors import LingxiError

__all__ = ["DeliveryPlanner", "plan_quietly"]

logger = logging.getLogger("lingxi.commerce")


class DeliveryPlanner(Protocol):
    """Plans a new shipment's delivery (or pickup) and answers its ETA.

    The API hands in one backed by the solver worker, the assistant its dispatch engine;
    commerce never imports an engine.
    """

    def plan_delivery(self, shipment_id: int) -> datetime | None:
        """Plan the open shipments again and return ``shipment_id``'s ETA (None: not planned)."""
        ...


def plan_quietly(planner: DeliveryPlanner | None, shipment_id: int) -> datetime | None:
    """The ETA from ``planner``, or None when there is none or planning fails.

    A failed plan never undoes a paid order: the ``order.confirmed`` outbox event stays, so
    the next plan picks the shipment up.
    """
    if planner is None:
        return None
    try:
        return planner.plan_delivery(shipment_id)
    except LingxiError as err:
        logger.warning("delivery planning failed, the order stands: %s", err)
        return None
    except Exception:
        logger.exception("delivery planner crashed, the order stands")
        return None
