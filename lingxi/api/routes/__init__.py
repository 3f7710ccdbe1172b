"""One router per area; :data:`ROUTERS` is what ``create_app`` mounts."""

from fastapi import APIRouter

from lingxi.api.routes import (
    account,
    assistant,
    auth,
    catalogue,
    courier,
    dispatch,
    fleet,
    guide,
    health,
    home,
    home_automations,
    integrations,
    ops,
    orders,
    people,
    products,
    web,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    auth.router,
    people.router,
    account.router,
    orders.router,
    guide.router,
    dispatch.router,
    ops.router,
    fleet.router,
    courier.router,
    home.router,
    home_automations.router,
    assistant.router,
    web.router,
    integrations.router,
    catalogue.router,
    catalogue.products_router,
    products.router,
)

__all__ = ["ROUTERS"]
