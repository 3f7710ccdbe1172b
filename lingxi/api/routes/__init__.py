"""One router per area; :data:`ROUTERS` is what ``create_app`` mounts."""

from fastapi import APIRouter

from lingxi.api.routes import account, assistant, auth, dispatch, guide, health, home, orders, web

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    auth.router,
    account.router,
    orders.router,
    guide.router,
    dispatch.router,
    home.router,
    assistant.router,
    web.router,
)

__all__ = ["ROUTERS"]
